"""Assignment 02: the perceptron (AI for Beginners, lesson 3).

A perceptron is one neuron with a step activation: it predicts +1 when w . x + b >= 0 and
-1 otherwise. Its learning rule (Rosenblatt's) looks at one training sample at a time and,
only when that sample is misclassified, moves the weights towards it:
    if y_i * (w . x_i + b) <= 0:   w += y_i * x_i,   b += y_i
(a score of exactly 0 counts as a mistake, so training can start from w = 0, b = 0).

We keep the bias as the last element of one weight vector: w has n_features + 1 entries,
and a sample x is extended with a constant 1, [x, 1], so that w . [x, 1] = w[:-1] . x + w[-1].

Then you build a multi-class classifier from binary perceptrons: one-vs-rest trains one
perceptron per class (that class +1, every other class -1) and predicts the class whose
perceptron gives the largest score.

Conventions: X is (N, n_features) float; binary labels are -1/+1; class labels are
integers 0..num_classes-1. numpy only: torch, tensorflow, jax, keras, autograd and sklearn
are not allowed.
"""
import numpy as np


def train_perceptron(X, y, epochs=100, seed=0):
    """Train a perceptron with the classic rule, for at most `epochs` passes over the data.

    Inputs:
    - X: (N, n) float, the training samples.
    - y: (N,) labels, each -1 or +1.
    - epochs: int, the number of passes over the data. Each pass visits the samples in a
      fresh random order drawn from np.random.default_rng(seed); training stops early
      after a pass without a single mistake.
    - seed: int; the same seed gives the same weights.

    Returns:
    - w: (n + 1,) float64 weights, the bias last. Starts at zeros.

    On data that a line (hyperplane) separates, the rule reaches 100% training accuracy
    after finitely many mistakes; on data that no line separates (XOR) it never does,
    so the loop must end after `epochs` passes.

    Example:
    >>> X = np.array([[2.0, 1.0], [-1.0, -2.0]]); y = np.array([1, -1])
    >>> w = train_perceptron(X, y)
    >>> predict_perceptron(w, X)
    array([ 1, -1])
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def predict_perceptron(w, X):
    """The perceptron's labels: +1 where w[:-1] . x + w[-1] >= 0, else -1.

    Inputs:
    - w: (n + 1,) weights, the bias last (as train_perceptron returns them).
    - X: (N, n) float.

    Returns:
    - labels: (N,) integer array of -1 and +1 (a score of exactly 0 gives +1).

    Example:
    >>> predict_perceptron(np.array([1.0, -1.0, 0.5]), np.array([[1.0, 3.0], [2.0, 0.0]]))
    array([-1,  1])
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def train_one_vs_rest(X, y, num_classes, epochs=100, seed=0):
    """One perceptron per class: class c against all the others.

    Inputs:
    - X: (N, n) float; y: (N,) integer class labels in 0..num_classes-1.
    - num_classes: int; epochs, seed: as for train_perceptron (use seed + c for class c,
      so the classes do not share a visiting order).

    Returns:
    - W: (num_classes, n + 1) float64, row c the weights of the perceptron of class c
      (trained on labels +1 where y == c, -1 elsewhere), its bias last.

    Example:
    >>> X = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]]); y = np.array([0, 1, 2])
    >>> train_one_vs_rest(X, y, 3).shape
    (3, 3)
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def predict_one_vs_rest(W, X):
    """The class whose perceptron gives the largest score w[:-1] . x + w[-1].

    Inputs:
    - W: (num_classes, n + 1), as train_one_vs_rest returns it; X: (N, n) float.

    Returns:
    - labels: (N,) integer array in 0..num_classes-1.

    Example:
    >>> W = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    >>> predict_one_vs_rest(W, np.array([[2.0, 1.0], [0.0, 3.0]]))
    array([0, 1])
    """
    # YOUR CODE HERE
    raise NotImplementedError()
