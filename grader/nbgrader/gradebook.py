"""`grader grade --nbgrader-db COURSE_DIR/gradebook.db`: the scores of a grading run written
into nbgrader's gradebook, through nbgrader's own API, so that its formgrader shows them.

Each autograder test cell gets the sum of the scores of its tests (the tests listed in the
cell's hidden region, as stored in the gradebook by `nbgrader generate_assignment`): the
same rule as nbgrader's own autograde of those cells. A test that hit an internal grader
error counts 0 in both until the re-grade that `grader grade` flags. Manually graded cells
are left alone.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from grader.nbgrader.cells import cell_scores, cell_tests
from grader.nbgrader.plan import notebook_name


class GradebookError(Exception):
    """A gradebook that cannot be written (one readable line)."""


def _tests_of_cells(notebook) -> dict[str, list[str]]:
    """{grade_id: hidden test node ids} of a notebook's test cells, from its source cells."""
    cells = []
    for cell in notebook.source_cells:
        cells.append({"cell_type": cell.cell_type, "source": cell.source,
                      "metadata": {"nbgrader": {"grade_id": cell.name, "grade": True,
                                                "solution": False}}})
    return cell_tests({"cells": cells})


def check_gradebook(db_path: Path) -> None:
    """GradebookError unless nbgrader is installed and the gradebook exists (checked before
    a class is graded, and again before it is written)."""
    if importlib.util.find_spec("nbgrader") is None:
        raise GradebookError("--nbgrader-db needs nbgrader (pip install nbgrader)")
    if not Path(db_path).is_file():
        raise GradebookError(f"{db_path}: no such gradebook; run nbgrader generate_assignment "
                             "in the course folder first")


def write_scores(db_path: Path, out: Path, submissions) -> tuple[int, list[str]]:
    """Write the graded submissions' per-cell scores; returns (how many were written,
    warnings about the ones that could not be)."""
    check_gradebook(db_path)
    from nbgrader.api import Gradebook, MissingEntry

    from grader.course import load_assignment
    from grader.reports.results import results_path

    db_path = Path(db_path)
    written, warnings = 0, []
    cells_of: dict[str, tuple[str, dict] | None] = {}   # per assignment: (notebook id, tests of cells)
    with Gradebook(f"sqlite:///{db_path.resolve()}") as gb:
        for sub in submissions:
            results = results_path(out, sub.student, sub.assignment)
            if not results.is_file():
                continue
            if sub.assignment not in cells_of:
                notebook_id = Path(notebook_name(load_assignment(sub.assignment))).stem
                try:
                    notebook = gb.find_notebook(notebook_id, sub.assignment)
                except MissingEntry:
                    warnings.append(f"{sub.assignment}/{notebook_id}: not in {db_path.name}; "
                                    f"run nbgrader generate_assignment {sub.assignment}")
                    cells_of[sub.assignment] = None
                else:
                    cells_of[sub.assignment] = notebook_id, _tests_of_cells(notebook)
            if cells_of[sub.assignment] is None:
                continue
            notebook_id, tests_of_cells = cells_of[sub.assignment]
            scores = cell_scores(json.loads(results.read_text()), tests_of_cells)
            gb.update_or_create_student(sub.student)
            try:
                gb.find_submission(sub.assignment, sub.student)
            except MissingEntry:
                gb.add_submission(sub.assignment, sub.student)
            submitted = gb.find_submission_notebook(notebook_id, sub.assignment, sub.student)
            for grade in submitted.grades:
                if grade.name in scores:
                    grade.auto_score = scores[grade.name]
                    grade.needs_manual_grade = False
            gb.db.commit()
            written += 1
    return written, warnings
