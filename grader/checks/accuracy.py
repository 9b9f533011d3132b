"""Accuracy tiers: full or partial credit by how far a trained model gets on hidden data."""
from __future__ import annotations

from grader.checks.errors import CheckFailed


def award_tiers(credit, value: float, tiers, *, what: str, metric: str = "accuracy") -> float:
    """Award the fraction of the highest tier reached; fail below the lowest.

    `tiers` is a list of (threshold, fraction), e.g. [(0.90, 1.0), (0.85, 0.5)]: each
    threshold calibrated from the reference over several seeds (record the calibration
    beside the suite). Returns the fraction awarded.
    """
    ordered = sorted(tiers, key=lambda t: t[0], reverse=True)
    for threshold, fraction in ordered:
        if value >= threshold:
            credit.award(fraction, f"{what}: {metric} {value:.4f} reached the tier "
                                   f"{metric} >= {threshold:g} ({fraction:.0%} of the points)")
            return fraction
    lowest = ordered[-1][0]
    raise CheckFailed(f"{what}: {metric} {value:.4f} on the hidden test data is below the "
                      f"lowest tier ({lowest:g})")
