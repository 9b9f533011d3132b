"""Numeric checks: the student's arrays and numbers against the reference, with diagnostics."""
from __future__ import annotations

import math

import numpy as np

from grader.checks.errors import CheckFailed, InvalidOutput
from grader.checks.values import OVERFLOW_HINT, array, number, subject
from grader.i18n import _, num
from grader.sandbox.errors import StudentException


def close(got, want, *, rtol: float = 0.0, atol: float = 0.0) -> bool:
    """Whether `got` equals `want` within |got - want| <= atol + rtol * |want|, entry by
    entry (numbers or arrays of one shape). NaN and inf never pass, on either side: every
    tolerance comparison of the suites goes through here (or check_array/check_scalar,
    which test finiteness first), so `abs(a - b) > tol`, False for NaN, is never written."""
    try:
        g = np.asarray(got, dtype=np.float64)
        w = np.asarray(want, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if g.shape != w.shape or not (np.isfinite(g).all() and np.isfinite(w).all()):
        return False
    return bool(np.all(np.abs(g - w) <= atol + rtol * np.abs(w)))


def differ(a, b, *, rtol: float = 0.0, atol: float = 0.0) -> bool:
    """Whether two finite values really differ (beyond the tolerance); NaN or inf is never
    "different", so a check that demands a change cannot be passed by NaN."""
    try:
        x = np.asarray(a, dtype=np.float64)
        y = np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        return False
    return x.shape != y.shape or not close(x, y, rtol=rtol, atol=atol)


def describe_input(name: str, x) -> str:
    """'z: (4, 5) float64 in [-9.8, 9.9]' — the input as the student may be told of it."""
    x = np.asarray(x)
    if x.size == 0:
        return _("{name}: {shape} {dtype} (empty)").format(name=name, shape=x.shape,
                                                            dtype=x.dtype)
    if np.issubdtype(x.dtype, np.number) and not np.issubdtype(x.dtype, np.bool_):
        lo, hi = float(np.min(x)), float(np.max(x))
        return _("{name}: {shape} {dtype} in [{low}, {high}]").format(
            name=name, shape=tuple(x.shape), dtype=x.dtype, low=num(lo, ".3g"), high=num(hi, ".3g"))
    return f"{name}: {tuple(x.shape)} {x.dtype}"


def check_array(got, expected, *, what: str, inputs: str | None = None, rtol: float = 1e-6,
                atol: float = 1e-8, dtype=None, sums_to_one_axis: int | None = None) -> np.ndarray:
    """Type, shape, dtype, finiteness, then values; returns the student's array."""
    where = subject(what, inputs)
    expected = np.asarray(expected)
    # NaN or inf is refused unless the expected values have some too (then values decide)
    finite = expected.dtype.kind not in "fc" or bool(np.isfinite(expected).all())
    array(got, where=where, shape=expected.shape,
          dtype=np.dtype(dtype) if dtype is not None else expected.dtype, finite=finite)
    g = got.astype(np.float64) if got.dtype.kind in "biuf" else got
    e = expected.astype(np.float64) if expected.dtype.kind in "biuf" else expected
    if np.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True):
        return got
    diff = np.abs(g - e)
    rel = diff / np.maximum(np.maximum(np.abs(e), np.abs(g)), atol)
    rel = np.where(np.isnan(rel), np.inf, rel)
    idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(rel)), rel.shape)) if rel.ndim else ()
    n_bad = int((~np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)).sum())
    lines = [_("{where}: {bad} of {size} values are wrong; the worst is at index {index} "
               "(relative error {error}, tolerance {tolerance})").format(
        where=where, bad=n_bad, size=got.size, index=idx, error=num(float(rel[idx]), ".2g"),
        tolerance=num(rtol, "g"))]
    if g.ndim == 2 and g.shape[0] == g.shape[1] and g.shape[0] > 1 and np.allclose(
            g, e.T, rtol=rtol, atol=atol):
        lines.append(_("your result matches the expected values transposed: check the order "
                       "of a matrix product or an axis"))
    if sums_to_one_axis is not None and g.ndim:
        sums = g.sum(axis=sums_to_one_axis)
        if not np.allclose(sums, 1.0, atol=1e-5):
            lines.append(_("values do not sum to 1 along axis {axis}").format(
                axis=sums_to_one_axis))
    if np.allclose(g, -e, rtol=rtol, atol=atol):
        lines.append(_("your result has the opposite sign"))
    raise CheckFailed("; ".join(lines))


def check_scalar(got, expected, *, what: str, inputs: str | None = None, rtol: float = 1e-6,
                 atol: float = 1e-8, dtype=None) -> float:
    """A Python number or a 0-d/size-1 array; `dtype` also checks a numpy scalar's dtype."""
    where = subject(what, inputs)
    value = number(got, where=where, finite=False)
    if dtype is not None and type(got) is np.ndarray and got.dtype != np.dtype(dtype):
        raise InvalidOutput(_("{where}: expected a {dtype} number, got {got}").format(
            where=where, dtype=np.dtype(dtype), got=got.dtype))
    if not math.isfinite(value):
        if math.isfinite(float(expected)):
            raise InvalidOutput(_("{where}: got {value}; {hint}").format(
                where=where, value=value, hint=_(OVERFLOW_HINT)))
    if math.isclose(value, float(expected), rel_tol=rtol, abs_tol=atol):
        return value
    rel = abs(value - float(expected)) / max(abs(float(expected)), abs(value), atol)
    raise CheckFailed(_("{where}: wrong value (relative error {error}, tolerance {tolerance})")
                      .format(where=where, error=num(rel, ".2g"), tolerance=num(rtol, "g")))


def check_not_mutated(before, after, *, what: str, argname: str) -> None:
    """The argument as the student's function left it must equal what was passed in."""
    before = np.asarray(before)
    if type(after) is not np.ndarray or after.shape != before.shape or not np.array_equal(
            after, before, equal_nan=True):
        raise CheckFailed(_("{what} modified its input `{argument}` in place; functions must "
                            "not change their inputs (work on a copy, e.g. z = z.copy() or "
                            "np.maximum(z, 0))").format(what=what, argument=argname))


def expect_exception(call, type_name: str, *, what: str) -> None:
    """`call()` must raise an exception of that class (or a subclass) in the student's code."""
    try:
        call()
    except StudentException as exc:
        if type_name in exc.mro:
            return
        raise CheckFailed(_("{what} should raise {expected}, but raised {got}").format(
            what=what, expected=type_name, got=exc.type_name)) from None
    raise CheckFailed(_("{what} should raise {expected}, but returned normally").format(
        what=what, expected=type_name))


def check_no_warnings(student, *, what: str) -> None:
    """The last call into the student's code emitted no warning (overflow, divide by zero)."""
    warnings = student.last_warnings
    if warnings:
        raise CheckFailed(_("{what} emitted a warning: {warning}; compute it in a numerically "
                            "stable way").format(what=what, warning=warnings[0]))
