"""The class's numbers per assignment: mean, median, full marks, failures by verdict."""
from __future__ import annotations

from collections import Counter

from grader.reports.results import (assignment_of, format_score, internal_error_count,
                                    is_ungradable, number, verdict_of)
from grader.vocabulary import NOT_FAILURES, VERDICTS


def _median(values: list[float]) -> float | None:
    values = sorted(values)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def by_assignment(results: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for r in results:
        groups.setdefault(assignment_of(r), []).append(r)
    return {a: groups[a] for a in sorted(groups)}


def ordered_verdicts(seen) -> list[str]:
    return [v for v in VERDICTS if v in seen] + sorted(set(seen) - set(VERDICTS))


def assignment_stats(assignment: str, results: list[dict]) -> dict:
    """The numbers of one assignment across the class; JSON-ready. An ungradable submission
    scores 0 in the mean and median, as in the gradebook. `failures` counts, per verdict of a
    failed test, the submissions with at least one such test and the tests themselves."""
    max_score = max((number(r.get("max_score")) for r in results), default=0.0)
    scores = [0.0 if is_ungradable(r) else number(r.get("score")) for r in results]
    submissions_with: Counter = Counter()
    tests_with: Counter = Counter()
    for r in results:
        verdicts = [verdict_of(t) for t in r.get("tests") or []]
        failed = [v for v in verdicts if v not in NOT_FAILURES]
        tests_with.update(failed)
        submissions_with.update(set(failed))
    mean = sum(scores) / len(scores) if scores else None
    return {
        "assignment": assignment,
        "submissions": len(results),
        "ungradable": sum(is_ungradable(r) for r in results),
        "needs_regrade": sum(internal_error_count(r) > 0 for r in results),
        "max_score": max_score,
        "mean": None if mean is None else round(mean, 4),
        "median": _median(scores),
        "full_marks": sum(1 for r, s in zip(results, scores)
                          if not is_ungradable(r) and max_score > 0 and s >= max_score - 1e-9),
        "failures": {v: {"submissions": submissions_with[v], "tests": tests_with[v]}
                     for v in ordered_verdicts(submissions_with)},
    }


def class_stats(results: list[dict]) -> list[dict]:
    """assignment_stats of every assignment in `results`, sorted by assignment."""
    return [assignment_stats(a, rs) for a, rs in by_assignment(results).items()]


def failures_text(stats: dict) -> str:
    return ", ".join(f"{v} {f['submissions']}" for v, f in stats["failures"].items())


def fits(console, table) -> bool:
    """Whether `table` fits the console's width without wrapping a cell."""
    from rich.measure import Measurement

    unbounded = console.options.update(max_width=10_000)
    return Measurement.get(console, unbounded, table).maximum <= console.width


def print_summary(results: list[dict], console=None) -> list[dict]:
    """The class in one table: per assignment the mean, median, full marks and failures by
    verdict. Where that is wider than the terminal (80 columns, say), the columns get short
    names and the failures are listed below the table, a line per assignment."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = console or Console()
    stats = class_stats(results)

    def table(names, failures: bool):
        t = Table(title="Summary per assignment")
        for i, name in enumerate(names):
            t.add_column(name, justify="left" if i == 0 or name.startswith("failures") else "right",
                         no_wrap=i == 0)
        for st in stats:
            cells = [Text(st["assignment"]), str(st["submissions"]), format_score(st["mean"]),
                     format_score(st["median"]), format_score(st["max_score"]),
                     str(st["full_marks"]), str(st["ungradable"])]
            t.add_row(*cells, *([Text(failures_text(st))] if failures else []))
        return t

    wide = table(("assignment", "submissions", "mean", "median", "max", "full marks", "ungradable",
                  "failures by verdict (submissions)"), failures=True)
    if fits(console, wide):
        console.print(wide)
        return stats
    console.print(table(("assignment", "subs", "mean", "median", "max", "full", "ungr."),
                        failures=False))
    listed = [st for st in stats if st["failures"]]
    if listed:
        console.print("failures by verdict (submissions):")
        for st in listed:
            console.print(Text(f"  {st['assignment']}: {failures_text(st)}"))
    return stats
