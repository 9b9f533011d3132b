"""Checks of properties rather than of values: an output's kind and shape before it is used,
and a measured statistic within a stated tolerance of what the property demands.

Where there is no single right answer (a random dropout mask, a shuffled split, predictions
of a trained network) the suite checks what must hold, with these.
"""
from __future__ import annotations

import math

import numpy as np

from grader.checks.errors import CheckFailed, InvalidOutput
from grader.checks.values import kind_of, subject


def check_output(got, shape, *, what: str, inputs: str | None = None, kinds: str = "f",
                 finite: bool = True) -> np.ndarray:
    """A numpy array of that shape whose dtype kind is one of `kinds` ("f" float, "iu"
    integer, "b" bool), all finite; returns a float64 (or int64) copy for the suite to use."""
    where = subject(what, inputs)
    if type(got) is not np.ndarray:
        raise InvalidOutput(f"{where}: expected a numpy array, got {kind_of(got)}")
    if got.shape != tuple(shape):
        raise InvalidOutput(f"{where}: expected shape {tuple(shape)}, got {got.shape}")
    if got.dtype.kind not in kinds:
        names = {"f": "float", "i": "integer", "u": "integer", "b": "bool"}
        wanted = " or ".join(sorted({names[k] for k in kinds}))
        raise InvalidOutput(f"{where}: expected a {wanted} array, got dtype {got.dtype}")
    if finite and got.dtype.kind == "f" and not np.isfinite(got).all():
        bad = int((~np.isfinite(got)).sum())
        raise InvalidOutput(f"{where}: {bad} of {got.size} values are NaN or inf")
    return got.astype(np.int64 if got.dtype.kind in "iu" else np.float64, copy=True)


def check_number(got, *, what: str, inputs: str | None = None) -> float:
    """A finite Python number or a size-1 numeric array, as a float."""
    where = subject(what, inputs)
    if type(got) in (int, float):
        value = float(got)
    elif type(got) is np.ndarray and got.size == 1 and got.dtype.kind in "iuf":
        value = float(got.reshape(()))
    else:
        raise InvalidOutput(f"{where}: expected a number, got {kind_of(got)}")
    if not math.isfinite(value):
        raise InvalidOutput(f"{where}: got {value}")
    return value


def check_close_to(value: float, target: float, tolerance: float, *, what: str,
                   why: str) -> None:
    """A statistic measured on the student's output must lie within `tolerance` of the value
    a property demands (a public fact, e.g. "the mean stays 1.0"); `why` names the property."""
    if abs(value - target) <= tolerance:
        return
    raise CheckFailed(f"{what}: measured {value:.4g}, but {why} requires {target:g} "
                      f"(tolerance ±{tolerance:g})")
