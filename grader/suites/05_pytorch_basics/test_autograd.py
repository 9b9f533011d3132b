"""Hidden tests of assignment 05, part 2: autograd. gradient_of_expression against the
analytic gradient (computed here), and that autograd computed it (read from the syntax
tree); fit_line's gradient descent against the least-squares line and the reference's steps.
"""
import numpy as np
import pytest

from grader.checks import CheckFailed, check_not_mutated, close
from grader.checks.autograd import (check_gradient_of_expression, check_python_float,
                                    check_uses_autograd)
from grader.i18n import _, num


@pytest.mark.points(2)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_gradient_of_expression_matches_the_analytic_gradient(student, rng, dtype):
    """gradient_of_expression equals the analytic gradient"""
    for shape in ((6,), (3, 4), (2, 3, 2)):
        x = (rng.normal(size=shape) * 3).astype(dtype)
        check_gradient_of_expression(student.gradient_of_expression(x), x, framework="torch",
                                     device="cpu")


@pytest.mark.points(1)
def test_gradient_of_expression_leaves_x_unchanged(student, rng):
    """gradient_of_expression leaves its input unchanged"""
    x = rng.normal(size=(4, 3))
    _result, args = student.call_returning_args("gradient_of_expression", x)
    check_not_mutated(x, args[0], what="gradient_of_expression(x)", argname="x")
    check_gradient_of_expression(student.gradient_of_expression(x), x, framework="torch",
                                 device="cpu")


@pytest.mark.points(2)
def test_gradient_of_expression_uses_autograd(student, submission, rng):
    """gradient_of_expression lets autograd compute the gradient (.backward or autograd.grad)"""
    check_uses_autograd(submission.source("torch_basics"), "gradient_of_expression",
                        what="gradient_of_expression")
    x = rng.normal(size=5)
    check_gradient_of_expression(student.gradient_of_expression(x), x, framework="torch",
                                 device="cpu")


def line_data(rng, n=60):
    x = rng.uniform(-1, 1, size=n)
    w, b = rng.uniform(-3, 3), rng.uniform(-2, 2)
    return x, w * x + b + rng.normal(0, 0.1, size=n)


def check_pair(got, what):
    if type(got) is not tuple or len(got) != 2:
        raise CheckFailed(_("{what}: expected a tuple (w, b) of two floats, got {got}").format(
            what=what, got=type(got).__name__))
    return (check_python_float(got[0], what=f"{what}: w"),
            check_python_float(got[1], what=f"{what}: b"))


@pytest.mark.points(2)
def test_fit_line_finds_the_least_squares_line(student, rng):
    """fit_line with its defaults reaches the least-squares line"""
    for _case in range(2):
        x, y = line_data(rng)
        w, b = check_pair(student.fit_line(x, y), "fit_line(x, y)")
        w_ls, b_ls = np.polyfit(x, y, 1)
        # 200 steps of lr 0.1 on x in [-1, 1] get within about 1e-5 of the optimum
        if not close([w, b], [w_ls, b_ls], atol=2e-3):
            err = max(abs(w - w_ls), abs(b - b_ls))
            raise CheckFailed(_("{call} with 60 points x in [-1, 1] and y = w x + b + noise: "
                                "(w, b) is {err} away from the least-squares line").format(
                call="fit_line(x, y)", err=num(err, ".3g")))


@pytest.mark.points(2)
def test_fit_line_takes_the_gradient_steps(student, reference, rng):
    """fit_line takes `epochs` plain gradient-descent steps of size lr from w = b = 0"""
    for epochs, lr in ((1, 0.1), (5, 0.05), (20, 0.3)):
        x, y = line_data(rng, n=30)
        what = f"fit_line(x, y, epochs={epochs}, lr={lr})"
        got = check_pair(student.fit_line(x, y, epochs=epochs, lr=lr), what)
        want = reference.fit_line(x, y, epochs=epochs, lr=lr)
        if not close(got, want, rtol=1e-4, atol=1e-5):
            raise CheckFailed(_("{what} with 30 points x in [-1, 1]: (w, b) differs from the "
                                "result of {epochs} gradient-descent steps on the mean squared "
                                "error starting at w = b = 0 (zero the gradients after each "
                                "step)").format(what=what, epochs=epochs))
