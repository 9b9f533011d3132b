# Example student "bob": partly right. Three realistic mistakes for the demo:
#   - transform standardises whatever it gets with that data's own mean and std (so the
#     test set is scaled with test statistics, not the training set's),
#   - R² divides by the sum of squares of y_true instead of its variance around the mean,
#   - "huber" silently trains with the squared error (he copied the MSE line).
# Everything else is correct; he should lose only the points of those checks.
import numpy as np
import torch
from torch import nn


def fit_scaler(X):
    X = np.asarray(X)
    std = X.std(axis=0)
    return X.mean(axis=0), np.where(std > 0, std, 1).astype(X.dtype)


def transform(X, scaler):
    X = np.asarray(X)
    return (X - X.mean(axis=0)) / X.std(axis=0)


def inverse_transform(Z, scaler):
    mean, std = scaler
    return np.asarray(Z) * std + mean


def build_regressor(in_features, hidden_sizes=(64,)):
    layers, width = [], in_features
    for h in hidden_sizes:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    return nn.Sequential(*layers, nn.Linear(width, 1))


def train_regressor(model, X, y, loss="mse", epochs=100, lr=1e-3):
    if loss == "mse":
        criterion = nn.MSELoss()
    elif loss == "mae":
        criterion = nn.L1Loss()
    elif loss == "huber":
        criterion = nn.MSELoss()
    else:
        raise ValueError("unknown loss " + loss)
    X = torch.tensor(X, dtype=torch.float32)
    y = torch.tensor(y, dtype=torch.float32).view(-1, 1)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for _ in range(epochs):
        perm = torch.randperm(len(X))
        losses = []
        for i in range(0, len(X), 32):
            idx = perm[i:i + 32]
            opt.zero_grad()
            l = criterion(model(X[idx]), y[idx])
            l.backward()
            opt.step()
            losses.append(l.item())
        history.append(sum(losses) / len(losses))
    return history


def predict(model, X, y_scaler=None, log_target=False):
    model.eval()
    with torch.no_grad():
        out = model(torch.tensor(X, dtype=torch.float32)).numpy()[:, 0].astype(np.float64)
    if y_scaler is not None:
        out = inverse_transform(out, y_scaler)
    if log_target:
        out = np.exp(out)
    return out


def r2_score(y_true, y_pred):
    return float(1 - np.sum((y_true - y_pred) ** 2) / np.sum(y_true ** 2))


def rmse(y_true, y_pred):
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def mae(y_true, y_pred):
    return float(np.mean(np.abs(y_true - y_pred)))
