"""Late work: an optional penalty from the course's `course.toml`, applied to the score of a
submission handed in after its due date. Off unless the course asks for it:

    [late]
    due = "2026-12-01T23:59:00+01:00"      # the due date of every assignment...
    penalty_per_day = 0.10                 # a fraction of the score per started day late
    max_penalty = 0.50                     # at most this fraction in all
    [late.due_dates]
    "01_numpy_forward" = "2026-11-20T23:59:00+01:00"   # ...or of one assignment

When a submission was handed in comes from `submission.json` beside its files, written by
`grader import` (the LMS's time, and Canvas's own late mark), or `timestamp.txt`, written by
nbgrader's collect. The result keeps the score before the penalty (extra_data.late), and the
gradebook shows both. These files are the instructor's record of the hand-in: a student's
own `submission.json` inside an upload is overwritten by `grader import`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from pathlib import Path

from grader.course import CourseError, course_config

MAX_RECORD_BYTES = 64 << 10


def policy() -> dict:
    """The [late] table of course.toml, checked; {} when there is none."""
    late = course_config().get("late") or {}
    if not late:
        return {}
    try:
        per_day = float(late.get("penalty_per_day", 0.0))
        cap = float(late.get("max_penalty", 1.0))
    except (TypeError, ValueError):
        raise CourseError("course.toml [late]: penalty_per_day and max_penalty must be numbers") from None
    if not (0 <= per_day <= 1 and 0 <= cap <= 1):
        raise CourseError("course.toml [late]: penalty_per_day and max_penalty are fractions in [0, 1]")
    return {"due": late.get("due"), "due_dates": dict(late.get("due_dates") or {}),
            "penalty_per_day": per_day, "max_penalty": cap}


def policy_id() -> str:
    """A digest of the policy: a changed policy re-grades (it is in the resume key)."""
    return hashlib.sha256(json.dumps(policy(), sort_keys=True, default=str).encode()).hexdigest()[:12]


def _when(text) -> dt.datetime | None:
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip().replace(" UTC", "+00:00").replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def handed_in(folder: Path) -> tuple[dt.datetime | None, bool]:
    """(when the submission was handed in, whether the LMS marked it late) from its record."""
    record = Path(folder) / "submission.json"
    try:
        if record.is_file() and record.stat().st_size <= MAX_RECORD_BYTES:
            meta = json.loads(record.read_text(encoding="utf-8"))
            if isinstance(meta, dict):
                return _when(meta.get("submitted_at")), bool(meta.get("late"))
        stamp = Path(folder) / "timestamp.txt"          # nbgrader's collect
        if stamp.is_file() and stamp.stat().st_size <= MAX_RECORD_BYTES:
            return _when(stamp.read_text(encoding="utf-8")), False
    except (OSError, ValueError, UnicodeDecodeError):
        pass
    return None, False


def penalty(assignment_id: str, folder: Path) -> dict | None:
    """{"submitted_at", "due", "days_late", "penalty"} for a late submission, else None."""
    rules = policy()
    if not rules:
        return None
    due = _when(rules["due_dates"].get(assignment_id) or rules["due"])
    if due is None:
        return None
    submitted, marked = handed_in(folder)
    if submitted is not None:
        days = math.ceil((submitted - due).total_seconds() / 86400)
    else:
        days = 1 if marked else 0          # marked late by the LMS, with no time: one day
    if days <= 0:
        return None
    fraction = min(rules["max_penalty"], days * rules["penalty_per_day"])
    return {"submitted_at": submitted.isoformat() if submitted else None, "due": due.isoformat(),
            "days_late": days, "penalty": round(fraction, 6)}


def apply(result: dict, assignment_id: str, folder: Path) -> dict:
    """The result with the late penalty taken off its score (the raw score kept)."""
    late = penalty(assignment_id, folder)
    if late is None:
        return result
    raw = result["score"]
    late["raw_score"] = raw
    result["score"] = round(raw * (1 - late["penalty"]), 4)
    result["extra_data"]["late"] = late
    result["output"] += (f" Handed in {late['days_late']} day(s) late: {late['penalty']:.0%} off, "
                         f"{result['score']:g} of {raw:g} points.")
    return result
