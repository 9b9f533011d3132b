"""`grader nbgrader COURSE_DIR`: an nbgrader course made from the reference solutions and the
hidden suites.

For every assignment, `source/<id>/<notebook>.ipynb` holds: the task (markdown), a read-only
setup cell, a read-only cell with the public tests, one solution cell per function or class,
and after it an autograder test cell. A test cell's visible part runs the public tests of its
function; its hidden region calls `run_hidden_tests` (grader.nbgrader.runner), which runs the
hidden suite's tests of that function in the kernel (grader.nbgrader.kernel); the cell's value
is the points they award. Free-text questions of a lab become manually graded answer cells.
"""
from __future__ import annotations

import json
from pathlib import Path

from grader import course, notebooks
from grader.nbgrader.cells import (cell_meta, code_cell, markdown_cell, nbgrader_meta,
                                   public_checks_cell, question_cells, test_cell)
from grader.nbgrader.plan import MODULE_CELL, ExportError, notebook_name, plan
from grader.release import BEGIN_SOLUTION, END_SOLUTION, ReleaseError, clear_solutions

def build_source_notebook(assignment: course.Assignment, root: Path | None = None) -> dict:
    """The nbgrader source notebook of one assignment (see the module docstring)."""
    root = Path(root or course.course_root())
    module = assignment.notebook_module
    solution_path = assignment.solution_dir / f"{module}.py"
    if not solution_path.is_file():
        raise ExportError(f"{solution_path}: no reference solution for the notebook")
    solution = solution_path.read_text(encoding="utf-8")
    name = solution_path.relative_to(root).as_posix() if solution_path.is_relative_to(root) \
        else str(solution_path)
    if BEGIN_SOLUTION not in solution:
        raise ExportError(f"{name}: no {BEGIN_SOLUTION} region")
    try:
        clear_solutions(solution, name)      # the same checks of the markers as a release
    except ReleaseError as exc:
        raise ExportError(str(exc)) from None
    docstring, setup, defs = notebooks.split_module(solution)
    graded = [d for d, _ in defs]
    public_path = assignment.stub_dir / "test_public.py"
    public_source = public_path.read_text(encoding="utf-8") if public_path.is_file() else None
    hidden, public = plan(assignment, graded, public_source)

    cells = [markdown_cell("cell-intro", f"# {assignment.title}\n\n{docstring}".rstrip() + (
        "\n\nWrite your code in the cells that say `YOUR CODE HERE`. The test cell after each "
        "of them runs the public tests; when the notebook is graded it also runs hidden "
        "tests, which award the points."))]
    if setup:
        cells.append(code_cell("cell-setup", "\n\n".join(setup), cell_meta("setup", locked=True)))
    if public:
        cells.append(public_checks_cell(public_source, module, public))
    for def_name, text in defs:
        if BEGIN_SOLUTION in text and END_SOLUTION not in text:
            raise ExportError(f"{name}: the solution region of {def_name} does not end inside "
                              "it; keep each region within one function or class")
        cells.append(code_cell(f"cell-{def_name}", text,
                           cell_meta(def_name, solution=BEGIN_SOLUTION in text,
                                 locked=BEGIN_SOLUTION not in text)))
        if def_name in hidden:
            cells.append(test_cell(assignment, def_name, f"`{def_name}`", hidden[def_name],
                                   def_name in public))
    if MODULE_CELL in hidden:
        cells.append(test_cell(assignment, MODULE_CELL, "the whole module", hidden[MODULE_CELL],
                               MODULE_CELL in public))
    cells += question_cells(assignment)
    ids = [nbgrader_meta(c)["grade_id"] for c in cells if nbgrader_meta(c)]
    clash = sorted({i for i in ids if ids.count(i) > 1})
    if clash:
        raise ExportError(f"{name}: two cells would have the nbgrader id {clash[0]}; rename "
                          "the function, class or question")
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": dict(notebooks.KERNELSPEC),
                         "language_info": {"name": "python"}}}


CONFIG_MARK = "# nbgrader configuration written by `grader nbgrader`"


CONFIG = CONFIG_MARK + '''; run nbgrader from this folder.
import importlib.util
import os

c = get_config()  # noqa: F821
# the kernels start with the environment of `grader grade`'s worker (one thread per math
# library, a fixed hash seed, ...), so that both graders compute the same numbers
os.environ.update({environment})
# Keras runs on TensorFlow where it is installed (as `grader grade` runs code that imports
# TensorFlow: the lesson's `from tensorflow import keras`, 05_tensorflow_basics), else on
# torch. One environment serves every notebook here: Keras code that imports only `keras`
# runs on torch in `grader grade` and on TensorFlow here, where TensorFlow is installed.
os.environ["KERAS_BACKEND"] = "tensorflow" if importlib.util.find_spec("tensorflow") else "torch"
# the hidden tests run inside each notebook's kernel: a cell may need up to the budget of a
# whole submission in `grader grade` (each call into the student's code has its own deadline)
c.Execute.timeout = {timeout}
c.Execute.startup_timeout = 120
# other modules of an assignment (stubs here) are the student's own work: keep theirs
c.Autograde.exclude_overwriting = {exclude!r}
'''


def _dict_literal(d: dict) -> str:
    return "{\n" + "".join(f"    {k!r}: {v!r},\n" for k, v in d.items()) + "}"


def worker_environment() -> dict[str, str]:
    """The variables of the sandboxed worker's environment that change what code computes
    (threads of the math libraries, hash seed...), not its paths; the Keras backend is chosen
    in the configuration itself (CONFIG)."""
    from grader.sandbox.bwrap import worker_environment as sandbox_environment

    return {k: v for k, v in sandbox_environment().items()
            if k not in ("HOME", "TMPDIR", "PATH", "LANG", "MPLBACKEND", "KERAS_BACKEND")}


def write_course(course_dir: Path, assignment_ids: list[str] | None = None,
                 root: Path | None = None) -> list[str]:
    """Write source/<id>/ for each assignment and nbgrader_config.py (unless the course has
    a configuration of its own); returns the files written, relative to course_dir."""
    root = Path(root or course.course_root())
    course_dir = Path(course_dir)
    ids = assignment_ids or course.list_assignments()
    written: dict[Path, str] = {}
    exclude: dict[str, list[str]] = {}
    timeouts = []
    for assignment_id in ids:
        assignment = course.load_assignment(assignment_id, root)
        source_dir = course_dir / "source" / assignment_id
        nb = build_source_notebook(assignment, root)
        written[source_dir / notebook_name(assignment)] = notebooks.dumps_notebook(nb)
        for module in assignment.modules:
            path = assignment.solution_dir / f"{module}.py"
            if module == assignment.notebook_module or not path.is_file():
                continue
            # nbgrader copies other files as they are: only the stub may go to students
            try:
                written[source_dir / f"{module}.py"] = clear_solutions(
                    path.read_text(encoding="utf-8"), path.name)
            except ReleaseError as exc:
                raise ExportError(str(exc)) from None
            exclude.setdefault(assignment_id, []).append(f"{module}.py")
        timeouts.append(assignment.submission_timeout)
    config = course_dir / "nbgrader_config.py"
    if not config.exists() or config.read_text(errors="replace").startswith(CONFIG_MARK):
        # an instructor's own configuration is never overwritten
        written[config] = CONFIG.format(timeout=int(max(timeouts, default=600)),
                                        exclude=exclude,
                                        environment=_dict_literal(worker_environment()))
    for path, text in written.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    return sorted(p.relative_to(course_dir).as_posix() for p in written)


def read_source_notebooks(course_dir: Path) -> dict[str, dict]:
    """{assignment id: its source notebook} of a course written by write_course."""
    out = {}
    for path in sorted(Path(course_dir).glob("source/*/*.ipynb")):
        out[path.parent.name] = json.loads(path.read_text(encoding="utf-8"))
    return out
