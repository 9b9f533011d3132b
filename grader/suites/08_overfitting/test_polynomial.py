"""Hidden tests of assignment 08, part 1: polynomial fits, underfitting and overfitting."""
import numpy as np
import pytest

from grader.checks import CheckFailed, check_array, check_scalar
from grader.i18n import _

F64 = dict(rtol=1e-6, atol=1e-8)


def noisy_line(rng, n, low=-2.0, high=3.0):
    x = np.sort(rng.uniform(low, high, size=n))
    y = 1.5 * x - 0.5 + rng.normal(0, 1.0, size=n)
    return x, y


@pytest.mark.points(1)
@pytest.mark.parametrize("degree", [1, 2, 3])
def test_polynomial_fit(student, reference, rng, degree):
    x, y = noisy_line(rng, 12)
    got = student.polynomial_fit(x, y, degree)
    expected = reference.polynomial_fit(x, y, degree)
    try:
        check_array(got, expected, what=f"polynomial_fit(x, y, degree={degree})",
                    inputs=_("x, y: (12,) float64, x in [-2, 3]"), **F64)
    except CheckFailed as exc:
        if isinstance(got, np.ndarray) and got.shape == expected.shape and np.allclose(
                got[::-1], expected, **F64):
            raise CheckFailed(_("{call}: your coefficients are in the reverse order; the "
                                "highest power comes first, as in np.polyfit").format(
                call=f"polynomial_fit(x, y, degree={degree})")) from None
        raise exc


@pytest.mark.points(1)
def test_polynomial_fit_default_degree_is_a_line(student, reference, rng):
    x, y = noisy_line(rng, 9)
    check_array(student.polynomial_fit(x, y), reference.polynomial_fit(x, y, 1),
                what="polynomial_fit(x, y) (default degree)", inputs="x, y: (9,) float64",
                **F64)


@pytest.mark.points(2)
def test_polynomial_predict(student, reference, rng):
    for degree in (0, 1, 4):
        coeffs = rng.normal(0, 2, size=degree + 1)
        x = rng.uniform(-3, 3, size=15)
        check_array(student.polynomial_predict(coeffs, x), reference.polynomial_predict(coeffs, x),
                    what="polynomial_predict(coeffs, x)",
                    inputs=_("coeffs: ({n},) highest power first, x: (15,) float64").format(
                        n=degree + 1),
                    **F64)


@pytest.mark.points(1)
def test_polynomial_mse(student, reference, rng):
    coeffs = rng.normal(0, 2, size=3)
    x, y = noisy_line(rng, 10)
    check_scalar(student.polynomial_mse(coeffs, x, y), reference.polynomial_mse(coeffs, x, y),
                 what="polynomial_mse(coeffs, x, y)", inputs="coeffs: (3,), x, y: (10,) float64",
                 **F64)


@pytest.mark.points(2)
def test_five_points_overfit(student, reference, rng):
    """A degree-4 polynomial through 5 points: training error 0, validation error large"""
    x_train, y_train = noisy_line(rng, 5, 0.0, 4.0)
    x_val, y_val = noisy_line(rng, 8, 0.0, 4.0)
    for degree in (1, 4):
        what = f"polynomial_mse(polynomial_fit(x_train, y_train, {degree}), ...)"
        coeffs = student.polynomial_fit(x_train, y_train, degree)
        ref = reference.polynomial_fit(x_train, y_train, degree)
        check_array(coeffs, ref, what=f"polynomial_fit(x_train, y_train, {degree})",
                    inputs=_("5 training points, x in [0, 4]"), rtol=1e-5, atol=1e-6)
        for part, x, y in ((_("the training error"), x_train, y_train),
                           (_("the validation error"), x_val, y_val)):
            check_scalar(student.polynomial_mse(coeffs, x, y), reference.polynomial_mse(ref, x, y),
                         what=f"{what}: {part}", inputs=_("5 training, 8 validation points"),
                         rtol=1e-5, atol=1e-6)
