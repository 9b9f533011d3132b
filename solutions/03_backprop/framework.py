"""Assignment 03: your own neural-network framework, with backpropagation by hand.

You build the framework of the lesson "Own framework" (AI for Beginners, lesson 4): layers
that each know their `forward` and their `backward`, a `Net` that chains them, and a loop
that trains it with stochastic gradient descent. Nothing computes a gradient for you.

How the pieces talk to each other (the lesson's API, used by every test):
- `forward(x)` computes the output and keeps what `backward` will need (e.g. `self.x`).
- `backward(dy)` receives the gradient of the loss with respect to the layer's output
  and returns the gradient with respect to its input. A layer with parameters also
  stores the gradients of its parameters (`self.dW`, `self.db`).
- `update(lr)` (only layers with parameters) takes one gradient-descent step.
- `backward` is always called after `forward` on the same batch.

Conventions: arrays are batch-first, `(N, features)`; class labels are integer arrays
`(N,)`. Only numpy: importing torch, tensorflow, jax or autograd costs points.

Checking a backward: compare it with central finite differences of your own forward,
    df/dx[i] ~ (f(x + h e_i) - f(x - h e_i)) / (2h),  h = 1e-6, in float64,
for f(x) = sum(layer.forward(x) * G) with a fixed random G (then dy = G). The hidden tests
do exactly this for every layer, and for a whole Net.
"""
import numpy as np


# --------------------------------------------------------------------------------------
# Linear layer
# --------------------------------------------------------------------------------------

class Linear:
    """A fully connected layer: z = x @ W.T + b.

    Attributes (the tests read and set them):
    - W: (nout, nin) weights, one row per output unit (as in PyTorch and the lesson),
      initialised from N(0, 1/sqrt(nin)) (standard deviation 1/sqrt(nin));
    - b: (1, nout) biases, initialised to zeros;
    - dW: (nout, nin) and db: (1, nout) or (nout,) — gradients stored by `backward`.

    Example:
    >>> lin = Linear(3, 2)
    >>> lin.W.shape, lin.b.shape
    ((2, 3), (1, 2))
    """

    def __init__(self, nin, nout):
        ### BEGIN SOLUTION
        self.W = np.random.normal(0, 1.0 / np.sqrt(nin), (nout, nin))
        self.b = np.zeros((1, nout))
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        ### END SOLUTION

    def forward(self, x):
        """x: (N, nin) -> z: (N, nout). Keeps x for `backward`.

        Example: with W = [[1, 2]], b = [[0.5]], x = [[1, 1], [0, 1]] the output is
        [[3.5], [2.5]].
        """
        ### BEGIN SOLUTION
        self.x = x
        return x @ self.W.T + self.b
        ### END SOLUTION

    def backward(self, dz):
        """dz: (N, nout), the gradient of the loss w.r.t. z -> dx: (N, nin).

        Stores self.dW = dz.T @ x, shape (nout, nin), and self.db, the sum of dz over
        the batch, shape (1, nout) or (nout,): every sample of the batch contributes.

        Example: with W = [[1, 2]], x = [[1, 1], [0, 1]] and dz = [[1], [2]]:
        dx = [[1, 2], [2, 4]], dW = [[1, 3]], db = [[3]].
        """
        ### BEGIN SOLUTION
        self.dW = dz.T @ self.x
        self.db = dz.sum(axis=0, keepdims=True)
        return dz @ self.W
        ### END SOLUTION

    def update(self, lr):
        """One step of gradient descent: W -= lr * dW, b -= lr * db."""
        ### BEGIN SOLUTION
        self.W = self.W - lr * self.dW
        self.b = self.b - lr * self.db
        ### END SOLUTION


# --------------------------------------------------------------------------------------
# Activations: no parameters, so no update
# --------------------------------------------------------------------------------------

class Sigmoid:
    """y = 1 / (1 + exp(-x)), elementwise; dy/dx = y * (1 - y).

    Example: forward([[0.0]]) = [[0.5]]; then backward([[1.0]]) = [[0.25]].
    """

    def forward(self, x):
        ### BEGIN SOLUTION
        e = np.exp(-np.abs(x))              # in (0, 1]: no overflow for large |x|
        self.y = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return self.y
        ### END SOLUTION

    def backward(self, dy):
        ### BEGIN SOLUTION
        return dy * self.y * (1 - self.y)
        ### END SOLUTION


class Tanh:
    """y = tanh(x), elementwise; dy/dx = 1 - y**2 (use the output y, not the input x).

    Example: forward([[0.0]]) = [[0.0]]; then backward([[2.0]]) = [[2.0]].
    """

    def forward(self, x):
        ### BEGIN SOLUTION
        self.y = np.tanh(x)
        return self.y
        ### END SOLUTION

    def backward(self, dy):
        ### BEGIN SOLUTION
        return (1.0 - self.y ** 2) * dy
        ### END SOLUTION


class ReLU:
    """y = max(x, 0), elementwise; the gradient passes where x > 0 and is 0 elsewhere.

    Example: forward([[-1.0, 2.0]]) = [[0.0, 2.0]]; then backward([[5.0, 5.0]]) = [[0.0, 5.0]].
    """

    def forward(self, x):
        ### BEGIN SOLUTION
        self.x = x
        return np.maximum(x, 0)
        ### END SOLUTION

    def backward(self, dy):
        ### BEGIN SOLUTION
        return dy * (self.x > 0)
        ### END SOLUTION


class LeakyReLU:
    """y = x where x > 0, alpha * x elsewhere; the gradient is 1 or alpha accordingly.

    Example: LeakyReLU(0.1).forward([[-1.0, 2.0]]) = [[-0.1, 2.0]]; then
    backward([[5.0, 5.0]]) = [[0.5, 5.0]].
    """

    def __init__(self, alpha=0.01):
        ### BEGIN SOLUTION
        self.alpha = alpha
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        self.x = x
        return np.where(x > 0, x, self.alpha * x)
        ### END SOLUTION

    def backward(self, dy):
        ### BEGIN SOLUTION
        return dy * np.where(self.x > 0, 1.0, self.alpha)
        ### END SOLUTION


class Softmax:
    """p = exp(z) / sum(exp(z)) along each row: z (N, C) -> p (N, C), rows sum to 1.

    Numerically stable (subtract each row's maximum first). The backward is not
    elementwise: every p_j depends on every z_k of its row, so
    dz = p * (dp - sum(p * dp, axis=1, keepdims=True)).

    Example: forward([[0.0, 0.0]]) = [[0.5, 0.5]]; then backward([[1.0, 0.0]]) =
    [[0.25, -0.25]].
    """

    def forward(self, z):
        ### BEGIN SOLUTION
        e = np.exp(z - z.max(axis=1, keepdims=True))
        self.p = e / e.sum(axis=1, keepdims=True)
        return self.p
        ### END SOLUTION

    def backward(self, dp):
        ### BEGIN SOLUTION
        p = self.p
        return p * (dp - (p * dp).sum(axis=1, keepdims=True))
        ### END SOLUTION


# --------------------------------------------------------------------------------------
# Losses: forward gives a number, backward the gradient w.r.t. the prediction
# --------------------------------------------------------------------------------------

class CrossEntropyLoss:
    """Mean negative log-probability of the true class: -mean(log p[i, y[i]]).

    forward(p, y): p (N, C) probabilities (a Softmax output), y (N,) integer labels -> a
    float. backward(loss) -> dp (N, C): -1 / (N * p[i, y[i]]) at the true class of each
    row, 0 elsewhere (the 1/N comes from the mean). `loss` is the value forward returned;
    the lesson's API passes it, but it is not needed.

    Example: forward([[0.5, 0.5], [0.25, 0.75]], [0, 1]) = 0.4904 (= -(log 0.5 + log 0.75)/2);
    then backward(...) = [[-1.0, 0.0], [0.0, -0.6667]].
    """

    def forward(self, p, y):
        ### BEGIN SOLUTION
        self.p, self.y = p, y
        return -np.mean(np.log(p[np.arange(len(y)), y]))
        ### END SOLUTION

    def backward(self, loss):
        ### BEGIN SOLUTION
        n = len(self.y)
        dp = np.zeros_like(self.p)
        dp[np.arange(n), self.y] = -1.0 / (n * self.p[np.arange(n), self.y])
        return dp
        ### END SOLUTION


class MSELoss:
    """Mean squared error over all elements: mean((pred - target) ** 2).

    forward(pred, target): arrays of the same shape -> a float. backward(loss) -> dpred,
    2 * (pred - target) / pred.size.

    Example: forward([[1.0, 2.0]], [[0.0, 0.0]]) = 2.5; then backward(...) = [[1.0, 2.0]].
    """

    def forward(self, pred, target):
        ### BEGIN SOLUTION
        self.diff = pred - target
        return np.mean(self.diff ** 2)
        ### END SOLUTION

    def backward(self, loss):
        ### BEGIN SOLUTION
        return 2 * self.diff / self.diff.size
        ### END SOLUTION


# --------------------------------------------------------------------------------------
# The network and its training loop
# --------------------------------------------------------------------------------------

class Net:
    """A chain of layers, kept in the list self.layers in the order they were added.

    forward applies them first to last; backward passes the gradient last to first
    (each layer's backward gets the gradient its own forward's output received) and
    returns the gradient w.r.t. the net's input; update(lr) calls update on every layer
    that has one (activations have none).

    Example:
    >>> net = Net()
    >>> net.add(Linear(2, 3)); net.add(Tanh()); net.add(Linear(3, 2)); net.add(Softmax())
    >>> net.forward(np.zeros((5, 2))).shape
    (5, 2)
    """

    def __init__(self):
        ### BEGIN SOLUTION
        self.layers = []
        ### END SOLUTION

    def add(self, layer):
        ### BEGIN SOLUTION
        self.layers.append(layer)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        for layer in self.layers:
            x = layer.forward(x)
        return x
        ### END SOLUTION

    def backward(self, dz):
        ### BEGIN SOLUTION
        for layer in reversed(self.layers):
            dz = layer.backward(dz)
        return dz
        ### END SOLUTION

    def update(self, lr):
        ### BEGIN SOLUTION
        for layer in self.layers:
            if hasattr(layer, "update"):
                layer.update(lr)
        ### END SOLUTION


def train_epoch(net, train_x, train_labels, loss=CrossEntropyLoss(), batch_size=4, lr=0.1):
    """One pass over the training data in minibatches, in order (no shuffling here).

    For each batch train_x[i:i+batch_size] (the last one may be smaller): forward through
    the net, the loss, loss.backward, net.backward, net.update(lr).

    Inputs:
    - net: a Net ending in Softmax; train_x: (N, D) float; train_labels: (N,) int;
    - loss: the loss object (default CrossEntropyLoss()); batch_size: int; lr: float.

    Returns nothing: the net's parameters change in place.
    """
    ### BEGIN SOLUTION
    for i in range(0, len(train_x), batch_size):
        xb = train_x[i:i + batch_size]
        yb = train_labels[i:i + batch_size]
        p = net.forward(xb)
        value = loss.forward(p, yb)
        dp = loss.backward(value)
        net.backward(dp)
        net.update(lr)
    ### END SOLUTION


def get_loss_acc(net, x, y, loss=CrossEntropyLoss()):
    """The loss and the accuracy of the net on (x, y): a tuple of two floats.

    accuracy = the fraction of rows whose largest output is the true label.

    Example: for a net whose forward gives [[0.9, 0.1], [0.2, 0.8]] and y = [0, 0]:
    loss = -(log 0.9 + log 0.2) / 2 = 0.8574, accuracy = 0.5.
    """
    ### BEGIN SOLUTION
    p = net.forward(x)
    value = loss.forward(p, y)
    accuracy = np.mean(np.argmax(p, axis=1) == y)
    return float(value), float(accuracy)
    ### END SOLUTION
