"""Public tests for assignment 05 (PyTorch basics).

Run them next to your torch_basics.py:   pytest test_public.py
or with the grader:                       grader check 05_pytorch_basics .

Small fixed cases. The hidden tests also check the gradient on random inputs, that autograd
computed it, the MLP's logits against its own weights, that training runs in training mode
and evaluation in eval mode under no_grad, that `device` is honoured, and the accuracy of
a trained MLP on hidden MNIST digits.
"""
import numpy as np
import pytest
import torch

from torch_basics import (MLP, evaluate, fit_line, get_device, gradient_of_expression, predict,
                          to_tensor, train)


def blobs(n=200, seed=0):
    """Three well separated 2-D clusters, labels 0..2."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    y = rng.integers(0, 3, size=n)
    X = (centers[y] + rng.normal(0, 0.5, size=(n, 2))).astype(np.float32)
    return X, y.astype(np.int64)


def test_to_tensor_makes_float32():
    t = to_tensor(np.array([[1, 2], [3, 4]]))
    assert isinstance(t, torch.Tensor)
    assert t.dtype == torch.float32 and t.shape == (2, 2) and t.device.type == "cpu"
    assert torch.equal(t, torch.tensor([[1.0, 2.0], [3.0, 4.0]]))


def test_get_device_returns_a_torch_device():
    device = get_device()
    assert isinstance(device, torch.device)
    assert device.type in ("cpu", "cuda", "mps")
    if torch.cuda.is_available():
        assert device.type == "cuda"


def test_gradient_of_expression_small_case():
    g = gradient_of_expression(torch.tensor([0.0, 1.0], dtype=torch.float64))
    assert isinstance(g, torch.Tensor) and g.dtype == torch.float64 and g.shape == (2,)
    # d/dx mean(sqrt(x^2 + 1)) = x / (N sqrt(x^2 + 1))
    np.testing.assert_allclose(g.numpy(), [0.0, 1 / (2 * np.sqrt(2))], rtol=1e-12)


def test_fit_line_recovers_a_line():
    x = np.linspace(-1, 1, 50)
    w, b = fit_line(x, 3 * x - 2)
    assert type(w) is float and type(b) is float
    assert w == pytest.approx(3.0, abs=1e-3) and b == pytest.approx(-2.0, abs=1e-3)


def test_fit_line_one_step_from_zero():
    # from w = b = 0 one step of lr 0.5 on y = 2: dL/db = -4, dL/dw = -2 * mean(2x) = 0
    w, b = fit_line(np.array([-1.0, 1.0]), np.array([2.0, 2.0]), epochs=1, lr=0.5)
    assert w == pytest.approx(0.0, abs=1e-7) and b == pytest.approx(2.0, rel=1e-6)


def test_mlp_shapes_and_parameters():
    model = MLP(4, [8, 8], 3)
    assert isinstance(model, torch.nn.Module)
    assert model(torch.zeros(5, 4)).shape == (5, 3)
    shapes = [tuple(p.shape) for p in model.parameters()]
    assert shapes == [(8, 4), (8,), (8, 8), (8,), (3, 8), (3,)]
    with pytest.raises(ValueError):
        MLP(4, [8], 3, activation="swish")


def test_mlp_dropout_is_off_in_eval_mode():
    model = MLP(10, [32], 2, dropout=0.5)
    x = torch.randn(4, 10)
    model.eval()
    assert torch.equal(model(x), model(x))


def test_train_evaluate_predict_on_three_blobs():
    X, y = blobs()
    torch.manual_seed(0)
    model = MLP(2, [16], 3, dropout=0.1)
    losses = train(model, X, y, epochs=20, lr=0.01, batch_size=16, device="cpu")
    assert isinstance(losses, list) and len(losses) == 20
    assert all(type(v) is float for v in losses)
    assert losses[-1] < losses[0]
    acc = evaluate(model, X, y, device="cpu")
    assert type(acc) is float and acc >= 0.95
    assert evaluate(model, X, y, device="cpu") == acc      # eval mode: no dropout noise
    labels = predict(model, X[:10], device="cpu")
    assert isinstance(labels, np.ndarray) and labels.dtype == np.int64 and labels.shape == (10,)
