"""Public tests for assignment 02 (the perceptron).

Run them next to your perceptron.py:   pytest test_public.py
or with the grader:                     grader check 02_perceptron .

Small cases worked out by hand. The hidden tests also train on random separable data, on
XOR and on MNIST digits.
"""
import numpy as np

from perceptron import predict_one_vs_rest, predict_perceptron, train_one_vs_rest, train_perceptron


def test_predict_perceptron():
    w = np.array([1.0, -1.0, 0.5])           # 1*x0 - 1*x1 + 0.5
    X = np.array([[1.0, 3.0], [2.0, 0.0]])
    assert predict_perceptron(w, X).tolist() == [-1, 1]


def test_score_zero_gives_plus_one():
    assert predict_perceptron(np.zeros(3), np.array([[1.0, 2.0]])).tolist() == [1]


def test_two_points():
    X = np.array([[2.0, 1.0], [-1.0, -2.0]])
    y = np.array([1, -1])
    w = train_perceptron(X, y)
    assert w.shape == (3,)
    assert predict_perceptron(w, X).tolist() == [1, -1]


def test_separable_with_offset():
    # the line x0 = 3 separates these points; a line through the origin cannot
    X = np.array([[1.0, 0.0], [2.0, 1.0], [2.0, -1.0], [4.0, 0.0], [5.0, 1.0], [5.0, -1.0]])
    y = np.array([-1, -1, -1, 1, 1, 1])
    w = train_perceptron(X, y, epochs=100)
    assert (predict_perceptron(w, X) == y).all()


def test_xor_ends_and_returns_weights():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([-1, 1, 1, -1])
    w = train_perceptron(X, y, epochs=20)
    assert w.shape == (3,)
    assert (predict_perceptron(w, X) == y).mean() < 1.0


def test_same_seed_same_weights():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([-1, 1, 1, -1])
    assert np.array_equal(train_perceptron(X, y, 10, seed=3), train_perceptron(X, y, 10, seed=3))


def test_predict_one_vs_rest():
    W = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert predict_one_vs_rest(W, np.array([[2.0, 1.0], [0.0, 3.0]])).tolist() == [0, 1]


def test_one_vs_rest_three_points():
    X = np.array([[0.0, 6.0], [-6.0, -4.0], [6.0, -4.0]])
    y = np.array([0, 1, 2])
    W = train_one_vs_rest(X, y, 3)
    assert W.shape == (3, 3)
    assert predict_one_vs_rest(W, X).tolist() == [0, 1, 2]
