"""report.html: the class at a glance, per assignment its histogram, pass rates and
verdicts, and the submissions an instructor should look at."""
from __future__ import annotations

import base64
import io
import math
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from grader.reports.files import atomic_write_text
from grader.reports.results import (SIMILARITY_NAME, assignment_of, collect_results, extra_of,
                                    format_score, internal_error_count, is_ungradable, number,
                                    student_of, verdict_of)
from grader.reports.stats import assignment_stats, by_assignment, failures_text, ordered_verdicts
from grader.reports.templates import html_env
from grader.vocabulary import NOT_COUNTED, NOT_FAILURES


SLOWEST = 10  # submissions listed in the class report's "slowest" table


def _png_base64(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _plot_label(text: str) -> str:
    # matplotlib reads text between two "$" as TeX math and fails to draw bad TeX.
    return text.replace("$", r"\$")


def _histogram_png(Figure, graded: list[float], ungradable: list[float], max_score: float, title: str) -> str:
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(6, 3))
    ax = figure.add_subplot()
    data, labels, colors = [graded], ["graded"], ["#4c72b0"]
    if ungradable:
        data.append(ungradable)
        labels.append("ungradable (0)")
        colors.append("#c44e52")
    ax.hist(data, bins=min(20, max(5, int(math.ceil(max_score)))), range=(0, max_score or 1),
            stacked=True, label=labels, color=colors)
    ax.set_xlabel("score")
    ax.set_ylabel("submissions")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(_plot_label(title))
    if ungradable:
        ax.legend()
    return _png_base64(figure)


def rate_color(percent: float) -> str:
    """A pass rate's colour: red below 50%, amber below 80%, green from 80%."""
    return "#c44e52" if percent < 50 else "#dd8452" if percent < 80 else "#55a868"


def chart_labels(names: list[str], width: int = 48) -> list[str]:
    """A chart's labels: long names wrapped over lines at spaces, never cut."""
    import textwrap

    return [_plot_label("\n".join(textwrap.wrap(n, width, break_long_words=False,
                                                break_on_hyphens=False)) or n) for n in names]


def _barh_png(Figure, names: list[str], values: list[float], title: str, xlabel: str,
              xmax: float | None = None, color=None) -> str:
    """A horizontal bar chart; `color`: one colour, or a function of the value (a rate).
    Long names wrap over lines; none is cut."""
    from matplotlib.ticker import MaxNLocator

    labels = chart_labels(names)
    lines = sum(label.count("\n") + 1 for label in labels)
    figure = Figure(figsize=(8, 0.9 + 0.3 * max(lines, len(names))))
    ax = figure.add_subplot()
    colors = [color(v) for v in values] if callable(color) else (color or "#55a868")
    ax.barh(range(len(names)), values, color=colors)
    ax.set_yticks(range(len(names)), labels)
    ax.invert_yaxis()  # first name at the top, as in the tables
    if xmax is not None:
        ax.set_xlim(0, xmax)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_title(_plot_label(title))
    return _png_base64(figure)


def _gradebook(results: list[dict]) -> dict:
    """The report's first table: a row per student (flagged ones first), a cell per
    assignment linking to that submission's page, the total, and the student's overview."""
    from grader.reports.gradebook import build_gradebook

    book = build_gradebook(results)
    warned = {(student_of(r), assignment_of(r)) for r in results if extra_of(r).get("warnings")}
    rows = []
    for row in book.rows:
        cells, flags = [], set()
        for a in book.assignment_ids:
            cell = row.cells.get(a)
            if cell is None:
                cells.append(None)
                continue
            flag = ("ungradable" if cell.ungradable else
                    "needs re-grade" if cell.needs_regrade else
                    "late" if cell.raw_score is not None else
                    "warnings" if (row.student, a) in warned else "")
            flags.add(flag)
            cells.append({"text": cell.text(), "max": format_score(cell.max_score), "flag": flag,
                          "link": f"{quote(row.student)}/{quote(a)}/feedback.html"})
        flags.discard("")
        rows.append({"student": row.student, "link": f"{quote(row.student)}/feedback.html",
                     "cells": cells, "total": format_score(row.total),
                     "max_total": format_score(row.max_total),
                     "flags": [f for f in FLAGS if f in flags]})
    # what needs a look first: ungradable, then needs re-grade; then by name
    rows.sort(key=lambda r: (not {"ungradable", "needs re-grade"} & set(r["flags"]), r["student"]))
    return {"assignments": book.assignment_ids, "rows": rows}


FLAGS = ("ungradable", "needs re-grade", "late", "warnings")


def _similarity(out_dir: Path) -> list[dict]:
    """The pairs `grader grade --similarity` flagged, per assignment (none: no section)."""
    import json

    try:
        found = json.loads((out_dir / SIMILARITY_NAME).read_text())
    except (OSError, ValueError):
        return []
    sections = []
    for assignment, entry in sorted(found.items() if isinstance(found, dict) else []):
        if not isinstance(entry, dict):
            continue
        pairs = [{"a": str(p.get("a")), "b": str(p.get("b")),
                  "similarity": " / ".join(f"{100 * number(v):.0f}%" for v in p.get("similarity") or [])}
                 for p in entry.get("pairs") or [] if isinstance(p, dict)]
        sections.append({"assignment": str(assignment), "pairs": pairs,
                         "compared": entry.get("compared"), "page": quote(str(entry.get("page") or ""))})
    return sections


def _link(result: dict) -> str:
    return f"{quote(student_of(result))}/{quote(assignment_of(result))}/feedback.html"


def _assignment_section(stats: dict, results: list[dict], Figure) -> dict:
    assignment = stats["assignment"]
    ungradable = [r for r in results if is_ungradable(r)]
    graded = [r for r in results if not is_ungradable(r)]
    max_score = stats["max_score"]
    names: list[str] = []
    counts: dict[str, Counter] = {}
    failing: dict[str, list[dict]] = {}
    for r in graded:
        for t in r.get("tests") or []:
            name = str(t.get("name") or "(unnamed test)")
            if name not in counts:
                names.append(name)
                counts[name] = Counter()
                failing[name] = []
            verdict = verdict_of(t)
            counts[name][verdict] += 1
            if verdict not in NOT_FAILURES:
                failing[name].append({"student": student_of(r), "link": _link(r),
                                      "verdict": verdict})
    verdict_columns = ordered_verdicts({v for c in counts.values() for v in c})
    tests = []
    for name in names:
        c = counts[name]
        counted = sum(n for v, n in c.items() if v not in NOT_COUNTED and v != "internal grader error")
        rate = c["pass"] / counted if counted else None
        tests.append({"name": name, "counts": [c.get(v, 0) for v in verdict_columns],
                      "pass_rate": "" if rate is None else f"{100 * rate:.0f}%", "rate": rate,
                      "failing": sorted(failing[name], key=lambda f: f["student"])})
    # hardest first, as the chart: what the class struggles with leads both
    tests.sort(key=lambda t: (t["rate"] is None, t["rate"] if t["rate"] is not None else 0.0))
    totals = [sum(counts[n].get(v, 0) for n in names) for v in verdict_columns]
    section = {
        "id": assignment,
        "submissions": len(results),
        "graded": len(graded),
        "max_score": format_score(max_score),
        "mean": format_score(stats["mean"]) if stats["mean"] is not None else "",
        "median": format_score(stats["median"]) if stats["median"] is not None else "",
        "full_marks": stats["full_marks"],
        "verdict_columns": verdict_columns,
        "tests": tests,
        "totals": totals,
        "ungradable": [{"student": student_of(r), "reason": str(extra_of(r).get("reason") or ""), "link": _link(r)}
                       for r in ungradable],
        "regrade": [{"student": student_of(r), "count": internal_error_count(r), "link": _link(r),
                     "tests": [str(t.get("name") or "") for t in r.get("tests") or []
                               if verdict_of(t) == "internal grader error"]}
                    for r in results if internal_error_count(r) > 0],
        "histogram": None,
        "pass_rates": None,
    }
    if Figure is not None and max_score > 0:
        section["histogram"] = _histogram_png(Figure, [number(r.get("score")) for r in graded],
                                              [0.0] * len(ungradable), max_score, f"{assignment}: scores")
    # Hardest checks first: the chart answers "what does the class struggle with".
    rated = sorted((t for t in tests if t["rate"] is not None), key=lambda t: t["rate"])
    if Figure is not None and rated:
        section["pass_rates"] = _barh_png(Figure, [t["name"] for t in rated], [100 * t["rate"] for t in rated],
                                          f"{assignment}: pass rate per test, lowest first",
                                          "pass rate (%)", xmax=100, color=rate_color)
    return section


def _verdict_overview(stats: list[dict], Figure) -> dict:
    """Failures by verdict across the class: submissions with at least one such test, per assignment."""
    kinds = ordered_verdicts({v for st in stats for v in st["failures"]})
    rows = []
    for v in kinds:
        cells = [st["failures"].get(v, {"submissions": 0, "tests": 0}) for st in stats]
        rows.append({"verdict": v, "cells": cells, "submissions": sum(c["submissions"] for c in cells),
                     "tests": sum(c["tests"] for c in cells)})
    ungradable = sum(st["ungradable"] for st in stats)
    chart = None
    if Figure is not None and (rows or ungradable):
        names = [r["verdict"] for r in rows] + (["ungradable"] if ungradable else [])
        values = [r["submissions"] for r in rows] + ([ungradable] if ungradable else [])
        chart = _barh_png(Figure, names, values, "failures by verdict across the class",
                          "submissions with at least one such test", color="#c44e52")
    return {"assignments": [st["assignment"] for st in stats], "rows": rows,
            "ungradable": [st["ungradable"] for st in stats], "chart": chart}


def _slowest(results: list[dict], n: int = SLOWEST) -> list[dict]:
    ranked = sorted(results, key=lambda r: number(r.get("execution_time")), reverse=True)[:n]
    return [{"student": student_of(r), "assignment": assignment_of(r), "link": _link(r),
             "seconds": f"{number(r.get('execution_time')):.1f}",
             "verdicts": failures_text(assignment_stats(assignment_of(r), [r])) or
                         ("ungradable" if is_ungradable(r) else "no failed test")}
            for r in ranked]


def write_class_report(out_dir: Path, results: list[dict] | None = None,
                       warnings: list[str] | None = None) -> Path:
    """Write OUT/report.html: a summary per assignment, failures by verdict across the class, the
    slowest submissions, and per assignment a score histogram, the pass rate per test, verdict
    counts, the ungradable submissions and those needing a re-grade. Without matplotlib: tables only."""
    try:
        # Imported here, not at module level: matplotlib is slow to import and optional.
        # The Figure API needs no pyplot, so no global backend is switched in the caller's process.
        from matplotlib.figure import Figure
        plots_note = ""
    except ImportError:
        Figure = None
        plots_note = "matplotlib is not installed, so this report has tables only (pip install 'nn-autograder[plots]')."
    warnings = [] if warnings is None else warnings
    if results is None:
        results = collect_results(out_dir, warnings)
    groups = by_assignment(results)
    stats = [assignment_stats(a, rs) for a, rs in groups.items()]
    sections = [_assignment_section(st, groups[st["assignment"]], Figure) for st in stats]
    html = html_env.get_template("report.html.j2").render(
        sections=sections, plots_note=plots_note, warnings=warnings, gradebook=_gradebook(results),
        similarity=_similarity(Path(out_dir)),
        overview=_verdict_overview(stats, Figure), slowest=_slowest(results),
        generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        students=len({student_of(r) for r in results}),
    )
    path = Path(out_dir) / "report.html"
    atomic_write_text(path, html)
    return path
