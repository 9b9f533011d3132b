# Example student "alice": a complete, correct submission in her own style: an nn.ModuleList
# with the activation applied in forward, torch.autograd.grad instead of .backward(),
# inference_mode for evaluation, a manual shuffle with a seeded generator instead of a
# DataLoader. She should get full marks.
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def to_tensor(array, device=None):
    return torch.tensor(np.asarray(array), dtype=torch.float32, device=device)


def get_device():
    if torch.cuda.is_available():
        return torch.device("cuda:0")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def gradient_of_expression(x):
    x = torch.as_tensor(x).clone().detach().requires_grad_()
    (grad,) = torch.autograd.grad(torch.sqrt(x * x + 1).mean(), x)
    return grad


def fit_line(x, y, epochs=200, lr=0.1):
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    y = torch.as_tensor(np.asarray(y), dtype=torch.float32)
    params = torch.zeros(2, requires_grad=True)          # [w, b]
    for _ in range(epochs):
        loss = ((params[0] * x + params[1] - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            params -= lr * params.grad
            params.grad.zero_()
    return params[0].item(), params[1].item()


ACTIVATIONS = {"relu": F.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
               "leaky_relu": lambda z: F.leaky_relu(z, 0.01)}


class MLP(nn.Module):
    def __init__(self, in_features, hidden_sizes, out_features, activation="relu", dropout=0.0):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}")
        self.act = ACTIVATIONS[activation]
        sizes = [in_features, *hidden_sizes, out_features]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = self.drop(self.act(layer(x)))
        return self.layers[-1](x)


def _device(device):
    return get_device() if device is None else torch.device(device)


def train(model, X, y, epochs=10, lr=1e-3, batch_size=32, device=None, seed=0):
    device = _device(device)
    X = torch.as_tensor(X, dtype=torch.float32)
    y = torch.as_tensor(y).long()
    gen = torch.Generator().manual_seed(seed)
    model = model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(X), generator=gen)
        running = 0.0
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            xb, yb = X[idx].to(device), y[idx].to(device)
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            running += loss.item() * len(idx)
        history.append(running / len(X))
    return history


def evaluate(model, X, y, device=None):
    labels = predict(model, X, device)
    return float(np.mean(labels == np.asarray(y)))


def predict(model, X, device=None):
    device = _device(device)
    model.to(device).eval()
    with torch.inference_mode():
        logits = model(torch.as_tensor(X, dtype=torch.float32, device=device))
    return logits.argmax(1).cpu().numpy().astype(np.int64)
