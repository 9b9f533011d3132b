# Example student "alice": a complete, correct lab on top of her own framework. She
# should get full marks.
import numpy as np

from framework import CrossEntropyLoss, Linear, Net, ReLU, Sigmoid, Softmax, Tanh, get_loss_acc, train_epoch

ACTIVATION_LAYERS = {"tanh": Tanh, "relu": ReLU, "sigmoid": Sigmoid}


def build_net(num_layers, hidden_size=100, activation="tanh"):
    if num_layers not in (1, 2, 3):
        raise ValueError("num_layers must be 1, 2 or 3")
    if activation not in ACTIVATION_LAYERS:
        raise ValueError(f"unsupported activation: {activation}")
    net = Net()
    n_in = 784
    for _ in range(num_layers - 1):
        net.add(Linear(n_in, hidden_size))
        net.add(ACTIVATION_LAYERS[activation]())
        n_in = hidden_size
    net.add(Linear(n_in, 10))
    net.add(Softmax())
    return net


def train(net, X, y, epochs=5, lr=0.1, batch_size=32):
    history = []
    loss = CrossEntropyLoss()
    for epoch in range(epochs):
        perm = np.random.permutation(len(X))
        train_epoch(net, X[perm], y[perm], loss=loss, batch_size=batch_size, lr=lr)
        train_loss, train_acc = get_loss_acc(net, X, y, loss)
        history.append((float(train_loss), float(train_acc)))
    return history


def predict(net, X):
    return net.forward(X).argmax(axis=1)
