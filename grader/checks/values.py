"""The student's values as the checks take them: the one number check and the one array
check (type, shape, dtype, finiteness, each refusal in one wording), and how a message
names a value and where it came from.

Every check of grader.checks coerces through `number` and `array`; a suite's own helpers
(a label vector, a weight matrix) should too.
"""
from __future__ import annotations

import math

import numpy as np

from grader.checks.errors import InvalidOutput
from grader.i18n import N_, _

OVERFLOW_HINT = N_("look for overflow, log(0) or 0/0")
KIND_NAMES = {"f": N_("float"), "i": N_("integer"), "u": N_("integer"), "b": N_("bool"),
              "c": N_("complex")}


def subject(what: str, inputs: str | None) -> str:
    """The subject of a message: what was checked, and on which inputs."""
    return _("{what} for {inputs}").format(what=what, inputs=inputs) if inputs else f"{what}"


def kind_of(value) -> str:
    """What a value is, for a message: "a numpy array of dtype int64", "a RemoteObject", "a
    str"; never touches a student's object (no remote call)."""
    if isinstance(value, np.ndarray):
        return _("a numpy array of dtype {dtype}").format(dtype=value.dtype)
    type_name = getattr(value, "type_name", None)
    return _("a {type}").format(type=type_name or type(value).__name__)


def number(value, *, where: str, finite: bool = True, kinds: str = "biuf") -> float:
    """A Python int or float, or a size-1 numpy array whose dtype kind is one of `kinds`, as
    a float; with `finite`, NaN and inf are refused."""
    if type(value) in (int, float):
        result = float(value)
    elif type(value) is np.ndarray and value.size == 1 and value.dtype.kind in kinds:
        result = float(value.reshape(()))
    else:
        got = (_("{kind} of shape {shape}").format(kind=kind_of(value), shape=value.shape)
               if isinstance(value, np.ndarray) else kind_of(value))
        raise InvalidOutput(_("{where}: expected a number, got {got}").format(where=where,
                                                                               got=got))
    if finite and not math.isfinite(result):
        raise InvalidOutput(_("{where}: got {value}, expected a finite number; {hint}").format(
            where=where, value=result, hint=_(OVERFLOW_HINT)))
    return result


def array(value, *, where: str, shape=None, kinds: str | None = None, dtype=None,
          dtype_hint: str = "", finite: bool = True) -> np.ndarray:
    """A numpy array (the wire gives base-class arrays; anything else is wrong) of `shape`,
    of dtype `dtype` (`dtype_hint` replaces the refusal's default hint) or of a dtype kind
    in `kinds`,
    and with `finite`, without NaN or inf; returns it unchanged."""
    if type(value) is not np.ndarray:
        raise InvalidOutput(_("{where}: expected a numpy array, got {got}").format(
            where=where, got=kind_of(value)))
    if shape is not None and value.shape != tuple(shape):
        shape = tuple(shape)
        hint = (_(" (it looks transposed)") if value.ndim == 2 and value.shape == shape[::-1]
                else "")
        raise InvalidOutput(_("{where}: expected shape {shape}, got {got}").format(
            where=where, shape=shape, got=value.shape) + hint)
    if dtype is not None and value.dtype != np.dtype(dtype):
        want = np.dtype(dtype)
        if not dtype_hint and want.kind == "f" and value.dtype.kind == "f":
            dtype_hint = _(" (float inputs must keep their float dtype)")
        raise InvalidOutput(_("{where}: expected dtype {dtype}, got {got}").format(
            where=where, dtype=want, got=value.dtype) + dtype_hint)
    if kinds is not None and value.dtype.kind not in kinds:
        wanted = _(" or ").join(sorted({_(KIND_NAMES[k]) for k in kinds}))
        raise InvalidOutput(_("{where}: expected a {kind} array, got dtype {dtype}").format(
            where=where, kind=wanted, dtype=value.dtype))
    if finite:
        problem = nonfinite(value)
        if problem:
            raise InvalidOutput(f"{where}: {problem}")
    return value


def nonfinite(value: np.ndarray) -> str | None:
    """What is not finite in a float or complex array, for a message (None: nothing)."""
    if value.dtype.kind not in "fc":
        return None
    bad = ~np.isfinite(value)
    if not bad.any():
        return None
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    kind = "NaN" if np.isnan(value[idx]) else "inf"
    return _("{bad} of {size} values are NaN or inf (first {kind} at index {index}); "
             "{hint}").format(bad=int(bad.sum()), size=value.size, kind=kind, index=idx,
                              hint=_(OVERFLOW_HINT))
