# Example student "bob": partly right. Two realistic mistakes for the demo:
#   - he only updates the feature weights, so the bias stays 0: the separating line must
#     pass through the origin, and data whose line does not is never learned perfectly;
#   - predict_perceptron uses np.sign, which gives 0 for a score of exactly 0.
# His one-vs-rest is correct; on MNIST a missing bias costs little.
import numpy as np


def train_perceptron(X, y, epochs=100, seed=0):
    X = np.asarray(X, dtype=float)
    Xb = np.hstack([X, np.ones((len(X), 1))])
    w = np.zeros(Xb.shape[1])
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        for i in rng.permutation(len(Xb)):
            if y[i] * (Xb[i] @ w) <= 0:
                w[:-1] += y[i] * X[i]          # the bias w[-1] is never updated
    return w


def predict_perceptron(w, X):
    return np.sign(X @ w[:-1] + w[-1]).astype(int)


def train_one_vs_rest(X, y, num_classes, epochs=100, seed=0):
    return np.array([train_perceptron(X, np.where(y == c, 1, -1), epochs, seed + c)
                     for c in range(num_classes)])


def predict_one_vs_rest(W, X):
    return np.argmax(X @ W[:, :-1].T + W[:, -1], axis=1)
