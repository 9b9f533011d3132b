"""Public tests for assignment 07 (regression lab).

Run them next to your regression_lab.py:   pytest test_public.py
or with the grader:                        grader check 07_regression_lab .

Every case here is small and worked out by hand. Passing them all is a good sign, not a
guarantee: the hidden tests also use random inputs, check float32, train your network on
the diabetes data and score it on a hidden test split, train it with outliers in the
targets, and on a skewed target in log space.
"""
import numpy as np
import pytest

from grader.checks import check_array
import torch

from regression_lab import (
    build_regressor,
    fit_scaler,
    inverse_transform,
    mae,
    predict,
    r2_score,
    rmse,
    train_regressor,
    transform,
)


def assert_array(got, expected, atol=1e-7, what="the result"):
    # the hidden tests' own check: type, shape (transposed?), NaN/inf, then values
    check_array(got, np.asarray(expected, dtype=np.float64), what=what, rtol=1e-6, atol=atol,
                dtype=got.dtype if isinstance(got, np.ndarray) else None)


# ----- scaling ------------------------------------------------------------------------

def test_fit_scaler_per_column_and_constant_column():
    mean, std = fit_scaler(np.array([[1.0, 10.0], [3.0, 10.0]]))
    assert_array(mean, [2.0, 10.0])
    assert_array(std, [1.0, 1.0])           # the constant column's std 0 became 1


def test_transform_uses_the_given_statistics():
    scaler = (np.array([2.0, 10.0]), np.array([1.0, 4.0]))
    # one test sample: its own mean/std would make it all zeros (or NaN); the training
    # statistics put it where the network expects it
    assert_array(transform(np.array([[3.0, 12.0]]), scaler), [[1.0, 0.5]])


def test_inverse_transform_undoes_transform():
    X = np.array([[1.0, 200.0], [2.0, 150.0], [6.0, 100.0]])
    scaler = fit_scaler(X)
    assert_array(transform(X, scaler).mean(axis=0), [0.0, 0.0], atol=1e-12)
    assert_array(inverse_transform(transform(X, scaler), scaler), X)
    y_scaler = (np.float64(150.0), np.float64(80.0))
    assert_array(inverse_transform(np.array([1.0, -0.5]), y_scaler), [230.0, 110.0])


# ----- metrics ------------------------------------------------------------------------

def test_r2_score():
    y = np.array([1.0, 2.0, 3.0])
    assert r2_score(y, np.array([1.0, 2.0, 4.0])) == pytest.approx(0.5)
    assert r2_score(y, y) == pytest.approx(1.0)
    assert r2_score(y, np.full(3, 2.0)) == pytest.approx(0.0)          # always the mean
    # far from 0: the denominator is around the mean of y_true, not around 0
    assert r2_score(y + 100, np.array([101.0, 102.0, 104.0])) == pytest.approx(0.5)


def test_rmse_and_mae():
    y_true, y_pred = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 5.0])
    assert rmse(y_true, y_pred) == pytest.approx(np.sqrt(4 / 3))
    assert mae(y_true, y_pred) == pytest.approx(2 / 3)
    assert mae(y_true, np.array([2.0, 1.0, 3.0])) == pytest.approx(2 / 3)   # |+1| + |-1|


# ----- the network --------------------------------------------------------------------

def test_build_regressor_shape_and_size():
    torch.manual_seed(0)
    model = build_regressor(10, (64,))
    assert isinstance(model, torch.nn.Module)
    assert model(torch.zeros(5, 10)).shape == (5, 1)
    # Linear(10, 64) + Linear(64, 1), with biases
    assert sum(p.numel() for p in model.parameters()) == 10 * 64 + 64 + 64 + 1
    deeper = build_regressor(3, (16, 8))
    assert sum(p.numel() for p in deeper.parameters()) == 3 * 16 + 16 + 16 * 8 + 8 + 8 + 1


def test_train_regressor_learns_a_line():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(96, 1)).astype(np.float32)
    y = (2.0 * X[:, 0] - 1.0).astype(np.float32)
    model = build_regressor(1, (16,))
    history = train_regressor(model, X, y, loss="mse", epochs=60, lr=1e-2)
    assert len(history) == 60 and all(isinstance(v, float) for v in history)
    assert history[-1] < 0.1 * history[0]
    assert rmse(y, predict(model, X)) < 0.3


@pytest.mark.parametrize("loss", ["mse", "mae", "huber"])
def test_train_regressor_reports_the_named_loss(loss):
    # with lr=0 nothing changes, so each epoch's mean batch loss is the loss of the
    # untrained model (64 samples: two full batches of 32)
    torch.manual_seed(1)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(64, 2)).astype(np.float32)
    y = rng.normal(0, 2, size=64).astype(np.float32)
    model = build_regressor(2, (4,))
    with torch.no_grad():
        r = model(torch.as_tensor(X))[:, 0].numpy().astype(np.float64) - y
    expected = {"mse": np.mean(r ** 2), "mae": np.mean(np.abs(r)),
                "huber": np.mean(np.where(np.abs(r) < 1, 0.5 * r ** 2, np.abs(r) - 0.5))}[loss]
    history = train_regressor(model, X, y, loss=loss, epochs=2, lr=0.0)
    assert history == pytest.approx([expected, expected], rel=1e-4)


def test_train_regressor_unknown_loss():
    model = build_regressor(2, (4,))
    X, y = np.zeros((4, 2), np.float32), np.zeros(4, np.float32)
    with pytest.raises(ValueError):
        train_regressor(model, X, y, loss="hinge", epochs=1)


def test_predict_maps_back_to_the_target_units():
    torch.manual_seed(2)
    model = build_regressor(3, (8,))
    X = np.random.default_rng(2).normal(size=(6, 3)).astype(np.float32)
    with torch.no_grad():
        out = model(torch.as_tensor(X))[:, 0].numpy().astype(np.float64)
    y_scaler = (np.float64(150.0), np.float64(80.0))
    got = predict(model, X, y_scaler)
    assert got.shape == (6,) and got.dtype == np.float64
    assert_array(got, out * 80.0 + 150.0, atol=1e-4)
    assert_array(predict(model, X), out, atol=1e-6)
    log_scaler = (np.float64(3.0), np.float64(0.5))
    assert_array(predict(model, X, log_scaler, log_target=True), np.exp(out * 0.5 + 3.0),
                 atol=1e-4)
