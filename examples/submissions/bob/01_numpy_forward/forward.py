# Example student "bob": partly right. Three realistic mistakes for the demo:
#   - softmax without subtracting the maximum (overflows for large logits),
#   - mse and mae swapped (he mixed up which one squares),
#   - standardize always refits mean/std, ignoring the training statistics it is given.
# Everything else is correct; he should lose only the points of those checks.
import numpy as np


def sigmoid(z):
    z = np.asarray(z)
    # stable version from the lecture notes
    return np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))


def relu(z):
    return np.maximum(z, 0)


def leaky_relu(z, alpha=0.01):
    return np.where(z > 0, z, alpha * z)


def tanh(z):
    return np.tanh(z)


def softmax(z, axis=-1):
    exps = np.exp(z)
    return exps / np.sum(exps, axis=axis, keepdims=True)


def neuron(x, w, b):
    return x @ w + b


def dense(x, W, b, activation=None):
    z = x @ W.T + b
    if activation == None or activation == "linear":
        return z
    if activation == "sigmoid":
        return sigmoid(z)
    if activation == "relu":
        return relu(z)
    if activation == "leaky_relu":
        return leaky_relu(z)
    if activation == "tanh":
        return tanh(z)
    if activation == "softmax":
        return softmax(z)
    raise ValueError("unknown activation: " + str(activation))


def mlp_forward(x, layers):
    for layer in layers:
        x = dense(x, layer[0], layer[1], layer[2])
    return x


def one_hot(labels, num_classes):
    result = np.zeros((len(labels), num_classes))
    for i in range(len(labels)):
        result[i, labels[i]] = 1
    return result


def mse(y_pred, y_true):
    return np.mean(np.abs(y_pred - y_true))


def mae(y_pred, y_true):
    return np.mean((y_pred - y_true) ** 2)


def binary_cross_entropy(p, y, eps=1e-12):
    p = np.clip(p.astype(np.float64), eps, 1 - eps)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def categorical_cross_entropy(p, labels, eps=1e-12):
    total = 0.0
    for i in range(len(labels)):
        total += -np.log(max(p[i, labels[i]], eps))
    return total / len(labels)


def accuracy(y_true, y_pred):
    return np.sum(y_true == y_pred) / len(y_true)


def rmse(y_true, y_pred):
    return np.sqrt(np.mean((y_true - y_pred) ** 2))


def r2_score(y_true, y_pred):
    ss_res = np.sum((y_true - y_pred) ** 2)
    ss_tot = np.sum((y_true - np.mean(y_true)) ** 2)
    return 1 - ss_res / ss_tot


def confusion_matrix(y_true, y_pred, num_classes):
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        cm[t][p] += 1
    return cm


def standardize(X, mean=None, std=None):
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std[std == 0] = 1
    return (X - mean) / std, mean, std
