"""The reports of a grading run: results.json and feedback per submission, the gradebook
(grades.csv), the class report and its statistics, all written atomically from the engine's
result dicts; and the gradebook in the layouts an LMS imports (Canvas, Moodle)."""
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
NOT_COUNTED = ("skipped",)       # the engine keeps these out of max_score
# An internal grader error keeps its points in the maximum and scores 0 until re-graded.
NOT_FAILURES = ("pass", "partial", "internal grader error", *NOT_COUNTED)
RELEASED_LATER = ("after_due_date", "after_published")  # shown to students only with release_hidden
OUTPUT_LIMIT = 3000  # characters of one test's output on a feedback page

# What each verdict means, for a student reading the feedback page.
VERDICT_WORDS = {
    "pass": "the test passed: full points",
    "partial": "part of the points, e.g. a lower accuracy tier",
    "wrong answer": "your code ran and returned a value of the right kind, but a wrong value",
    "invalid output": "your code returned the wrong type, shape or dtype, or NaN/inf values",
    "student exception": "your code raised an exception; the message shows where",
    "import error": "your module could not be imported (an error while loading it, or a missing or forbidden module)",
    "syntax error": "your file does not parse, so none of it could be run",
    "timeout": "your code ran past the time limit (an endless loop, or far too slow)",
    "cpu limit": "your code used more CPU time than allowed",
    "memory": "your code used more memory than allowed",
    "output limit": "your code printed or wrote more than allowed",
    "forbidden syscall": "your code tried something the grader does not allow (network, new processes, files outside its folder)",
    "crashed": "the process running your code died (e.g. a segmentation fault)",
    "protocol violation": "your code interfered with the grader's channel to it",
    "ungradable": "the submission could not be run at all",
    "skipped": "not run on this grading machine (e.g. no GPU); does not count",
    "internal grader error": "a problem in the grader, not in your code; it scores 0 until it is re-graded",
}


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
    if verdict in NOT_COUNTED or verdict == "internal grader error":
        return "muted"
    return "fail"


def _truncate(text: str, limit: int = OUTPUT_LIMIT) -> str:
    """The start and the end of a long text: a diagnostic leads, a traceback ends with the cause."""
    text = str(text)
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n...[{len(text) - 2 * half} characters cut]...\n{text[-half:]}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def feedback_context(result: dict, release_hidden: bool = False) -> dict:
    """What the student may see of a result. Hidden details are dropped here, before any template.

    `hidden` tests show their name, points and verdict, never their output. `after_due_date`
    (and `after_published`) tests are left out entirely, with their points, unless
    `release_hidden`: then they are shown like visible tests."""
    extra = _extra(result)
    default_visibility = result.get("visibility") or "visible"
    tests = []
    withheld_score = withheld_max = 0.0
    withheld_names: list[str] = []
    for test in result.get("tests") or []:
        verdict = verdict_of(test)
        visibility = test.get("visibility") or default_visibility
        if visibility in RELEASED_LATER and not release_hidden:
            withheld_score += _number(test.get("score"))
            withheld_max += _number(test.get("max_score")) if verdict not in NOT_COUNTED else 0.0
            withheld_names.append(str(test.get("name") or ""))
            continue
        if verdict in NOT_COUNTED:
            points = "not counted"
        else:
            points = f"{format_score(_number(test.get('score')))} / {format_score(_number(test.get('max_score')))}"
        if verdict == "internal grader error":
            # Its output is the grader's own error and may quote the hidden suite: never shown.
            details, note = None, ("The grader had a problem with this test. It is not your fault; "
                                   "it scores 0 until it is re-graded.")
        elif visibility == "visible" or visibility in RELEASED_LATER:
            details, note = _truncate(test.get("output") or ""), None
        else:  # "hidden", and any value we do not know: fail closed
            details, note = None, "Hidden test: details are not shown."
        tests.append({
            "name": str(test.get("name") or "(unnamed test)"),
            "points": points,
            "verdict": verdict,
            "verdict_words": VERDICT_WORDS.get(verdict, ""),
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
    withheld = len(withheld_names)
    score = _number(result.get("score")) - withheld_score
    max_score = _number(result.get("max_score")) - withheld_max
    seen = {t["verdict"] for t in tests} | ({"ungradable"} if ungradable else set())
    return {
        "student": _student(result),
        "assignment": _assignment(result),
        "score": "0" if ungradable else format_score(score),
        "max_score": format_score(max_score),
        "ungradable": ungradable,
        "reason": str(extra.get("reason") or ""),
        # how the handed-in files were read: which file was graded, links not followed
        "warnings": [str(w) for w in extra.get("warnings") or [] if isinstance(w, str)],
        # The engine's summary counts every test, the withheld ones too.
        "summary": "" if withheld else str(result.get("output") or ""),
        "withheld_note": (f"{_count(withheld, 'more test')}, worth {format_score(withheld_max)} "
                          f"points, {'is' if withheld == 1 else 'are'} released after the due date; "
                          "the score above counts only the tests shown here." if withheld else ""),
        "tests": tests,
        "legend": [{"verdict": v, "words": VERDICT_WORDS[v]} for v in (*VERDICTS, "ungradable")
                   if v in seen and v in VERDICT_WORDS],
        "skipped": [{"name": str(s.get("name") or ""), "reason": str(s.get("reason") or "")}
                    for s in extra.get("skipped") or []
                    if isinstance(s, dict) and str(s.get("name") or "") not in withheld_names],
        "needs_regrade": internal_error_count(result) > 0,
        "stdout_tail": str(extra.get("stdout_tail") or ""),
        "stderr_tail": str(extra.get("stderr_tail") or ""),
        "isolation_note": isolation_note,
        "graded_at": str(extra.get("graded_at") or ""),
        "content_hash": str(extra.get("content_hash") or ""),
    }


def render_feedback_markdown(result: dict, release_hidden: bool = False) -> str:
    return _md_env.get_template("feedback.md.j2").render(feedback_context(result, release_hidden))


def render_feedback_html(result: dict, release_hidden: bool = False) -> str:
    return _html_env.get_template("feedback.html.j2").render(feedback_context(result, release_hidden))


def submission_dir(out_dir: Path, result: dict) -> Path:
    student = _safe_component(_student(result), "student")
    assignment = _safe_component(_assignment(result), "assignment")
    return Path(out_dir) / student / assignment


def write_submission_outputs(out_dir: Path, result: dict) -> Path:
    """Write results.json, feedback.md and feedback.html of one submission; returns its folder.
    The pages hold no after_due_date test: `write_feedback_pages` releases them at the end."""
    folder = submission_dir(out_dir, result)
    atomic_write_text(folder / "feedback.md", render_feedback_markdown(result))
    atomic_write_text(folder / "feedback.html", render_feedback_html(result))
    # results.json last: a resumed run trusts it, so it must not exist before the feedback does.
    atomic_write_text(folder / "results.json", json.dumps(result, indent=2) + "\n")
    return folder


def _write_if_changed(path: Path, text: str) -> bool:
    # Re-rendering a whole class rewrites only the pages whose content changed.
    try:
        if path.read_bytes() == text.encode("utf-8"):
            return False
    except OSError:
        pass
    atomic_write_text(path, text)
    return True


def student_context(student: str, results: list[dict], release_hidden: bool = False) -> dict:
    """One student's scores per assignment, as their feedback pages show them."""
    rows = []
    for r in sorted(results, key=_assignment):
        page = feedback_context(r, release_hidden)
        rows.append({"assignment": page["assignment"], "score": page["score"], "max_score": page["max_score"],
                     "link": f"{quote(page['assignment'])}/feedback.html",
                     "note": ("could not be graded" if page["ungradable"] else
                              "some tests will be re-graded" if page["needs_regrade"] else
                              "more tests released after the due date" if page["withheld_note"] else "")})
    return {"student": student, "rows": rows}


def write_feedback_pages(out_dir: Path, results: list[dict] | None = None, release_hidden: bool = False,
                         warnings: list[str] | None = None) -> int:
    """(Re)write every student's feedback pages from the results under OUT: each submission's
    feedback.html/.md, and OUT/<student>/feedback.html/.md with the score of every assignment.
    Returns how many pages changed."""
    out_dir = Path(out_dir)
    results = collect_results(out_dir, warnings) if results is None else results
    changed = 0
    by_student: dict[str, list[dict]] = {}
    for r in results:
        try:
            folder = submission_dir(out_dir, r)
            changed += _write_if_changed(folder / "feedback.md",
                                         render_feedback_markdown(r, release_hidden))
            changed += _write_if_changed(folder / "feedback.html",
                                         render_feedback_html(r, release_hidden))
        except (ValueError, OSError) as exc:    # one student's page never costs the others'
            if warnings is not None:
                warnings.append(str(exc))
            continue
        by_student.setdefault(_student(r), []).append(r)
    for student, own in by_student.items():
        context = student_context(student, own, release_hidden)
        try:
            changed += _write_if_changed(out_dir / student / "feedback.md",
                                         _md_env.get_template("student.md.j2").render(context))
            changed += _write_if_changed(out_dir / student / "feedback.html",
                                         _html_env.get_template("student.html.j2").render(context))
        except (ValueError, OSError) as exc:
            if warnings is not None:
                warnings.append(str(exc))
    return changed


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
    raw_score: float | None = None      # before a late penalty, where one was taken

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

    def late_columns(self) -> list[str]:
        """Assignments where some submission lost points for lateness: their raw scores
        get a column of their own."""
        return [a for a in self.assignment_ids
                if any(a in r.cells and r.cells[a].raw_score is not None for r in self.rows)]

    def header(self) -> list[str]:
        raw = [f"{a} (before late penalty)" for a in self.late_columns()]
        return ["student", *self.assignment_ids, *raw, "total", "max_total"]

    def table(self) -> list[list[str]]:
        """The rows of grades.csv as text, header first."""
        lines = [self.header()]
        late = self.late_columns()
        for row in self.rows:
            cells = [row.cells[a].text() if a in row.cells else "" for a in self.assignment_ids]
            raw = [format_score(row.cells[a].raw_score if row.cells[a].raw_score is not None
                                else row.cells[a].score) if a in row.cells else "" for a in late]
            lines.append([row.student, *cells, *raw, format_score(row.total),
                          format_score(row.max_total)])
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
            ungradable=is_ungradable(r), needs_regrade=internal_error_count(r) > 0,
            raw_score=_late_raw(r))
    for r in results:  # students whose only results lie outside the chosen columns still get a row
        rows.setdefault(_student(r), GradebookRow(_student(r)))
    return Gradebook(columns, [rows[s] for s in sorted(rows)])


def _late_raw(result: dict) -> float | None:
    late = _extra(result).get("late")
    return _number(late.get("raw_score")) if isinstance(late, dict) else None


def gradebook_rows(results: list[dict], assignment_ids: list[str] | None = None) -> list[list[str]]:
    """The gradebook as text rows, header first: exactly what grades.csv holds."""
    return build_gradebook(results, assignment_ids).table()


def write_gradebook(out_dir: Path, assignment_ids: list[str] | None = None,
                    results: list[dict] | None = None) -> Path:
    """Write OUT/grades.csv from the results.json files under OUT (or the `results` read from them)."""
    path = Path(out_dir) / "grades.csv"
    results = collect_results(out_dir) if results is None else results
    buffer = io.StringIO()
    rows = [[inert(cell) for cell in row] for row in gradebook_rows(results, assignment_ids)]
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    atomic_write_text(path, buffer.getvalue())
    return path


def print_gradebook(out_dir: Path, console=None, assignment_ids: list[str] | None = None,
                    results: list[dict] | None = None) -> Gradebook:
    """Print the gradebook as a table, marking ungradable submissions and those needing a re-grade."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = console or Console()
    warnings: list[str] = []
    if results is None:
        results = collect_results(out_dir, warnings)
    gradebook = build_gradebook(results, assignment_ids)
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


# ---------------------------------------------------------------- class statistics

def _median(values: list[float]) -> float | None:
    values = sorted(values)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _by_assignment(results: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for r in results:
        groups.setdefault(_assignment(r), []).append(r)
    return {a: groups[a] for a in sorted(groups)}


def _ordered_verdicts(seen) -> list[str]:
    return [v for v in VERDICTS if v in seen] + sorted(set(seen) - set(VERDICTS))


def assignment_stats(assignment: str, results: list[dict]) -> dict:
    """The numbers of one assignment across the class; JSON-ready. An ungradable submission
    scores 0 in the mean and median, as in the gradebook. `failures` counts, per verdict of a
    failed test, the submissions with at least one such test and the tests themselves."""
    max_score = max((_number(r.get("max_score")) for r in results), default=0.0)
    scores = [0.0 if is_ungradable(r) else _number(r.get("score")) for r in results]
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
                     for v in _ordered_verdicts(submissions_with)},
    }


def class_stats(results: list[dict]) -> list[dict]:
    """assignment_stats of every assignment in `results`, sorted by assignment."""
    return [assignment_stats(a, rs) for a, rs in _by_assignment(results).items()]


def _failures_text(stats: dict) -> str:
    return ", ".join(f"{v} {f['submissions']}" for v, f in stats["failures"].items())


def print_summary(results: list[dict], console=None) -> list[dict]:
    """The class in one table: per assignment the mean, median, full marks and failures by verdict."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = console or Console()
    stats = class_stats(results)
    table = Table(title="Summary per assignment")
    for name in ("assignment", "submissions", "mean", "median", "max", "full marks", "ungradable",
                 "failures by verdict (submissions)"):
        table.add_column(name, justify="left" if name.startswith(("assignment", "failures")) else "right")
    for st in stats:
        table.add_row(Text(st["assignment"]), str(st["submissions"]), format_score(st["mean"]),
                      format_score(st["median"]), format_score(st["max_score"]), str(st["full_marks"]),
                      str(st["ungradable"]), Text(_failures_text(st)))
    console.print(table)
    return stats


# ---------------------------------------------------------------- the class report

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


def _barh_png(Figure, names: list[str], values: list[float], title: str, xlabel: str,
              xmax: float | None = None, color: str = "#55a868") -> str:
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(7, 0.9 + 0.3 * len(names)))
    ax = figure.add_subplot()
    short = [_plot_label(n if len(n) <= 50 else n[:49] + "…") for n in names]
    ax.barh(range(len(names)), values, color=color)
    ax.set_yticks(range(len(names)), short)
    ax.invert_yaxis()  # first name at the top, as in the tables
    if xmax is not None:
        ax.set_xlim(0, xmax)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_title(_plot_label(title))
    return _png_base64(figure)


def _link(result: dict) -> str:
    return f"{quote(_student(result))}/{quote(_assignment(result))}/feedback.html"


def _assignment_section(stats: dict, results: list[dict], Figure) -> dict:
    assignment = stats["assignment"]
    ungradable = [r for r in results if is_ungradable(r)]
    graded = [r for r in results if not is_ungradable(r)]
    max_score = stats["max_score"]
    names: list[str] = []
    counts: dict[str, Counter] = {}
    for r in graded:
        for t in r.get("tests") or []:
            name = str(t.get("name") or "(unnamed test)")
            if name not in counts:
                names.append(name)
                counts[name] = Counter()
            counts[name][verdict_of(t)] += 1
    verdict_columns = _ordered_verdicts({v for c in counts.values() for v in c})
    tests = []
    for name in names:
        c = counts[name]
        counted = sum(n for v, n in c.items() if v not in NOT_COUNTED and v != "internal grader error")
        rate = c["pass"] / counted if counted else None
        tests.append({"name": name, "counts": [c.get(v, 0) for v in verdict_columns],
                      "pass_rate": "" if rate is None else f"{100 * rate:.0f}%", "rate": rate})
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
        section["histogram"] = _histogram_png(Figure, [_number(r.get("score")) for r in graded],
                                              [0.0] * len(ungradable), max_score, f"{assignment}: scores")
    # Hardest checks first: the chart answers "what does the class struggle with".
    rated = sorted((t for t in tests if t["rate"] is not None), key=lambda t: t["rate"])
    if Figure is not None and rated:
        section["pass_rates"] = _barh_png(Figure, [t["name"] for t in rated], [100 * t["rate"] for t in rated],
                                          f"{assignment}: pass rate per test, lowest first",
                                          "pass rate (%)", xmax=100)
    return section


def _verdict_overview(stats: list[dict], Figure) -> dict:
    """Failures by verdict across the class: submissions with at least one such test, per assignment."""
    kinds = _ordered_verdicts({v for st in stats for v in st["failures"]})
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
    ranked = sorted(results, key=lambda r: _number(r.get("execution_time")), reverse=True)[:n]
    return [{"student": _student(r), "assignment": _assignment(r), "link": _link(r),
             "seconds": f"{_number(r.get('execution_time')):.1f}",
             "verdicts": _failures_text(assignment_stats(_assignment(r), [r])) or
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
    groups = _by_assignment(results)
    stats = [assignment_stats(a, rs) for a, rs in groups.items()]
    sections = [_assignment_section(st, groups[st["assignment"]], Figure) for st in stats]
    html = _html_env.get_template("report.html.j2").render(
        sections=sections, plots_note=plots_note, warnings=warnings,
        overview=_verdict_overview(stats, Figure), slowest=_slowest(results),
        generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        students=len({_student(r) for r in results}),
    )
    path = Path(out_dir) / "report.html"
    atomic_write_text(path, html)
    return path


def write_reports(out_dir: Path, release_hidden: bool = False) -> dict:
    """Everything a grading run leaves besides results.json, from the results under OUT:
    grades.csv, every feedback page, report.html. Returns the results and what was written."""
    warnings: list[str] = []
    results = collect_results(out_dir, warnings)

    def attempt(what, write, default):
        # one failing output (a disk error, an odd result) never costs the others
        try:
            return write()
        except Exception as exc:  # noqa: BLE001
            warnings.append(f"{what} could not be written: {type(exc).__name__}: {exc}")
            return default

    gradebook = attempt("grades.csv", lambda: write_gradebook(out_dir, results=results),
                        Path(out_dir) / "grades.csv")
    pages = attempt("the feedback pages",
                    lambda: write_feedback_pages(out_dir, results, release_hidden, warnings), 0)
    report = attempt("report.html", lambda: write_class_report(out_dir, results, warnings),
                     Path(out_dir) / "report.html")
    return {"results": results, "gradebook": gradebook, "report": report, "pages_changed": pages,
            "warnings": warnings}


# ---------------------------------------------------------------- exports for an LMS

EXPORT_FORMATS = ("canvas", "moodle", "csv")
CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_IDENTITY = "ID number"


def export_rows(results: list[dict], fmt: str, roster: dict | None = None) -> list[list[str]]:
    """The gradebook in the column layout an LMS imports, header first.

    canvas: Canvas's gradebook CSV: Student, ID, SIS User ID, SIS Login ID, Section, one column
      per assignment, and the "Points Possible" row. Our student id (the submission folder's
      name) goes in Student, SIS User ID and SIS Login ID; Canvas's own ID and Section stay
      empty, and Canvas matches the rows by the SIS Login ID.
    moodle: Moodle's grade import CSV: "ID number" (map it to the user field whose values are
      the folder names) and one column per grade item.
    csv: grades.csv as it is (student, assignments, total, max_total).
    Ungradable submissions export 0, missing ones an empty cell (the LMS leaves that grade alone).
    `roster` ({student id: grader.lms.Person}, read from the LMS's own export) fills the
    identity columns as the LMS has them, so the file imports back without matching by hand.
    """
    gradebook = build_gradebook(results)
    if fmt == "csv":
        return gradebook.table()
    ids = gradebook.assignment_ids
    cells = [[row.cells[a].text() if a in row.cells else "" for a in ids] for row in gradebook.rows]
    roster = roster or {}
    if fmt == "canvas":
        possible = [format_score(max((row.cells[a].max_score for row in gradebook.rows if a in row.cells),
                                     default=0.0)) for a in ids]
        lines = [[*CANVAS_IDENTITY, *ids], ["    Points Possible", "", "", "", "", *possible]]
        for row, c in zip(gradebook.rows, cells):
            p = roster.get(row.student)
            if p is None:
                lines.append([row.student, "", row.student, row.student, "", *c])
            else:
                lines.append([p.name, p.lms_id, p.extra.get("SIS User ID", ""),
                              p.extra.get("SIS Login ID", "") or p.login, p.section, *c])
        return lines
    if fmt == "moodle":
        if not roster:
            return [[MOODLE_IDENTITY, *ids]] + [[row.student, *c] for row, c in zip(gradebook.rows, cells)]
        lines = [["Identifier", "Full name", "Email address", MOODLE_IDENTITY, *ids]]
        for row, c in zip(gradebook.rows, cells):
            p = roster.get(row.student)
            extra = p.extra if p else {}
            lines.append([extra.get("Identifier", ""), p.name if p else "",
                          extra.get("Email address", ""), extra.get("ID number", "") or row.student, *c])
        return lines
    raise ValueError(f"unknown export format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(cell: str) -> str:
    """A CSV cell a spreadsheet shows as text: one that would start a formula (=, +, -, @)
    gets a leading apostrophe (OWASP's advice for CSV injection)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def export_text(results: list[dict], fmt: str, roster: dict | None = None) -> str:
    """The export as CSV text. A student id that a spreadsheet would run as a formula
    (=, +, -, @ first) is refused: escaping it would break the LMS's matching of the id."""
    for r in results:
        if _student(r).startswith(FORMULA_STARTS):
            raise ValueError(f"student id {_student(r)!r} starts like a spreadsheet formula; "
                             "rename that submission folder before exporting")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(export_rows(results, fmt, roster))
    return buffer.getvalue()
