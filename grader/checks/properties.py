"""Checks of properties rather than of values: an output's kind and shape before it is used,
and a measured statistic within a stated tolerance of what the property demands.

Where there is no single right answer (a random dropout mask, a shuffled split, predictions
of a trained network) the suite checks what must hold, with these.
"""
from __future__ import annotations

import numpy as np

from grader.checks.errors import CheckFailed
from grader.checks.values import array, number, subject
from grader.i18n import _, num


def check_output(got, shape, *, what: str, inputs: str | None = None, kinds: str = "f",
                 finite: bool = True) -> np.ndarray:
    """A numpy array of that shape whose dtype kind is one of `kinds` ("f" float, "iu"
    integer, "b" bool), all finite; returns a float64 (or int64) copy for the suite to use."""
    got = array(got, where=subject(what, inputs), shape=shape, kinds=kinds, finite=finite)
    return got.astype(np.int64 if got.dtype.kind in "iu" else np.float64, copy=True)


def check_number(got, *, what: str, inputs: str | None = None) -> float:
    """A finite Python number or a size-1 numeric array, as a float."""
    return number(got, where=subject(what, inputs), kinds="iuf")


def check_close_to(value: float, target: float, tolerance: float, *, what: str,
                   why: str) -> None:
    """A statistic measured on the student's output must lie within `tolerance` of the value
    a property demands (a public fact, e.g. "the mean stays 1.0"); `why` names the property."""
    if abs(value - target) <= tolerance:
        return
    raise CheckFailed(_("{what}: measured {value}, but {why} requires {target} (tolerance "
                        "±{tolerance})").format(what=what, value=num(value, ".4g"), why=why,
                                                target=num(target, "g"), tolerance=num(tolerance, "g")))
