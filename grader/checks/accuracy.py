"""Accuracy tiers: full or partial credit by how far a trained model gets on hidden data."""
from __future__ import annotations

from grader.checks.errors import CheckFailed
from grader.i18n import _, num


def award_tiers(credit, value: float, tiers, *, what: str, metric: str | None = None) -> float:
    """Award the fraction of the highest tier reached; fail below the lowest.

    `tiers` is a list of (threshold, fraction), e.g. [(0.90, 1.0), (0.85, 0.5)]: each
    threshold calibrated from the reference over several seeds (record the calibration
    beside the suite). Returns the fraction awarded.
    """
    metric = metric or _("accuracy")
    ordered = sorted(tiers, key=lambda t: t[0], reverse=True)
    for threshold, fraction in ordered:
        if value >= threshold:
            credit.award(fraction, _("{what}: {metric} {value} reached the tier {metric} >= "
                                     "{threshold} ({percent} of the points)").format(
                what=what, metric=metric, value=num(value, ".4f"), threshold=num(threshold, "g"),
                percent=num(fraction, ".0%")))
            return fraction
    lowest = ordered[-1][0]
    raise CheckFailed(_("{what}: {metric} {value} on the hidden test data is below the lowest "
                        "tier ({lowest})").format(what=what, metric=metric, value=num(value, ".4f"),
                                                  lowest=num(lowest, "g")))
