"""Public tests for assignment 05 on the TensorFlow track (TensorFlow basics).

Run them next to your tf_basics.py:   pytest test_public.py
or with the grader:                   grader check 05_tensorflow_basics .

Small fixed cases. The hidden tests also check the gradient on random inputs and that a
GradientTape computed it, fit_line's steps, build_mlp's layers against its own outputs,
the loss train reports, its steps and its shuffling by the seed, evaluate and predict, and
the accuracy of a trained MLP on hidden MNIST digits.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")   # as the grader runs Keras here

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow", reason="this assignment needs TensorFlow "
                         "(pip install tensorflow-cpu)")

from tf_basics import (build_mlp, evaluate, fit_line, get_device,  # noqa: E402
                       gradient_of_expression, predict, to_tensor, train)


def blobs(n=200, seed=0):
    """Three well separated 2-D clusters, labels 0..2."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    y = rng.integers(0, 3, size=n)
    X = (centers[y] + rng.normal(0, 0.5, size=(n, 2))).astype(np.float32)
    return X, y.astype(np.int64)


def test_to_tensor_makes_float32():
    t = to_tensor(np.array([[1, 2], [3, 4]]))
    assert isinstance(t, tf.Tensor) and t.dtype == tf.float32
    assert t.numpy().tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_get_device_names_a_device():
    device = get_device()
    assert device in ("/GPU:0", "/CPU:0")
    assert (device == "/GPU:0") == bool(tf.config.list_physical_devices("GPU"))


def test_gradient_of_expression_at_zero_and_one():
    g = gradient_of_expression(np.array([0.0, 1.0]))
    assert np.allclose(np.asarray(g), [0.0, 0.5 / np.sqrt(2)])


def test_fit_line_finds_a_noiseless_line():
    x = np.linspace(-1, 1, 50)
    w, b = fit_line(x, 3 * x - 2)
    assert type(w) is float and type(b) is float
    assert abs(w - 3) < 1e-2 and abs(b + 2) < 1e-2


def test_build_mlp_gives_logits_of_the_right_shape():
    model = build_mlp(2, [8], 3)
    assert tuple(model(np.zeros((5, 2), dtype="float32")).shape) == (5, 3)
    assert len(model.get_weights()) == 4          # two Dense layers, each W and b


def test_train_evaluate_predict_on_three_blobs():
    X, y = blobs()
    model = build_mlp(2, [16], 3)
    losses = train(model, X, y, epochs=5, lr=0.01, batch_size=32, seed=0)
    assert len(losses) == 5 and all(type(v) is float for v in losses)
    assert losses[-1] < losses[0]
    assert evaluate(model, X, y) > 0.9
    labels = predict(model, X[:10])
    assert isinstance(labels, np.ndarray) and labels.dtype == np.int64 and labels.shape == (10,)
