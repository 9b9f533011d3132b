# Example student "bob": partly right. Two realistic mistakes for the demo:
#   - build_net stacks the Linear layers without an activation between them (a stack of
#     linear maps is one linear map: depth buys nothing);
#   - train records the loss and accuracy before each epoch instead of after it.
# His (fixed) framework trains fine, so his accuracies still earn points.
import numpy as np

from framework import Linear, Net, Softmax, get_loss_acc, train_epoch


def build_net(num_layers, hidden_size=100, activation="tanh"):
    if num_layers not in (1, 2, 3) or activation not in ("tanh", "relu", "sigmoid"):
        raise ValueError("unsupported network")
    sizes = [784] + [hidden_size] * (num_layers - 1) + [10]
    net = Net()
    for nin, nout in zip(sizes[:-1], sizes[1:]):
        net.add(Linear(nin, nout))
    net.add(Softmax())
    return net


def train(net, X, y, epochs=5, lr=0.1, batch_size=32):
    history = []
    for _ in range(epochs):
        history.append(get_loss_acc(net, X, y))
        order = np.random.permutation(len(X))
        train_epoch(net, X[order], y[order], batch_size=batch_size, lr=lr)
    return history


def predict(net, X):
    return np.argmax(net.forward(X), axis=1)
