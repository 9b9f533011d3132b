"""Hidden tests of assignment 06, part 1: the models build_model returns, for either track
(a torch.nn.Module or a Keras 3 model). Only outputs and sizes are used, so both pass the
same way. A model's layers are read as the weights its process reports; they are believed
only once the model's own outputs on the grader's inputs are the outputs of those weights."""
import numpy as np
import pytest

from grader.checks import CheckFailed, InvalidOutput, close, differ, expect_exception

CLASSES = {"iris": (4, 3), "mnist": (784, 10)}


def outputs(model, x, what):
    got = model.model_outputs(x)
    n_out = CLASSES["iris" if x.shape[1] == 4 else "mnist"][1]
    if not isinstance(got, np.ndarray) or got.shape != (len(x), n_out):
        raise InvalidOutput(f"{what}: for inputs of shape {x.shape} expected outputs of shape "
                            f"{(len(x), n_out)}, got "
                            f"{getattr(got, 'shape', type(got).__name__)}")
    if not np.isfinite(got).all():
        raise InvalidOutput(f"{what}: the outputs contain NaN or inf")
    return got.astype(np.float64)


ACTIVATIONS = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh,
               "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "elu": lambda z: np.where(z > 0, z, np.expm1(z)),
               "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z)}


def dense_layers(model, what) -> list[tuple[np.ndarray, np.ndarray]]:
    """The model's dense layers as (W (in, out), b) pairs, as its process reports them: a
    Keras model's get_weights(), else a torch module's parameters in registration order."""
    if model.has("get_weights"):
        arrays, orientation = model.get_weights(), "keras"
    else:
        arrays = [p.array for _, p in model.model_state()["parameters"]]
        orientation = "torch"
    if type(arrays) not in (list, tuple) or len(arrays) % 2 or not all(
            type(a) is np.ndarray and a.dtype.kind == "f" and np.isfinite(a).all() for a in arrays):
        raise InvalidOutput(f"{what}: its weights are not pairs of a weight matrix and a bias")
    layers = []
    for W, b in zip(arrays[0::2], arrays[1::2]):
        W = W.astype(np.float64)
        W = W.T if orientation == "torch" and W.ndim == 2 else W
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise CheckFailed(f"{what}: a layer has weights {W.shape} and bias {b.shape}; "
                              "expected dense layers with a bias each")
        layers.append((W, b.astype(np.float64)))
    return layers


def computes(layers, x, out) -> bool:
    """Whether outputs `out` for inputs `x` are the dense layers' (a hidden activation of
    ACTIVATIONS between them; logits, or their softmax as a Keras model may give)."""
    for act in ACTIVATIONS.values():
        h = x.astype(np.float64)
        try:
            for i, (W, b) in enumerate(layers):
                h = h @ W + b
                if i < len(layers) - 1:
                    h = act(h)
        except ValueError:
            return False
        z = h - h.max(axis=1, keepdims=True)
        soft = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        if close(out, h, rtol=1e-3, atol=1e-4) or close(out, soft, rtol=1e-3, atol=1e-5):
            return True
    return False


def parameter_count(model, problem, rng, what) -> int:
    """The number of trainable numbers of the model's dense layers, once its outputs on
    random inputs are shown to be what those layers compute."""
    layers = dense_layers(model, what)
    n_in = CLASSES[problem][0]
    x = rng.normal(0, 2, size=(16, n_in)).astype(np.float32)
    if not layers or not computes(layers, x, outputs(model, x, what)):
        raise CheckFailed(f"{what}: its outputs are not those of its dense layers' weights "
                          "(a dense layer with bias for each hidden size and the output "
                          "layer, an activation between them)")
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
            raise CheckFailed(f"{what}: {got} parameters, expected {want} (a dense layer with "
                              "bias for each hidden size, then the output layer)")


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
            raise CheckFailed(f"{what}: the model's outputs are an affine function of its "
                              "inputs; put an activation such as ReLU after each hidden layer")


@pytest.mark.points(1)
def test_build_model_refuses_an_unknown_problem(student):
    """build_model raises ValueError for an unknown problem"""
    expect_exception(lambda: student.build_model("cifar10"), "ValueError",
                     what='build_model("cifar10")')
