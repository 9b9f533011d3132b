# Example student "carol": a syntax error (a missing colon after `def relu(z)`), so
# nothing of her file can be imported. Every test fails with the verdict "syntax error"
# and her feedback points at the line. Apart from that her code would be correct.
import numpy as np

ACTIVATION_NAMES = ("sigmoid", "relu", "leaky_relu", "tanh", "softmax")


def sigmoid(z):
    z = np.asarray(z)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])            # z < 0 here, so exp(z) < 1
    out[~pos] = ez / (1.0 + ez)
    return out


def relu(z)
    return np.where(np.asarray(z) > 0, z, 0)


def leaky_relu(z, alpha=0.01):
    z = np.asarray(z)
    return np.where(z > 0, z, z * alpha)


def tanh(z):
    return np.tanh(z)


def softmax(z, axis=-1):
    z = np.asarray(z)
    shifted = z - np.max(z, axis=axis, keepdims=True)
    exps = np.exp(shifted)
    return exps / np.sum(exps, axis=axis, keepdims=True)


def neuron(x, w, b):
    return np.dot(x, w) + b


def dense(x, W, b, activation=None):
    z = np.dot(x, np.transpose(W)) + b
    if activation is None or activation == "linear":
        return z
    elif activation == "sigmoid":
        return sigmoid(z)
    elif activation == "relu":
        return relu(z)
    elif activation == "leaky_relu":
        return leaky_relu(z)
    elif activation == "tanh":
        return tanh(z)
    elif activation == "softmax":
        return softmax(z)
    raise ValueError(f"activation must be None, 'linear' or one of {ACTIVATION_NAMES}, "
                     f"not {activation!r}")


def mlp_forward(x, layers):
    h = x
    for W, b, act in layers:
        h = dense(h, W, b, act)
    return h


def one_hot(labels, num_classes):
    return np.eye(num_classes)[np.asarray(labels)]


def mse(y_pred, y_true):
    diff = np.asarray(y_pred) - np.asarray(y_true)
    return (diff ** 2).mean()


def mae(y_pred, y_true):
    return np.abs(np.asarray(y_pred) - np.asarray(y_true)).mean()


def binary_cross_entropy(p, y, eps=1e-12):
    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1 - eps)
    y = np.asarray(y)
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())


def categorical_cross_entropy(p, labels, eps=1e-12):
    p = np.asarray(p)
    rows = np.arange(len(labels))
    return -np.log(np.clip(p[rows, labels], eps, None)).mean()


def accuracy(y_true, y_pred):
    return float((np.asarray(y_true) == np.asarray(y_pred)).mean())


def rmse(y_true, y_pred):
    return np.sqrt(mse(y_pred, y_true))


def r2_score(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    residual = ((y_true - y_pred) ** 2).sum()
    total = ((y_true - y_true.mean()) ** 2).sum()
    return 1.0 - residual / total


def confusion_matrix(y_true, y_pred, num_classes):
    cm = np.zeros((num_classes, num_classes), dtype=int)
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    return cm


def standardize(X, mean=None, std=None):
    X = np.asarray(X)
    if mean is None:
        mean = X.mean(axis=0)
    if std is None:
        s = X.std(axis=0)
        std = np.where(s == 0, 1, s)
    return (X - mean) / std, mean, std
