"""Hidden tests of assignment 03, part 2: activation layers, forward and backward.

Backward: central finite differences of the reference's forward at the same point, once the
student's forward gave the reference's values there (grader.checks.gradient); ReLU and
LeakyReLU inputs stay at least 0.1 away from the kink at 0.
"""
import numpy as np
import pytest

from grader.checks import check_array
from grader.checks.gradient import LayerProbe, away_from_zero
from grader.i18n import _, num

SHAPES = [(4, 5), (1, 3), (6, 2)]
TOL = dict(rtol=1e-7, atol=1e-10)
LAYERS = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax"]
# LeakyReLU is built with a slope other than the default, so that the slope is really used
ARGS = {"LeakyReLU": (0.2,)}


def layer_input(rng, name, shape, scale=3.0):
    if name in ("ReLU", "LeakyReLU"):
        return away_from_zero(rng, shape, 0.1, scale)
    return rng.normal(0, scale, size=shape)


def describe(name, x):
    lo, hi = float(x.min()), float(x.max())
    return _("{name}: {shape} {dtype} in [{low}, {high}]").format(
        name="x", shape=x.shape, dtype="float64", low=num(lo, ".3g"), high=num(hi, ".3g"))


def constructed(name):
    args = ARGS.get(name, ())
    return f"{name}({', '.join(map(repr, args))})"


def mistakes(name, x, y, G):
    """The gradients well-known mistakes would give (computed here from the parent's x,
    the student's own output y and the parent's G), with what each one means."""
    common = [(G, _("dy returned unchanged: the layer's own derivative is missing"))]
    return common + _mistakes(name, x, y, G)


def _mistakes(name, x, y, G):
    if name == "Sigmoid":
        return [(x * (1 - x) * G, _("x * (1 - x) * dy computed from the input x; the "
                                    "derivative of the sigmoid is y * (1 - y) with y the "
                                    "forward's output")),
                (y * (1 - y), _("{term} without multiplying by dy (the chain rule)").format(
                    term="y * (1 - y)"))]
    if name == "Tanh":
        return [((1 - x ** 2) * G, _("(1 - x**2) * dy computed from the input x; the "
                                     "derivative of tanh is 1 - y**2 with y = tanh(x), the "
                                     "forward's output")),
                (1 - y ** 2, _("{term} without multiplying by dy (the chain rule)").format(
                    term="1 - y**2"))]
    if name == "ReLU":
        return [((x > 0) * 1.0, _("{term} without multiplying by dy (the chain rule)").format(
                    term=_("the mask (x > 0)"))),
                (G * (G > 0), _("a mask taken from dy instead of from the forward's input x"))]
    if name == "LeakyReLU":
        return [(G * (x > 0), _("the slope alpha for x <= 0 is missing (that is ReLU's "
                                "gradient)")),
                (G * np.where(x > 0, 1.0, 0.01), _("the slope 0.01 is hard-coded instead of the "
                                                   "layer's alpha"))]
    if name == "Softmax":
        return [(y * (1 - y) * G, _("the elementwise p * (1 - p) * dp: each p_j depends on "
                                    "every z_k of its row, so dz = p * (dp - sum(p * dp, axis=1, "
                                    "keepdims=True))"))]
    return []


@pytest.mark.points(1)
@pytest.mark.parametrize("name", LAYERS)
def test_forward(student, reference, rng, name):
    """activation forward against the reference"""
    args = ARGS.get(name, ())
    for shape in SHAPES:
        x = layer_input(rng, name, shape)
        check_array(getattr(student, name)(*args).forward(x),
                    getattr(reference, name)(*args).forward(x),
                    what=f"{constructed(name)}.forward(x)", inputs=describe(name, x), **TOL)
    # large inputs: a stable implementation stays finite (no exp overflow)
    x = layer_input(rng, name, (3, 4), scale=1000.0)
    check_array(getattr(student, name)(*args).forward(x), getattr(reference, name)(*args).forward(x),
                what=f"{constructed(name)}.forward(x)", inputs=describe(name, x), **TOL)
    # rows at very different levels: stable along each row, not only for the whole batch
    x = layer_input(rng, name, (3, 4)) + np.array([[1000.0], [0.0], [-1000.0]])
    check_array(getattr(student, name)(*args).forward(x), getattr(reference, name)(*args).forward(x),
                what=f"{constructed(name)}.forward(x)",
                inputs=describe(name, x) + ", rows near +1000, 0 and -1000", **TOL)


@pytest.mark.points(1)
def test_leaky_relu_default_alpha(student, reference, rng):
    """LeakyReLU() has the default slope alpha = 0.01"""
    x = away_from_zero(rng, (4, 5))
    check_array(student.LeakyReLU().forward(x), reference.LeakyReLU().forward(x),
                what="LeakyReLU().forward(x)", inputs=describe("LeakyReLU", x), **TOL)


@pytest.mark.points(2)
@pytest.mark.parametrize("name", LAYERS)
def test_backward(student, reference, rng, name):
    """activation backward against finite differences of the forward"""
    args = ARGS.get(name, ())
    for shape in SHAPES:
        x = layer_input(rng, name, shape)
        p = LayerProbe(getattr(student, name)(*args), getattr(reference, name)(*args), x,
                       rng=rng, name=constructed(name), out_shape=x.shape)
        p.check_dx(inputs=describe(name, x), patterns=mistakes(name, x, p.out, p.G))
