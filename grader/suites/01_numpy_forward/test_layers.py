"""Hidden tests of assignment 01, part 2: neuron, dense layer, MLP forward pass, one-hot."""
import numpy as np
import pytest

from grader.checks import check_array, check_not_mutated, check_scalar, expect_exception
from grader.i18n import _

TOL = {np.float64: dict(rtol=1e-7, atol=1e-10), np.float32: dict(rtol=1e-5, atol=1e-5)}


def shapes(**arrays):
    return ", ".join(f"{k}: {v.shape} {v.dtype}" for k, v in arrays.items())


def layer_params(rng, n_in, n_out, dtype=np.float64):
    W = rng.normal(0, 1, size=(n_out, n_in)).astype(dtype)
    b = rng.normal(0, 1, size=n_out).astype(dtype)
    return W, b


# ----- neuron -------------------------------------------------------------------------

@pytest.mark.points(1)
def test_neuron_single_sample(student, reference, rng):
    for n in (1, 3, 8):
        x, w, b = rng.normal(size=n), rng.normal(size=n), float(rng.normal())
        check_scalar(student.neuron(x, w, b), reference.neuron(x, w, b),
                     what="neuron(x, w, b)", inputs=shapes(x=x, w=w) + ", b: float",
                     rtol=1e-7, atol=1e-10)


@pytest.mark.points(2)
def test_neuron_batch(student, reference, rng):
    for N, n in ((5, 3), (1, 4), (12, 2)):
        x, w, b = rng.normal(size=(N, n)), rng.normal(size=n), float(rng.normal())
        check_array(student.neuron(x, w, b), reference.neuron(x, w, b),
                    what=_("{call} on a batch").format(call="neuron(x, w, b)"),
                    inputs=shapes(x=x, w=w) + ", b: float",
                    **TOL[np.float64])


@pytest.mark.points(1)
def test_neuron_keeps_float32(student, reference, rng):
    x = rng.normal(size=(6, 4)).astype(np.float32)
    w = rng.normal(size=4).astype(np.float32)
    b = float(rng.normal())
    check_array(student.neuron(x, w, b), reference.neuron(x, w, b),
                what=_("{call} on a batch").format(call="neuron(x, w, b)"),
                inputs=shapes(x=x, w=w) + ", b: float",
                **TOL[np.float32])


# ----- dense --------------------------------------------------------------------------

@pytest.mark.points(1)
@pytest.mark.parametrize("activation", [None, "linear", "sigmoid", "relu", "leaky_relu", "tanh",
                                        "softmax"])
def test_dense_activation(student, reference, rng, activation):
    # in != out, so W must really be used as (out, in); then a square W as well
    for N, n_in, n_out in ((6, 5, 3), (1, 2, 7), (4, 3, 3)):
        x = rng.normal(0, 2, size=(N, n_in))
        W, b = layer_params(rng, n_in, n_out)
        check_array(student.dense(x, W, b, activation), reference.dense(x, W, b, activation),
                    what=f"dense(x, W, b, activation={activation!r})",
                    inputs=shapes(x=x, W=W, b=b), **TOL[np.float64])


@pytest.mark.points(1)
def test_dense_default_activation_is_linear(student, reference, rng):
    x = rng.normal(size=(4, 3))
    W, b = layer_params(rng, 3, 2)
    check_array(student.dense(x, W, b), reference.dense(x, W, b), what="dense(x, W, b)",
                inputs=shapes(x=x, W=W, b=b), **TOL[np.float64])


@pytest.mark.points(1)
def test_dense_unknown_activation_raises(student, rng):
    x = rng.normal(size=(4, 3))
    W, b = layer_params(rng, 3, 2)
    for name in ("swish", "ReLu", "gelu"):
        expect_exception(lambda: student.dense(x, W, b, name), "ValueError",
                         what=f"dense(x, W, b, activation={name!r})")


@pytest.mark.points(1)
@pytest.mark.parametrize("activation", [None, "sigmoid", "softmax"])
def test_dense_keeps_float32(student, reference, rng, activation):
    x = rng.normal(size=(5, 4)).astype(np.float32)
    W, b = layer_params(rng, 4, 3, np.float32)
    check_array(student.dense(x, W, b, activation), reference.dense(x, W, b, activation),
                what=f"dense(x, W, b, activation={activation!r})",
                inputs=shapes(x=x, W=W, b=b), **TOL[np.float32])


@pytest.mark.points(1)
def test_dense_does_not_modify_inputs(student, reference, rng):
    x = rng.normal(size=(4, 3))
    W, b = layer_params(rng, 3, 5)
    got, after = student.call_returning_args("dense", x, W, b, "relu")
    # a property of the right value only
    check_array(got, reference.dense(x, W, b, "relu"), what="dense(x, W, b, 'relu')",
                inputs=shapes(x=x, W=W, b=b), **TOL[np.float64])
    for name, before, left in zip(("x", "W", "b"), (x, W, b), after):
        check_not_mutated(before, left, what="dense(x, W, b, 'relu')", argname=name)


# ----- mlp_forward --------------------------------------------------------------------

def make_layers(rng, sizes, activations, dtype=np.float64):
    return [(*layer_params(rng, n_in, n_out, dtype), act)
            for n_in, n_out, act in zip(sizes[:-1], sizes[1:], activations)]


def describe_layers(layers):
    return _("layers: {layers}").format(layers=", ".join(
        f"({W.shape[1]}->{W.shape[0]}, {act!r})" for W, _b, act in layers))


@pytest.mark.points(2)
def test_mlp_two_layers(student, reference, rng):
    for acts in (("relu", None), ("tanh", "softmax")):
        x = rng.normal(size=(6, 4))
        layers = make_layers(rng, (4, 8, 3), acts)
        check_array(student.mlp_forward(x, layers), reference.mlp_forward(x, layers),
                    what="mlp_forward(x, layers)",
                    inputs=f"x: {x.shape} float64, {describe_layers(layers)}", **TOL[np.float64])


@pytest.mark.points(2)
def test_mlp_three_layers(student, reference, rng):
    for acts in (("sigmoid", "leaky_relu", "sigmoid"), ("relu", "relu", "softmax")):
        x = rng.normal(size=(5, 3))
        layers = make_layers(rng, (3, 6, 4, 2), acts)
        check_array(student.mlp_forward(x, layers), reference.mlp_forward(x, layers),
                    what="mlp_forward(x, layers)",
                    inputs=f"x: {x.shape} float64, {describe_layers(layers)}", **TOL[np.float64])


@pytest.mark.points(1)
def test_mlp_keeps_float32(student, reference, rng):
    x = rng.normal(size=(5, 3)).astype(np.float32)
    layers = make_layers(rng, (3, 6, 2), ("relu", "softmax"), np.float32)
    check_array(student.mlp_forward(x, layers), reference.mlp_forward(x, layers),
                what="mlp_forward(x, layers)",
                inputs=f"x: {x.shape} float32, {describe_layers(layers)}", **TOL[np.float32])


# ----- one_hot ------------------------------------------------------------------------

@pytest.mark.points(2)
def test_one_hot(student, reference, rng):
    for N, C in ((10, 4), (1, 3), (25, 10)):
        labels = rng.integers(0, C, size=N)
        labels[0], labels[-1] = 0, C - 1          # the first and the last class occur
        check_array(student.one_hot(labels, C), reference.one_hot(labels, C),
                    what=f"one_hot(labels, num_classes={C})",
                    inputs=f"labels: ({N},) int64 in 0..{C - 1}", rtol=0, atol=0)
