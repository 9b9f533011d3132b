"""Assignment 04 (lab): train your own framework on MNIST (AI for Beginners, lesson 4 lab).

You use the framework you built in assignment 03: put your framework.py next to this file
(the grader imports it from there, so submit both). Here you build networks of one, two
and three Linear layers for handwritten digits, train them with minibatch SGD and see how
depth changes the accuracy.

The data: MNIST digits of 28x28 pixels, flattened to 784 features and scaled to [0, 1]
(float32); labels are integers 0..9. The grader trains your nets on 4000 digits and
measures the accuracy on digits your code never sees the labels of.

Discussion (answer in your notebook, graded by hand):
1. How do the training and test accuracy change from one to two to three layers? Why?
2. What happens with a learning rate ten times larger, or ten times smaller?
3. Which digits does the best net confuse most often, and why might that be?

numpy and your own framework only: torch, tensorflow, jax and autograd are not allowed.
"""
import numpy as np

from framework import Linear, ReLU, Sigmoid, Softmax, Tanh, Net, get_loss_acc, train_epoch

NUM_INPUTS = 784     # 28 x 28 pixels
NUM_CLASSES = 10     # the digits 0..9
ACTIVATIONS = ("tanh", "relu", "sigmoid")


def build_net(num_layers, hidden_size=100, activation="tanh"):
    """A Net for MNIST with `num_layers` Linear layers, ending in Softmax.

    Inputs:
    - num_layers: 1, 2 or 3 (anything else raises ValueError).
    - hidden_size: units of each hidden layer (there are num_layers - 1 of them).
    - activation: "tanh", "relu" or "sigmoid" (anything else raises ValueError); one
      activation layer after every Linear layer but the last.

    Returns:
    - a Net; its layers (net.layers) for num_layers=2, hidden_size=100, "tanh":
      Linear(784, 100), Tanh(), Linear(100, 10), Softmax(). For num_layers=1:
      Linear(784, 10), Softmax(). For 3: Linear(784, h), act, Linear(h, h), act,
      Linear(h, 10), Softmax().

    Example:
    >>> net = build_net(2, hidden_size=50)
    >>> [type(layer).__name__ for layer in net.layers]
    ['Linear', 'Tanh', 'Linear', 'Softmax']
    """
    ### BEGIN SOLUTION
    if num_layers not in (1, 2, 3):
        raise ValueError(f"num_layers must be 1, 2 or 3, got {num_layers!r}")
    layer_of = {"tanh": Tanh, "relu": ReLU, "sigmoid": Sigmoid}
    if activation not in layer_of:
        raise ValueError(f"unknown activation {activation!r}; use one of {ACTIVATIONS}")
    sizes = [NUM_INPUTS] + [hidden_size] * (num_layers - 1) + [NUM_CLASSES]
    net = Net()
    for i, (nin, nout) in enumerate(zip(sizes[:-1], sizes[1:])):
        net.add(Linear(nin, nout))
        if i < num_layers - 1:
            net.add(layer_of[activation]())
    net.add(Softmax())
    return net
    ### END SOLUTION


def train(net, X, y, epochs=5, lr=0.1, batch_size=32):
    """Train `net` with minibatch SGD for `epochs` passes over (X, y).

    Each epoch visits the samples in a new random order (np.random.permutation, so
    np.random.seed makes a run reproducible), trains one epoch with your train_epoch
    (cross-entropy loss), then records the loss and accuracy of the net on the whole of
    (X, y) with your get_loss_acc.

    Inputs:
    - net: a Net ending in Softmax (from build_net); X: (N, 784) float; y: (N,) int.
    - epochs, lr, batch_size: as named.

    Returns:
    - history: a list with one (train_loss, train_accuracy) tuple of floats per epoch.

    Example:
    >>> history = train(build_net(1), X, y, epochs=3)
    >>> len(history)
    3
    """
    ### BEGIN SOLUTION
    history = []
    for _ in range(epochs):
        order = np.random.permutation(len(X))
        train_epoch(net, X[order], y[order], batch_size=batch_size, lr=lr)
        loss, accuracy = get_loss_acc(net, X, y)
        history.append((float(loss), float(accuracy)))
    return history
    ### END SOLUTION


def predict(net, X):
    """The digit the net finds most likely for each row of X: (N,) integer labels.

    Example: for a net whose forward gives [[0.1, 0.9], [0.8, 0.2]], predict gives [1, 0].
    """
    ### BEGIN SOLUTION
    return np.argmax(net.forward(X), axis=1)
    ### END SOLUTION
