"""The reports of a grading run: results.json and feedback per submission, the gradebook
(grades.csv) and the class report, all written atomically from the engine's result dicts."""
from __future__ import annotations

import base64
import csv
import io
import json
import logging
import math
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from urllib.parse import quote

import jinja2

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

# Verdicts in the order tables show them; anything unknown is appended after these.
VERDICTS = (
    "pass", "partial", "wrong answer", "invalid output", "student exception", "import error",
    "syntax error", "timeout", "cpu limit", "memory", "output limit", "forbidden syscall",
    "crashed", "protocol violation", "skipped", "internal grader error",
)
NOT_COUNTED = ("skipped", "internal grader error")  # the engine keeps these out of max_score


# ---------------------------------------------------------------- atomic writes

@cache
def _new_file_mode() -> int:
    # mkstemp makes 0600 files; a report file should get the mode open() would give it.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = _new_file_mode()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    # The rename itself is durable only once the directory entry is on disk.
    if os.name == "posix":
        try:
            dir_fd = os.open(path.parent, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


# ---------------------------------------------------------------- small readers of a result

def format_score(x: float) -> str:
    """Up to two decimals without trailing zeros: 7.5 -> "7.5", 10.0 -> "10", 1/3 -> "0.33"."""
    if x is None or not math.isfinite(x):
        return ""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _extra(result: dict) -> dict:
    return result.get("extra_data") or {}


def _student(result: dict) -> str:
    return str(_extra(result).get("student") or "")


def _assignment(result: dict) -> str:
    return str(_extra(result).get("assignment") or "")


def is_ungradable(result: dict) -> bool:
    return _extra(result).get("verdict") == "ungradable"


def _number(value) -> float:
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
    counted = _extra(result).get("internal_errors")
    in_tests = sum(1 for t in result.get("tests") or [] if verdict_of(t) == "internal grader error")
    return max(int(_number(counted)), in_tests)


def _safe_component(name: str, what: str) -> str:
    # Names become folder names under OUT; a name like "../x" must not escape it.
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise ValueError(f"cannot write reports: {what} name {name!r} is not a plain folder name")
    return name


# ---------------------------------------------------------------- per-submission outputs

_html_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,  # every template here is HTML; test output and stdout are student-influenced
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _md_text(text) -> str:
    """One line of Markdown text that renders literally: no HTML, links, emphasis or table breaks."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]|#~!])", r"\\\1", text)


def _md_code(text) -> str:
    """A fenced code block holding `text` verbatim; the fence is longer than any backtick run in it."""
    text = str(text).rstrip("\n")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


_md_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=False,  # Markdown is escaped by the md_text and md_code filters instead
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_md_env.filters["md_text"] = _md_text
_md_env.filters["md_code"] = _md_code


def _verdict_class(verdict: str) -> str:
    if verdict == "pass":
        return "pass"
    if verdict == "partial":
        return "partial"
    if verdict in NOT_COUNTED:
        return "muted"
    return "fail"


def feedback_context(result: dict) -> dict:
    """What the student may see of a result. Hidden details are dropped here, before any template."""
    extra = _extra(result)
    default_visibility = result.get("visibility") or "visible"
    tests = []
    for test in result.get("tests") or []:
        verdict = verdict_of(test)
        visibility = test.get("visibility") or default_visibility
        if verdict in NOT_COUNTED:
            points = "not counted"
        else:
            points = f"{format_score(_number(test.get('score')))} / {format_score(_number(test.get('max_score')))}"
        if verdict == "internal grader error":
            # Its output is the grader's own error and may quote the hidden suite: never shown.
            details, note = None, "The grader had a problem with this test. It is not your fault; it will be re-graded."
        elif visibility == "visible":
            details, note = test.get("output") or "", None
        elif visibility == "after_due_date":
            details, note = None, "Details after the due date."
        else:  # "hidden", and any value we do not know: fail closed
            details, note = None, "Hidden test: details are not shown."
        tests.append({
            "name": str(test.get("name") or "(unnamed test)"),
            "points": points,
            "verdict": verdict,
            "verdict_class": _verdict_class(verdict),
            "details": details,
            "note": note,
        })
    isolation = str(extra.get("isolation") or "")
    if isolation.startswith("reduced isolation"):
        isolation_note = f"Your code ran with {isolation}."
    elif isolation:
        isolation_note = f"Your code ran in a sandbox ({isolation})."
    else:
        isolation_note = ""
    ungradable = is_ungradable(result)
    return {
        "student": _student(result),
        "assignment": _assignment(result),
        "score": "0" if ungradable else format_score(_number(result.get("score"))),
        "max_score": format_score(_number(result.get("max_score"))),
        "ungradable": ungradable,
        "reason": str(extra.get("reason") or ""),
        "summary": str(result.get("output") or ""),
        "tests": tests,
        "skipped": [{"name": str(s.get("name") or ""), "reason": str(s.get("reason") or "")}
                    for s in extra.get("skipped") or [] if isinstance(s, dict)],
        "needs_regrade": internal_error_count(result) > 0,
        "stdout_tail": str(extra.get("stdout_tail") or ""),
        "stderr_tail": str(extra.get("stderr_tail") or ""),
        "isolation_note": isolation_note,
        "graded_at": str(extra.get("graded_at") or ""),
        "content_hash": str(extra.get("content_hash") or ""),
    }


def render_feedback_markdown(result: dict) -> str:
    return _md_env.get_template("feedback.md.j2").render(feedback_context(result))


def render_feedback_html(result: dict) -> str:
    return _html_env.get_template("feedback.html.j2").render(feedback_context(result))


def submission_dir(out_dir: Path, result: dict) -> Path:
    student = _safe_component(_student(result), "student")
    assignment = _safe_component(_assignment(result), "assignment")
    return Path(out_dir) / student / assignment


def write_submission_outputs(out_dir: Path, result: dict) -> Path:
    """Write results.json, feedback.md and feedback.html of one submission; returns its folder."""
    folder = submission_dir(out_dir, result)
    atomic_write_text(folder / "feedback.md", render_feedback_markdown(result))
    atomic_write_text(folder / "feedback.html", render_feedback_html(result))
    # results.json last: a resumed run trusts it, so it must not exist before the feedback does.
    atomic_write_text(folder / "results.json", json.dumps(result, indent=2) + "\n")
    return folder


# ---------------------------------------------------------------- reading results back

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
    for path in sorted(Path(out_dir).glob("*/*/results.json")):
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
    results.sort(key=lambda r: (_student(r), _assignment(r)))
    return results


# ---------------------------------------------------------------- the gradebook

@dataclass
class GradebookCell:
    score: float
    max_score: float
    ungradable: bool
    needs_regrade: bool

    def text(self) -> str:
        return "0" if self.ungradable else format_score(self.score)


@dataclass
class GradebookRow:
    student: str
    cells: dict[str, GradebookCell] = field(default_factory=dict)  # missing assignment: no key

    @property
    def total(self) -> float:
        return sum(0.0 if c.ungradable else c.score for c in self.cells.values())

    @property
    def max_total(self) -> float:
        return sum(c.max_score for c in self.cells.values())


@dataclass
class Gradebook:
    assignment_ids: list[str]
    rows: list[GradebookRow]

    def header(self) -> list[str]:
        return ["student", *self.assignment_ids, "total", "max_total"]

    def table(self) -> list[list[str]]:
        """The rows of grades.csv as text, header first."""
        lines = [self.header()]
        for row in self.rows:
            cells = [row.cells[a].text() if a in row.cells else "" for a in self.assignment_ids]
            lines.append([row.student, *cells, format_score(row.total), format_score(row.max_total)])
        return lines


def build_gradebook(results: list[dict], assignment_ids: list[str] | None = None) -> Gradebook:
    """One row per student, one column per assignment (the given ids, or those seen)."""
    if assignment_ids is None:
        assignment_ids = {_assignment(r) for r in results}
    columns = sorted(set(assignment_ids))
    # An ungradable result may carry max_score 0 (no suite ran); it still counts the
    # assignment's full marks against the student, taken from the class's results.
    class_max: dict[str, float] = {}
    for r in results:
        a = _assignment(r)
        class_max[a] = max(class_max.get(a, 0.0), _number(r.get("max_score")))
    chosen: dict[tuple[str, str], dict] = {}
    for r in results:
        key = (_student(r), _assignment(r))
        if key[1] not in columns:
            continue
        if key in chosen:
            log.warning("two results for %s/%s; the gradebook keeps the later one", *key)
            if str(_extra(r).get("graded_at") or "") < str(_extra(chosen[key]).get("graded_at") or ""):
                continue
        chosen[key] = r
    rows: dict[str, GradebookRow] = {}
    for (student, assignment), r in chosen.items():
        max_score = _number(r.get("max_score"))
        if is_ungradable(r) and max_score <= 0:
            max_score = class_max.get(assignment, 0.0)
        rows.setdefault(student, GradebookRow(student)).cells[assignment] = GradebookCell(
            score=_number(r.get("score")), max_score=max_score,
            ungradable=is_ungradable(r), needs_regrade=internal_error_count(r) > 0)
    for r in results:  # students whose only results lie outside the chosen columns still get a row
        rows.setdefault(_student(r), GradebookRow(_student(r)))
    return Gradebook(columns, [rows[s] for s in sorted(rows)])


def gradebook_rows(results: list[dict], assignment_ids: list[str] | None = None) -> list[list[str]]:
    """The gradebook as text rows, header first: exactly what grades.csv holds."""
    return build_gradebook(results, assignment_ids).table()


def write_gradebook(out_dir: Path, assignment_ids: list[str] | None = None) -> Path:
    """Write OUT/grades.csv from the results.json files under OUT."""
    path = Path(out_dir) / "grades.csv"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(gradebook_rows(collect_results(out_dir), assignment_ids))
    atomic_write_text(path, buffer.getvalue())
    return path


def print_gradebook(out_dir: Path, console=None, assignment_ids: list[str] | None = None) -> Gradebook:
    """Print the gradebook as a table, marking ungradable submissions and those needing a re-grade."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = console or Console()
    warnings: list[str] = []
    gradebook = build_gradebook(collect_results(out_dir, warnings), assignment_ids)
    table = Table(title=f"Gradebook: {out_dir}")
    for name in gradebook.header():
        table.add_column(name, justify="left" if name == "student" else "right")
    flagged = False
    for row in gradebook.rows:
        # Text, not markup strings: a student name like "[red]x" must print as itself.
        cells = [Text(row.student)]
        for a in gradebook.assignment_ids:
            cell = row.cells.get(a)
            if cell is None:
                cells.append(Text(""))
            elif cell.ungradable:
                cells.append(Text(f"{cell.text()} (ungradable)", style="red"))
            elif cell.needs_regrade:
                cells.append(Text(f"{cell.text()} (needs re-grade)", style="yellow"))
            else:
                cells.append(Text(cell.text()))
            flagged = flagged or (cell is not None and (cell.ungradable or cell.needs_regrade))
        cells += [Text(format_score(row.total)), Text(format_score(row.max_total))]
        table.add_row(*cells)
    if flagged:
        table.caption = "ungradable: scored 0, see the feedback for why; needs re-grade: the grader failed on some tests"
    console.print(table)
    for message in warnings:
        console.print(Text(f"warning: {message}", style="yellow"))
    return gradebook


# ---------------------------------------------------------------- the class report

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


def _pass_rate_png(Figure, names: list[str], rates: list[float], title: str) -> str:
    figure = Figure(figsize=(7, 0.9 + 0.3 * len(names)))
    ax = figure.add_subplot()
    short = [_plot_label(n if len(n) <= 50 else n[:49] + "…") for n in names]
    ax.barh(range(len(names)), [100 * r for r in rates], color="#55a868")
    ax.set_yticks(range(len(names)), short)
    ax.invert_yaxis()  # first test at the top, as in the tables
    ax.set_xlim(0, 100)
    ax.set_xlabel("pass rate (%)")
    ax.set_title(_plot_label(title))
    return _png_base64(figure)


def _link(result: dict) -> str:
    return f"{quote(_student(result))}/{quote(_assignment(result))}/feedback.html"


def _assignment_section(assignment: str, results: list[dict], Figure) -> dict:
    ungradable = [r for r in results if is_ungradable(r)]
    graded = [r for r in results if not is_ungradable(r)]
    max_score = max((_number(r.get("max_score")) for r in results), default=0.0)
    names: list[str] = []
    counts: dict[str, Counter] = {}
    for r in graded:
        for t in r.get("tests") or []:
            name = str(t.get("name") or "(unnamed test)")
            if name not in counts:
                names.append(name)
                counts[name] = Counter()
            counts[name][verdict_of(t)] += 1
    seen = {v for c in counts.values() for v in c}
    verdict_columns = [v for v in VERDICTS if v in seen] + sorted(seen - set(VERDICTS))
    tests = []
    for name in names:
        c = counts[name]
        counted = sum(n for v, n in c.items() if v not in NOT_COUNTED)
        rate = c["pass"] / counted if counted else None
        tests.append({"name": name, "counts": [c.get(v, 0) for v in verdict_columns],
                      "pass_rate": "" if rate is None else f"{100 * rate:.0f}%", "rate": rate})
    totals = [sum(counts[n].get(v, 0) for n in names) for v in verdict_columns]
    scores = sorted(_number(r.get("score")) for r in graded)
    section = {
        "id": assignment,
        "submissions": len(results),
        "graded": len(graded),
        "max_score": format_score(max_score),
        "mean": format_score(sum(scores) / len(scores)) if scores else "",
        "median": format_score(scores[len(scores) // 2] if len(scores) % 2
                               else (scores[len(scores) // 2 - 1] + scores[len(scores) // 2]) / 2) if scores else "",
        "verdict_columns": verdict_columns,
        "tests": tests,
        "totals": totals,
        "ungradable": [{"student": _student(r), "reason": str(_extra(r).get("reason") or ""), "link": _link(r)}
                       for r in ungradable],
        "regrade": [{"student": _student(r), "count": internal_error_count(r), "link": _link(r),
                     "tests": [str(t.get("name") or "") for t in r.get("tests") or []
                               if verdict_of(t) == "internal grader error"]}
                    for r in results if internal_error_count(r) > 0],
        "histogram": None,
        "pass_rates": None,
    }
    if Figure is not None and max_score > 0:
        section["histogram"] = _histogram_png(Figure, scores, [0.0] * len(ungradable), max_score,
                                              f"{assignment}: scores")
    rated = [t for t in tests if t["rate"] is not None]
    if Figure is not None and rated:
        section["pass_rates"] = _pass_rate_png(Figure, [t["name"] for t in rated], [t["rate"] for t in rated],
                                               f"{assignment}: pass rate per test")
    return section


def write_class_report(out_dir: Path) -> Path:
    """Write OUT/report.html: per assignment, score histogram, pass rate per test, verdict counts,
    ungradable submissions and those needing a re-grade. Without matplotlib: tables only."""
    try:
        # Imported here, not at module level: matplotlib is slow to import and optional.
        # The Figure API needs no pyplot, so no global backend is switched in the caller's process.
        from matplotlib.figure import Figure
        plots_note = ""
    except ImportError:
        Figure = None
        plots_note = "matplotlib is not installed, so this report has tables only (pip install 'nn-autograder[plots]')."
    warnings: list[str] = []
    results = collect_results(out_dir, warnings)
    by_assignment: dict[str, list[dict]] = {}
    for r in results:
        by_assignment.setdefault(_assignment(r), []).append(r)
    sections = [_assignment_section(a, by_assignment[a], Figure) for a in sorted(by_assignment)]
    html = _html_env.get_template("report.html.j2").render(
        sections=sections, plots_note=plots_note, warnings=warnings,
        generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        students=len({_student(r) for r in results}),
    )
    path = Path(out_dir) / "report.html"
    atomic_write_text(path, html)
    return path
