"""Hidden tests of assignment 06, part 1: the models build_model returns, for either track
(a torch.nn.Module or a Keras 3 model). Only outputs and sizes are used, so both pass the
same way. A model's layers are read as the weights its process reports; they are believed
only once the model's own outputs on the grader's inputs are the outputs of those weights."""
import numpy as np
import pytest

from grader.checks import CheckFailed, InvalidOutput, differ, expect_exception
from grader.checks.models import verified_layers
from grader.i18n import _

CLASSES = {"iris": (4, 3), "mnist": (784, 10)}


def outputs(model, x, what):
    got = model.model_outputs(x)
    n_out = CLASSES["iris" if x.shape[1] == 4 else "mnist"][1]
    if not isinstance(got, np.ndarray) or got.shape != (len(x), n_out):
        raise InvalidOutput(_("{what}: for inputs of shape {shape} expected outputs of shape "
                              "{expected}, got {got}").format(
            what=what, shape=x.shape, expected=(len(x), n_out),
            got=getattr(got, "shape", type(got).__name__)))
    if not np.isfinite(got).all():
        raise InvalidOutput(_("{what}: the outputs contain NaN or inf").format(what=what))
    return got.astype(np.float64)


def parameter_count(model, problem, rng, what) -> int:
    """The number of trainable numbers of the model's dense layers, once its outputs on
    random inputs are shown to be what those layers compute."""
    x = rng.normal(0, 2, size=(16, CLASSES[problem][0])).astype(np.float32)
    layers = verified_layers(model, x, outputs(model, x, what), what)
    return sum(W.size + b.size for W, b in layers)


def expected_count(problem, hidden):
    sizes = [CLASSES[problem][0], *hidden, CLASSES[problem][1]]
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


@pytest.mark.points(2)
def test_build_model_output_shapes(student, rng):
    """build_model gives (N, 3) outputs for iris and (N, 10) for mnist"""
    for problem, hidden in (("iris", ()), ("iris", (16,)), ("mnist", ()), ("mnist", (64, 32))):
        n_in = CLASSES[problem][0]
        x = rng.uniform(0, 1, size=(7, n_in)).astype(np.float32)
        outputs(student.build_model(problem, hidden), x, f"build_model({problem!r}, {hidden})")


@pytest.mark.points(2)
def test_build_model_has_the_layers_asked_for(student, rng):
    """build_model has one dense layer per hidden size, plus the output layer"""
    for problem, hidden in (("iris", ()), ("iris", (16,)), ("mnist", (64, 32)), ("iris", (8, 8, 8))):
        what = f"build_model({problem!r}, {hidden})"
        got = parameter_count(student.build_model(problem, hidden), problem, rng, what)
        want = expected_count(problem, hidden)
        if got != want:
            raise CheckFailed(_("{what}: {got} parameters, expected {expected} (a dense layer "
                                "with bias for each hidden size, then the output layer)").format(
                what=what, got=got, expected=want))


@pytest.mark.points(2)
def test_hidden_layers_are_not_linear(student, rng):
    """hidden layers have a non-linear activation (else the network is one linear map)"""
    for problem, hidden in (("iris", (16,)), ("mnist", (32,))):
        what = f"build_model({problem!r}, {hidden})"
        model = student.build_model(problem, hidden)
        n_in = CLASSES[problem][0]
        a = rng.normal(0, 3, size=(20, n_in)).astype(np.float32)
        b = rng.normal(0, 3, size=(20, n_in)).astype(np.float32)
        zero = np.zeros((20, n_in), dtype=np.float32)
        f = {k: outputs(model, v, what) for k, v in
             (("a", a), ("b", b), ("a+b", a + b), ("0", zero))}
        # an affine map f satisfies f(a) + f(b) = f(a + b) + f(0) exactly
        scale = max(np.abs(f["a+b"]).max(), np.abs(f["a"]).max(), 1e-6)
        if not differ(f["a"] + f["b"], f["a+b"] + f["0"], atol=1e-3 * scale):
            raise CheckFailed(_("{what}: the model's outputs are an affine function of its "
                                "inputs; put an activation such as ReLU after each hidden "
                                "layer").format(what=what))


@pytest.mark.points(1)
def test_build_model_refuses_an_unknown_problem(student):
    """build_model raises ValueError for an unknown problem"""
    expect_exception(lambda: student.build_model("cifar10"), "ValueError",
                     what='build_model("cifar10")')
