"""Lab 06: fully connected networks with a framework, on two problems.

Build, train and use single- and multi-layer networks for two classification problems:
- "iris": 4 measurements of a flower -> one of 3 species;
- "mnist": a 28x28 digit, flattened to 784 pixels in [0, 1] -> one of 10 digits.

Write it in PyTorch (as below), in Keras 3 (the TensorFlow/Keras track: `import keras`, or
`from tensorflow import keras` as in the lesson) or with PyTorch Lightning: `build_model`
may return a `torch.nn.Module`, a `keras.Model` or a `lightning.LightningModule`; the grader
uses your `fit` and `predict` and reads the model's outputs either way.

Conventions: X is a float32 array (N, features), y integer labels (N,); the grader sends
numpy arrays.
"""
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

# problem -> (number of input features, number of classes)
PROBLEMS = {"iris": (4, 3), "mnist": (784, 10)}
BATCH_SIZE = 32


def build_model(problem, hidden_layers=()):
    """A fully connected classifier for `problem` ("iris" or "mnist").

    Inputs:
    - problem: "iris" or "mnist" (see PROBLEMS for the input and output sizes); any other
      name raises ValueError.
    - hidden_layers: the width of each hidden layer, e.g. () for a single-layer network
      (inputs straight to the outputs) or (64, 32) for two hidden layers; each hidden
      layer is followed by a ReLU.

    Returns:
    - an untrained model whose output for a batch (N, features) is (N, classes): logits
      (or, in Keras, softmax probabilities if you prefer; say which in `fit`'s loss).

    Example:
    >>> model = build_model("iris", hidden_layers=(16,))
    >>> model(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    """
    ### BEGIN SOLUTION
    if problem not in PROBLEMS:
        raise ValueError(f"unknown problem {problem!r}; expected one of {sorted(PROBLEMS)}")
    n_in, n_out = PROBLEMS[problem]
    layers = []
    for size in hidden_layers:
        layers += [nn.Linear(n_in, size), nn.ReLU()]
        n_in = size
    layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)
    ### END SOLUTION


def fit(model, X, y, epochs, lr):
    """Train the model; the mean training loss of every epoch.

    Adam with learning rate `lr`, cross-entropy loss, shuffled mini-batches of BATCH_SIZE
    (32) samples, `epochs` passes over the data. (Keras: `model.compile(
    optimizer=keras.optimizers.Adam(lr), loss=keras.losses.SparseCategoricalCrossentropy(
    from_logits=...))` then `model.fit(X, y, epochs=epochs, batch_size=32)`.)

    Inputs:
    - model: from build_model.
    - X: float32 array (N, features); y: integer labels (N,).
    - epochs: int; lr: float (with lr=0.0 the model must not change).

    Returns:
    - history: a list of `epochs` floats, the mean loss over the samples of each epoch
      (Keras: `model.fit(...).history["loss"]`).

    Example:
    >>> history = fit(build_model("iris"), X_train, y_train, epochs=50, lr=0.02)
    >>> len(history), history[-1] < history[0]
    (50, True)
    """
    ### BEGIN SOLUTION
    X = torch.as_tensor(X, dtype=torch.float32)
    y = torch.as_tensor(y, dtype=torch.long)
    loader = DataLoader(TensorDataset(X, y), batch_size=BATCH_SIZE, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    history = []
    model.train()
    for _ in range(epochs):
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        history.append(total / len(X))
    return history
    ### END SOLUTION


def predict(model, X):
    """The predicted class of every row of X.

    Inputs:
    - model: a trained model from build_model; X: float32 array (N, features).

    Returns:
    - labels: integer numpy array (N,), the class with the largest output of each row.

    Example:
    >>> predict(model, X_test[:3])
    array([2, 0, 1])
    """
    ### BEGIN SOLUTION
    model.eval()
    with torch.no_grad():
        outputs = model(torch.as_tensor(X, dtype=torch.float32))
    return outputs.argmax(dim=1).numpy()
    ### END SOLUTION
