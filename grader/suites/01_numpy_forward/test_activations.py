"""Hidden tests of assignment 01, part 1: activation functions and softmax."""
import numpy as np
import pytest

from grader.checks import check_array, check_no_warnings, check_not_mutated
from grader.i18n import _

SHAPES = [(7,), (4, 5), (2, 3, 4)]
TOL = {np.float64: dict(rtol=1e-7, atol=1e-10), np.float32: dict(rtol=1e-5, atol=1e-6)}


def describe(name, z, low, high):
    return _("{name}: {shape} {dtype}, uniform in [{low}, {high}]").format(
        name=name, shape=z.shape, dtype=z.dtype, low=f"{low:g}", high=f"{high:g}")


def uniform(rng, shape, low=-6.0, high=6.0, dtype=np.float64):
    return rng.uniform(low, high, size=shape).astype(dtype)



def elementwise_values(student, reference, rng, name, dtype, **kwargs):
    for shape in SHAPES:
        z = uniform(rng, shape, dtype=dtype)
        got = getattr(student, name)(z, **kwargs)
        args = "".join(f", {k}={v!r}" for k, v in kwargs.items())
        check_array(got, getattr(reference, name)(z, **kwargs), what=f"{name}(z{args})",
                    inputs=describe("z", z, -6, 6), **TOL[dtype])


# ----- values, float64 ----------------------------------------------------------------

@pytest.mark.points(2)
def test_sigmoid_values(student, reference, rng):
    elementwise_values(student, reference, rng, "sigmoid", np.float64)


@pytest.mark.points(1)
def test_relu_values(student, reference, rng):
    elementwise_values(student, reference, rng, "relu", np.float64)


@pytest.mark.points(1)
def test_leaky_relu_default_alpha(student, reference, rng):
    elementwise_values(student, reference, rng, "leaky_relu", np.float64)


@pytest.mark.points(1)
def test_leaky_relu_given_alpha(student, reference, rng):
    elementwise_values(student, reference, rng, "leaky_relu", np.float64, alpha=0.2)
    elementwise_values(student, reference, rng, "leaky_relu", np.float64, alpha=0.05)


@pytest.mark.points(1)
def test_tanh_values(student, reference, rng):
    elementwise_values(student, reference, rng, "tanh", np.float64)


# ----- float32 in, float32 out ----------------------------------------------------------

@pytest.mark.points(1)
@pytest.mark.parametrize("name", ["sigmoid", "relu", "leaky_relu", "tanh"])
def test_activation_keeps_float32(student, reference, rng, name):
    elementwise_values(student, reference, rng, name, np.float32)


# ----- extreme inputs -------------------------------------------------------------------

def extreme_inputs(rng, dtype):
    z = rng.uniform(-1e4, 1e4, size=(6, 5)).astype(dtype)
    z[0, :] = [-1e4, -1000.0, 0.0, 1000.0, 1e4]
    return z


@pytest.mark.points(2)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_sigmoid_extreme_inputs(student, reference, rng, dtype):
    z = extreme_inputs(rng, dtype)
    got = student.sigmoid(z)
    check_no_warnings(student, what=_("{call} with |z| up to 1e4").format(call="sigmoid(z)"))
    check_array(got, reference.sigmoid(z), what="sigmoid(z)",
                inputs=describe("z", z, -1e4, 1e4), **TOL[dtype])


@pytest.mark.points(1)
def test_tanh_extreme_inputs(student, reference, rng):
    z = extreme_inputs(rng, np.float64)
    got = student.tanh(z)
    check_no_warnings(student, what=_("{call} with |z| up to 1e4").format(call="tanh(z)"))
    check_array(got, reference.tanh(z), what="tanh(z)", inputs=describe("z", z, -1e4, 1e4))


# ----- inputs are left unchanged --------------------------------------------------------

@pytest.mark.points(1)
@pytest.mark.parametrize("name", ["sigmoid", "relu", "leaky_relu", "tanh", "softmax"])
def test_activation_does_not_modify_input(student, reference, rng, name):
    """activation leaves its input unchanged (and computes the right values)"""
    z = uniform(rng, (5, 4))
    got, after = student.call_returning_args(name, z)
    # a property of the right value only: an activation that returns garbage earns nothing
    check_array(got, getattr(reference, name)(z), what=f"{name}(z)",
                inputs=describe("z", z, -6, 6), **TOL[np.float64])
    check_not_mutated(z, after[0], what=f"{name}(z)", argname="z")


# ----- softmax --------------------------------------------------------------------------

@pytest.mark.points(2)
def test_softmax_last_axis(student, reference, rng):
    for shape in SHAPES:
        z = uniform(rng, shape, -5, 5)
        check_array(student.softmax(z), reference.softmax(z), what="softmax(z)",
                    inputs=describe("z", z, -5, 5), sums_to_one_axis=-1)


@pytest.mark.points(2)
@pytest.mark.parametrize("shape, axis", [((4, 5), 0), ((2, 3, 4), 0), ((2, 3, 4), 1),
                                         ((3, 4), 1)],
                         ids=["2d-axis0", "3d-axis0", "3d-axis1", "2d-axis1"])
def test_softmax_given_axis(student, reference, rng, shape, axis):
    z = uniform(rng, shape, -5, 5)
    check_array(student.softmax(z, axis), reference.softmax(z, axis),
                what=f"softmax(z, axis={axis})", inputs=describe("z", z, -5, 5),
                sums_to_one_axis=axis)


@pytest.mark.points(1)
def test_softmax_keeps_float32(student, reference, rng):
    for shape in SHAPES:
        z = uniform(rng, shape, -5, 5, dtype=np.float32)
        check_array(student.softmax(z), reference.softmax(z), what="softmax(z)",
                    inputs=describe("z", z, -5, 5), sums_to_one_axis=-1, **TOL[np.float32])


@pytest.mark.points(2)
@pytest.mark.parametrize("axis", [-1, 0], ids=["axis-1", "axis0"])
def test_softmax_extreme_inputs(student, reference, rng, axis):
    z = extreme_inputs(rng, np.float64)
    got = student.softmax(z, axis)
    check_no_warnings(student, what=_("{call} with entries up to 1e4").format(
        call=f"softmax(z, axis={axis})"))
    check_array(got, reference.softmax(z, axis), what=f"softmax(z, axis={axis})",
                inputs=describe("z", z, -1e4, 1e4), sums_to_one_axis=axis)
