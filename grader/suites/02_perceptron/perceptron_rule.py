"""The perceptron rule exactly as the 02 stubs' docstrings state it, for the hidden tests that
compare a student's weights with it (test_binary.py, test_one_vs_rest.py)."""
import numpy as np

from grader.checks import CheckFailed
from grader.i18n import _


def rule(X, y, epochs, seed, cumulative=False):
    """The classic rule as the docstring states it: zeros, then per pass the samples in an
    order drawn from default_rng(seed) (a fresh permutation, or the same index array
    shuffled again: both read "a fresh random order"), w += y x on y (w . x) <= 0, and a stop
    after a pass without a mistake."""
    Xb = np.hstack([np.asarray(X, dtype=np.float64), np.ones((len(X), 1))])
    w = np.zeros(Xb.shape[1])
    g = np.random.default_rng(seed)
    order = np.arange(len(Xb))
    for _epoch in range(epochs):
        if cumulative:
            g.shuffle(order)
        else:
            order = g.permutation(len(Xb))
        mistakes = 0
        for i in order:
            if y[i] * (Xb[i] @ w) <= 0:
                w += y[i] * Xb[i]
                mistakes += 1
        if mistakes == 0:
            break
    return w


def check_rule(got, X, y, epochs, seed, what):
    if not any(np.array_equal(got, rule(X, y, epochs, seed, c)) for c in (False, True)):
        raise CheckFailed(_("{what}: the weights are not those of the classic rule: start at "
                            "zeros; each pass visits the samples in a fresh order drawn from "
                            "np.random.default_rng(seed); on y (w . x) <= 0 add y x (the bias "
                            "input 1 last); stop after a pass without a mistake").format(
            what=what))
