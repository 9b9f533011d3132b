"""The gradebook in the layouts an LMS imports: Canvas, Moodle, or grades.csv as it is."""
from __future__ import annotations

import csv
import io

from grader.reports.gradebook import FORMULA_STARTS, build_gradebook
from grader.reports.results import format_score, student_of


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


def export_text(results: list[dict], fmt: str, roster: dict | None = None) -> str:
    """The export as CSV text. A student id that a spreadsheet would run as a formula
    (=, +, -, @ first) is refused: escaping it would break the LMS's matching of the id."""
    for r in results:
        if student_of(r).startswith(FORMULA_STARTS):
            raise ValueError(f"student id {student_of(r)!r} starts like a spreadsheet formula; "
                             "rename that submission folder before exporting")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(export_rows(results, fmt, roster))
    return buffer.getvalue()
