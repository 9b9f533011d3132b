"""Hidden tests of assignment 03, part 3: CrossEntropyLoss and MSELoss, and Softmax with
CrossEntropyLoss together (the usual output of a classifier).

The loss's backward is checked against central finite differences of the reference's loss
forward at the same point, after the student's forward on the same batch gave the
reference's value there.
"""
import numpy as np
import pytest

from grader.checks import check_scalar
from grader.checks.gradient import (as_float, check_forward_at_probe, check_gradient,
                                    numerical_gradient)
from grader.i18n import _

CASES = [(5, 3), (1, 4), (8, 6)]     # (N, C)


def probabilities(rng, N, C):
    """Rows of a softmax of moderate logits: every probability well above 0."""
    z = rng.normal(0, 1, size=(N, C))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def labels(rng, N, C):
    return rng.integers(0, C, size=N)


def describe(N, C):
    return _("p: ({n}, {c}) float64 (rows sum to 1), y: ({n},) int64 in 0..{last}").format(
        n=N, c=C, last=C - 1)


@pytest.mark.points(2)
def test_cross_entropy_forward(student, reference, rng):
    for N, C in CASES:
        p, y = probabilities(rng, N, C), labels(rng, N, C)
        check_scalar(student.CrossEntropyLoss().forward(p, y),
                     reference.CrossEntropyLoss().forward(p, y),
                     what="CrossEntropyLoss().forward(p, y)", inputs=describe(N, C),
                     rtol=1e-9, atol=1e-12)


@pytest.mark.points(2)
def test_cross_entropy_backward(student, reference, rng):
    """CrossEntropyLoss.backward against finite differences of the forward"""
    ref = reference.CrossEntropyLoss()
    for N, C in CASES:
        p, y = probabilities(rng, N, C), labels(rng, N, C)
        ce = student.CrossEntropyLoss()
        what = "CrossEntropyLoss.forward(p, y)"
        loss = as_float(ce.forward(p, y), what=what)
        check_forward_at_probe(loss, float(ref.forward(p, y)), what=what, inputs=describe(N, C))
        dp = ce.backward(loss)
        numeric = numerical_gradient(lambda q: float(ref.forward(q, y)), p)
        onehot = np.eye(C)[y]
        check_gradient(dp, numeric, what="CrossEntropyLoss.backward: dp", inputs=describe(N, C),
                       batch_size=N, patterns=[
                           (-onehot / N, _("the 1/p of d(-log p)/dp is missing")),
                           ((p - onehot) / N, _("(p - onehot) / N, the gradient w.r.t. the "
                            "logits z of Softmax and CrossEntropyLoss combined; "
                            "CrossEntropyLoss.backward gives the gradient w.r.t. p")),
                       ])


@pytest.mark.points(2)
def test_softmax_cross_entropy_together(student, reference, rng):
    """Softmax then CrossEntropyLoss: backward through both against finite differences"""
    ref_sm, ref_ce = reference.Softmax(), reference.CrossEntropyLoss()
    for N, C in CASES:
        z, y = rng.normal(0, 2, size=(N, C)), labels(rng, N, C)
        sm, ce = student.Softmax(), student.CrossEntropyLoss()
        what = "CrossEntropyLoss.forward(Softmax.forward(z), y)"
        inputs = f"z: ({N}, {C}) float64, y: ({N},) int64 in 0..{C - 1}"
        loss = as_float(ce.forward(sm.forward(z), y), what=what)
        check_forward_at_probe(loss, float(ref_ce.forward(ref_sm.forward(z), y)), what=what,
                               inputs=inputs)
        dz = sm.backward(ce.backward(loss))
        numeric = numerical_gradient(lambda q: float(ref_ce.forward(ref_sm.forward(q), y)), z)
        check_gradient(dz, numeric, what="Softmax.backward(CrossEntropyLoss.backward(loss)): dz",
                       inputs=inputs, batch_size=N)


@pytest.mark.points(1)
def test_mse_forward(student, reference, rng):
    for shape in ((6, 1), (4, 3)):
        pred, target = rng.normal(size=shape), rng.normal(size=shape)
        check_scalar(student.MSELoss().forward(pred, target),
                     reference.MSELoss().forward(pred, target),
                     what="MSELoss().forward(pred, target)",
                     inputs=f"pred, target: {shape} float64", rtol=1e-9, atol=1e-12)


@pytest.mark.points(1)
def test_mse_backward(student, reference, rng):
    """MSELoss.backward against finite differences of the forward"""
    ref = reference.MSELoss()
    for shape in ((6, 1), (4, 3)):
        pred, target = rng.normal(size=shape), rng.normal(size=shape)
        mse = student.MSELoss()
        what = "MSELoss.forward(pred, target)"
        loss = as_float(mse.forward(pred, target), what=what)
        check_forward_at_probe(loss, float(ref.forward(pred, target)), what=what,
                               inputs=f"pred, target: {shape} float64")
        dpred = mse.backward(loss)
        numeric = numerical_gradient(lambda q: float(ref.forward(q, target)), pred)
        check_gradient(dpred, numeric, what="MSELoss.backward: dpred",
                       inputs=f"pred, target: {shape} float64", batch_size=shape[0])
