"""Gradient checks: a student's backward against central finite differences of the
*reference* forward, at the same point and parameters.

The finite differences are never taken of the student's forward: a forward that returns
cached outputs near the probe point would make both sides agree on a wrong gradient
(SANDBOX.md, rule 3). The student's forward is first shown to give the reference's values
at the probe point; then its backward is compared with the gradient of the reference's
forward there, computed in the trusted process (also far faster than a remote call per
probe). Nothing computed by the reference is sent to the student's process. A layer's
output gradient is probed with the scalar objective f = sum(forward(x) * G) for a fixed
random G, so the gradient its backward receives is G.

Thresholds, in float64 with h = 1e-6: the error of one entry is
    |analytic - numerical| / max(|analytic|, |numerical|, tiny),
with tiny = 1e-3 times the largest |numerical| entry (entries a thousand times smaller
than the gradient's scale are compared on that scale, where finite differences are noise);
the check passes when the largest error is at most GRAD_RTOL = 1e-5. A correct backward
stays below 1e-7; every mistake this module recognises is above 1e-1.
"""
from __future__ import annotations

import numpy as np

from grader.checks.errors import CheckFailed, InvalidOutput
from grader.checks.values import array, number, subject
from grader.i18n import _, num

H = 1e-6              # finite-difference step, float64
GRAD_RTOL = 1e-5      # the largest relative error a correct gradient may show
TINY_FRACTION = 1e-3  # tiny = TINY_FRACTION * max |numerical|
# Central differences carry an absolute error of about 1e-10 (rounding of an O(1) objective
# over h): entries smaller than this floor are compared absolutely, or a saturated softmax
# (every gradient entry ~1e-6) fails an honest solution on noise alone.
TINY_FLOOR = 1e-4
FIT_RTOL = 1e-3       # how closely a wrong gradient must match a known mistake to name it


# --------------------------------------------------------------------------------------
# Values from the student's code
# --------------------------------------------------------------------------------------

def as_float_array(value, *, what: str, shape=None) -> np.ndarray:
    """The student's array, checked to be a finite float64 array (of `shape` if given)."""
    return array(value, where=what, shape=shape, dtype=np.float64,
                 dtype_hint=" (keep the inputs' dtype; a gradient check needs float64)")


def as_float(value, *, what: str) -> float:
    """The student's scalar (a Python number or a size-1 array), checked to be finite."""
    return number(value, where=what)


# --------------------------------------------------------------------------------------
# Finite differences
# --------------------------------------------------------------------------------------

def numerical_gradient(f, x, h: float = H) -> np.ndarray:
    """Central differences of the scalar function f at x, one entry at a time, in float64.

    f receives a fresh perturbed copy of x each time (so a forward that modifies its
    input cannot disturb the probe) and returns a float.
    """
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = f(x.copy())
        x[idx] = old - h
        minus = f(x.copy())
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def parameter_gradient(obj, name: str, value, objective, h: float = H) -> np.ndarray:
    """d objective() / d obj.<name> by central differences: set the attribute on the
    handle (`lin.W = W_perturbed`), evaluate, and finally restore `value`."""
    def f(perturbed):
        setattr(obj, name, perturbed)
        return objective()
    try:
        return numerical_gradient(f, value, h)
    finally:
        setattr(obj, name, np.array(value, dtype=np.float64))


def relative_error(analytic, numerical) -> np.ndarray:
    """Entrywise |a - n| / max(|a|, |n|, tiny), tiny = TINY_FRACTION * max |n| (>= TINY_FLOOR)."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numerical, dtype=np.float64)
    tiny = max(TINY_FRACTION * float(np.max(np.abs(n), initial=0.0)), TINY_FLOOR)
    return np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), tiny)


def away_from_zero(rng, shape, low: float = 0.1, high: float = 2.0) -> np.ndarray:
    """Random values with |v| in [low, high] and a random sign: inputs of ReLU and LeakyReLU
    that keep every finite-difference probe (h = 1e-6) on one side of the kink at 0."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, high, size=shape)


# --------------------------------------------------------------------------------------
# Diagnosis: the mistake behind a wrong gradient
# --------------------------------------------------------------------------------------

def _fits(a: np.ndarray, b: np.ndarray) -> bool:
    """a equals b up to rounding (a relative error of FIT_RTOL over the whole array)."""
    scale = max(float(np.max(np.abs(b), initial=0.0)), 1e-12)
    return a.shape == b.shape and float(np.max(np.abs(a - b), initial=0.0)) <= FIT_RTOL * scale


def _proportional(a: np.ndarray, n: np.ndarray) -> float | None:
    """k when a = k * n (k != 1), else None."""
    nn = float(np.sum(n * n))
    if nn == 0.0:
        return None
    k = float(np.sum(a * n)) / nn
    return k if k != 0.0 and _fits(a, k * n) else None


def _factor_cause(k: float, name: str, batch_size: int | None) -> str:
    def near(target):
        return abs(k - target) <= 1e-3 * abs(target)
    if near(-1.0):
        return _("{name} has the wrong sign: it is exactly minus the right gradient (check the "
                 "sign of the derivative, e.g. of -log p)").format(name=name)
    if batch_size and batch_size > 1 and near(batch_size):
        return _("{name} is {n} times too large, the batch size N = {n}: a missing 1/N (the "
                 "loss is a mean over the batch, so its gradient has 1/N)").format(name=name,
                                                                                    n=batch_size)
    if batch_size and batch_size > 1 and near(1.0 / batch_size):
        return _("{name} is {n} times too small, the batch size N = {n}: divided by N once too "
                 "often (e.g. a mean where the batch needs a sum)").format(name=name,
                                                                            n=batch_size)
    if near(2.0) or near(0.5):
        return _("{name} is off by a factor {factor} (e.g. a lost or extra 2 from "
                 "d(x**2)/dx)").format(name=name, factor=num(k, ".3g"))
    return _("{name} is proportional to the right gradient but {factor} times as "
             "large").format(name=name, factor=num(k, ".3g"))


def diagnose(analytic: np.ndarray, numerical: np.ndarray, *, name: str,
             batch_size: int | None = None, patterns=()) -> str | None:
    """The most likely cause of a wrong gradient, in the course's words, or None.

    `patterns` are (array, cause) pairs the suite computed from what it knows (its own
    inputs, the student's forward outputs): the gradient a known mistake would give.
    """
    a, n = analytic, numerical
    if a.shape != n.shape:
        return None
    if not np.any(n) and np.any(a):
        return _("the forward does not change when this value changes, but {name} is not "
                 "zero").format(name=name)
    if np.any(n) and not np.any(a):
        return _("{name} is zero everywhere: is it computed, and stored where it is "
                 "read?").format(name=name)
    for pattern, cause in patterns:
        if _fits(a, np.asarray(pattern, dtype=np.float64)):
            return cause
    if a.ndim == 2 and a.shape[0] == a.shape[1] and a.shape[0] > 1 and _fits(a, n.T):
        return _("{name} is the transpose of the right gradient: check the order of the matrix "
                 "product").format(name=name)
    k = _proportional(a, n)
    if k is not None:
        return _factor_cause(k, name, batch_size)
    return None


def _shape_cause(a_shape, n_shape, name: str, batch_size: int | None) -> str:
    if len(a_shape) == 2 and len(n_shape) == 2 and a_shape == n_shape[::-1]:
        return _("{name} has shape {got} where {expected} is expected: it looks transposed (for "
                 "a Linear layer, dW = dz.T @ x has the shape of W, (nout, nin))").format(
            name=name, got=a_shape, expected=n_shape)
    size = int(np.prod(n_shape))
    if batch_size and len(a_shape) == 2 and a_shape[0] == batch_size and a_shape[1] == size \
            and size != a_shape[0] * a_shape[1]:
        return _("{name} has shape {got}, one row per sample, where {expected} is expected: sum "
                 "it over the batch (axis 0), e.g. db = dz.sum(axis=0)").format(
            name=name, got=a_shape, expected=n_shape)
    return _("{name} has shape {got} where {expected} is expected").format(
        name=name, got=a_shape, expected=n_shape)


# --------------------------------------------------------------------------------------
# The check
# --------------------------------------------------------------------------------------

def check_gradient(analytic, numerical, *, what: str, inputs: str | None = None,
                   rtol: float = GRAD_RTOL, batch_size: int | None = None,
                   patterns=(), allow_squeeze: bool = False) -> float:
    """The student's gradient `analytic` against `numerical` (finite differences of the
    reference's forward at the same point).

    Fails with a message naming the gradient (`what`, e.g. "Linear.backward: dW"), how
    many entries are wrong and the largest relative error against the threshold, and the
    most likely cause when the pattern is recognised. `allow_squeeze` accepts a shape that
    differs only by axes of length 1 (db as (nout,) or (1, nout)). Returns the largest
    relative error.
    """
    where = subject(what, inputs)
    n = np.asarray(numerical, dtype=np.float64)
    a = array(analytic, where=where, kinds="fiu", finite=False)
    if a.shape != n.shape and allow_squeeze and a.size == n.size and \
            [d for d in a.shape if d != 1] == [d for d in n.shape if d != 1]:
        a = a.reshape(n.shape)
    if a.shape != n.shape:
        name = what.rsplit(": ", 1)[-1]       # "Linear.backward: dW" -> dW, named once
        raise InvalidOutput(f"{where}: {_shape_cause(a.shape, n.shape, name, batch_size)}")
    a = array(a.astype(np.float64), where=where)        # finite
    err = relative_error(a, n)
    worst = float(err.max(initial=0.0))
    if worst <= rtol:
        return worst
    idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(err)), err.shape))
    n_bad = int((err > rtol).sum())
    message = _("{where}: {bad} of {size} entries disagree with the finite-difference gradient "
                "of the forward; the worst is at index {index} (relative error {error}, "
                "threshold {threshold})").format(where=where, bad=n_bad, size=a.size, index=idx,
                                                 error=num(worst, ".2g"), threshold=num(rtol, "g"))
    cause = diagnose(a, n, name=what.rsplit(": ", 1)[-1], batch_size=batch_size,
                     patterns=patterns)
    raise CheckFailed(message + (_("; most likely {cause}").format(cause=cause) if cause else ""))


# --------------------------------------------------------------------------------------
# One layer, probed whole
# --------------------------------------------------------------------------------------

def check_forward_at_probe(got, want, *, what: str, inputs: str | None = None,
                           rtol: float = 1e-7, atol: float = 1e-10) -> None:
    """The student's forward value at the probe point must be the reference's: the backward
    is checked against the gradient of the right forward, which is the gradient of theirs
    only where the two agree."""
    from grader.checks.numeric import check_array, check_scalar

    try:
        if isinstance(want, np.ndarray):
            check_array(got, want, what=what, inputs=inputs, rtol=rtol, atol=atol)
        else:
            check_scalar(got, want, what=what, inputs=inputs, rtol=rtol, atol=atol)
    except CheckFailed as exc:
        raise type(exc)(_("{problem}; the backward is checked at this point against the "
                          "gradient of the correct forward, so fix the forward first").format(
            problem=exc)) from None


class LayerProbe:
    """A layer's forward, backward and stored parameter gradients on one batch, with the
    finite differences of the reference layer to check them against.

    `layer` is a handle (or a local object) with forward/backward; `reference` is the
    reference's layer of the same kind, a local object. `params` maps attribute names
    ("W", "b") to the values the suite sets on both before probing; G is the fixed random
    output gradient; `out_shape`, when given, is the shape forward must return. The
    student's forward must give the reference's output at x (checked by every check_*);
    then its backward (run right after that forward) is compared with the reference
    forward's finite differences, taken here."""

    def __init__(self, layer, reference, x, G=None, *, rng=None, params=None,
                 name: str = "layer", out_shape=None):
        self.layer, self.reference, self.name = layer, reference, name
        self.x = np.array(x, dtype=np.float64)
        self.params = {k: np.array(v, dtype=np.float64) for k, v in (params or {}).items()}
        for key, value in self.params.items():
            setattr(layer, key, value)
            setattr(reference, key, value.copy())
        out = as_float_array(layer.forward(self.x.copy()), what=f"{name}.forward(x)",
                             shape=out_shape)
        self.expected_out = np.asarray(reference.forward(self.x.copy()), dtype=np.float64)
        if G is None:
            G = rng.normal(size=self.expected_out.shape)
        self.G = np.asarray(G, dtype=np.float64)
        if out.shape != self.G.shape:
            raise InvalidOutput(_("{name}.forward(x): expected shape {shape}, got {got}").format(
                name=name, shape=self.G.shape, got=out.shape))
        self.out = out
        self.dx = layer.backward(self.G.copy())
        self.stored = {key: getattr(layer, "d" + key) for key in self.params}

    def _require_forward(self, inputs: str | None) -> None:
        check_forward_at_probe(self.out, self.expected_out, what=f"{self.name}.forward(x)",
                               inputs=inputs)

    def objective(self, x=None) -> float:
        """sum(reference.forward(x) * G), in this process."""
        out = self.reference.forward(self.x.copy() if x is None else x)
        return float(np.sum(np.asarray(out, dtype=np.float64) * self.G))

    def numerical_dx(self, h: float = H) -> np.ndarray:
        return numerical_gradient(self.objective, self.x, h)

    def numerical_param(self, key: str, h: float = H) -> np.ndarray:
        return parameter_gradient(self.reference, key, self.params[key], self.objective, h)

    def check_dx(self, *, inputs: str | None = None, patterns=(), rtol: float = GRAD_RTOL):
        self._require_forward(inputs)
        return check_gradient(self.dx, self.numerical_dx(), what=f"{self.name}.backward: dx",
                              inputs=inputs, batch_size=len(self.x), patterns=patterns,
                              rtol=rtol)

    def check_param(self, key: str, *, inputs: str | None = None, patterns=(),
                    allow_squeeze: bool = False, rtol: float = GRAD_RTOL):
        self._require_forward(inputs)
        return check_gradient(self.stored[key], self.numerical_param(key),
                              what=f"{self.name}.backward: d{key}", inputs=inputs,
                              batch_size=len(self.x), patterns=patterns,
                              allow_squeeze=allow_squeeze, rtol=rtol)
