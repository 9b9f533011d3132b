"""Public tests for assignment 08 (overfitting).

Run them next to your overfitting.py:   pytest test_public.py
or with the grader:                     grader check 08_overfitting .

Every case here is small and worked out by hand. Passing them all is a good sign, not a
guarantee: the hidden tests also use random data, noisy loss curves with plateaus, large
dropout samples, and a classifier scored on hidden test data.
"""
import numpy as np
import pytest

from grader.checks import check_array

from overfitting import (
    Dropout,
    EarlyStopping,
    best_threshold,
    class_weights,
    cross_validate,
    fit_imbalanced_classifier,
    kfold_indices,
    overfitting_epoch,
    polynomial_fit,
    polynomial_mse,
    polynomial_predict,
    predict_proba,
    train_logistic,
    train_val_split,
)

# The lesson's 5-point example: 5 training points, 4 validation points between them.
X_TRAIN = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
Y_TRAIN = np.array([2.0, 5.0, 15.0, 18.0, 18.0])
X_VAL = np.array([1.5, 2.5, 3.5, 4.5])
Y_VAL = np.array([5.0, 11.0, 10.0, 20.0])


def assert_array(got, expected, atol=1e-7, what="the result"):
    # the hidden tests' own check: type, shape (transposed?), NaN/inf, then values
    check_array(got, np.asarray(expected, dtype=np.float64), what=what, rtol=1e-6, atol=atol,
                dtype=got.dtype if isinstance(got, np.ndarray) else None)


# ----- the 5-point example ------------------------------------------------------------

def test_polynomial_fit_and_predict():
    assert_array(polynomial_fit(np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0]), 1),
                 [2.0, 1.0])                                  # y = 2x + 1, highest power first
    assert_array(polynomial_predict(np.array([2.0, 1.0]), np.array([0.0, 1.5])), [1.0, 4.0])
    assert_array(polynomial_predict(np.array([1.0, 0.0, -1.0]), np.array([2.0])), [3.0])
    assert polynomial_mse(np.array([2.0, 1.0]), np.array([0.0, 1.0]),
                          np.array([1.0, 4.0])) == pytest.approx(0.5)


def test_five_points_a_line_underfits_a_quartic_overfits():
    line = polynomial_fit(X_TRAIN, Y_TRAIN, 1)                 # 2 parameters
    assert_array(line, [4.5, -1.9])
    assert polynomial_mse(line, X_TRAIN, Y_TRAIN) == pytest.approx(5.34)
    assert polynomial_mse(line, X_VAL, Y_VAL) == pytest.approx(5.0725)
    quartic = polynomial_fit(X_TRAIN, Y_TRAIN, 4)              # 5 parameters, 5 points
    assert polynomial_mse(quartic, X_TRAIN, Y_TRAIN) == pytest.approx(0.0, abs=1e-9)
    assert polynomial_mse(quartic, X_VAL, Y_VAL) == pytest.approx(19.8909, abs=1e-3)


# ----- validation ---------------------------------------------------------------------

def test_train_val_split():
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10) * 10
    X_train, X_val, y_train, y_val = train_val_split(X, y, val_fraction=0.2, seed=0)
    assert X_train.shape == (8, 2) and X_val.shape == (2, 2)
    assert y_train.shape == (8,) and y_val.shape == (2,)
    assert_array(y_train, X_train[:, 0] * 5)                   # labels stay with their rows
    assert_array(y_val, X_val[:, 0] * 5)
    assert sorted(np.concatenate([y_train, y_val])) == list(y)
    again = train_val_split(X, y, val_fraction=0.2, seed=0)
    assert_array(again[3], y_val)                              # same seed, same split


def test_early_stopping_example():
    es = EarlyStopping(patience=2)
    assert [es.step(v) for v in [1.0, 0.8, 0.85, 0.9]] == [False, False, False, True]
    assert es.best_epoch == 1 and es.best_loss == 0.8


def test_early_stopping_patience_starts_again_and_min_delta():
    es = EarlyStopping(patience=2)
    assert not any(es.step(v) for v in [1.0, 1.1, 0.9, 1.0, 0.8, 0.85, 0.7])
    es = EarlyStopping(patience=2, min_delta=0.1)
    # 1.0 -> 0.95 -> 0.92 are improvements smaller than min_delta: they do not count
    assert [es.step(v) for v in [1.0, 0.95, 0.92]] == [False, False, True]
    assert es.best_epoch == 0 and es.best_loss == 1.0


def test_overfitting_epoch():
    train = [5, 4, 3, 2, 1, 0.5]
    assert overfitting_epoch(train, [5, 4, 3.5, 3.6, 3.8, 4.0], patience=3) == 2
    assert overfitting_epoch(train, [5, 4, 3.5, 3.6, 3.8, 3.7], patience=3) is None
    assert overfitting_epoch(train, [5, 4, 3.5, 3.6, 3.8, 3.7], patience=2) == 2


# ----- dropout ------------------------------------------------------------------------

def test_dropout_training_scales_what_it_keeps():
    np.random.seed(0)
    layer = Dropout(0.25)
    y = layer.forward(np.ones((200, 100)))
    assert set(np.unique(y)) <= {0.0, 1 / 0.75}
    assert np.mean(y == 0) == pytest.approx(0.25, abs=0.02)
    assert y.mean() == pytest.approx(1.0, abs=0.02)            # the expected value is kept


def test_dropout_backward_uses_the_same_mask():
    np.random.seed(1)
    layer = Dropout(0.5)
    x = np.full((4, 5), 3.0)
    y = layer.forward(x)
    assert_array(layer.backward(np.ones((4, 5))), y / 3.0)
    assert_array(layer.backward(np.full((4, 5), 2.0)), 2 * y / 3.0)


def test_dropout_is_the_identity_in_evaluation():
    layer = Dropout(0.5)
    x = np.arange(6.0).reshape(2, 3)
    assert_array(layer.forward(x, training=False), x)
    assert_array(layer.backward(np.ones((2, 3))), np.ones((2, 3)))


# ----- k-fold cross-validation --------------------------------------------------------

def test_kfold_indices_in_order():
    folds = kfold_indices(5, 2, shuffle=False)
    assert [(tr.tolist(), va.tolist()) for tr, va in folds] == [([3, 4], [0, 1, 2]),
                                                                ([0, 1, 2], [3, 4])]


def test_kfold_indices_shuffled_partition():
    folds = kfold_indices(11, 3, shuffle=True, seed=4)
    assert len(folds) == 3
    vals = np.concatenate([va for _, va in folds])
    assert sorted(vals.tolist()) == list(range(11))             # each index validated once
    for tr, va in folds:
        assert sorted(np.concatenate([tr, va]).tolist()) == list(range(11))
    assert sorted(len(va) for _, va in folds) == [3, 4, 4]


def test_cross_validate_matches_a_loop_over_the_folds():
    x = np.linspace(-2, 2, 12)
    y = x ** 2
    scores = cross_validate(x, y, 4, polynomial_fit, polynomial_mse)
    expected = [polynomial_mse(polynomial_fit(x[tr], y[tr]), x[va], y[va])
                for tr, va in kfold_indices(12, 4)]
    assert scores == pytest.approx(expected)
    assert cross_validate(x, 3 * x, 3, polynomial_fit, polynomial_mse) == pytest.approx(
        [0.0, 0.0, 0.0], abs=1e-12)                              # a line fits a line


# ----- class imbalance ----------------------------------------------------------------

def test_class_weights():
    assert_array(class_weights(np.array([0, 0, 0, 1])), [2 / 3, 2.0])
    assert_array(class_weights(np.array([0, 1, 2, 2])), [4 / 3, 4 / 3, 2 / 3])
    assert_array(class_weights(np.array([1, 0, 1, 0])), [1.0, 1.0])


def test_predict_proba_and_train_logistic():
    assert_array(predict_proba(np.array([1.0, 0.0]), np.array([[0.0], [2.0]])),
                 [0.5, 0.8807970779778823])
    X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    y = np.array([0, 0, 1, 1])
    w = train_logistic(X, y, epochs=1, lr=1.0)
    # one step from zeros: p = 0.5 everywhere, dw = X.T @ (p - y) / 4 = -0.75, db = 0
    assert_array(w, [0.75, 0.0])
    w = train_logistic(X, y, class_weights=np.array([1.0, 3.0]), epochs=1, lr=1.0)
    # sample weights (1, 1, 3, 3): dw = (-1 - 0.5 - 1.5 - 3) / 4 = -1.5, db = -2 / 4 = -0.5
    assert_array(w, [1.5, 0.5])
    assert (predict_proba(train_logistic(X, y), X) >= 0.5).tolist() == [False, False, True, True]


def test_best_threshold():
    assert best_threshold(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == 0.35
    # F1 is 2/3 at the thresholds 0.2 and 0.8, lower at 0.4 and 0.6: the smallest wins
    assert best_threshold(np.array([0.2, 0.4, 0.6, 0.8]), np.array([1, 0, 0, 1])) == 0.2


def test_fit_imbalanced_classifier_tunes_on_validation_data():
    rng = np.random.default_rng(0)
    X_train = rng.normal(size=(40, 2)) + np.repeat([[0, 0], [2, 2]], [32, 8], axis=0)
    y_train = np.repeat([0, 1], [32, 8])
    X_val = rng.normal(size=(30, 2)) + np.repeat([[0, 0], [2, 2]], [24, 6], axis=0)
    y_val = np.repeat([0, 1], [24, 6])
    w, threshold = fit_imbalanced_classifier(X_train, y_train, X_val, y_val)
    assert_array(w, train_logistic(X_train, y_train, class_weights(y_train)))
    assert threshold == best_threshold(predict_proba(w, X_val), y_val)
