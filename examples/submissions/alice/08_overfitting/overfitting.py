# Example student "alice": a complete, correct overfitting assignment written in her own
# style (np.polyfit, a counter named `wait`, boolean masks, fold sizes computed by hand,
# a vectorised F1 over all thresholds). She should get full marks.
import numpy as np


def polynomial_fit(x, y, degree=1):
    return np.polyfit(np.asarray(x, dtype=float), np.asarray(y, dtype=float), degree)


def polynomial_predict(coeffs, x):
    return np.polyval(coeffs, np.asarray(x, dtype=float))


def polynomial_mse(coeffs, x, y):
    return float(np.mean((polynomial_predict(coeffs, x) - y) ** 2))


def train_val_split(X, y, val_fraction=0.2, seed=0):
    n = len(X)
    perm = np.random.default_rng(seed).permutation(n)
    n_val = round(val_fraction * n)
    return X[perm[n_val:]], X[perm[:n_val]], y[perm[n_val:]], y[perm[:n_val]]


class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience = patience
        self.min_delta = min_delta
        self.best_loss = np.inf
        self.best_epoch = None
        self.wait = 0
        self.epochs_seen = 0

    def step(self, val_loss):
        epoch = self.epochs_seen
        self.epochs_seen += 1
        if self.best_loss - val_loss > self.min_delta:
            self.best_loss = val_loss
            self.best_epoch = epoch
            self.wait = 0
            return False
        self.wait += 1
        return self.wait >= self.patience


def overfitting_epoch(train_losses, val_losses, patience=3):
    train = np.asarray(train_losses, dtype=float)
    val = np.asarray(val_losses, dtype=float)
    pattern = (np.diff(val) > 0) & (np.diff(train) < 0)   # pattern[t-1]: epoch t vs t-1
    for e in range(len(pattern) - patience + 1):
        if pattern[e:e + patience].all():
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
        self.mask = (np.random.rand(*x.shape) > self.p) / (1 - self.p)
        return (x * self.mask).astype(x.dtype)

    def backward(self, dy):
        return dy if self.mask is None else dy * self.mask


def kfold_indices(n, k, shuffle=True, seed=0):
    if k < 2 or k > n:
        raise ValueError("need 2 <= k <= n")
    idx = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    folds, start = [], 0
    for size in sizes:
        val = idx[start:start + size]
        train = np.concatenate([idx[:start], idx[start + size:]])
        folds.append((train, val))
        start += size
    return folds


def cross_validate(X, y, k, fit_fn, score_fn):
    return [float(score_fn(fit_fn(X[tr], y[tr]), X[va], y[va]))
            for tr, va in kfold_indices(len(X), k)]


def class_weights(y):
    classes, counts = np.unique(y, return_counts=True)
    return len(y) / (len(classes) * counts.astype(float))


def predict_proba(w, X):
    z = X @ w[:-1] + w[-1]
    return np.exp(-np.logaddexp(0.0, -z))


def train_logistic(X, y, class_weights=None, epochs=300, lr=0.5):
    N, D = X.shape
    sample_w = np.ones(N) if class_weights is None else np.asarray(class_weights)[y]
    w = np.zeros(D + 1)
    for _ in range(epochs):
        g = sample_w * (predict_proba(w, X) - y) / N
        w[:-1] -= lr * X.T @ g
        w[-1] -= lr * g.sum()
    return w


def best_threshold(probs, y):
    ts = np.unique(probs)
    pred = probs[None, :] >= ts[:, None]
    pos = (y == 1)[None, :]
    tp = (pred & pos).sum(axis=1)
    fp = (pred & ~pos).sum(axis=1)
    fn = (~pred & pos).sum(axis=1)
    denom = 2 * tp + fp + fn
    f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
    return float(ts[np.argmax(f1)])


def fit_imbalanced_classifier(X_train, y_train, X_val, y_val, epochs=300, lr=0.5):
    w = train_logistic(X_train, y_train, class_weights(y_train), epochs, lr)
    return w, best_threshold(predict_proba(w, X_val), y_val)
