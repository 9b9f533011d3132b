"""Public tests for assignment 04 (your own framework on MNIST).

Run them next to your mnist_lab.py and framework.py:   pytest test_public.py
or with the grader:                                     grader check 04_mnist_own_framework .

They use small random data; the hidden tests train on real MNIST digits.
"""
import numpy as np
import pytest

from mnist_lab import build_net, predict, train


@pytest.mark.parametrize("depth, names", [
    (1, ["Linear", "Softmax"]),
    (2, ["Linear", "Tanh", "Linear", "Softmax"]),
    (3, ["Linear", "Tanh", "Linear", "Tanh", "Linear", "Softmax"]),
])
def test_build_net_layers(depth, names):
    net = build_net(depth, hidden_size=20)
    assert [type(layer).__name__ for layer in net.layers] == names
    weights = [layer.W.shape for layer in net.layers if hasattr(layer, "W")]
    assert weights[0][1] == 784 and weights[-1][0] == 10


def test_build_net_relu():
    net = build_net(2, hidden_size=8, activation="relu")
    assert type(net.layers[1]).__name__ == "ReLU"


def test_build_net_unknown_activation():
    with pytest.raises(ValueError):
        build_net(2, activation="swish")


def test_forward_gives_probabilities():
    x = np.random.default_rng(0).uniform(0, 1, size=(5, 784))
    p = build_net(2, hidden_size=16).forward(x)
    assert p.shape == (5, 10)
    np.testing.assert_allclose(p.sum(axis=1), np.ones(5))


def test_train_history_and_predict():
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 1, size=(200, 784))
    y = rng.integers(0, 10, size=200)
    np.random.seed(0)
    net = build_net(1)
    history = train(net, X, y, epochs=3, lr=0.1, batch_size=20)
    assert len(history) == 3
    losses = [loss for loss, _ in history]
    assert losses[-1] < losses[0]
    labels = predict(net, X)
    assert labels.shape == (200,)
    assert set(np.unique(labels)) <= set(range(10))
