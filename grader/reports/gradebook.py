"""The gradebook: one row per student, one column per assignment; grades.csv and the
terminal's table."""
from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

from grader.reports.files import atomic_write_text
from grader.reports.stats import fits
from grader.reports.results import (assignment_of, collect_results, extra_of, format_score,
                                    internal_error_count, is_ungradable, number, student_of)

log = logging.getLogger(__name__)


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
        assignment_ids = {assignment_of(r) for r in results}
    columns = sorted(set(assignment_ids))
    # An ungradable result may carry max_score 0 (no suite ran); it still counts the
    # assignment's full marks against the student, taken from the class's results.
    class_max: dict[str, float] = {}
    for r in results:
        a = assignment_of(r)
        class_max[a] = max(class_max.get(a, 0.0), number(r.get("max_score")))
    chosen: dict[tuple[str, str], dict] = {}
    for r in results:
        key = (student_of(r), assignment_of(r))
        if key[1] not in columns:
            continue
        if key in chosen:
            log.warning("two results for %s/%s; the gradebook keeps the later one", *key)
            if str(extra_of(r).get("graded_at") or "") < str(extra_of(chosen[key]).get("graded_at") or ""):
                continue
        chosen[key] = r
    rows: dict[str, GradebookRow] = {}
    for (student, assignment), r in chosen.items():
        max_score = number(r.get("max_score"))
        if is_ungradable(r) and max_score <= 0:
            max_score = class_max.get(assignment, 0.0)
        rows.setdefault(student, GradebookRow(student)).cells[assignment] = GradebookCell(
            score=number(r.get("score")), max_score=max_score,
            ungradable=is_ungradable(r), needs_regrade=internal_error_count(r) > 0,
            raw_score=_late_raw(r))
    for r in results:  # students whose only results lie outside the chosen columns still get a row
        rows.setdefault(student_of(r), GradebookRow(student_of(r)))
    return Gradebook(columns, [rows[s] for s in sorted(rows)])


def _late_raw(result: dict) -> float | None:
    late = extra_of(result).get("late")
    return number(late.get("raw_score")) if isinstance(late, dict) else None


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
    flagged = any(c.ungradable or c.needs_regrade for row in gradebook.rows
                  for c in row.cells.values())

    def table(short: bool):
        # short (a narrow terminal): columns named by the assignment's number, "!" for
        # ungradable and "?" for needs re-grade, the full names listed below the table
        t = Table(title=f"Gradebook: {out_dir}")
        for name in gradebook.header():
            label = shorts[name] if short else name
            t.add_column(label, justify="left" if name == "student" else "right")
        for row in gradebook.rows:
            # Text, not markup strings: a student name like "[red]x" must print as itself.
            cells = [Text(row.student)]
            for a in gradebook.assignment_ids:
                cell = row.cells.get(a)
                if cell is None:
                    cells.append(Text(""))
                elif cell.ungradable:
                    cells.append(Text(cell.text() + ("!" if short else " (ungradable)"),
                                      style="red"))
                elif cell.needs_regrade:
                    cells.append(Text(cell.text() + ("?" if short else " (needs re-grade)"),
                                      style="yellow"))
                else:
                    cells.append(Text(cell.text()))
            cells += [Text(format_score(row.total)), Text(format_score(row.max_total))]
            t.add_row(*cells)
        if flagged:
            t.caption = ("!: ungradable (scored 0), ?: needs re-grade; see the feedback" if short
                         else "ungradable: scored 0, see the feedback for why; needs re-grade: "
                              "the grader failed on some tests")
        return t

    shorts = short_names(gradebook.header())
    wide = table(short=False)
    if fits(console, wide):
        console.print(wide)
    else:
        console.print(table(short=True))
        renamed = [(shorts[a], a) for a in gradebook.header()
                   if shorts[a] != a and a != "max_total"]
        console.print(Text("; ".join(f"{short}={name}" for short, name in renamed)))
    for message in warnings:
        console.print(Text(f"warning: {message}", style="yellow"))
    return gradebook


def short_name(column: str) -> str:
    """A gradebook column's name on a narrow terminal: an assignment by its number
    ("05_pytorch_basics" -> "05"); "max_total" -> "max"; the rest as it is."""
    if column == "max_total":
        return "max"
    head, _, rest = column.partition("_")
    if head.isdigit() and rest:
        late = " (before late penalty)"
        return head + ("*" if column.endswith(late) else "")
    return column


def short_names(columns) -> dict[str, str]:
    """Each column's short name (short_name), made unique: assignments that share a number
    (05_pytorch_basics, 05_tensorflow_basics) add the first letters of their names until
    they differ ("05p", "05t")."""
    names = {c: short_name(c) for c in columns}
    for short in set(names.values()):
        clash = [c for c in columns if names[c] == short]
        if len(clash) < 2:
            continue
        for n in range(1, 40):
            tried = {c: _with_letters(c, n) for c in clash}
            if len(set(tried.values())) == len(clash):
                names.update(tried)
                break
    return names


def _with_letters(column: str, n: int) -> str:
    head, _, rest = column.partition("_")
    star = "*" if short_name(column).endswith("*") else ""
    return head + rest.replace("_", "")[:n] + star


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(cell: str) -> str:
    """A CSV cell a spreadsheet shows as text: one that would start a formula (=, +, -, @)
    gets a leading apostrophe (OWASP's advice for CSV injection)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell
