"""Hidden tests of assignment 04, part 1: build_net's structure and predict.

The net is built in the student's process; its layers are inspected through handles, and
its output is compared with the output computed here from the student's own weights.
"""
import numpy as np
import pytest

from grader.checks import CheckFailed, InvalidOutput, check_array, expect_exception
from grader.checks.gradient import as_float_array
from grader.i18n import _

ACTIVATION_CLASS = {"tanh": "Tanh", "relu": "ReLU", "sigmoid": "Sigmoid"}
FUNCTIONS = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0),
             "sigmoid": lambda z: 1 / (1 + np.exp(-z))}


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def expected_layers(depth, hidden, activation):
    sizes = [784] + [hidden] * (depth - 1) + [10]
    names = []
    for i in range(depth):
        names.append(("Linear", sizes[i], sizes[i + 1]))
        if i < depth - 1:
            names.append((ACTIVATION_CLASS[activation],))
    return names + [("Softmax",)]


def describe(spec):
    return ", ".join(f"Linear({s[1]}, {s[2]})" if s[0] == "Linear" else f"{s[0]}()" for s in spec)


def inspect(net, what):
    """The layers of the student's net as (class name, handle)."""
    layers = net.layers
    if not isinstance(layers, list):
        raise InvalidOutput(_("{what}: net.layers should be the list of the net's layers")
                            .format(what=what))
    return [(getattr(layer, "type_name", type(layer).__name__), layer) for layer in layers]


def parameters(layer, nin, nout, what):
    W = as_float_array(layer.W, what=f"{what}: W")
    b = as_float_array(layer.b, what=f"{what}: b")
    if W.shape != (nout, nin):
        raise CheckFailed(_("{what}: {name} has shape {got}, expected {expected}").format(
            what=what, name="W", got=W.shape, expected=(nout, nin)))
    if b.size != nout:
        raise CheckFailed(_("{what}: {name} has shape {got}, expected {expected}").format(
            what=what, name="b", got=b.shape, expected=(1, nout)))
    return W, b.reshape(1, nout)


def check_structure(student, rng, depth, hidden, activation):
    call = f"build_net({depth}, hidden_size={hidden}, activation={activation!r})"
    spec = expected_layers(depth, hidden, activation)
    net = student.build_net(depth, hidden_size=hidden, activation=activation)
    layers = inspect(net, call)
    got = [name for name, _layer in layers]
    want = [s[0] for s in spec]
    if got != want:
        raise CheckFailed(_("{call}: the layers are {got}; expected {expected}").format(
            call=call, got=", ".join(got) or _("none"), expected=describe(spec)))
    x = rng.uniform(0, 1, size=(6, 784))
    h = x
    for s, (_name, layer) in zip(spec, layers):
        if s[0] == "Linear":
            W, b = parameters(layer, s[1], s[2], f"{call}: {describe([s])}")
            h = h @ W.T + b
        elif s[0] == "Softmax":
            h = softmax(h)
        else:
            h = FUNCTIONS[activation](h)
    check_array(net.forward(x), h, what=f"{call}: net.forward(x)",
                inputs=_("x: (6, 784) float64 in [0, 1] (compared with the layers' own weights)"),
                rtol=1e-7, atol=1e-10, sums_to_one_axis=1)


@pytest.mark.points(2)
@pytest.mark.parametrize("depth", [1, 2, 3])
def test_build_net(student, rng, depth):
    """build_net: Linear layers, activations and a final Softmax"""
    check_structure(student, rng, depth, 100, "tanh")


@pytest.mark.points(1)
@pytest.mark.parametrize("activation", ["relu", "sigmoid"])
def test_build_net_activation_and_size(student, rng, activation):
    """build_net with another activation and hidden size"""
    for depth in (2, 3):
        check_structure(student, rng, depth, 24, activation)


@pytest.mark.points(1)
def test_build_net_rejects_unknown_settings(student):
    expect_exception(lambda: student.build_net(2, activation="swish"), "ValueError",
                     what="build_net(2, activation='swish')")
    expect_exception(lambda: student.build_net(4), "ValueError", what="build_net(4)")


@pytest.mark.points(2)
def test_predict(student, rng):
    """predict(net, X) gives the most likely digit of each row"""
    net = student.build_net(2, hidden_size=16)
    layers = [layer for name, layer in inspect(net, "build_net(2, hidden_size=16)")
              if name == "Linear"]
    if len(layers) != 2:
        raise CheckFailed(_("{call} does not have two Linear layers").format(
            call="build_net(2, hidden_size=16)"))
    W1, b1 = rng.normal(0, 0.1, size=(16, 784)), rng.normal(0, 0.5, size=(1, 16))
    W2, b2 = rng.normal(0, 1.0, size=(10, 16)), rng.normal(0, 0.5, size=(1, 10))
    layers[0].W, layers[0].b, layers[1].W, layers[1].b = W1, b1, W2, b2
    X = rng.uniform(0, 1, size=(50, 784))
    want = np.argmax(np.tanh(X @ W1.T + b1) @ W2.T + b2, axis=1)
    got = student.predict(net, X)
    if type(got) is not np.ndarray or got.shape != (50,) or got.dtype.kind not in "iu":
        shape = getattr(got, "shape", None)
        raise InvalidOutput(_("{what}: expected an integer array of shape ({n},), got {got}")
                            .format(what="predict(net, X)", n=50,
                                    got=_("{kind} of shape {shape}").format(kind=got.dtype,
                                                                            shape=shape)
                                    if shape is not None else type(got).__name__))
    wrong = np.flatnonzero(got != want)
    if wrong.size:
        raise CheckFailed(_("{call} for X: (50, 784) float64, a 2-layer net with weights set "
                            "by the grader: {bad} of 50 labels are not the argmax of the net's "
                            "output (the first at row {row})").format(
            call="predict(net, X)", bad=wrong.size, row=int(wrong[0])))
