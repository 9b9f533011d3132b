"""Public tests for assignment 01 (numpy forward pass).

Run them next to your forward.py:   pytest test_public.py
or with the grader:                  grader check 01_numpy_forward .

Every case here is small and worked out by hand. Passing them all is a good sign, not a
guarantee: the hidden tests also use random inputs of other shapes, float32 inputs,
extreme values, and check that your functions leave their inputs unchanged.
"""
import warnings

import numpy as np
import pytest

from grader.checks import check_array

from forward import (
    accuracy,
    binary_cross_entropy,
    categorical_cross_entropy,
    confusion_matrix,
    dense,
    leaky_relu,
    mae,
    mlp_forward,
    mse,
    neuron,
    one_hot,
    r2_score,
    relu,
    rmse,
    sigmoid,
    softmax,
    standardize,
    tanh,
)


def assert_array(got, expected, dtype=np.float64, atol=1e-7, what="the result"):
    # the hidden tests' own check: type, shape (transposed?), dtype, NaN/inf, then values
    check_array(got, np.asarray(expected, dtype=dtype), what=what, rtol=1e-6, atol=atol,
                dtype=dtype)


def assert_number(got, expected, atol=1e-7):
    assert np.ndim(got) == 0, f"expected a scalar, got shape {np.shape(got)}"
    assert float(got) == pytest.approx(expected, rel=1e-6, abs=atol)


# ----- activations --------------------------------------------------------------------

def test_sigmoid_values():
    got = sigmoid(np.array([0.0, 2.0, -2.0]))
    assert_array(got, [0.5, 0.8807970779778823, 0.11920292202211755])


def test_sigmoid_large_inputs_no_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning fails the test
        got = sigmoid(np.array([-1e4, -800.0, 800.0, 1e4]))
    assert_array(got, [0.0, 0.0, 1.0, 1.0])


def test_sigmoid_keeps_float32():
    got = sigmoid(np.array([[0.0, 1.0]], dtype=np.float32))
    assert_array(got, [[0.5, 0.7310585786300049]], dtype=np.float32)


def test_relu():
    assert_array(relu(np.array([[-2.0, 0.0], [3.0, -0.5]])), [[0.0, 0.0], [3.0, 0.0]])


def test_relu_does_not_modify_input():
    z = np.array([-1.0, 2.0])
    relu(z)
    assert z.tolist() == [-1.0, 2.0], "relu changed its input array"


def test_leaky_relu_default_and_alpha():
    z = np.array([-2.0, 0.0, 3.0])
    assert_array(leaky_relu(z), [-0.02, 0.0, 3.0])
    assert_array(leaky_relu(z, alpha=0.1), [-0.2, 0.0, 3.0])


def test_tanh():
    got = tanh(np.array([0.0, 1.0, -1.0, 1e4]))
    assert_array(got, [0.0, 0.7615941559557649, -0.7615941559557649, 1.0])


def test_softmax_rows():
    got = softmax(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))
    assert_array(got, [[0.09003057317038046, 0.24472847105479767, 0.6652409557748219],
                       [1 / 3, 1 / 3, 1 / 3]])


def test_softmax_axis_0():
    got = softmax(np.array([[1.0, 0.0], [1.0, np.log(3.0)]]), axis=0)
    assert_array(got, [[0.5, 0.25], [0.5, 0.75]])


def test_softmax_large_inputs_stable():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = softmax(np.array([[1e4, 1e4], [1e4, 0.0]]))
    assert_array(got, [[0.5, 0.5], [1.0, 0.0]])


# ----- neuron, dense, mlp -------------------------------------------------------------

def test_neuron_single_sample():
    assert_number(neuron(np.array([1.0, 2.0]), np.array([0.5, -1.0]), 0.25), -1.25)


def test_neuron_batch():
    got = neuron(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -1.0]), 0.25)
    assert_array(got, [-1.25, -2.25])


X1 = np.array([[1.0, 2.0]])
W1 = np.array([[1.0, 0.0], [1.0, -1.0], [0.5, 0.5]])  # (out=3, in=2)
B1 = np.array([0.0, 0.0, -2.0])


def test_dense_linear():
    assert_array(dense(X1, W1, B1), [[1.0, -1.0, -0.5]])
    assert_array(dense(X1, W1, B1, "linear"), [[1.0, -1.0, -0.5]])


def test_dense_relu_and_sigmoid():
    assert_array(dense(X1, W1, B1, "relu"), [[1.0, 0.0, 0.0]])
    assert_array(dense(X1, W1, B1, "sigmoid"),
                 [[0.7310585786300049, 0.2689414213699951, 0.3775406687981454]])


def test_dense_unknown_activation():
    with pytest.raises(ValueError):
        dense(X1, W1, B1, "swish")


def test_mlp_forward_two_layers():
    layers = [(np.array([[1.0, -1.0], [2.0, 0.0]]), np.array([0.0, -1.0]), "relu"),
              (np.array([[1.0, 1.0]]), np.array([0.5]), None)]
    assert_array(mlp_forward(np.array([[1.0, 3.0]]), layers), [[1.5]])


# ----- one-hot, losses ----------------------------------------------------------------

def test_one_hot():
    assert_array(one_hot(np.array([2, 0, 1]), 3),
                 [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def test_mse_and_mae():
    y_pred, y_true = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 4.0])
    assert_number(mse(y_pred, y_true), 5 / 3)
    assert_number(mae(y_pred, y_true), 1.0)


def test_binary_cross_entropy():
    assert_number(binary_cross_entropy(np.array([0.9, 0.2]), np.array([1, 0])),
                  -(np.log(0.9) + np.log(0.8)) / 2)


def test_binary_cross_entropy_exact_zero_and_one_is_finite():
    got = binary_cross_entropy(np.array([0.0, 1.0]), np.array([1, 0]))
    assert np.isfinite(got), "p = 0 or 1 must be clipped by eps"
    assert_number(got, -np.log(1e-12), atol=1e-3)


def test_categorical_cross_entropy():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4]])
    assert_number(categorical_cross_entropy(p, np.array([0, 2])),
                  -(np.log(0.7) + np.log(0.4)) / 2)


def test_categorical_cross_entropy_zero_probability_is_finite():
    p = np.array([[1.0, 0.0], [0.5, 0.5]])
    got = categorical_cross_entropy(p, np.array([1, 0]))
    assert np.isfinite(got), "a probability of 0 must be clipped by eps"
    assert_number(got, (-np.log(1e-12) - np.log(0.5)) / 2, atol=1e-3)


# ----- metrics ------------------------------------------------------------------------

def test_accuracy():
    assert_number(accuracy(np.array([0, 1, 2, 1]), np.array([0, 2, 2, 1])), 0.75)


def test_rmse():
    assert_number(rmse(np.array([1.0, 0.0, 4.0]), np.array([1.0, 2.0, 3.0])), np.sqrt(5 / 3))


def test_r2_score():
    assert_number(r2_score(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0])), 0.5)
    assert_number(r2_score(np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0])), 0.0)


def test_confusion_matrix_rows_are_true_class():
    got = confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 2, 1, 2]), 3)
    assert isinstance(got, np.ndarray) and got.dtype.kind in "iu", "expected integer counts"
    assert got.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]


# ----- standardize --------------------------------------------------------------------

def test_standardize_fit():
    X_std, mean, std = standardize(np.array([[1.0, 5.0], [3.0, 5.0]]))
    assert_array(X_std, [[-1.0, 0.0], [1.0, 0.0]])   # the constant column gives 0, not NaN
    assert_array(mean, [2.0, 5.0])
    assert_array(std, [1.0, 1.0])


def test_standardize_reuses_train_statistics():
    X_test = np.array([[4.0, 1.0]])
    X_std, mean, std = standardize(X_test, np.array([2.0, 0.0]), np.array([2.0, 0.5]))
    assert_array(X_std, [[1.0, 2.0]])
    assert_array(mean, [2.0, 0.0])
    assert_array(std, [2.0, 0.5])
