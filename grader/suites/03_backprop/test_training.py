"""Hidden tests of assignment 03, part 5: a 2-layer net, trained with the student's own
classes and train_epoch, separates the two moons (not linearly separable).

The student's process gets the training points only; it returns its probabilities for the
hidden test points and the accuracy is computed here. Thresholds: calibrate.py beside this
file runs the reference through `train_moons` below with 40 seeds.
"""
import numpy as np
import pytest

from grader.checks import award_tiers
from grader.checks.gradient import as_float_array

# Settings of the run, shared with calibrate.py.
HIDDEN, EPOCHS, BATCH_SIZE, LR, NOISE, N_TRAIN, N_TEST = 24, 100, 8, 0.2, 0.15, 300, 300
# Calibration (python calibrate.py, 40 seeds): reference accuracy mean 0.988, min 0.977;
# a linear model reaches about 0.88. Full points at 0.95 (margin 0.027 below the
# reference's minimum); half at 0.90, still above any linear boundary's typical accuracy.
TIERS = [(0.95, 1.0), (0.90, 0.5)]


def moons(rng, n, noise):
    """Two interleaving half circles (as sklearn.datasets.make_moons), shuffled."""
    n_out = n // 2
    t_out, t_in = rng.uniform(0, np.pi, n_out), rng.uniform(0, np.pi, n - n_out)
    X = np.vstack([np.c_[np.cos(t_out), np.sin(t_out)],
                   np.c_[1 - np.cos(t_in), 0.5 - np.sin(t_in)]])
    y = np.r_[np.zeros(n_out, dtype=np.int64), np.ones(n - n_out, dtype=np.int64)]
    X = X + rng.normal(0, noise, size=X.shape)
    order = rng.permutation(n)
    return X[order], y[order]


def train_moons(module, reseed, rng):
    """Train module's 2-layer net on fresh moons; the test accuracy (computed here)."""
    X, y = moons(rng, N_TRAIN + N_TEST, NOISE)
    x_train, y_train, x_test, y_test = X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]
    reseed(int(rng.integers(0, 2**31)))
    net = module.Net()
    for layer in (module.Linear(2, HIDDEN), module.Tanh(), module.Linear(HIDDEN, 2),
                  module.Softmax()):
        net.add(layer)
    for _ in range(EPOCHS):
        module.train_epoch(net, x_train, y_train, batch_size=BATCH_SIZE, lr=LR)
    p = as_float_array(net.forward(x_test), what="net.forward(x_test) after training",
                       shape=(N_TEST, 2))
    return float(np.mean(p.argmax(axis=1) == y_test))


@pytest.mark.points(3)
@pytest.mark.deadline(60)
def test_two_moons(student, rng, credit):
    """A 2-layer Tanh net trained with train_epoch separates the two moons"""
    accuracy = train_moons(student, student.reseed, rng)
    award_tiers(credit, accuracy, TIERS,
                what=f"Net(Linear(2, {HIDDEN}), Tanh(), Linear({HIDDEN}, 2), Softmax()) after "
                     f"{EPOCHS} epochs of train_epoch(batch_size={BATCH_SIZE}, lr={LR}) on "
                     f"{N_TRAIN} two-moons points")
