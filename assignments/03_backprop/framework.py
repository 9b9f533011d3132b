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
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x):
        """x: (N, nin) -> z: (N, nout). Keeps x for `backward`.

        Example: with W = [[1, 2]], b = [[0.5]], x = [[1, 1], [0, 1]] the output is
        [[3.5], [2.5]].
        """
        # YOUR CODE HERE
        raise NotImplementedError()

    def backward(self, dz):
        """dz: (N, nout), the gradient of the loss w.r.t. z -> dx: (N, nin).

        Stores self.dW = dz.T @ x, shape (nout, nin), and self.db, the sum of dz over
        the batch, shape (1, nout) or (nout,): every sample of the batch contributes.

        Example: with W = [[1, 2]], x = [[1, 1], [0, 1]] and dz = [[1], [2]]:
        dx = [[1, 2], [2, 4]], dW = [[1, 3]], db = [[3]].
        """
        # YOUR CODE HERE
        raise NotImplementedError()

    def update(self, lr):
        """One step of gradient descent: W -= lr * dW, b -= lr * db."""
        # YOUR CODE HERE
        raise NotImplementedError()


# --------------------------------------------------------------------------------------
# Activations: no parameters, so no update
# --------------------------------------------------------------------------------------

class Sigmoid:
    """y = 1 / (1 + exp(-x)), elementwise; dy/dx = y * (1 - y).

    Example: forward([[0.0]]) = [[0.5]]; then backward([[1.0]]) = [[0.25]].
    """

    def forward(self, x):
        # YOUR CODE HERE
        raise NotImplementedError()

    def backward(self, dy):
        # YOUR CODE HERE
        raise NotImplementedError()


class Tanh:
    """y = tanh(x), elementwise; dy/dx = 1 - y**2 (use the output y, not the input x).

    Example: forward([[0.0]]) = [[0.0]]; then backward([[2.0]]) = [[2.0]].
    """

    def forward(self, x):
        # YOUR CODE HERE
        raise NotImplementedError()

    def backward(self, dy):
        # YOUR CODE HERE
        raise NotImplementedError()


class ReLU:
    """y = max(x, 0), elementwise; the gradient passes where x > 0 and is 0 elsewhere.

    Example: forward([[-1.0, 2.0]]) = [[0.0, 2.0]]; then backward([[5.0, 5.0]]) = [[0.0, 5.0]].
    """

    def forward(self, x):
        # YOUR CODE HERE
        raise NotImplementedError()

    def backward(self, dy):
        # YOUR CODE HERE
        raise NotImplementedError()


class LeakyReLU:
    """y = x where x > 0, alpha * x elsewhere; the gradient is 1 or alpha accordingly.

    Example: LeakyReLU(0.1).forward([[-1.0, 2.0]]) = [[-0.1, 2.0]]; then
    backward([[5.0, 5.0]]) = [[0.5, 5.0]].
    """

    def __init__(self, alpha=0.01):
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x):
        # YOUR CODE HERE
        raise NotImplementedError()

    def backward(self, dy):
        # YOUR CODE HERE
        raise NotImplementedError()


class Softmax:
    """p = exp(z) / sum(exp(z)) along each row: z (N, C) -> p (N, C), rows sum to 1.

    Numerically stable (subtract each row's maximum first). The backward is not
    elementwise: every p_j depends on every z_k of its row, so
    dz = p * (dp - sum(p * dp, axis=1, keepdims=True)).

    Example: forward([[0.0, 0.0]]) = [[0.5, 0.5]]; then backward([[1.0, 0.0]]) =
    [[0.25, -0.25]].
    """

    def forward(self, z):
        # YOUR CODE HERE
        raise NotImplementedError()

    def backward(self, dp):
        # YOUR CODE HERE
        raise NotImplementedError()


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
        # YOUR CODE HERE
        raise NotImplementedError()

    def backward(self, loss):
        # YOUR CODE HERE
        raise NotImplementedError()


class MSELoss:
    """Mean squared error over all elements: mean((pred - target) ** 2).

    forward(pred, target): arrays of the same shape -> a float. backward(loss) -> dpred,
    2 * (pred - target) / pred.size.

    Example: forward([[1.0, 2.0]], [[0.0, 0.0]]) = 2.5; then backward(...) = [[1.0, 2.0]].
    """

    def forward(self, pred, target):
        # YOUR CODE HERE
        raise NotImplementedError()

    def backward(self, loss):
        # YOUR CODE HERE
        raise NotImplementedError()


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
        # YOUR CODE HERE
        raise NotImplementedError()

    def add(self, layer):
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x):
        # YOUR CODE HERE
        raise NotImplementedError()

    def backward(self, dz):
        # YOUR CODE HERE
        raise NotImplementedError()

    def update(self, lr):
        # YOUR CODE HERE
        raise NotImplementedError()


def train_epoch(net, train_x, train_labels, loss=CrossEntropyLoss(), batch_size=4, lr=0.1):
    """One pass over the training data in minibatches, in order (no shuffling here).

    For each batch train_x[i:i+batch_size] (the last one may be smaller): forward through
    the net, the loss, loss.backward, net.backward, net.update(lr).

    Inputs:
    - net: a Net ending in Softmax; train_x: (N, D) float; train_labels: (N,) int;
    - loss: the loss object (default CrossEntropyLoss()); batch_size: int; lr: float.

    Returns nothing: the net's parameters change in place.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def get_loss_acc(net, x, y, loss=CrossEntropyLoss()):
    """The loss and the accuracy of the net on (x, y): a tuple of two floats.

    accuracy = the fraction of rows whose largest output is the true label.

    Example: for a net whose forward gives [[0.9, 0.1], [0.2, 0.8]] and y = [0, 0]:
    loss = -(log 0.9 + log 0.2) / 2 = 0.8574, accuracy = 0.5.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
