"""Hidden tests of assignment 08, part 3: inverted dropout for the own framework.

Dropout is random, so its forward pass is tested by statistics of a large sample (the
worker's numpy generator is seeded first, so a re-grade sees the same masks) against stated
tolerances, and its backward pass against the mask its own forward pass used, read from
that forward's output.
"""
import numpy as np
import pytest

from grader.checks import CheckFailed, check_array, check_not_mutated, close
from grader.checks.properties import check_close_to, check_output
from grader.i18n import _, num

N_ELEMENTS = 400 * 250
# Standard errors for 100 000 entries: the dropped fraction sqrt(p(1-p)/n) <= 0.0016, the
# mean of x * mask / (1-p) for x = 1: sqrt(p/(1-p)/n) <= 0.0064 (p = 0.8). The tolerances
# are more than 4.5 of those: a correct layer passes for any seed, while a forgotten
# 1/(1-p) moves the mean by p and a swapped keep/drop probability moves the fraction by 1-2p.
FRACTION_TOL = 0.01
MEAN_TOL = 0.03


def check_drops(y, x, p, what, inputs, tolerance=FRACTION_TOL):
    """y = forward(x) in training mode is a dropout of x: about a fraction p of the entries
    0, and every other one x / (1 - p) (a property of the right value, so that garbage such
    as zeros or the input unchanged fails it)."""
    kept = y != 0
    check_close_to(float(np.mean(~kept)), p, tolerance,
                   what=_("{what}: the fraction of zeroed entries").format(what=what),
                   why=_("dropping each entry with probability p={p}").format(p=p))
    if kept.any() and not close(y[kept], (x / (1.0 - p))[kept], rtol=1e-6):
        raise CheckFailed(_("{what} for {inputs}: the kept entries must be x / (1 - p), {factor} "
                            "times the input; scale what you keep (inverted dropout)").format(
            what=what, inputs=inputs, factor=num(1 / (1 - p), ".4g")))


@pytest.mark.points(2)
@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_keeps_the_expected_value(student, rng, p):
    """Inverted dropout: drops a fraction p, keeps the expected value"""
    student.reseed(int(rng.integers(2**31)))
    layer = student.Dropout(p)
    x = np.ones((400, 250))
    what = f"Dropout({p}).forward(x, training=True)"
    inputs = _("x: (400, 250) float64, all ones")
    y = check_output(layer.forward(x, training=True), x.shape, what=what, inputs=inputs)
    check_drops(y, x, p, what, inputs)
    check_close_to(float(y.mean()), 1.0, MEAN_TOL,
                   what=_("{what}: the mean output for an input of ones").format(what=what),
                   why=_("keeping the expected value (inverted dropout)"))


@pytest.mark.points(2)
def test_dropout_draws_a_new_mask_each_forward(student, rng):
    student.reseed(int(rng.integers(2**31)))
    layer = student.Dropout(0.5)
    x = np.ones((20, 30))
    first = check_output(layer.forward(x), x.shape, what="Dropout(0.5).forward(x)")
    second = check_output(layer.forward(x), x.shape, what="Dropout(0.5).forward(x)")
    if np.array_equal(first == 0, second == 0):
        raise CheckFailed(_("{call} dropped the same entries in two calls: draw a new random "
                            "mask in every forward pass in training mode").format(
            call="Dropout(0.5).forward(x)"))


@pytest.mark.points(2)
@pytest.mark.parametrize("p", [0.3, 0.6])
def test_dropout_backward_uses_the_forward_mask(student, rng, p):
    """Dropout backward: the gradient through the forward pass's own mask"""
    # x has no zeros, so y / x is the mask times 1 / (1 - p) that forward applied: the
    # gradient of y with respect to x. The gradient check with the mask held fixed.
    student.reseed(int(rng.integers(2**31)))
    layer = student.Dropout(p)
    x = rng.uniform(0.5, 2.0, size=(30, 20)) * rng.choice([-1.0, 1.0], size=(30, 20))
    inputs = _("x: (30, 20) float64, no zeros")
    y = check_output(layer.forward(x, training=True), x.shape,
                     what=f"Dropout({p}).forward(x)", inputs=inputs)
    check_drops(y, x, p, f"Dropout({p}).forward(x)", inputs, tolerance=0.12)
    scale = y / x
    ones = np.ones_like(x)
    dx = layer.backward(ones)
    try:
        check_array(dx, scale, what=_("{call} after forward(x), dy all ones").format(
                        call=f"Dropout({p}).backward(dy)"),
                    inputs=inputs, rtol=1e-7, atol=1e-10)
    except CheckFailed as exc:
        if type(dx) is np.ndarray and dx.shape == x.shape and not np.array_equal(dx == 0, y == 0):
            raise CheckFailed(_("{call}: the entries it zeroes are not the ones the last "
                                "forward pass zeroed; keep the forward pass's mask and multiply "
                                "dy by it (and by 1 / (1 - p))").format(
                call=f"Dropout({p}).backward(dy)")) from None
        raise exc
    dy = rng.normal(size=x.shape)
    check_array(layer.backward(dy), dy * scale,
                what=_("{call} after forward(x)").format(call=f"Dropout({p}).backward(dy)"),
                inputs=inputs + ", dy: (30, 20) float64", rtol=1e-7, atol=1e-10)


@pytest.mark.points(2)
def test_dropout_is_the_identity_in_evaluation(student, rng):
    student.reseed(int(rng.integers(2**31)))
    layer = student.Dropout(0.5)
    x = rng.normal(size=(40, 25))
    got, after = layer.forward.call_returning_args(x, training=False)
    check_array(got, x, what="Dropout(0.5).forward(x, training=False)",
                inputs="x: (40, 25) float64", rtol=0, atol=0)
    check_not_mutated(x, after[0], what="Dropout(0.5).forward(x, training=False)", argname="x")
    dy = rng.normal(size=x.shape)
    check_array(layer.backward(dy), dy,
                what="Dropout(0.5).backward(dy) after forward(x, training=False)",
                inputs="dy: (40, 25) float64", rtol=0, atol=0)
    # the same layer is a dropout in training mode (else "identity" is all it does)
    y = check_output(layer.forward(x, training=True), x.shape,
                     what="Dropout(0.5).forward(x, training=True)")
    check_drops(y, x, 0.5, "Dropout(0.5).forward(x, training=True)", "x: (40, 25) float64",
                tolerance=0.1)


@pytest.mark.points(1)
def test_dropout_keeps_float32_and_the_input(student, rng):
    student.reseed(int(rng.integers(2**31)))
    layer = student.Dropout(0.25)
    x = rng.normal(size=(16, 8)).astype(np.float32)
    got, after = layer.forward.call_returning_args(x, training=True)
    if type(got) is np.ndarray and got.dtype != np.float32:
        raise CheckFailed(_("{call} for x float32 returned {dtype}: keep the input's "
                            "dtype").format(call="Dropout(0.25).forward(x)", dtype=got.dtype))
    got = check_output(got, x.shape, what="Dropout(0.25).forward(x)", inputs="x: (16, 8) float32")
    check_drops(got, x.astype(np.float64), 0.25, "Dropout(0.25).forward(x)",
                "x: (16, 8) float32", tolerance=0.2)
    check_not_mutated(x, after[0], what="Dropout(0.25).forward(x)", argname="x")
