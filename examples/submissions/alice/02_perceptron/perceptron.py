# Example student "alice": a complete, correct perceptron written in her own style
# (separate weights and bias while training, a mistake counter, np.column_stack). She
# should get full marks.
import numpy as np


def train_perceptron(X, y, epochs=100, seed=0):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    w = np.zeros(X.shape[1])
    b = 0.0
    for epoch in range(epochs):
        errors = 0
        for i in rng.permutation(len(X)):
            if y[i] * (np.dot(w, X[i]) + b) <= 0:
                w = w + y[i] * X[i]
                b = b + y[i]
                errors += 1
        if errors == 0:
            break
    return np.append(w, b)


def predict_perceptron(w, X):
    scores = np.dot(X, w[:-1]) + w[-1]
    labels = np.ones(len(scores), dtype=int)
    labels[scores < 0] = -1
    return labels


def train_one_vs_rest(X, y, num_classes, epochs=100, seed=0):
    W = np.zeros((num_classes, np.shape(X)[1] + 1))
    for c in range(num_classes):
        yc = np.where(np.asarray(y) == c, 1, -1)
        W[c] = train_perceptron(X, yc, epochs=epochs, seed=seed + c)
    return W


def predict_one_vs_rest(W, X):
    Xb = np.column_stack([X, np.ones(len(X))])
    return np.argmax(Xb @ W.T, axis=1)
