"""Hidden tests of assignment 05, part 3: the MLP. Its parameters are read back from the
student's process (in registration order) and its logits recomputed here from them, so
the layer structure, the activation and "logits, no softmax" are all checked. The
parameters are what that process reports; they count only once the model's own outputs on
the grader's inputs are shown to be the ones they give."""
import numpy as np
import pytest

from grader.checks import CheckFailed, InvalidOutput, check_array, close, differ, expect_exception
from grader.sandbox.harness.wire import TensorData
from grader.i18n import _

ACTIVATIONS = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh,
               "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
               "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z)}


def expected_shapes(n_in, hidden, n_out):
    sizes = [n_in, *hidden, n_out]
    shapes = []
    for a, b in zip(sizes, sizes[1:]):
        shapes += [(b, a), (b,)]
    return shapes


def parameters(model, what):
    """The model's parameters as float64 arrays, in registration order."""
    state = model.model_state()
    out = []
    for name, p in state["parameters"]:
        if not isinstance(p, TensorData):
            raise InvalidOutput(_("{what}: parameter {name} is not a tensor").format(
                what=what, name=name))
        out.append(p.array.astype(np.float64))
    return out


def check_structure(model, n_in, hidden, n_out, what, rng, activation="relu"):
    """The model's parameter shapes, and its logits (eval mode) on random inputs recomputed
    here from those parameters: only then is the reported structure believed."""
    params = parameters(model, what)
    got = [tuple(p.shape) for p in params]
    want = expected_shapes(n_in, hidden, n_out)
    if got != want:
        raise CheckFailed(_("{what}: its parameters (in the order the layers were created) "
                            "have shapes {got}; expected {expected}: one nn.Linear per layer, "
                            "weight (out, in) then bias (out,)").format(what=what, got=got,
                                                                         expected=want))
    # a wide spread of inputs, so that every activation is driven into its non-linear part
    x = rng.normal(0, 3, size=(9, n_in)).astype(np.float32)
    check_array(model.model_outputs(x), forward(params, x, activation).astype(np.float32),
                what=_("the logits of {what} in eval mode").format(what=what),
                inputs=f"x: {x.shape} float32",
                rtol=1e-4, atol=1e-5)
    return params


def forward(params, x, activation):
    """The logits an MLP with these parameters should give, in eval mode."""
    h = np.asarray(x, dtype=np.float64)
    layers = list(zip(params[0::2], params[1::2]))
    for i, (W, b) in enumerate(layers):
        h = h @ W.T + b
        if i < len(layers) - 1:
            h = ACTIVATIONS[activation](h)
    return h


@pytest.mark.points(2)
def test_mlp_layers_and_parameter_count(student, rng):
    """MLP has one Linear layer per hidden size plus the output layer"""
    for n_in, hidden, n_out in ((784, [64], 10), (4, [8, 8], 3), (5, [], 2), (3, (16, 4, 7), 2)):
        what = f"MLP({n_in}, {list(hidden)}, {n_out})"
        check_structure(student.MLP(n_in, hidden, n_out), n_in, hidden, n_out, what, rng)


@pytest.mark.points(4)
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_mlp_forward_gives_the_logits(student, rng, activation):
    """MLP forward: Linear, activation, ..., Linear; logits without softmax"""
    for n_in, hidden, n_out in ((6, [5, 4], 3), (4, [10], 2)):
        what = f"MLP({n_in}, {hidden}, {n_out}, activation={activation!r})"
        model = student.MLP(n_in, hidden, n_out, activation=activation)
        check_structure(model, n_in, hidden, n_out, what, rng, activation)


@pytest.mark.points(1)
def test_mlp_refuses_an_unknown_activation(student):
    """MLP raises ValueError for an unknown activation"""
    expect_exception(lambda: student.MLP(3, [4], 2, activation="swish"), "ValueError",
                     what='MLP(3, [4], 2, activation="swish")')


@pytest.mark.points(2)
def test_mlp_dropout_only_in_training_mode(student, rng):
    """MLP(dropout=p) drops units in training mode only"""
    x = rng.normal(size=(16, 20)).astype(np.float32)
    what = "MLP(20, [64, 64], 5, dropout=0.5)"
    model = student.MLP(20, [64, 64], 5, dropout=0.5)
    params = check_structure(model, 20, [64, 64], 5, what, rng)
    first, second = model.model_outputs(x, training=True), model.model_outputs(x, training=True)
    if not differ(first, second, rtol=1e-6, atol=1e-7):
        raise CheckFailed(_("{what}: two forward passes in training mode gave the same "
                            "logits; dropout should drop a random half of the hidden units each "
                            "time").format(what=what))
    check_array(model.model_outputs(x), forward(params, x, "relu").astype(np.float32),
                what=_("the logits of {what} in eval mode (dropout off)").format(what=what),
                inputs=f"x: {x.shape} float32", rtol=1e-4, atol=1e-5)
    what = "MLP(20, [64, 64], 5) (dropout=0.0)"
    model = student.MLP(20, [64, 64], 5)
    first, second = model.model_outputs(x, training=True), model.model_outputs(x, training=True)
    if not close(first, second, rtol=1e-6, atol=1e-7):
        raise CheckFailed(_("{what}: two forward passes in training mode gave different "
                            "logits; with dropout=0.0 nothing may be dropped").format(what=what))
