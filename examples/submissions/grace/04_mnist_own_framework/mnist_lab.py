# Example student "grace": the lab the way the lesson's lab notebook goes: layers added one
# by one, training without shuffling (the lesson's train_epoch goes through the data in
# order; these digits come shuffled already), get_loss_acc after each epoch.
import numpy as np

from framework import *


def build_net(num_layers, hidden_size=100, activation="tanh"):
    act = {"tanh": Tanh, "relu": ReLU, "sigmoid": Sigmoid}
    if activation not in act or num_layers < 1 or num_layers > 3:
        raise ValueError("num_layers must be 1..3 and activation tanh, relu or sigmoid")
    net = Net()
    if num_layers == 1:
        net.add(Linear(784, 10))
    elif num_layers == 2:
        net.add(Linear(784, hidden_size))
        net.add(act[activation]())
        net.add(Linear(hidden_size, 10))
    else:
        net.add(Linear(784, hidden_size))
        net.add(act[activation]())
        net.add(Linear(hidden_size, hidden_size))
        net.add(act[activation]())
        net.add(Linear(hidden_size, 10))
    net.add(Softmax())
    return net


def train(net, X, y, epochs=5, lr=0.1, batch_size=32):
    res = []
    for ep in range(epochs):
        train_epoch(net, X, y, batch_size=batch_size, lr=lr)
        tloss, taccuracy = get_loss_acc(net, X, y)
        res.append((tloss, taccuracy))
    return res


def predict(net, X):
    p = net.forward(X)
    return np.argmax(p, axis=1)
