"""Assignment 01: the forward pass of a small neural network, in plain numpy.

You implement the pieces a network needs to compute its output and to be scored:
activation functions, a single neuron, a fully connected (dense) layer, a multi-layer
perceptron, one-hot encoding, losses, metrics and input standardisation.

Conventions used by every function below:
- arrays are batch-first: a batch of N samples with D features is `(N, D)`;
- class labels are integer arrays of shape `(N,)`;
- a function never modifies its inputs (return new arrays instead);
- float inputs keep their float dtype: float32 in gives float32 out.

Only numpy is allowed (no torch, tensorflow, jax, keras, scipy.special or sklearn).
"""
import numpy as np


# --------------------------------------------------------------------------------------
# Activation functions (elementwise unless stated otherwise)
# --------------------------------------------------------------------------------------

def sigmoid(z):
    """Logistic sigmoid, elementwise: sigmoid(z) = 1 / (1 + exp(-z)).

    Inputs:
    - z: float array of any shape, e.g. (N,) or (N, D); float32 or float64.

    Returns:
    - out: array of the same shape and dtype as z, every entry in [0, 1].

    Must be numerically stable: no overflow and no warning for |z| up to 1e4
    (np.exp(10000) overflows; np.exp(-10000) is just 0). Hint: for z < 0 use
    exp(z) / (1 + exp(z)), which is the same value.

    Example:
    >>> sigmoid(np.array([0.0, 2.0, -2.0]))
    array([0.5       , 0.88079708, 0.11920292])
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def relu(z):
    """Rectified linear unit, elementwise: relu(z) = max(z, 0).

    Inputs:
    - z: float array of any shape; float32 or float64.

    Returns:
    - out: array of the same shape and dtype as z.

    Example:
    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def leaky_relu(z, alpha=0.01):
    """Leaky ReLU, elementwise: z where z > 0, alpha * z elsewhere.

    Inputs:
    - z: float array of any shape; float32 or float64.
    - alpha: float, the slope for negative inputs (default 0.01).

    Returns:
    - out: array of the same shape and dtype as z.

    Example:
    >>> leaky_relu(np.array([-2.0, 0.0, 3.0]), alpha=0.1)
    array([-0.2,  0. ,  3. ])
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def tanh(z):
    """Hyperbolic tangent, elementwise: (e^z - e^-z) / (e^z + e^-z).

    Inputs:
    - z: float array of any shape; float32 or float64.

    Returns:
    - out: array of the same shape and dtype as z, every entry in [-1, 1].

    Must stay finite for |z| up to 1e4 (the formula above overflows there; numpy has
    a stable implementation).

    Example:
    >>> tanh(np.array([0.0, 1.0, -1.0]))
    array([ 0.        ,  0.76159416, -0.76159416])
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def softmax(z, axis=-1):
    """Softmax along one axis: exp(z) / sum(exp(z)) along `axis`.

    Inputs:
    - z: float array of any shape, e.g. logits (N, C); float32 or float64.
    - axis: int, the axis along which the outputs sum to 1 (default -1, the last:
      one probability distribution per row of an (N, C) array).

    Returns:
    - out: array of the same shape and dtype as z; entries in [0, 1] that sum to 1
      along `axis`.

    Must be numerically stable: finite for entries as large as 1e4. Hint: softmax(z)
    equals softmax(z - c) for any constant c along the axis; choose c = the maximum.

    Example:
    >>> softmax(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]))
    array([[0.09003057, 0.24472847, 0.66524096],
           [0.33333333, 0.33333333, 0.33333333]])
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# --------------------------------------------------------------------------------------
# Neurons, layers, networks
# --------------------------------------------------------------------------------------

def neuron(x, w, b):
    """A single neuron without activation: z = sum_i w_i * x_i + b.

    Inputs:
    - x: one sample (n,) or a batch of samples (N, n); float.
    - w: weights (n,); float.
    - b: bias, a float.

    Returns:
    - z: a scalar for x of shape (n,); an array (N,) for x of shape (N, n), one value
      per sample. Same float dtype as x.

    Example:
    >>> neuron(np.array([1.0, 2.0]), np.array([0.5, -1.0]), 0.25)
    -1.25
    >>> neuron(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -1.0]), 0.25)
    array([-1.25, -2.25])
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def dense(x, W, b, activation=None):
    """A fully connected layer: activation(x @ W.T + b).

    Inputs:
    - x: input batch (N, in); float.
    - W: weights (out, in), one row per output unit, as in PyTorch's nn.Linear.
    - b: biases (out,).
    - activation: None or "linear" (no activation), "sigmoid", "relu", "leaky_relu"
      (alpha 0.01), "tanh" or "softmax" (along the last axis). Any other name raises
      ValueError.

    Returns:
    - out: (N, out), same float dtype as x.

    Example:
    >>> x = np.array([[1.0, 2.0]])                  # N=1, in=2
    >>> W = np.array([[1.0, 0.0], [1.0, -1.0], [0.5, 0.5]])   # out=3, in=2
    >>> b = np.array([0.0, 0.0, -2.0])
    >>> dense(x, W, b)
    array([[ 1. , -1. , -0.5]])
    >>> dense(x, W, b, "relu")
    array([[1., 0., 0.]])
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def mlp_forward(x, layers):
    """Forward pass of a multi-layer perceptron: dense layers applied one after another.

    Inputs:
    - x: input batch (N, D0); float.
    - layers: a list of (W, b, activation) tuples, one per layer; layer k has
      W (D_k+1, D_k), b (D_k+1,) and an activation name as accepted by `dense`
      (the last layer's activation is applied too).

    Returns:
    - out: the output of the last layer (N, D_last), same float dtype as x.

    Example:
    >>> layers = [(np.array([[1.0, -1.0], [2.0, 0.0]]), np.array([0.0, -1.0]), "relu"),
    ...           (np.array([[1.0, 1.0]]), np.array([0.5]), None)]
    >>> mlp_forward(np.array([[1.0, 3.0]]), layers)   # hidden relu([-2, 1]) = [0, 1]
    array([[1.5]])
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def one_hot(labels, num_classes):
    """One-hot encoding of integer class labels.

    Inputs:
    - labels: integer array (N,) with values in 0 .. num_classes-1.
    - num_classes: int C.

    Returns:
    - out: float64 array (N, C); row i is all zeros except a 1.0 in column labels[i].

    Example:
    >>> one_hot(np.array([2, 0, 1]), 3)
    array([[0., 0., 1.],
           [1., 0., 0.],
           [0., 1., 0.]])
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# --------------------------------------------------------------------------------------
# Losses: (y_pred, y_true) order, mean over all elements / samples
# --------------------------------------------------------------------------------------

def mse(y_pred, y_true):
    """Mean squared error: mean((y_pred - y_true)^2) over all elements.

    Inputs:
    - y_pred: predictions, float array of any shape, e.g. (N,) or (N, K).
    - y_true: targets, same shape.

    Returns:
    - loss: a float scalar (a Python float or a numpy scalar).

    Example:
    >>> mse(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 4.0]))   # (0 + 4 + 1) / 3
    1.6666666666666667
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def mae(y_pred, y_true):
    """Mean absolute error: mean(|y_pred - y_true|) over all elements.

    Inputs:
    - y_pred: predictions, float array of any shape.
    - y_true: targets, same shape.

    Returns:
    - loss: a float scalar.

    Example:
    >>> mae(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 4.0]))   # (0 + 2 + 1) / 3
    1.0
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def binary_cross_entropy(p, y, eps=1e-12):
    """Binary cross-entropy: -mean(y log p + (1 - y) log(1 - p)).

    Inputs:
    - p: predicted probabilities of the positive class, float array of any shape,
      e.g. (N,); entries in [0, 1].
    - y: targets of the same shape, 0 or 1 (int or float).
    - eps: p is clipped into [eps, 1 - eps] first, so that p = 0 or p = 1 still gives
      a finite loss (log(0) is -inf).

    Returns:
    - loss: a float scalar, the mean over all elements.

    Note: in float32, 1 - 1e-12 rounds to exactly 1.0; clip (and take the logs) in
    float64 to keep the result finite.

    Example:
    >>> binary_cross_entropy(np.array([0.9, 0.2]), np.array([1, 0]))  # -(log .9 + log .8) / 2
    0.164252033486018
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def categorical_cross_entropy(p, labels, eps=1e-12):
    """Categorical cross-entropy of predicted probabilities and integer labels:
    -mean over samples of log p[i, labels[i]].

    Inputs:
    - p: predicted probabilities (N, C), each row sums to 1 (e.g. a softmax output).
    - labels: integer class labels (N,), values in 0 .. C-1.
    - eps: probabilities are clipped to at least eps first, so that a probability of 0
      for the true class still gives a finite loss.

    Returns:
    - loss: a float scalar, the mean over the N samples.

    Example:
    >>> p = np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4]])
    >>> categorical_cross_entropy(p, np.array([0, 2]))      # -(log 0.7 + log 0.4) / 2
    0.6364828379064438
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# --------------------------------------------------------------------------------------
# Metrics: (y_true, y_pred) order, as in scikit-learn
# --------------------------------------------------------------------------------------

def accuracy(y_true, y_pred):
    """Fraction of correctly predicted labels.

    Inputs:
    - y_true: integer labels (N,).
    - y_pred: predicted integer labels (N,) (not probabilities: take the argmax first).

    Returns:
    - acc: a float in [0, 1].

    Example:
    >>> accuracy(np.array([0, 1, 2, 1]), np.array([0, 2, 2, 1]))
    0.75
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def rmse(y_true, y_pred):
    """Root mean squared error: sqrt(mean((y_true - y_pred)^2)).

    Inputs:
    - y_true: targets, float array of any shape, e.g. (N,).
    - y_pred: predictions, same shape.

    Returns:
    - err: a float scalar, >= 0, in the units of y.

    Example:
    >>> rmse(np.array([1.0, 0.0, 4.0]), np.array([1.0, 2.0, 3.0]))   # sqrt(5 / 3)
    1.2909944487358056
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def r2_score(y_true, y_pred):
    """Coefficient of determination R^2 = 1 - SS_res / SS_tot, where
    SS_res = sum((y_true - y_pred)^2) and SS_tot = sum((y_true - mean(y_true))^2).

    1 is a perfect prediction; 0 is no better than always predicting the mean of
    y_true; it can be negative. Not symmetric: mind the argument order.

    Inputs:
    - y_true: targets (N,), float, not all equal.
    - y_pred: predictions (N,), float.

    Returns:
    - r2: a float scalar.

    Example:
    >>> r2_score(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]))  # 1 - 1 / 2
    0.5
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def confusion_matrix(y_true, y_pred, num_classes):
    """Confusion matrix of integer labels.

    Inputs:
    - y_true: true labels (N,), integers in 0 .. C-1.
    - y_pred: predicted labels (N,), integers in 0 .. C-1.
    - num_classes: int C.

    Returns:
    - cm: integer array (C, C); cm[i, j] counts the samples whose true class is i and
      whose predicted class is j (rows = true class, columns = predicted class, as in
      scikit-learn).

    Example:
    >>> confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 2, 1, 2]), 3)
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# --------------------------------------------------------------------------------------
# Input normalisation
# --------------------------------------------------------------------------------------

def standardize(X, mean=None, std=None):
    """Standardise the columns (features) of X: (X - mean) / std.

    Fit on the training set, then apply the same mean and std to the test set:
        X_train_std, mean, std = standardize(X_train)
        X_test_std, _, _ = standardize(X_test, mean, std)

    Inputs:
    - X: data (N, D), float32 or float64.
    - mean: None (compute the column means of X) or an array (D,) to reuse.
    - std: None (compute the column standard deviations of X, population std as
      np.std / scikit-learn's StandardScaler: ddof=0) or an array (D,) to reuse.
      A column that is constant has std 0: use 1 instead for it, so no NaN appears.

    Returns a tuple (X_std, mean, std):
    - X_std: (N, D), same dtype as X;
    - mean: (D,), the mean used;
    - std: (D,), the standard deviation used (with 1 in place of 0).

    Example:
    >>> X = np.array([[1.0, 5.0], [3.0, 5.0]])
    >>> standardize(X)
    (array([[-1.,  0.],
           [ 1.,  0.]]), array([2., 5.]), array([1., 1.]))
    """
    # YOUR CODE HERE
    raise NotImplementedError()
