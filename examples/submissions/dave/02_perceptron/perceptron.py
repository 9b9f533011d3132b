# Example student "dave": he trains "until there are no more mistakes" and ignores
# `epochs`. On separable data that works; on XOR, which no line separates, his loop never
# ends: those tests time out (the worker is replaced after each timeout) and the rest of
# his code is graded normally.
import numpy as np


def train_perceptron(X, y, epochs=100, seed=0):
    X = np.asarray(X, dtype=float)
    Xb = np.hstack([X, np.ones((len(X), 1))])
    w = np.zeros(Xb.shape[1])
    rng = np.random.default_rng(seed)
    mistakes = 1
    while mistakes > 0:
        mistakes = 0
        for i in rng.permutation(len(Xb)):
            if y[i] * (Xb[i] @ w) <= 0:
                w += y[i] * Xb[i]
                mistakes += 1
    return w


def predict_perceptron(w, X):
    return np.where(X @ w[:-1] + w[-1] >= 0, 1, -1)


def train_one_vs_rest(X, y, num_classes, epochs=100, seed=0):
    W = []
    for c in range(num_classes):
        yc = np.where(y == c, 1, -1)
        # MNIST is not separable either: he caps this loop by hand, but calls the same
        # training function for each class
        W.append(train_perceptron(X[:200], yc[:200], epochs, seed + c))
    return np.array(W)


def predict_one_vs_rest(W, X):
    return np.argmax(X @ W[:, :-1].T + W[:, -1], axis=1)
