"""Hidden tests of assignment 01, part 4: standardize (fit on train, apply to test)."""
import numpy as np
import pytest

from grader.checks import InvalidOutput, check_array, check_not_mutated
from grader.i18n import _

# float32: the column means carry rounding errors of about 1e-7 * |mean|, which dividing by
# a small std magnifies; a student who computes in float64 and casts back differs by that much
TOL = {np.float64: dict(rtol=1e-7, atol=1e-10), np.float32: dict(rtol=1e-4, atol=1e-4)}


def features(rng, N, D, dtype=np.float64, loc=50.0):
    # columns of different location and scale, as real features have
    loc = rng.uniform(-loc, loc, size=D)
    scale = rng.uniform(0.1, 20, size=D)
    return (loc + scale * rng.normal(size=(N, D))).astype(dtype)


def check_triple(got, expected, what, inputs, dtype=np.float64):
    if not isinstance(got, tuple | list) or len(got) != 3:
        returned = (_("{type} of length {n}").format(type=type(got).__name__, n=len(got))
                    if isinstance(got, tuple | list) else type(got).__name__)
        raise InvalidOutput(_("{what} must return a tuple (X_std, mean, std) of 3 arrays; it "
                              "returned {returned}").format(what=what, returned=returned))
    for name, g, e in zip(("X_std", "mean", "std"), got, expected):
        check_array(g, e, what=_("{what}: the returned {name}").format(what=what, name=name),
                    inputs=inputs, **TOL[dtype])


@pytest.mark.points(2)
def test_standardize_fit(student, reference, rng):
    for N, D in ((20, 3), (7, 1), (50, 6)):
        X = features(rng, N, D)
        check_triple(student.standardize(X), reference.standardize(X), "standardize(X)",
                     f"X: {X.shape} float64")


@pytest.mark.points(2)
def test_standardize_reuses_given_mean_and_std(student, reference, rng):
    # fit on train, then transform test data with the train statistics
    X_train = features(rng, 30, 4)
    _std, mean, std = reference.standardize(X_train)
    X_test = X_train[:10] + rng.normal(0, 5, size=(10, 4))
    check_triple(student.standardize(X_test, mean, std), reference.standardize(X_test, mean, std),
                 "standardize(X_test, mean, std)",
                 _("X_test: (10, 4) float64, mean and std: (4,) float64 from a training set"))


@pytest.mark.points(1)
def test_standardize_constant_column(student, reference, rng):
    X = features(rng, 12, 4)
    X[:, 1] = float(rng.integers(-5, 6))        # a constant feature: std 0
    check_triple(student.standardize(X), reference.standardize(X), "standardize(X)",
                 f"X: {X.shape} float64, column 1 constant")


@pytest.mark.points(1)
def test_standardize_keeps_float32(student, reference, rng):
    X = features(rng, 16, 3, np.float32, loc=5.0)
    got = student.standardize(X)
    check_triple(got, reference.standardize(X), "standardize(X)", f"X: {X.shape} float32",
                 np.float32)


@pytest.mark.points(1)
def test_standardize_does_not_modify_inputs(student, reference, rng):
    X = features(rng, 10, 3)
    got, after = student.call_returning_args("standardize", X)
    # a property of the right value only
    check_array(got[0] if isinstance(got, tuple | list) and got else got,
                reference.standardize(X)[0], what="standardize(X): X_std", inputs="X: (10, 3)",
                rtol=1e-7, atol=1e-9)
    check_not_mutated(X, after[0], what="standardize(X)", argname="X")
    mean, std = X.mean(axis=0), X.std(axis=0)
    _result, after = student.call_returning_args("standardize", X, mean, std)
    for name, before, left in zip(("X", "mean", "std"), (X, mean, std), after):
        check_not_mutated(before, left, what="standardize(X, mean, std)", argname=name)
