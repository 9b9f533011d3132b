"""Hidden tests of assignment 07, part 2: the regression metrics R², RMSE and MAE."""
import numpy as np
import pytest

from grader.checks import CheckFailed, InvalidOutput, check_scalar
from grader.i18n import _

F64 = dict(rtol=1e-7, atol=1e-10)


def cases(rng):
    # targets far from 0 (like the diabetes score, 25..346) and predictions of another
    # spread: a metric that forgets the mean of y_true or mixes up the arguments shows
    # a bias too: the mean of the predictions is not the mean of the targets
    for N, noise, scale, bias in ((20, 20.0, 1.0, 15.0), (50, 60.0, 0.7, -25.0),
                                  (7, 5.0, 1.3, 4.0)):
        y_true = rng.uniform(25, 350, size=N)
        y_pred = (y_true.mean() + bias + scale * (y_true - y_true.mean())
                  + rng.normal(0, noise, size=N))
        yield y_true, y_pred


@pytest.mark.points(3)
def test_r2_score(student, reference, rng):
    for y_true, y_pred in cases(rng):
        inputs = _("y_true, y_pred: ({n},) float64, targets in [25, 350]").format(n=len(y_true))
        got = student.r2_score(y_true, y_pred)
        try:
            check_scalar(got, reference.r2_score(y_true, y_pred), what="r2_score(y_true, y_pred)",
                         inputs=inputs, **F64)
        except InvalidOutput:
            raise
        except CheckFailed as exc:
            value = float(np.asarray(got).reshape(())) if type(got) in (int, float) or (
                type(got) is np.ndarray and got.size == 1 and got.dtype.kind == "f") else None
            if value is not None and np.isclose(value, reference.r2_score(y_pred, y_true)):
                raise CheckFailed(_("{call}: your result is R² with the arguments swapped; the "
                                    "mean in the denominator is the mean of y_true").format(
                    call="r2_score(y_true, y_pred)")) from None
            raise exc


@pytest.mark.points(1)
def test_r2_score_reference_points(student, rng):
    """R² is 1 for perfect predictions and 0 for always predicting the mean"""
    y = rng.uniform(25, 350, size=30)
    check_scalar(student.r2_score(y, y.copy()), 1.0, what="r2_score(y, y)",
                 inputs="y: (30,) float64", **F64)
    check_scalar(student.r2_score(y, np.full_like(y, y.mean())), 0.0,
                 what=_("{call}, predicting the mean of y everywhere").format(
                     call="r2_score(y_true, y_pred)"), inputs="y: (30,) float64",
                 rtol=1e-7, atol=1e-9)


@pytest.mark.points(2)
@pytest.mark.parametrize("name", ["rmse", "mae"])
def test_error_metric(student, reference, rng, name):
    for y_true, y_pred in cases(rng):
        check_scalar(getattr(student, name)(y_true, y_pred),
                     getattr(reference, name)(y_true, y_pred),
                     what=f"{name}(y_true, y_pred)",
                     inputs=f"y_true, y_pred: ({len(y_true)},) float64", **F64)
