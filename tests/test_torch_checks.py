"""grader.checks.autograd: tensors from the wire, autograd read from the syntax tree, and the
forward log of a model (all in the trusted process; no worker needed)."""
import textwrap

import numpy as np
import pytest

from grader.checks import CheckFailed, InvalidOutput
from grader.checks.autograd import (check_forward_log, check_python_float, check_tensor,
                                    check_uses_autograd, check_uses_gradient_tape,
                                    uses_autograd, uses_gradient_tape)
from grader.sandbox.harness.wire import TensorData


def source(code):
    return textwrap.dedent(code)


@pytest.mark.parametrize("code", [
    """
    def gradient_of_expression(x):
        x = torch.as_tensor(x).requires_grad_()
        torch.sqrt(x ** 2 + 1).mean().backward()
        return x.grad
    """,
    """
    def gradient_of_expression(x):
        x = torch.as_tensor(x).requires_grad_()
        return torch.autograd.grad(torch.sqrt(x ** 2 + 1).mean(), x)[0]
    """,
    """
    from torch import autograd
    def gradient_of_expression(x):
        x = x.requires_grad_()
        return autograd.grad(f(x), x)[0]
    """,
    """
    from torch.autograd import grad as g
    def gradient_of_expression(x):
        return g(f(x), x)[0]
    """,
    """
    def _backprop(y):
        y.backward()
    def gradient_of_expression(x):
        x = x.requires_grad_()
        _backprop(f(x))
        return x.grad
    """,
], ids=["backward", "torch.autograd.grad", "autograd.grad", "grad alias", "helper"])
def test_autograd_use_is_found(code):
    assert uses_autograd(source(code), "gradient_of_expression") is True
    check_uses_autograd(source(code), "gradient_of_expression", what="g")


def test_a_derivative_by_hand_is_refused():
    code = source("""
        def backward_by_hand(x):
            return x
        def gradient_of_expression(x):
            x = torch.as_tensor(x)
            return x / (x.numel() * torch.sqrt(x ** 2 + 1))
        def elsewhere(loss):
            loss.backward()
    """)
    assert uses_autograd(code, "gradient_of_expression") is False
    with pytest.raises(CheckFailed, match="never calls .backward"):
        check_uses_autograd(code, "gradient_of_expression", what="g")


def test_a_missing_function_or_syntax_error():
    assert uses_autograd("def other(): pass", "gradient_of_expression") is None
    assert uses_autograd("def (:", "gradient_of_expression") is None
    with pytest.raises(CheckFailed, match="no function"):
        check_uses_autograd("x = 1", "gradient_of_expression", what="g")


def test_a_gradient_tape_is_found_through_helpers_and_a_hand_written_one_refused():
    taped = source("""
        def _grad(f, x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = f(x)
            return tape.gradient(y, x)
        def gradient_of_expression(x):
            return _grad(lambda v: tf.reduce_mean(tf.sqrt(v ** 2 + 1)), x)
    """)
    assert uses_gradient_tape(taped, "gradient_of_expression") is True
    check_uses_gradient_tape(taped, "gradient_of_expression", what="g")
    by_hand = source("""
        def gradient_of_expression(x):
            return x / (tf.size(x) * tf.sqrt(x ** 2 + 1))
        def elsewhere(tape, y, x):
            return tape.gradient(y, x)
    """)
    assert uses_gradient_tape(by_hand, "gradient_of_expression") is False
    with pytest.raises(CheckFailed, match="never calls tape.gradient"):
        check_uses_gradient_tape(by_hand, "gradient_of_expression", what="g")
    assert uses_gradient_tape("def (:", "gradient_of_expression") is None
    with pytest.raises(CheckFailed, match="no function"):
        check_uses_gradient_tape("x = 1", "gradient_of_expression", what="g")


def test_check_tensor_type_dtype_device_and_values():
    t = TensorData(np.array([1.0, 2.0], dtype=np.float32), "torch.float32", "cpu")
    got = check_tensor(t, [1.0, 2.0], what="f")
    assert type(got) is np.ndarray and got.dtype == np.float32 and got.tolist() == [1.0, 2.0]
    with pytest.raises(InvalidOutput, match="expected a torch tensor"):
        check_tensor(np.array([1.0, 2.0], dtype=np.float32), [1.0, 2.0], what="f")
    with pytest.raises(InvalidOutput, match="dtype torch.float32"):
        check_tensor(TensorData(np.array([1.0, 2.0]), "torch.float64", "cpu"), [1.0, 2.0],
                     what="f")
    with pytest.raises(CheckFailed, match="cuda device"):
        check_tensor(t, [1.0, 2.0], what="f", device="cuda")
    assert check_tensor(TensorData(t.array, "torch.float32", "cuda:0"), [1.0, 2.0], what="f",
                        device="cuda").tolist() == [1.0, 2.0]
    # the label is the student's process's word; the bytes are what arrived
    with pytest.raises(InvalidOutput, match="dtype torch.float32"):
        check_tensor(TensorData(np.array([1.0, 2.0]), "torch.float32", "cpu"), [1.0, 2.0],
                     what="f")
    with pytest.raises(CheckFailed, match="1 of 2 values are wrong"):
        check_tensor(t, [1.0, 3.0], what="f")


def test_check_python_float():
    assert check_python_float(0.5, what="acc") == 0.5
    for bad in (np.float64(0.5), np.array(0.5), 1, TensorData(np.array(0.5), "torch.float32", "cpu")):
        with pytest.raises(InvalidOutput):
            check_python_float(bad, what="acc")
    with pytest.raises(InvalidOutput, match="finite"):
        check_python_float(float("nan"), what="acc")


def log(**kw):
    base = {"calls": 4, "samples": 128, "max_batch": 32, "devices": ["cpu"], "training": 4,
            "eval": 0, "grad_enabled": 4, "grad_disabled": 0}
    return base | kw


def test_forward_log_checks():
    check_forward_log(log(), what="train", training=True, grad=True, device="cpu", samples=128,
                      max_batch=32)
    cases = [
        (None, {}, "never called"),
        (log(eval=1, training=3), dict(training=True), "evaluation mode"),
        (log(), dict(training=False), "training mode"),
        (log(grad_enabled=0, grad_disabled=4), dict(grad=True), "without gradients"),
        (log(), dict(grad=False), "no_grad"),
        (log(devices=["cuda:0"]), dict(device="cpu"), "device"),
        (log(samples=100), dict(samples=128), "100 rows"),
        (log(max_batch=64), dict(max_batch=32), "64 rows"),
    ]
    for recorded, kwargs, words in cases:
        with pytest.raises(CheckFailed, match=words):
            check_forward_log(recorded, what="f", **kwargs)


def test_adam_steps_find_a_layer_left_out_of_the_optimizer():
    """The optimizer over the output layer only: the right number of steps on that layer,
    none on the hidden one (a mutant of 06 on every track that only MNIST's accuracy
    caught before, by a margin)."""
    from grader.checks.models import check_adam_steps

    rng = np.random.default_rng(0)
    before = [(rng.normal(size=(4, 8)), np.zeros(8)), (rng.normal(size=(8, 3)), np.zeros(3))]
    lr, steps = 1e-4, 3
    moved = [(W + steps * lr, b + steps * lr) for W, b in before]
    check_adam_steps(before, moved, lr, 96, "fit")            # both layers trained: fine
    frozen = [before[0], moved[1]]
    with pytest.raises(CheckFailed, match="layer 1 did not change"):
        check_adam_steps(before, frozen, lr, 96, "fit")
