"""Hidden tests of assignment 07, part 1: fit_scaler / transform / inverse_transform."""
import numpy as np
import pytest

from grader.checks import CheckFailed, InvalidOutput, check_array, check_not_mutated, check_scalar
from grader.i18n import _

TOL = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=1e-4, atol=1e-4)}


def features(rng, N, D, dtype=np.float64):
    # columns of very different location and scale, like age, BMI and blood serum values
    # (and the diabetes set's own features, whose standard deviations are far below 1)
    loc = rng.uniform(-100, 200, size=D)
    scale = rng.choice([0.01, 0.3, 1.0, 40.0], size=D) * rng.uniform(0.5, 1.5, size=D)
    return (loc + scale * rng.normal(size=(N, D))).astype(dtype)


def statistics(X):
    """A scaler computed here on the parent's data: nothing of the reference reaches the child."""
    return X.mean(axis=0), X.std(axis=0)


def check_scaler(got, expected, what, inputs, dtype=np.float64):
    if not isinstance(got, tuple | list) or len(got) != 2:
        returned = (_("{type} of length {n}").format(type=type(got).__name__, n=len(got))
                    if isinstance(got, tuple | list) else type(got).__name__)
        raise InvalidOutput(_("{what} must return a tuple (mean, std); it returned "
                              "{returned}").format(what=what, returned=returned))
    for name, g, e in zip(("mean", "std"), got, expected):
        part = _("{what}: the returned {name}").format(what=what, name=name)
        if np.ndim(e) == 0:
            check_scalar(g, e, what=part, inputs=inputs, **TOL[dtype])
        else:
            check_array(g, e, what=part, inputs=inputs, **TOL[dtype])
    return got


@pytest.mark.points(2)
def test_fit_scaler_per_column(student, reference, rng):
    for N, D in ((40, 5), (9, 1), (100, 10)):
        X = features(rng, N, D)
        check_scaler(student.fit_scaler(X), reference.fit_scaler(X), "fit_scaler(X)",
                     _("X: {shape} float64, columns of different scales").format(shape=X.shape))


@pytest.mark.points(1)
def test_fit_scaler_constant_column(student, reference, rng):
    X = features(rng, 20, 4)
    X[:, 2] = 1.0                              # e.g. a feature that never varies in training
    check_scaler(student.fit_scaler(X), reference.fit_scaler(X), "fit_scaler(X)",
                 "X: (20, 4) float64, column 2 constant (its std 0 must become 1)")


@pytest.mark.points(1)
def test_fit_scaler_on_a_target(student, reference, rng):
    y = rng.uniform(25, 350, size=60)
    check_scaler(student.fit_scaler(y), reference.fit_scaler(y), "fit_scaler(y)",
                 "y: (60,) float64, a target")


@pytest.mark.points(3)
def test_transform_uses_the_training_statistics(student, reference, rng):
    X_train = features(rng, 50, 6)
    scaler = statistics(X_train)
    # test data from a shifted and narrower distribution: its own mean and std differ a lot
    X_test = X_train[:12] * 0.5 + rng.normal(0, 10, size=(12, 6)) + 30.0
    got = student.transform(X_test, scaler)
    try:
        check_array(got, reference.transform(X_test, scaler), what="transform(X_test, scaler)",
                    inputs=_("X_test: (12, 6) float64, scaler: (mean, std) of a training set"),
                    **TOL[np.float64])
    except CheckFailed as exc:
        own = (X_test - X_test.mean(axis=0)) / X_test.std(axis=0)
        if isinstance(got, np.ndarray) and got.shape == own.shape and np.allclose(got, own):
            raise CheckFailed(_("{call} standardised X_test with its own mean and std; it must "
                                "use the scaler's statistics, fitted on the training "
                                "data").format(call="transform(X_test, scaler)")) from None
        raise exc


@pytest.mark.points(1)
def test_transform_a_target(student, reference, rng):
    y = rng.uniform(25, 350, size=30)
    scaler = (np.float64(y.mean() + 5.0), np.float64(y.std() * 1.3))
    check_array(student.transform(y, scaler), reference.transform(y, scaler),
                what="transform(y, scaler)", inputs="y: (30,) float64, scaler: 2 numbers",
                **TOL[np.float64])


@pytest.mark.points(2)
def test_inverse_transform(student, reference, rng):
    X = features(rng, 15, 3)
    scaler = statistics(X)
    Z = (X - scaler[0]) / scaler[1]
    check_array(student.inverse_transform(Z, scaler), reference.inverse_transform(Z, scaler),
                what="inverse_transform(Z, scaler)",
                inputs="Z: (15, 3) float64 standardised, scaler: (mean, std) of 3 columns",
                **TOL[np.float64])
    z = rng.normal(size=25)
    y_scaler = (np.float64(rng.uniform(100, 200)), np.float64(rng.uniform(20, 80)))
    check_array(student.inverse_transform(z, y_scaler), reference.inverse_transform(z, y_scaler),
                what="inverse_transform(z, y_scaler)", inputs="z: (25,) float64, y_scaler: "
                "2 numbers (the mean and std of a target)", **TOL[np.float64])


@pytest.mark.points(1)
def test_scaling_keeps_float32(student, reference, rng):
    X = features(rng, 30, 4, np.float32)
    scaler = student.fit_scaler(X)
    check_scaler(scaler, reference.fit_scaler(X), "fit_scaler(X)", "X: (30, 4) float32",
                 np.float32)
    own = statistics(X)
    check_array(student.transform(X, own), reference.transform(X, own),
                what="transform(X, scaler)", inputs="X: (30, 4) float32, scaler float32",
                **TOL[np.float32])


@pytest.mark.points(1)
def test_scaling_does_not_modify_inputs(student, reference, rng):
    X = features(rng, 10, 3)
    got, after = student.call_returning_args("fit_scaler", X)
    # properties of the right values only
    check_scaler(got, reference.fit_scaler(X), "fit_scaler(X)", "X: (10, 3) float64")
    check_not_mutated(X, after[0], what="fit_scaler(X)", argname="X")
    scaler = statistics(X)
    for name in ("transform", "inverse_transform"):
        got, after = student.call_returning_args(name, X, scaler)
        check_array(got, getattr(reference, name)(X, scaler), what=f"{name}(X, scaler)",
                    inputs="X: (10, 3) float64", **TOL[np.float64])
        check_not_mutated(X, after[0], what=f"{name}(X, scaler)", argname="X")
        for part, before, left in zip(("mean", "std"), scaler, after[1]):
            check_not_mutated(before, left, what=f"{name}(X, scaler)", argname=f"scaler's {part}")
