"""Hidden tests of assignment 05 (TensorFlow track), part 1: to_tensor, and gradients with
tf.GradientTape against the analytic gradient computed here. (WIP on this branch: the
device tests, fit_line, the MLP and the training loop are still to come.)"""
import numpy as np
import pytest

from grader.checks import describe_input
from grader.checks.autograd import check_tensor


@pytest.mark.points(2)
def test_to_tensor_gives_float32(student, rng):
    """to_tensor gives a float32 tensor with the array's values"""
    cases = [rng.normal(size=(3, 4)), rng.integers(-5, 5, size=7),
             rng.normal(size=(2, 3, 2)).astype(np.float32),
             rng.integers(0, 255, size=(4, 2)).astype(np.uint8)]
    for x in cases:
        check_tensor(student.to_tensor(x), x.astype(np.float32), what="to_tensor(array)",
                     inputs=describe_input("array", x), dtype="tf.float32", device=None,
                     rtol=1e-6, atol=0)


def analytic_gradient(x):
    """d/dx mean(sqrt(x**2 + 1)) = x / (N sqrt(x**2 + 1)), N = x.size, in float64."""
    x = np.asarray(x, dtype=np.float64)
    return x / (x.size * np.sqrt(x ** 2 + 1))


@pytest.mark.points(2)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_gradient_of_expression_matches_the_analytic_gradient(student, rng, dtype):
    """gradient_of_expression equals the analytic gradient"""
    tol = dict(rtol=1e-10, atol=1e-14) if dtype == np.float64 else dict(rtol=2e-5, atol=1e-7)
    for shape in ((6,), (3, 4), (2, 3, 2)):
        x = (rng.normal(size=shape) * 3).astype(dtype)
        check_tensor(student.gradient_of_expression(x), analytic_gradient(x),
                     what="gradient_of_expression(x)", inputs=describe_input("x", x),
                     dtype=f"tf.{np.dtype(dtype).name}", device=None, **tol)
