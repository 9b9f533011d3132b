"""Assignment 05: PyTorch basics — tensors, devices, autograd and a first trained network.

You implement the steps of the PyTorch lesson: turning numpy data into tensors on a
device, choosing the device, letting autograd compute a gradient, fitting a line with a
hand-written gradient-descent step, a multi-layer perceptron as an `nn.Module`, and the
usual training loop with its evaluation and prediction.

Conventions used below:
- arrays are batch-first: N samples with D features are `(N, D)`; class labels are
  integer arrays `(N,)`;
- every function that takes data (`X`, `y`) accepts numpy arrays *or* tensors (the grader
  sends numpy arrays): convert with `torch.as_tensor`;
- `device` is None, a string ("cpu", "cuda", "mps") or a `torch.device`; None means
  `get_device()`. Put the model and every batch on that device, and never hard-code
  `.cuda()`: the same code must run on a machine without a GPU.
"""
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


# --------------------------------------------------------------------------------------
# Tensors and devices
# --------------------------------------------------------------------------------------

def to_tensor(array, device=None):
    """The array as a float32 tensor on `device`.

    Inputs:
    - array: numpy array (any shape, any numeric dtype) or a tensor.
    - device: None (the tensor stays on the CPU), a string such as "cpu" or "cuda", or a
      torch.device.

    Returns:
    - a torch.float32 tensor of the same shape, on that device.

    Example:
    >>> to_tensor(np.array([[1, 2], [3, 4]]))
    tensor([[1., 2.],
            [3., 4.]])
    """
    ### BEGIN SOLUTION
    return torch.as_tensor(array, dtype=torch.float32, device=device)
    ### END SOLUTION


def get_device():
    """The best device this machine offers, as a `torch.device`.

    CUDA if `torch.cuda.is_available()`, else Apple's MPS if
    `torch.backends.mps.is_available()`, else the CPU — in that order of preference.

    Returns:
    - torch.device("cuda"), torch.device("mps") or torch.device("cpu").

    Example (on a laptop without a GPU):
    >>> get_device()
    device(type='cpu')
    """
    ### BEGIN SOLUTION
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
    ### END SOLUTION


# --------------------------------------------------------------------------------------
# Autograd
# --------------------------------------------------------------------------------------

def gradient_of_expression(x):
    """d/dx of f(x) = mean(sqrt(x**2 + 1)), computed by autograd.

    Build f from a copy of x that requires gradients, call `.backward()` (or use
    `torch.autograd.grad`) and return the gradient. Do not write the derivative by hand:
    the point is to let autograd find it.

    Inputs:
    - x: float tensor or numpy array of any shape, float32 or float64.

    Returns:
    - a tensor of the same shape and float dtype as x: the gradient of f at x.

    Example:
    >>> gradient_of_expression(torch.tensor([0.0, 1.0]))
    tensor([0.0000, 0.3536])
    """
    ### BEGIN SOLUTION
    x = torch.as_tensor(x).detach().clone().requires_grad_(True)
    f = torch.mean(torch.sqrt(x ** 2 + 1))
    f.backward()
    return x.grad
    ### END SOLUTION


def fit_line(x, y, epochs=200, lr=0.1):
    """Fit y ≈ w * x + b by gradient descent with tensors, autograd and a manual update.

    The lesson's first optimisation example: w and b are float32 scalar tensors that start
    at 0.0 and require gradients; each epoch computes the mean squared error on the whole
    data set, calls `.backward()`, then updates w and b by `- lr * grad` inside
    `torch.no_grad()` and zeroes their gradients (no torch.optim).

    Inputs:
    - x, y: float arrays or tensors of shape (N,).
    - epochs: number of gradient-descent steps on the full data set.
    - lr: the learning rate.

    Returns:
    - (w, b): two Python floats.

    Example:
    >>> x = np.linspace(-1, 1, 50); fit_line(x, 3 * x - 2)
    (2.99..., -1.99...)
    """
    ### BEGIN SOLUTION
    x = torch.as_tensor(x, dtype=torch.float32)
    y = torch.as_tensor(y, dtype=torch.float32)
    w = torch.zeros((), requires_grad=True)
    b = torch.zeros((), requires_grad=True)
    for _ in range(epochs):
        loss = torch.mean((w * x + b - y) ** 2)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    return w.item(), b.item()
    ### END SOLUTION


# --------------------------------------------------------------------------------------
# A multi-layer perceptron
# --------------------------------------------------------------------------------------

class MLP(nn.Module):
    """A fully connected network that returns logits (no softmax at the end).

    MLP(in_features, hidden_sizes, out_features, activation="relu", dropout=0.0):
    - in_features: int, the number of input features D.
    - hidden_sizes: list or tuple of ints, the width of each hidden layer (may be empty:
      then the model is a single linear layer).
    - out_features: int, the number of classes C.
    - activation: "relu", "tanh", "sigmoid" or "leaky_relu" (slope 0.01), applied after
      every hidden linear layer; any other name raises ValueError.
    - dropout: probability p of `nn.Dropout(p)` after every hidden activation (only when
      p > 0); never after the output layer.

    Create the layers in the order they are applied (an `nn.Sequential` or an
    `nn.ModuleList`), each hidden layer an `nn.Linear(n_in, n_out)` with a bias.

    forward(x): x float32 tensor (N, in_features) -> logits (N, out_features).

    Example:
    >>> model = MLP(4, [8, 8], 3)
    >>> model(torch.zeros(5, 4)).shape
    torch.Size([5, 3])
    """

    def __init__(self, in_features, hidden_sizes, out_features, activation="relu", dropout=0.0):
        super().__init__()
        ### BEGIN SOLUTION
        activations = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
                       "leaky_relu": nn.LeakyReLU}
        if activation not in activations:
            raise ValueError(f"unknown activation {activation!r}")
        layers, n = [], in_features
        for size in hidden_sizes:
            layers += [nn.Linear(n, size), activations[activation]()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            n = size
        layers.append(nn.Linear(n, out_features))
        self.net = nn.Sequential(*layers)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        return self.net(x)
        ### END SOLUTION


# --------------------------------------------------------------------------------------
# Training, evaluation, prediction
# --------------------------------------------------------------------------------------

def train(model, X, y, epochs=10, lr=1e-3, batch_size=32, device=None, seed=0):
    """Train a classifier with mini-batches; the mean training loss of every epoch.

    The standard loop: put the model on `device` and in training mode (`model.train()`);
    a `DataLoader` over (X, y) with `batch_size` and `shuffle=True`, shuffled by a
    `torch.Generator` seeded with `seed`; `torch.optim.Adam(model.parameters(), lr=lr)`;
    `nn.CrossEntropyLoss()` on the model's logits and the integer labels; for each batch
    `zero_grad()`, forward, loss, `backward()`, `step()`. Every sample goes through the
    model once per epoch and nothing else does: compute the epoch's loss from the
    batches' losses, not with an extra pass over the data.

    Inputs:
    - model: an nn.Module returning logits (N, C), e.g. an MLP.
    - X: float array or tensor (N, D); y: integer class labels (N,).
    - epochs, lr, batch_size: as above.
    - device: None (get_device()), a string or a torch.device.
    - seed: int, seeds the generator that shuffles the batches.

    Returns:
    - losses: a list of `epochs` Python floats, the mean loss over the samples of each
      epoch (weight each batch's loss by its size).

    Example:
    >>> losses = train(MLP(784, [64], 10), X_train, y_train, epochs=3, device="cpu")
    >>> len(losses), losses[-1] < losses[0]
    (3, True)
    """
    ### BEGIN SOLUTION
    device = torch.device(device) if device is not None else get_device()
    X = torch.as_tensor(X, dtype=torch.float32)
    y = torch.as_tensor(y, dtype=torch.long)
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True,
                        generator=generator)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(epochs):
        model.train()
        total, count = 0.0, 0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
            count += len(xb)
        losses.append(total / count)
    return losses
    ### END SOLUTION


def evaluate(model, X, y, device=None):
    """The model's accuracy on (X, y), in evaluation mode and without gradients.

    Use `model.eval()` (dropout off) and `torch.no_grad()` (no graph is built, the
    parameters' .grad stay as they are). One forward pass over all of X is fine.

    Inputs:
    - model: an nn.Module returning logits; X: float (N, D); y: integer labels (N,).
    - device: None (get_device()), a string or a torch.device.

    Returns:
    - accuracy: a Python float in [0, 1], the fraction of rows whose largest logit is at
      the true label.

    Example:
    >>> evaluate(model, X_test, y_test, device="cpu")
    0.9125
    """
    ### BEGIN SOLUTION
    device = torch.device(device) if device is not None else get_device()
    X = torch.as_tensor(X, dtype=torch.float32).to(device)
    y = torch.as_tensor(y, dtype=torch.long).to(device)
    model.to(device)
    model.eval()
    with torch.no_grad():
        logits = model(X)
    return (logits.argmax(dim=1) == y).float().mean().item()
    ### END SOLUTION


def predict(model, X, device=None):
    """The predicted class of every row of X, as a numpy array.

    Like evaluate: `model.eval()` and `torch.no_grad()`.

    Inputs:
    - model: an nn.Module returning logits; X: float (N, D).
    - device: None (get_device()), a string or a torch.device.

    Returns:
    - labels: numpy int64 array (N,), the index of the largest logit of each row.

    Example:
    >>> predict(model, X_test[:3], device="cpu")
    array([7, 2, 1])
    """
    ### BEGIN SOLUTION
    device = torch.device(device) if device is not None else get_device()
    X = torch.as_tensor(X, dtype=torch.float32).to(device)
    model.to(device)
    model.eval()
    with torch.no_grad():
        logits = model(X)
    return logits.argmax(dim=1).cpu().numpy()
    ### END SOLUTION
