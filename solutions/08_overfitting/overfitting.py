"""Assignment 08: overfitting, and the tools that keep it in check.

A model that fits its training data perfectly can still be useless on new data. You
implement the pieces with which a practitioner notices and limits that, in plain numpy:
- the lesson's 5-point example: a line against a degree-4 polynomial, training and
  validation error;
- a train/validation split, early stopping, and spotting the epoch where a model starts
  to overfit from its loss curves;
- inverted dropout for your own framework (assignment 03), forward and backward;
- k-fold cross-validation;
- class imbalance: class weights, a weighted logistic regression, and a decision threshold
  chosen on validation data.

Conventions used by every function below:
- arrays are batch-first: N samples with D features are `(N, D)`; labels are integers `(N,)`;
- a function never modifies its inputs (return new arrays instead);
- float inputs keep their float dtype.

Only numpy is allowed (no scikit-learn: its KFold, f1_score or LogisticRegression would do
the work you are asked to do).
"""
import numpy as np


# --------------------------------------------------------------------------------------
# The 5-point example: underfitting and overfitting a polynomial
# --------------------------------------------------------------------------------------

def polynomial_fit(x, y, degree=1):
    """Least-squares polynomial of the given degree through the points (x, y).

    Inputs:
    - x, y: float arrays `(N,)`.
    - degree: int, 1 for a line (2 parameters), 4 for a quartic (5 parameters), ...

    Returns:
    - coeffs: float64 array `(degree + 1,)`, the HIGHEST power first, as np.polyfit and
      np.polyval use them: coeffs = [a, b] means y = a*x + b. With degree + 1 >= N points
      the polynomial passes through every point (training error 0).

    Example:
    >>> polynomial_fit(np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0]), degree=1)
    array([2., 1.])
    """
    ### BEGIN SOLUTION
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    V = np.vander(x, degree + 1)                     # columns x^degree, ..., x, 1
    coeffs, *_ = np.linalg.lstsq(V, y, rcond=None)
    return coeffs
    ### END SOLUTION


def polynomial_predict(coeffs, x):
    """The polynomial's values at x.

    Inputs:
    - coeffs: array `(degree + 1,)`, highest power first (from polynomial_fit).
    - x: float array `(N,)`.

    Returns:
    - y_pred: float64 array `(N,)`.

    Example:
    >>> polynomial_predict(np.array([2.0, 1.0]), np.array([0.0, 1.5]))
    array([1., 4.])
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    y = np.zeros_like(x)
    for c in coeffs:                                 # Horner's rule
        y = y * x + c
    return y
    ### END SOLUTION


def polynomial_mse(coeffs, x, y):
    """The mean squared error of the polynomial on the points (x, y): the training error on
    the training points, the validation error on the validation points.

    Inputs:
    - coeffs: array `(degree + 1,)`, highest power first.
    - x, y: float arrays `(N,)`.

    Returns:
    - error: float, mean((polynomial_predict(coeffs, x) - y)²).

    Its signature is also that of a `score_fn` for `cross_validate`.

    Example:
    >>> polynomial_mse(np.array([2.0, 1.0]), np.array([0.0, 1.0]), np.array([1.0, 4.0]))
    0.5
    """
    ### BEGIN SOLUTION
    return float(np.mean((polynomial_predict(coeffs, x) - np.asarray(y)) ** 2))
    ### END SOLUTION


# --------------------------------------------------------------------------------------
# Validation: split, early stopping, the epoch where overfitting starts
# --------------------------------------------------------------------------------------

def train_val_split(X, y, val_fraction=0.2, seed=0):
    """Shuffle the samples and hold out a fraction of them for validation.

    Inputs:
    - X: array `(N, ...)`; y: array `(N,)`. Row i of X belongs to y[i] and must stay with it.
    - val_fraction: float in (0, 1): the validation set has `round(val_fraction * N)`
      samples (Python's round), the training set the rest.
    - seed: int; the same seed gives the same split. Shuffle with
      `np.random.default_rng(seed).permutation(N)`.

    Returns:
    - (X_train, X_val, y_train, y_val), in that order (as scikit-learn's train_test_split);
      every sample is in exactly one of the two sets.

    Example:
    >>> X_train, X_val, y_train, y_val = train_val_split(np.zeros((10, 3)), np.arange(10))
    >>> X_train.shape, X_val.shape
    ((8, 3), (2, 3))
    """
    ### BEGIN SOLUTION
    X, y = np.asarray(X), np.asarray(y)
    order = np.random.default_rng(seed).permutation(len(X))
    n_val = int(round(val_fraction * len(X)))
    val, train = order[:n_val], order[n_val:]
    return X[train], X[val], y[train], y[val]
    ### END SOLUTION


class EarlyStopping:
    """Stop training when the validation loss has not improved for `patience` epochs.

    Call `step(val_loss)` once per epoch, after computing that epoch's validation loss;
    epochs are counted from 0 (the first call is epoch 0). An epoch IMPROVES when
    `val_loss < best_loss - min_delta`; then best_loss and best_epoch are updated and the
    count of epochs without improvement starts again at 0. Otherwise that count grows by 1,
    and `step` returns True (stop) as soon as it reaches `patience`.

    Attributes (read them after stopping, e.g. to restore the best weights):
    - best_loss: float, the lowest validation loss seen (inf before the first step);
    - best_epoch: int, the epoch of best_loss (None before the first step).

    Example:
    >>> es = EarlyStopping(patience=2)
    >>> [es.step(v) for v in [1.0, 0.8, 0.85, 0.9]]
    [False, False, False, True]
    >>> es.best_epoch, es.best_loss
    (1, 0.8)
    """

    def __init__(self, patience=5, min_delta=0.0):
        ### BEGIN SOLUTION
        self.patience, self.min_delta = patience, min_delta
        self.best_loss, self.best_epoch = float("inf"), None
        self.epoch = -1
        self.epochs_without_improvement = 0
        ### END SOLUTION

    def step(self, val_loss):
        """Record one epoch's validation loss; True when training should stop."""
        ### BEGIN SOLUTION
        self.epoch += 1
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch = float(val_loss), self.epoch
            self.epochs_without_improvement = 0
        else:
            self.epochs_without_improvement += 1
        return self.epochs_without_improvement >= self.patience
        ### END SOLUTION


def overfitting_epoch(train_losses, val_losses, patience=3):
    """The epoch after which the model overfits, read from its loss curves.

    Inputs:
    - train_losses, val_losses: sequences of floats, one per epoch (epoch 0 first).
    - patience: int, how many epochs in a row the pattern must hold.

    Returns:
    - the first epoch e such that in EACH of the next `patience` epochs t = e+1, ..., e+patience
      the validation loss rose (val[t] > val[t-1]) while the training loss fell
      (train[t] < train[t-1]); None when there is no such epoch.

    Example:
    >>> overfitting_epoch([5, 4, 3, 2, 1, 0.5], [5, 4, 3.5, 3.6, 3.8, 4.0], patience=3)
    2
    """
    ### BEGIN SOLUTION
    train, val = np.asarray(train_losses), np.asarray(val_losses)
    for e in range(len(val) - patience):
        window = range(e + 1, e + patience + 1)
        if all(val[t] > val[t - 1] and train[t] < train[t - 1] for t in window):
            return e
    return None
    ### END SOLUTION


# --------------------------------------------------------------------------------------
# Dropout, a layer for your own framework (assignment 03)
# --------------------------------------------------------------------------------------

class Dropout:
    """Inverted dropout: in training, zero each entry with probability p and scale the
    kept ones by 1 / (1 - p), so that the expected output equals the input; in evaluation,
    the identity.

    - `forward(x, training=True)`: x float array of any shape. In training, draw a new mask
      with numpy's global random generator (e.g. `np.random.random(x.shape) >= p`: the
      grader seeds it), keep it, and return `x * mask / (1 - p)`; with `training=False`
      return x unchanged. Same shape and dtype as x.
    - `backward(dy)`: the gradient with respect to x: `dy` times the SAME mask and scale
      the last forward pass used (no new random draw); after a forward with
      `training=False`, dy unchanged.

    p is in [0, 1). Example:
    >>> d = Dropout(0.5)
    >>> d.forward(np.ones(6))                 # which entries are zeroed is random
    array([2., 0., 2., 2., 0., 0.])
    >>> d.backward(np.ones(6))
    array([2., 0., 2., 2., 0., 0.])
    >>> d.forward(np.ones(6), training=False)
    array([1., 1., 1., 1., 1., 1.])
    """

    def __init__(self, p=0.5):
        ### BEGIN SOLUTION
        self.p = p
        self.scale = None       # mask / (1 - p) of the last forward; None: identity
        ### END SOLUTION

    def forward(self, x, training=True):
        ### BEGIN SOLUTION
        x = np.asarray(x)
        if not training:
            self.scale = None
            return x
        keep = np.random.random(x.shape) >= self.p
        self.scale = (keep / (1.0 - self.p)).astype(x.dtype)
        return x * self.scale
        ### END SOLUTION

    def backward(self, dy):
        ### BEGIN SOLUTION
        dy = np.asarray(dy)
        if self.scale is None:
            return dy
        return dy * self.scale
        ### END SOLUTION


# --------------------------------------------------------------------------------------
# k-fold cross-validation
# --------------------------------------------------------------------------------------

def kfold_indices(n, k, shuffle=True, seed=0):
    """Split the sample indices 0..n-1 into k folds; each fold is the validation set once.

    Inputs:
    - n: int, the number of samples; k: int, the number of folds, 2 <= k <= n (otherwise
      raise ValueError).
    - shuffle: bool; True permutes the indices first with
      `np.random.default_rng(seed).permutation(n)`, False keeps them in order.
    - seed: int.

    Returns:
    - a list of k pairs `(train_idx, val_idx)` of integer arrays: the k val_idx are
      consecutive pieces of the (shuffled) indices, as `np.array_split` cuts them (sizes
      differ by at most one; the first n % k folds are one larger); train_idx holds all the
      other indices. Every index is validated exactly once and never trains and validates in
      the same fold.

    Example:
    >>> [(tr.tolist(), va.tolist()) for tr, va in kfold_indices(5, 2, shuffle=False)]
    [([3, 4], [0, 1, 2]), ([0, 1, 2], [3, 4])]
    """
    ### BEGIN SOLUTION
    if not 2 <= k <= n:
        raise ValueError(f"k must be between 2 and n={n}, got {k}")
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    folds = np.array_split(order, k)
    return [(np.concatenate(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]
    ### END SOLUTION


def cross_validate(X, y, k, fit_fn, score_fn):
    """k-fold cross-validation: fit on k-1 folds, score on the held-out one, k times.

    Inputs:
    - X: array `(N, ...)`; y: array `(N,)`.
    - k: int, the number of folds; use `kfold_indices(len(X), k)` (shuffled, seed 0), in
      the order it returns them.
    - fit_fn: a function `fit_fn(X_train, y_train) -> model` (any object).
    - score_fn: a function `score_fn(model, X_val, y_val) -> float`.

    Returns:
    - scores: a list of k floats, the score on each fold's validation part.

    Example: a line (polynomial_fit's default degree 1) scored by its validation error,
    on 20 points:
    >>> scores = cross_validate(x, y, 5, polynomial_fit, polynomial_mse)
    >>> len(scores)           # one validation error per fold; np.mean(scores) sums them up
    5
    """
    ### BEGIN SOLUTION
    X, y = np.asarray(X), np.asarray(y)
    scores = []
    for train_idx, val_idx in kfold_indices(len(X), k):
        model = fit_fn(X[train_idx], y[train_idx])
        scores.append(float(score_fn(model, X[val_idx], y[val_idx])))
    return scores
    ### END SOLUTION


# --------------------------------------------------------------------------------------
# Class imbalance: class weights, a weighted classifier, the decision threshold
# --------------------------------------------------------------------------------------

def class_weights(y):
    """Inverse-frequency class weights: w_c = N / (C * N_c), N_c the count of class c.

    A rare class gets a large weight, a common one a small weight; with balanced classes
    every weight is 1 (scikit-learn's class_weight="balanced").

    Inputs:
    - y: integer labels `(N,)` in 0..C-1, every class present (C = y.max() + 1).

    Returns:
    - weights: float64 array `(C,)`.

    Example:
    >>> class_weights(np.array([0, 0, 0, 1]))
    array([0.66666667, 2.        ])
    """
    ### BEGIN SOLUTION
    counts = np.bincount(np.asarray(y))
    return len(y) / (len(counts) * counts.astype(np.float64))
    ### END SOLUTION


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))       # = 1 / (1 + exp(-z)), without overflow


def predict_proba(w, X):
    """Logistic regression's probability of class 1: sigmoid(X @ w[:-1] + w[-1]).

    Inputs:
    - w: float array `(D + 1,)`, the weights with the bias LAST (as in assignment 02).
    - X: float array `(N, D)`.

    Returns:
    - probs: float64 array `(N,)` in [0, 1].

    Example:
    >>> predict_proba(np.array([1.0, 0.0]), np.array([[0.0], [2.0]]))
    array([0.5       , 0.88079708])
    """
    ### BEGIN SOLUTION
    w, X = np.asarray(w, dtype=np.float64), np.asarray(X, dtype=np.float64)
    return _sigmoid(X @ w[:-1] + w[-1])
    ### END SOLUTION


def train_logistic(X, y, class_weights=None, epochs=300, lr=0.5):
    """Binary logistic regression by full-batch gradient descent, optionally class-weighted.

    Inputs:
    - X: float array `(N, D)`; y: integer labels `(N,)` in {0, 1}.
    - class_weights: None (every sample weighs 1) or a float array `(2,)`: sample i weighs
      class_weights[y[i]], e.g. from `class_weights(y)`.
    - epochs: int, gradient steps; lr: float, the learning rate.

    Start from all-zero weights and bias. Each epoch: p = sigmoid(X @ w + b); with s the
    sample weights, the loss is the weighted mean binary cross-entropy
    `sum(s * bce) / N` (divide by N, not by the sum of the weights), whose gradient is
    `g = s * (p - y) / N`, `dw = X.T @ g`, `db = sum(g)`; then w -= lr * dw, b -= lr * db.

    Returns:
    - w: float64 array `(D + 1,)`, the bias LAST.

    Example:
    >>> w = train_logistic(X_train, y_train, class_weights(y_train))
    >>> predict_proba(w, X_val) >= 0.5        # predicted labels
    """
    ### BEGIN SOLUTION
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    N, D = X.shape
    s = np.ones(N) if class_weights is None else np.asarray(class_weights, dtype=np.float64)[y]
    w, b = np.zeros(D), 0.0
    for _ in range(epochs):
        g = s * (_sigmoid(X @ w + b) - y) / N
        w = w - lr * (X.T @ g)
        b = b - lr * g.sum()
    return np.append(w, b)
    ### END SOLUTION


def best_threshold(probs, y):
    """The decision threshold with the highest F1 score on these (validation) data.

    Inputs:
    - probs: float array `(N,)`, predicted probabilities of class 1.
    - y: integer labels `(N,)` in {0, 1}.

    Try every distinct value t of probs as the threshold, predicting class 1 where
    `probs >= t`; F1 = 2 TP / (2 TP + FP + FN) (0 when that is 0/0). Return the t with the
    highest F1; on a tie, the smallest such t.

    Returns:
    - threshold: float.

    Example:
    >>> best_threshold(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]))
    0.35
    """
    ### BEGIN SOLUTION
    probs, y = np.asarray(probs), np.asarray(y)
    best_t, best_f1 = None, -1.0
    for t in np.unique(probs):                   # ascending: the first of equal F1s wins
        pred = probs >= t
        tp = np.sum(pred & (y == 1))
        wrong = np.sum(pred != (y == 1))         # FP + FN
        f1 = 2 * tp / (2 * tp + wrong) if tp + wrong else 0.0
        if f1 > best_f1:
            best_t, best_f1 = t, f1
    return float(best_t)
    ### END SOLUTION


def fit_imbalanced_classifier(X_train, y_train, X_val, y_val, epochs=300, lr=0.5):
    """The lesson's recipe for an imbalanced binary problem: a class-weighted logistic
    regression, and its decision threshold chosen on the VALIDATION data.

    Inputs:
    - X_train, y_train: training data, labels in {0, 1} (class 1 the rare one).
    - X_val, y_val: validation data, not used for fitting the weights.
    - epochs, lr: passed to train_logistic.

    Steps: w = train_logistic(X_train, y_train, class_weights(y_train), epochs, lr); then
    best_threshold of predict_proba(w, X_val) against y_val. (A threshold tuned on the
    training data is tuned on data the model has already fitted, where its probabilities
    are over-confident.)

    Returns:
    - (w, threshold): w float64 `(D + 1,)`, threshold a float; predict class 1 where
      `predict_proba(w, X) >= threshold`.
    """
    ### BEGIN SOLUTION
    w = train_logistic(X_train, y_train, class_weights(y_train), epochs, lr)
    threshold = best_threshold(predict_proba(w, X_val), y_val)
    return w, threshold
    ### END SOLUTION
