# Example student "bob": partly right. Realistic mistakes for the demo:
#   - get_device checks MPS before CUDA (he has a Mac),
#   - gradient_of_expression writes the derivative out by hand ("it's the same number"),
#   - evaluate forgets model.eval() and torch.no_grad(),
#   - train applies softmax before CrossEntropyLoss.
# Everything else is correct; he should lose only the points of those checks.
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def to_tensor(array, device=None):
    return torch.as_tensor(array, dtype=torch.float32, device=device)


def get_device():
    if torch.backends.mps.is_available():
        return torch.device("mps")
    if torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def gradient_of_expression(x):
    x = torch.as_tensor(x)
    return x / (x.numel() * torch.sqrt(x ** 2 + 1))


def fit_line(x, y, epochs=200, lr=0.1):
    x = torch.as_tensor(x, dtype=torch.float32)
    y = torch.as_tensor(y, dtype=torch.float32)
    w = torch.tensor(0.0, requires_grad=True)
    b = torch.tensor(0.0, requires_grad=True)
    for _ in range(epochs):
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
    return w.item(), b.item()


class MLP(nn.Module):
    def __init__(self, in_features, hidden_sizes, out_features, activation="relu", dropout=0.0):
        super().__init__()
        act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
               "leaky_relu": nn.LeakyReLU}
        if activation not in act:
            raise ValueError("unknown activation " + activation)
        layers = []
        prev = in_features
        for h in hidden_sizes:
            layers.append(nn.Linear(prev, h))
            layers.append(act[activation]())
            if dropout:
                layers.append(nn.Dropout(dropout))
            prev = h
        layers.append(nn.Linear(prev, out_features))
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


def train(model, X, y, epochs=10, lr=1e-3, batch_size=32, device=None, seed=0):
    device = torch.device(device) if device else get_device()
    data = TensorDataset(torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y).long())
    loader = DataLoader(data, batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            probs = torch.softmax(model(xb), dim=1)
            loss = criterion(probs, yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        losses.append(total / len(data))
    return losses


def evaluate(model, X, y, device=None):
    device = torch.device(device) if device else get_device()
    model.to(device)
    logits = model(torch.as_tensor(X, dtype=torch.float32).to(device))
    correct = (logits.argmax(dim=1).cpu() == torch.as_tensor(y)).float()
    return correct.mean().item()


def predict(model, X, device=None):
    device = torch.device(device) if device else get_device()
    model.to(device)
    model.eval()
    with torch.no_grad():
        logits = model(torch.as_tensor(X, dtype=torch.float32).to(device))
    return logits.argmax(dim=1).cpu().numpy()
