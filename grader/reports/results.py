"""A submission's results.json: where it lives, writing it, reading a class's back, and
the small readers of a result dict (Gradescope's schema, our extra_data) the reports share."""
from __future__ import annotations

import json
import logging
import math
from pathlib import Path

from grader.reports.files import atomic_write_text

log = logging.getLogger(__name__)

RESULTS_NAME = "results.json"
SIMILARITY_NAME = "similarity.json"   # OUT/similarity.json: grader grade --similarity


def format_score(x: float) -> str:
    """Up to two decimals without trailing zeros: 7.5 -> "7.5", 10.0 -> "10", 1/3 -> "0.33"."""
    if x is None or not math.isfinite(x):
        return ""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def extra_of(result: dict) -> dict:
    return result.get("extra_data") or {}


def student_of(result: dict) -> str:
    return str(extra_of(result).get("student") or "")


def assignment_of(result: dict) -> str:
    return str(extra_of(result).get("assignment") or "")


def is_ungradable(result: dict) -> bool:
    return extra_of(result).get("verdict") == "ungradable"


def number(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return 0.0
    return float(value)


def verdict_of(test: dict) -> str:
    verdict = (test.get("extra_data") or {}).get("verdict")
    if verdict:
        return str(verdict)
    return "pass" if test.get("status") == "passed" else "wrong answer"


def internal_error_count(result: dict) -> int:
    """Tests the grader failed on (not the student's fault): the submission needs a re-grade."""
    counted = extra_of(result).get("internal_errors")
    in_tests = sum(1 for t in result.get("tests") or [] if verdict_of(t) == "internal grader error")
    return max(int(number(counted)), in_tests)


def safe_component(name: str, what: str) -> str:
    # Names become folder names under OUT; a name like "../x" must not escape it.
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise ValueError(f"cannot write reports: {what} name {name!r} is not a plain folder name")
    return name


def submission_dir(out_dir: Path, result: dict) -> Path:
    return results_folder(out_dir, student_of(result), assignment_of(result))


def results_folder(out_dir: Path, student: str, assignment: str) -> Path:
    """OUT/<student>/<assignment>/: a submission's results.json and its feedback pages."""
    return Path(out_dir) / safe_component(student, "student") / safe_component(assignment, "assignment")


def results_path(out_dir: Path, student: str, assignment: str) -> Path:
    """The one place a submission's results.json lives."""
    return results_folder(out_dir, student, assignment) / RESULTS_NAME


def write_results(out_dir: Path, result: dict) -> Path:
    """Write a submission's results.json (all the engine writes: its pages are rendered from it
    at the end of the run, grader.reports.write_reports); returns its folder."""
    path = results_path(out_dir, student_of(result), assignment_of(result))
    atomic_write_text(path, json.dumps(result, indent=2) + "\n")
    return path.parent


def _problem_with(data) -> str | None:
    if not isinstance(data, dict):
        return "not a JSON object"
    for key in ("score", "max_score"):
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return f"{key} is not a number"
    if not isinstance(data.get("tests", []), list):
        return "tests is not a list"
    if not isinstance(data.get("extra_data", {}), dict):
        return "extra_data is not an object"
    return None


def collect_results(out_dir: Path, warnings: list[str] | None = None) -> list[dict]:
    """Every readable OUT/<student>/<assignment>/results.json, sorted by student and assignment.

    A broken file is skipped with a warning (logged, and appended to `warnings` if given)."""
    results = []
    for path in sorted(Path(out_dir).glob(f"*/*/{RESULTS_NAME}")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            problem = _problem_with(data)
        except (OSError, UnicodeDecodeError, ValueError) as e:
            problem = f"unreadable ({e.__class__.__name__}: {e})"
        if problem:
            message = f"{path}: {problem}; left out of the reports (re-grade this submission)"
            log.warning(message)
            if warnings is not None:
                warnings.append(message)
            continue
        extra = data.setdefault("extra_data", {})
        # The folder names are the fallback identity of a result that does not state its own.
        extra.setdefault("student", path.parent.parent.name)
        extra.setdefault("assignment", path.parent.name)
        results.append(data)
    results.sort(key=lambda r: (student_of(r), assignment_of(r)))
    return results
