"""Assignment 05 (TensorFlow track): TensorFlow basics — tensors, devices, GradientTape and a
first network trained with an explicit training loop.

The TensorFlow twin of 05_pytorch_basics, for the lesson's TensorFlow track: turning numpy
data into tensors, choosing the device, letting `tf.GradientTape` compute a gradient,
fitting a line with `tf.Variable`s updated in place, a multi-layer perceptron as a
`keras.Sequential`, and the training loop written out with a `GradientTape`, with its
evaluation and prediction.

Conventions used below:
- arrays are batch-first: N samples with D features are `(N, D)`; class labels are
  integer arrays `(N,)`;
- every function that takes data (`X`, `y`) accepts numpy arrays *or* tensors (the grader
  sends numpy arrays): convert with `tf.convert_to_tensor`.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras


# --------------------------------------------------------------------------------------
# Tensors and devices
# --------------------------------------------------------------------------------------

def to_tensor(array):
    """The array as a float32 `tf.Tensor`.

    Inputs:
    - array: numpy array (any shape, any numeric dtype) or a tensor.

    Returns:
    - a tf.float32 tensor of the same shape and values.

    Example:
    >>> to_tensor(np.array([[1, 2], [3, 4]]))
    <tf.Tensor: shape=(2, 2), dtype=float32, numpy=array([[1., 2.], [3., 4.]], dtype=float32)>
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def get_device():
    """The best device this machine offers, as TensorFlow names it.

    "/GPU:0" if `tf.config.list_physical_devices("GPU")` lists a GPU, else "/CPU:0".

    Returns:
    - the string "/GPU:0" or "/CPU:0" (for `with tf.device(get_device()):`).

    Example (on a laptop without a GPU):
    >>> get_device()
    '/CPU:0'
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# --------------------------------------------------------------------------------------
# GradientTape
# --------------------------------------------------------------------------------------

def gradient_of_expression(x):
    """d/dx of f(x) = mean(sqrt(x**2 + 1)), computed by `tf.GradientTape`.

    Watch x on a tape (or make it a `tf.Variable`), compute f inside the tape, and return
    `tape.gradient(f, x)`. Do not write the derivative by hand: the point is to let
    TensorFlow find it.

    Inputs:
    - x: float tensor or numpy array of any shape, float32 or float64.

    Returns:
    - a tensor of the same shape and float dtype as x: the gradient of f at x.

    Example:
    >>> gradient_of_expression(tf.constant([0.0, 1.0]))
    <tf.Tensor: shape=(2,), dtype=float32, numpy=array([0.       , 0.35355338], dtype=float32)>
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def fit_line(x, y, epochs=200, lr=0.1):
    """Fit y ≈ w * x + b by gradient descent with a GradientTape and in-place updates.

    w and b are float32 scalar `tf.Variable`s that start at 0.0; each epoch computes the
    mean squared error on the whole data set inside a `tf.GradientTape`, takes the
    gradients of w and b, and updates them in place with `assign_sub(lr * grad)` (no
    keras optimizer).

    Inputs:
    - x, y: float arrays or tensors of shape (N,).
    - epochs: number of gradient-descent steps on the full data set.
    - lr: the learning rate.

    Returns:
    - (w, b): two Python floats.

    Example:
    >>> x = np.linspace(-1, 1, 50); fit_line(x, 3 * x - 2)
    (2.99..., -1.99...)
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# --------------------------------------------------------------------------------------
# A multi-layer perceptron
# --------------------------------------------------------------------------------------

def build_mlp(in_features, hidden_sizes, out_features):
    """A fully connected network as a `keras.Sequential` that returns logits.

    Inputs:
    - in_features: int, the number of input features D (`keras.Input(shape=(D,))` first).
    - hidden_sizes: list or tuple of ints, the width of each hidden `Dense` layer, each
      with a ReLU (may be empty: then the model is a single `Dense` layer).
    - out_features: int, the number of classes C: the last `Dense` layer, no activation.

    Returns:
    - an untrained keras.Sequential: (N, in_features) -> logits (N, out_features).

    Example:
    >>> build_mlp(4, [8, 8], 3)(np.zeros((5, 4), "float32")).shape
    TensorShape([5, 3])
    """
    # YOUR CODE HERE
    raise NotImplementedError()


# --------------------------------------------------------------------------------------
# Training, evaluation, prediction
# --------------------------------------------------------------------------------------

def train(model, X, y, epochs=10, lr=1e-3, batch_size=32, seed=0):
    """Train a classifier with an explicit GradientTape loop; the mean loss of every epoch.

    No `model.fit`: shuffle the samples every epoch (a `tf.data.Dataset` with
    `.shuffle(N, seed=seed)` or a numpy permutation from `np.random.default_rng(seed)`),
    cut them into batches of `batch_size`, and for each batch compute the logits and the
    loss (`keras.losses.SparseCategoricalCrossentropy(from_logits=True)`) inside a
    `tf.GradientTape`, take the gradients of `model.trainable_variables` and apply them
    with `keras.optimizers.Adam(learning_rate=lr)`. Call the model with `training=True`.

    Inputs:
    - model: a keras model returning logits (N, C), e.g. from build_mlp.
    - X: float array or tensor (N, D); y: integer class labels (N,).
    - epochs, lr, batch_size: as above; seed: int, seeds the shuffling.

    Returns:
    - losses: a list of `epochs` Python floats, the mean loss over the samples of each
      epoch (weight each batch's loss by its size).

    Example:
    >>> losses = train(build_mlp(784, [64], 10), X_train, y_train, epochs=3)
    >>> len(losses), losses[-1] < losses[0]
    (3, True)
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def evaluate(model, X, y):
    """The model's accuracy on (X, y), with `training=False` (dropout off, if any).

    Inputs:
    - model: a keras model returning logits; X: float (N, D); y: integer labels (N,).

    Returns:
    - accuracy: a Python float in [0, 1], the fraction of rows whose largest logit is at
      the true label.

    Example:
    >>> evaluate(model, X_test, y_test)
    0.9125
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def predict(model, X):
    """The predicted class of every row of X, as a numpy array.

    Inputs:
    - model: a keras model returning logits; X: float (N, D).

    Returns:
    - labels: numpy int64 array (N,), the index of the largest logit of each row.

    Example:
    >>> predict(model, X_test[:3])
    array([7, 2, 1])
    """
    # YOUR CODE HERE
    raise NotImplementedError()
