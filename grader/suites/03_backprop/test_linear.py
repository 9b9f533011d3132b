"""Hidden tests of assignment 03, part 1: the Linear layer (init, forward, backward, update).

Every backward is checked against central finite differences of the reference's forward at
the same point (grader.checks.gradient), after the student's forward on the same batch has
given the reference's values there.
"""
import numpy as np
import pytest

from grader.checks import CheckFailed, check_array, close
from grader.checks.gradient import LayerProbe, as_float_array
from grader.i18n import _, num

# (N, nin, nout): nin != nout so a transposed W or dW cannot pass by luck, and one square
# layer where a transposed dW keeps its shape
SHAPES = [(5, 4, 3), (2, 3, 6), (4, 3, 3)]
TOL = dict(rtol=1e-7, atol=1e-10)


def linear_params(rng, nin, nout):
    return rng.normal(0, 1, size=(nout, nin)), rng.normal(0, 1, size=(1, nout))


def describe(N, nin, nout):
    return f"x: ({N}, {nin}) float64, W: ({nout}, {nin}), b: (1, {nout})"


def raise_check(message):
    raise CheckFailed(message)


def probe(student, reference, rng, N, nin, nout):
    W, b = linear_params(rng, nin, nout)
    return LayerProbe(student.Linear(nin, nout), reference.Linear(nin, nout),
                      rng.normal(size=(N, nin)), rng=rng, params={"W": W, "b": b},
                      name="Linear", out_shape=(N, nout))


@pytest.mark.points(1)
def test_linear_init(student):
    """Linear(nin, nout) initialises W (nout, nin) from N(0, 1/sqrt(nin)) and b (1, nout) zeros"""
    nin, nout = 400, 300
    lin = student.Linear(nin, nout)
    W = as_float_array(lin.W, what=f"Linear({nin}, {nout}).W", shape=(nout, nin))
    b = as_float_array(lin.b, what=f"Linear({nin}, {nout}).b", shape=(1, nout))
    if np.any(b != 0):
        raise_check(_("{what}: the biases must start at zero").format(
            what=f"Linear({nin}, {nout}).b"))
    std, want = float(W.std()), 1 / np.sqrt(nin)
    if not close(std, want, rtol=0.1) or not close(float(W.mean()), 0.0, atol=0.1 * want):
        raise_check(_("{what}: entries have mean {mean} and standard deviation {std}; expected "
                      "mean 0 and standard deviation 1/sqrt(nin) = {want} "
                      "(np.random.normal(0, 1/np.sqrt(nin), (nout, nin)))").format(
            what=f"Linear({nin}, {nout}).W", mean=num(float(W.mean()), ".3g"),
            std=num(std, ".3g"), want=num(want, ".3g")))
    other = as_float_array(student.Linear(nin, nout).W, what=f"Linear({nin}, {nout}).W",
                           shape=(nout, nin))
    if np.array_equal(W, other):
        raise_check(_("{what}: two new layers got the same weights; draw them at random in "
                      "__init__").format(what=f"Linear({nin}, {nout}).W"))


@pytest.mark.points(2)
def test_linear_forward(student, reference, rng):
    for N, nin, nout in SHAPES:
        x = rng.normal(size=(N, nin))
        W, b = linear_params(rng, nin, nout)
        lin = student.Linear(nin, nout)
        lin.W, lin.b = W, b
        ref = reference.Linear(nin, nout)
        ref.W, ref.b = W, b
        check_array(lin.forward(x), ref.forward(x), what="Linear.forward(x)",
                    inputs=describe(N, nin, nout), **TOL)


@pytest.mark.points(2)
def test_linear_backward_dx(student, reference, rng):
    for shape in SHAPES:
        probe(student, reference, rng, *shape).check_dx(inputs=describe(*shape))


@pytest.mark.points(2)
def test_linear_backward_dW(student, reference, rng):
    for shape in SHAPES:
        probe(student, reference, rng, *shape).check_param("W", inputs=describe(*shape))


@pytest.mark.points(2)
def test_linear_backward_db(student, reference, rng):
    """Linear.backward stores db, the sum of dz over the batch: (1, nout) or (nout,)"""
    for shape in SHAPES:
        probe(student, reference, rng, *shape).check_param("b", inputs=describe(*shape), allow_squeeze=True)


@pytest.mark.points(1)
def test_linear_update(student, rng):
    """Linear.update(lr) takes one step W -= lr * dW, b -= lr * db"""
    N, nin, nout = 5, 4, 3
    for lr in (0.1, 0.03):
        W, b = linear_params(rng, nin, nout)
        lin = student.Linear(nin, nout)
        lin.W, lin.b = W, b
        lin.forward(rng.normal(size=(N, nin)))
        lin.backward(rng.normal(size=(N, nout)))
        # the step is checked with the student's own stored gradients: update alone is tested
        after = _("{name} after backward")
        dW = as_float_array(lin.dW, what=after.format(name="Linear.dW"), shape=(nout, nin))
        db = as_float_array(lin.db, what=after.format(name="Linear.db"))
        if db.size != nout:
            raise_check(_("{what}: expected shape (1, {n}) or ({n},), got {got}").format(
                what=after.format(name="Linear.db"), n=nout, got=db.shape))
        lin.update(lr)
        what = f"Linear.update(lr={lr})"
        check_array(lin.W, W - lr * dW, what=_("{what}: {name} afterwards").format(what=what, name="W"),
                    inputs=describe(N, nin, nout), **TOL)
        check_array(lin.b, b - lr * db.reshape(1, nout),
                    what=_("{what}: {name} afterwards").format(what=what, name="b"),
                    inputs=describe(N, nin, nout), **TOL)
