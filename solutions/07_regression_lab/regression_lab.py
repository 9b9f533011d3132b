"""Assignment 07: regression with a neural network in PyTorch.

You predict a number (a disease-progression score, a price, a duration) instead of a class:
scale the inputs and the target, train a small network with a linear output under three
losses (MSE, MAE, Huber), map its predictions back to the target's units, and score them
with R², RMSE and MAE. The lab data is scikit-learn's diabetes data set
(`sklearn.datasets.load_diabetes(return_X_y=True, scaled=False)`): 442 patients, 10 features
of very different scales (age in years, sex coded 1/2, BMI, blood pressure, six blood
serum measurements), target a disease-progression score between 25 and 346.

Conventions used by every function below:
- arrays are batch-first: N samples with D features are `(N, D)`; a target is `(N,)`;
- X and y reach `train_regressor` and `predict` as numpy float32 arrays: those functions
  convert them to torch tensors themselves;
- a function never modifies its inputs (return new arrays instead);
- metrics take `(y_true, y_pred)`, in that order, as in scikit-learn.
"""
import numpy as np
import torch
from torch import nn


# --------------------------------------------------------------------------------------
# Scaling: fit on the training set, apply the same statistics everywhere
# --------------------------------------------------------------------------------------

def fit_scaler(X):
    """The statistics for standardising X: the mean and standard deviation of each column.

    Inputs:
    - X: float array `(N, D)` (features) or `(N,)` (a target), float32 or float64. Fit the
      scaler on the TRAINING data only.

    Returns:
    - scaler: a tuple `(mean, std)`, each of shape `(D,)` (or a 0-d array / number for a
      target of shape `(N,)`), the dtype of X. `std` is the population standard deviation
      (numpy's default, ddof=0); a constant column has std 0, which is replaced by 1 so
      that transform never divides by zero.

    Example:
    >>> fit_scaler(np.array([[1.0, 10.0], [3.0, 10.0]]))
    (array([ 2., 10.]), array([1., 1.]))
    """
    ### BEGIN SOLUTION
    X = np.asarray(X)
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std = np.where(std > 0, std, 1).astype(X.dtype)     # a constant column stays finite
    return mean, std
    ### END SOLUTION


def transform(X, scaler):
    """Standardise X with statistics that were fitted before: `(X - mean) / std`.

    Inputs:
    - X: float array `(N, D)` or `(N,)`: training, validation or test data.
    - scaler: `(mean, std)` from `fit_scaler` on the training data. Always use these
      statistics, also for the test data: test data standardised with its own mean and
      std is shifted differently from what the network was trained on.

    Returns:
    - X_scaled: array of the same shape and dtype as X.

    Example:
    >>> transform(np.array([[3.0, 12.0]]), (np.array([2.0, 10.0]), np.array([1.0, 4.0])))
    array([[1. , 0.5]])
    """
    ### BEGIN SOLUTION
    mean, std = scaler
    return (np.asarray(X) - mean) / std
    ### END SOLUTION


def inverse_transform(Z, scaler):
    """Undo `transform`: `Z * std + mean`, back to the original units.

    Use it to map a network's predictions of a scaled target back to the target's units.

    Inputs:
    - Z: float array `(N, D)` or `(N,)` in scaled units.
    - scaler: `(mean, std)` from `fit_scaler`.

    Returns:
    - X: array of the same shape and dtype as Z, in the original units;
      `inverse_transform(transform(X, s), s)` equals X up to rounding.

    Example:
    >>> inverse_transform(np.array([1.0, -0.5]), (np.float64(150.0), np.float64(80.0)))
    array([230., 110.])
    """
    ### BEGIN SOLUTION
    mean, std = scaler
    return np.asarray(Z) * std + mean
    ### END SOLUTION


# --------------------------------------------------------------------------------------
# The network and its training
# --------------------------------------------------------------------------------------

def build_regressor(in_features, hidden_sizes=(64,)):
    """A fully connected network for regression, as a `torch.nn.Module`.

    Inputs:
    - in_features: int, the number of input features D.
    - hidden_sizes: tuple of ints, the width of each hidden layer, e.g. `(64,)` or `(32, 16)`.

    Returns:
    - model: `Linear(D, h1) -> ReLU -> ... -> Linear(h_last, 1)`: every hidden layer is
      followed by a ReLU; the output layer has ONE unit and NO activation (a linear output),
      so the network can predict any real number. (A sigmoid output could only predict
      values in (0, 1), a ReLU output no negative values: a scaled target has both signs.)
      For an input `(N, D)` float32 tensor the model returns `(N, 1)`.

    Example:
    >>> model = build_regressor(10, (64,))
    >>> model(torch.zeros(5, 10)).shape
    torch.Size([5, 1])
    """
    ### BEGIN SOLUTION
    layers, width = [], in_features
    for hidden in hidden_sizes:
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    layers.append(nn.Linear(width, 1))                  # linear output: any real value
    return nn.Sequential(*layers)
    ### END SOLUTION


def train_regressor(model, X, y, loss="mse", epochs=100, lr=1e-3):
    """Train `model` in place with Adam on mini-batches of 32 and return the loss history.

    Inputs:
    - model: the network from `build_regressor`.
    - X: numpy float32 array `(N, D)`, scaled inputs.
    - y: numpy float32 array `(N,)`, the (scaled) target.
    - loss: "mse" (mean squared error, `nn.MSELoss`), "mae" (mean absolute error,
      `nn.L1Loss`) or "huber" (`nn.HuberLoss` with delta=1: squared for small errors,
      absolute for large ones); any other name raises ValueError.
    - epochs: int, passes over the training data.
    - lr: float, Adam's learning rate.

    Each epoch: shuffle the samples (`torch.randperm(N)`: the grader seeds torch), then for
    each batch of 32 (the last one may be smaller): zero the gradients, compute the
    model's outputs and the loss, backpropagate, step. Careful with shapes: the model
    returns `(B, 1)`; compare it with the target as `(B, 1)` too (a `(B,)` target would
    broadcast against `(B, 1)` to a `(B, B)` matrix of wrong differences).

    Returns:
    - history: a list of `epochs` Python floats, the mean of the batch losses of each epoch
      (each batch's loss taken before its optimizer step).

    Example:
    >>> history = train_regressor(model, X_train, y_train, loss="huber", epochs=50, lr=1e-2)
    >>> len(history)
    50
    """
    ### BEGIN SOLUTION
    criteria = {"mse": nn.MSELoss, "mae": nn.L1Loss, "huber": nn.HuberLoss}
    if loss not in criteria:
        raise ValueError(f"unknown loss {loss!r}: use 'mse', 'mae' or 'huber'")
    criterion = criteria[loss]()
    X_t = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    y_t = torch.as_tensor(np.asarray(y), dtype=torch.float32).reshape(-1, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    history = []
    for _ in range(epochs):
        order = torch.randperm(X_t.shape[0])
        losses = []
        for start in range(0, X_t.shape[0], 32):
            batch = order[start:start + 32]
            optimizer.zero_grad()
            batch_loss = criterion(model(X_t[batch]), y_t[batch])
            batch_loss.backward()
            optimizer.step()
            losses.append(batch_loss.item())
        history.append(float(np.mean(losses)))
    return history
    ### END SOLUTION


def predict(model, X, y_scaler=None, log_target=False):
    """The model's predictions for X, in the target's original units.

    Inputs:
    - model: a trained network from `build_regressor`.
    - X: numpy float32 array `(N, D)`, inputs scaled with the TRAINING set's scaler.
    - y_scaler: the `(mean, std)` the training target was scaled with, or None when the
      target was not scaled. The network predicts scaled values; map them back with
      `inverse_transform`, or every prediction is off by the target's mean and scale.
    - log_target: True when the network was trained on the scaled LOG of the target
      (for a positive, skewed target): after undoing the scaling, undo the log with np.exp.

    Evaluate in evaluation mode (`model.eval()`) and without gradients (`torch.no_grad()`).

    Returns:
    - y_pred: numpy float64 array `(N,)`.

    Example:
    >>> y_scaler = fit_scaler(y_train)
    >>> train_regressor(model, X_train_s, transform(y_train, y_scaler).astype(np.float32))
    >>> predict(model, X_test_s, y_scaler).shape
    (89,)
    """
    ### BEGIN SOLUTION
    model.eval()
    with torch.no_grad():
        out = model(torch.as_tensor(np.asarray(X), dtype=torch.float32))
    y_pred = out.numpy().reshape(-1).astype(np.float64)
    if y_scaler is not None:
        y_pred = inverse_transform(y_pred, y_scaler)
    if log_target:
        y_pred = np.exp(y_pred)
    return np.asarray(y_pred, dtype=np.float64)
    ### END SOLUTION


# --------------------------------------------------------------------------------------
# Metrics, (y_true, y_pred) order
# --------------------------------------------------------------------------------------

def r2_score(y_true, y_pred):
    """Coefficient of determination: R² = 1 - Σ(y - ŷ)² / Σ(y - ȳ)², ȳ the mean of y_true.

    1 for perfect predictions, 0 for always predicting the mean, negative for worse.

    Inputs:
    - y_true, y_pred: float arrays of the same shape, e.g. `(N,)`.

    Returns:
    - r2: float.

    Example:
    >>> r2_score(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]))
    0.5
    """
    ### BEGIN SOLUTION
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    ss_res = np.sum((y_true - y_pred) ** 2)
    ss_tot = np.sum((y_true - y_true.mean()) ** 2)
    return float(1.0 - ss_res / ss_tot)
    ### END SOLUTION


def rmse(y_true, y_pred):
    """Root mean squared error: sqrt(mean((y_true - y_pred)²)), in the target's units.

    Example:
    >>> rmse(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0]))
    1.1547005383792515
    """
    ### BEGIN SOLUTION
    return float(np.sqrt(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2)))
    ### END SOLUTION


def mae(y_true, y_pred):
    """Mean absolute error: mean(|y_true - y_pred|), in the target's units.

    Example:
    >>> mae(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0]))
    0.6666666666666666
    """
    ### BEGIN SOLUTION
    return float(np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred))))
    ### END SOLUTION
