"""Hidden tests of assignment 05 on the TensorFlow track, part 1: to_tensor, get_device
(with TensorFlow's device list faked in the student's process, so both cases are checked on
any machine), gradient_of_expression against the analytic gradient computed here and taken
from a GradientTape (read from the syntax tree), fit_line against plain gradient descent
computed here in numpy (the grading process never imports TensorFlow)."""
import numpy as np
import pytest

from grader.checks import describe_input
from grader.checks.autograd import check_gradient_of_expression, check_tensor


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


@pytest.mark.points(2)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_gradient_of_expression_matches_the_analytic_gradient(student, rng, dtype):
    """gradient_of_expression equals the analytic gradient"""
    for shape in ((6,), (3, 4), (2, 3, 2)):
        x = (rng.normal(size=shape) * 3).astype(dtype)
        check_gradient_of_expression(student.gradient_of_expression(x), x, framework="tf",
                                     device=None)


@pytest.mark.points(2)
def test_gradient_of_expression_uses_a_gradient_tape(student, submission, rng):
    """gradient_of_expression lets tf.GradientTape compute the gradient"""
    from grader.checks.autograd import check_uses_gradient_tape

    check_uses_gradient_tape(submission.source("tf_basics"), "gradient_of_expression",
                             what="gradient_of_expression")
    x = rng.normal(size=5)
    check_gradient_of_expression(student.gradient_of_expression(x), x, framework="tf",
                                 device=None)


def descent(x, y, epochs, lr):
    """`epochs` plain gradient-descent steps on the mean squared error of w * x + b, from
    w = b = 0, in float64 (the student's float32 steps agree to about 1e-6)."""
    w = b = 0.0
    for _step in range(epochs):
        r = w * x + b - y
        w, b = w - lr * np.mean(2 * r * x), b - lr * np.mean(2 * r)
    return w, b


@pytest.mark.points(2)
def test_fit_line_takes_the_gradient_steps(student, rng):
    """fit_line takes `epochs` plain gradient-descent steps of size lr from w = b = 0"""
    from grader.checks import CheckFailed, close
    from grader.checks.autograd import check_python_float
    from grader.i18n import _

    for epochs, lr in ((1, 0.1), (5, 0.05), (20, 0.3), (200, 0.1)):
        x = rng.uniform(-1, 1, size=30)
        y = rng.uniform(-3, 3) * x + rng.uniform(-2, 2) + rng.normal(0, 0.1, size=30)
        what = f"fit_line(x, y, epochs={epochs}, lr={lr})"
        got = student.fit_line(x, y, epochs=epochs, lr=lr)
        if type(got) is not tuple or len(got) != 2:
            raise CheckFailed(_("{what}: expected a tuple (w, b) of two floats, got {got}")
                              .format(what=what, got=type(got).__name__))
        pair = [check_python_float(v, what=what) for v in got]
        if not close(pair, descent(x, y, epochs, lr), rtol=1e-4, atol=1e-5):
            raise CheckFailed(_("{what} with 30 points x in [-1, 1]: (w, b) differs from the "
                                "result of {epochs} gradient-descent steps on the mean squared "
                                "error starting at w = b = 0").format(what=what, epochs=epochs))


@pytest.mark.points(2)
@pytest.mark.parametrize("gpu, expected", [(True, "/GPU:0"), (False, "/CPU:0")], ids=["gpu", "none"])
def test_get_device_prefers_the_gpu(student, gpu, expected):
    """get_device names the GPU where TensorFlow lists one, else the CPU"""
    from grader.checks import CheckFailed, InvalidOutput
    from grader.i18n import _

    what = _("{call} where {check} lists {devices}").format(
        call="get_device()", check='tf.config.list_physical_devices("GPU")',
        devices="[GPU:0]" if gpu else "[]")
    got = student.call_with_fake_devices("get_device", cuda=gpu)
    if type(got) is not str:
        raise InvalidOutput(_("{what}: expected a device name such as {name}, got {got}").format(
            what=what, name=repr(expected), got=type(got).__name__))
    if got.upper().replace("/DEVICE:", "/") != expected:
        raise CheckFailed(_("{what}: got {got}, expected {expected}").format(
            what=what, got=repr(got), expected=repr(expected)))
