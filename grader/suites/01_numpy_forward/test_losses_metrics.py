"""Hidden tests of assignment 01, part 3: losses (y_pred, y_true) and metrics (y_true, y_pred)."""
import numpy as np
import pytest

from grader.checks import check_array, check_scalar
from grader.i18n import _

F64 = dict(rtol=1e-7, atol=1e-10)
F32 = dict(rtol=1e-5, atol=1e-6)


def shapes(**arrays):
    return ", ".join(f"{k}: {v.shape} {v.dtype}" for k, v in arrays.items())


# ----- mse, mae -----------------------------------------------------------------------

@pytest.mark.points(2)
@pytest.mark.parametrize("name", ["mse", "mae"])
def test_regression_loss(student, reference, rng, name):
    for shape in ((9,), (6, 3)):
        y_true = rng.normal(2.0, 3.0, size=shape)
        y_pred = y_true + rng.normal(0.0, 1.5, size=shape)
        check_scalar(getattr(student, name)(y_pred, y_true), getattr(reference, name)(y_pred, y_true),
                     what=f"{name}(y_pred, y_true)", inputs=shapes(y_pred=y_pred, y_true=y_true),
                     **F64)


@pytest.mark.points(1)
@pytest.mark.parametrize("name", ["mse", "mae"])
def test_regression_loss_float32(student, reference, rng, name):
    y_true = rng.normal(size=20).astype(np.float32)
    y_pred = (y_true + rng.normal(size=20)).astype(np.float32)
    check_scalar(getattr(student, name)(y_pred, y_true), getattr(reference, name)(y_pred, y_true),
                 what=f"{name}(y_pred, y_true)", inputs=shapes(y_pred=y_pred, y_true=y_true), **F32)


# ----- binary cross-entropy -----------------------------------------------------------

@pytest.mark.points(2)
def test_binary_cross_entropy(student, reference, rng):
    for shape in ((12,), (5, 2)):
        p = rng.uniform(0.01, 0.99, size=shape)
        y = rng.integers(0, 2, size=shape)
        check_scalar(student.binary_cross_entropy(p, y), reference.binary_cross_entropy(p, y),
                     what="binary_cross_entropy(p, y)",
                     inputs=shapes(p=p, y=y) + ", p in [0.01, 0.99], y in {0, 1}", **F64)


@pytest.mark.points(1)
def test_binary_cross_entropy_float32(student, reference, rng):
    p = rng.uniform(0.01, 0.99, size=16).astype(np.float32)
    y = rng.integers(0, 2, size=16).astype(np.float32)
    check_scalar(student.binary_cross_entropy(p, y), reference.binary_cross_entropy(p, y),
                 what="binary_cross_entropy(p, y)",
                 inputs=shapes(p=p, y=y) + ", p in [0.01, 0.99], y in {0, 1}", **F32)


@pytest.mark.points(2)
def test_binary_cross_entropy_clips_with_eps(student, reference, rng):
    p = rng.uniform(0.05, 0.95, size=10)
    y = rng.integers(0, 2, size=10)
    p[:4] = [0.0, 1.0, 0.0, 1.0]                 # confidently wrong and confidently right
    y[:4] = [1, 0, 0, 1]
    inputs = shapes(p=p, y=y) + ", some p exactly 0 or 1"
    # loose rtol: clipping 1 - p instead of p moves log(1 - (1 - 1e-12)) by about 1e-4
    check_scalar(student.binary_cross_entropy(p, y), reference.binary_cross_entropy(p, y),
                 what="binary_cross_entropy(p, y)", inputs=inputs, rtol=1e-4, atol=1e-8)
    check_scalar(student.binary_cross_entropy(p, y, 1e-3),
                 reference.binary_cross_entropy(p, y, 1e-3),
                 what="binary_cross_entropy(p, y, eps=1e-3)", inputs=inputs, rtol=1e-6, atol=1e-8)


# ----- categorical cross-entropy ------------------------------------------------------

def random_probabilities(rng, N, C, dtype=np.float64):
    logits = rng.normal(0, 2, size=(N, C))
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(dtype)


@pytest.mark.points(2)
def test_categorical_cross_entropy(student, reference, rng):
    for N, C in ((8, 3), (1, 5), (20, 10)):
        p = random_probabilities(rng, N, C)
        labels = rng.integers(0, C, size=N)
        check_scalar(student.categorical_cross_entropy(p, labels),
                     reference.categorical_cross_entropy(p, labels),
                     what="categorical_cross_entropy(p, labels)",
                     inputs=shapes(p=p, labels=labels) + _(", rows of p sum to 1"), **F64)


@pytest.mark.points(1)
def test_categorical_cross_entropy_float32(student, reference, rng):
    p = random_probabilities(rng, 10, 4, np.float32)
    labels = rng.integers(0, 4, size=10)
    check_scalar(student.categorical_cross_entropy(p, labels),
                 reference.categorical_cross_entropy(p, labels),
                 what="categorical_cross_entropy(p, labels)",
                 inputs=shapes(p=p, labels=labels) + _(", rows of p sum to 1"), **F32)


@pytest.mark.points(2)
def test_categorical_cross_entropy_clips_with_eps(student, reference, rng):
    p = random_probabilities(rng, 6, 3)
    labels = rng.integers(0, 3, size=6)
    p[0] = np.eye(3)[(labels[0] + 1) % 3]        # probability 0 for the true class
    p[1] = np.eye(3)[labels[1]]                  # probability 1 for the true class
    inputs = shapes(p=p, labels=labels) + _(", some probabilities exactly 0 or 1")
    check_scalar(student.categorical_cross_entropy(p, labels),
                 reference.categorical_cross_entropy(p, labels),
                 what="categorical_cross_entropy(p, labels)", inputs=inputs, rtol=1e-4, atol=1e-8)
    check_scalar(student.categorical_cross_entropy(p, labels, 1e-3),
                 reference.categorical_cross_entropy(p, labels, 1e-3),
                 what="categorical_cross_entropy(p, labels, eps=1e-3)", inputs=inputs,
                 rtol=1e-6, atol=1e-8)


# ----- metrics ------------------------------------------------------------------------

@pytest.mark.points(2)
def test_accuracy(student, reference, rng):
    for N, C, right in ((20, 4, 0.7), (7, 3, 0.3), (50, 10, 0.9)):
        y_true = rng.integers(0, C, size=N)
        y_pred = np.where(rng.random(N) < right, y_true, rng.integers(0, C, size=N))
        check_scalar(student.accuracy(y_true, y_pred), reference.accuracy(y_true, y_pred),
                     what="accuracy(y_true, y_pred)",
                     inputs=shapes(y_true=y_true, y_pred=y_pred) + _(", labels in 0..{last}")
                     .format(last=C - 1),
                     **F64)


@pytest.mark.points(1)
def test_rmse(student, reference, rng):
    for shape in ((10,), (4, 3)):
        y_true = rng.normal(5.0, 2.0, size=shape)
        y_pred = y_true + rng.normal(0.0, 1.0, size=shape)
        check_scalar(student.rmse(y_true, y_pred), reference.rmse(y_true, y_pred),
                     what="rmse(y_true, y_pred)", inputs=shapes(y_true=y_true, y_pred=y_pred),
                     **F64)


@pytest.mark.points(2)
def test_r2_score(student, reference, rng):
    # y_true far from 0 and predictions of another spread: the mean and the order matter
    for N, noise, scale in ((15, 0.5, 1.0), (40, 2.0, 1.5), (6, 1.0, 0.5)):
        y_true = rng.normal(10.0, 2.0, size=N)
        y_pred = 10.0 + scale * (y_true - 10.0) + rng.normal(0.0, noise, size=N)
        check_scalar(student.r2_score(y_true, y_pred), reference.r2_score(y_true, y_pred),
                     what="r2_score(y_true, y_pred)",
                     inputs=shapes(y_true=y_true, y_pred=y_pred), **F64)


@pytest.mark.points(2)
def test_confusion_matrix_rows_are_true_class(student, reference, rng):
    for N, C in ((30, 3), (12, 5), (50, 2)):
        y_true = rng.integers(0, C, size=N)
        y_pred = np.where(rng.random(N) < 0.5, y_true, rng.integers(0, C, size=N))
        got = student.confusion_matrix(y_true, y_pred, C)
        expected = reference.confusion_matrix(y_true, y_pred, C)
        if isinstance(got, np.ndarray) and got.dtype.kind in "iu":
            expected = expected.astype(got.dtype)    # any integer type holds counts
        check_array(got, expected, what=f"confusion_matrix(y_true, y_pred, num_classes={C})",
                    inputs=shapes(y_true=y_true, y_pred=y_pred) + _(", labels in 0..{last}")
                    .format(last=C - 1),
                    rtol=0, atol=0)
