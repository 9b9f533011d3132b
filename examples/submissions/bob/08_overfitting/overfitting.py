# Example student "bob": partly right. Three realistic mistakes for the demo:
#   - his early stopping waits one epoch too long (`>` patience instead of `>=`),
#   - his dropout zeroes entries but forgets to scale the kept ones by 1 / (1 - p),
#   - he tunes the decision threshold on the training data, where the model is
#     over-confident, instead of on the validation data.
# Everything else is correct; he should lose only the points of those checks.
import numpy as np


def polynomial_fit(x, y, degree=1):
    return np.polyfit(x, y, degree)


def polynomial_predict(coeffs, x):
    return np.polyval(coeffs, x)


def polynomial_mse(coeffs, x, y):
    return float(np.mean((np.polyval(coeffs, x) - y) ** 2))


def train_val_split(X, y, val_fraction=0.2, seed=0):
    order = np.random.default_rng(seed).permutation(len(X))
    n_val = int(round(val_fraction * len(X)))
    return X[order[n_val:]], X[order[:n_val]], y[order[n_val:]], y[order[:n_val]]


class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_loss, self.best_epoch = float("inf"), None
        self.epoch, self.bad = -1, 0

    def step(self, val_loss):
        self.epoch += 1
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.bad = val_loss, self.epoch, 0
        else:
            self.bad += 1
        return self.bad > self.patience


def overfitting_epoch(train_losses, val_losses, patience=3):
    for e in range(len(val_losses) - patience):
        if all(val_losses[t] > val_losses[t - 1] and train_losses[t] < train_losses[t - 1]
               for t in range(e + 1, e + patience + 1)):
            return e
    return None


class Dropout:
    def __init__(self, p=0.5):
        self.p = p
        self.mask = None

    def forward(self, x, training=True):
        if not training:
            self.mask = None
            return x
        self.mask = (np.random.random(x.shape) >= self.p).astype(x.dtype)
        return x * self.mask

    def backward(self, dy):
        return dy if self.mask is None else dy * self.mask


def kfold_indices(n, k, shuffle=True, seed=0):
    if not 2 <= k <= n:
        raise ValueError("k must be in 2..n")
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    folds = np.array_split(order, k)
    return [(np.concatenate([f for j, f in enumerate(folds) if j != i]), folds[i])
            for i in range(k)]


def cross_validate(X, y, k, fit_fn, score_fn):
    scores = []
    for tr, va in kfold_indices(len(X), k):
        scores.append(float(score_fn(fit_fn(X[tr], y[tr]), X[va], y[va])))
    return scores


def class_weights(y):
    counts = np.bincount(y)
    return len(y) / (len(counts) * counts)


def predict_proba(w, X):
    return 1 / (1 + np.exp(-(X @ w[:-1] + w[-1])))


def train_logistic(X, y, class_weights=None, epochs=300, lr=0.5):
    s = np.ones(len(y)) if class_weights is None else class_weights[y]
    w = np.zeros(X.shape[1] + 1)
    for _ in range(epochs):
        g = s * (predict_proba(w, X) - y) / len(y)
        w = w - lr * np.append(X.T @ g, g.sum())
    return w


def best_threshold(probs, y):
    best, best_f1 = None, -1
    for t in np.unique(probs):
        pred = probs >= t
        tp = np.sum(pred & (y == 1))
        fp = np.sum(pred & (y == 0))
        fn = np.sum(~pred & (y == 1))
        f1 = 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0
        if f1 > best_f1:
            best, best_f1 = t, f1
    return float(best)


def fit_imbalanced_classifier(X_train, y_train, X_val, y_val, epochs=300, lr=0.5):
    w = train_logistic(X_train, y_train, class_weights(y_train), epochs, lr)
    return w, best_threshold(predict_proba(w, X_train), y_train)
