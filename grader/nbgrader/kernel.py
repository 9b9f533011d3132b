"""The hidden tests of one nbgrader autograder cell, run inside the notebook's own kernel.

`grader nbgrader` writes test cells whose hidden region calls
`grader.nbgrader_export.run_hidden_tests` (grader.nbgrader.runner), which calls `run_cell` here. It runs the
hidden suite's tests of that cell under the same pytest plugin as `grader grade` (same
fixtures, seeds, points, verdicts); only the worker differs: the `student` proxy reaches the
kernel's namespace in this process (nbgrader's trust model: the notebook's code already ran
here) instead of a sandboxed process. Every call still crosses the wire format both ways, so
a check gets copies as plain data, exactly as it would from the sandbox.

The value of the cell is the points the tests award: nbgrader reads a number in a test
cell's output as partial credit.
"""
from __future__ import annotations

import contextlib
import importlib
import shutil
import sys
import tempfile
import types
from pathlib import Path

from grader import course, i18n
from grader.sandbox import errors
from grader.vocabulary import INTERNAL, NOT_COUNTED, shown_verdict, shows_output, withheld

ISOLATION = "none: nbgrader runs the checks in the notebook's kernel"


def _cell_files_prefix() -> str:
    """Where ipykernel says the code of a cell comes from: tracebacks keep those frames."""
    try:
        from ipykernel.compiler import get_tmp_directory
        return get_tmp_directory()
    except Exception:  # noqa: BLE001  plain IPython, or another ipykernel version
        return "<ipython-input"


# ---------------------------------------------------------------------------------------
# The notebook as a submission
# ---------------------------------------------------------------------------------------

def namespace_module(name: str, namespace: dict) -> types.ModuleType:
    """The kernel's namespace as the student's module (a snapshot of its names)."""
    module = types.ModuleType(name)
    module.__dict__.update(namespace)
    module.__name__ = name
    return module


def _other_modules(assignment: course.Assignment, saved: dict) -> dict:
    """The assignment's other modules (e.g. the student's framework.py beside the notebook),
    as the notebook imported them, else imported from the notebook's folder."""
    others = {}
    for name in assignment.modules[1:]:
        if saved.get(name) is not None:
            others[name] = saved[name]
            continue
        try:
            others[name] = importlib.import_module(name)
        except BaseException as exc:  # noqa: BLE001  student code may raise anything
            raise errors.ImportFailed(f"{name}.py could not be imported: "
                                      f"{type(exc).__name__}: {exc}") from None
    return others


def prepare_from_notebook(assignment: course.Assignment, folder: Path, dest: Path) -> Path:
    """What `grader grade` would grade for the static checks (the `submission` fixture):
    the .py files beside the notebook and the module made from the notebook by rule (a),
    with the hidden test regions left out, as in the submitted notebook."""
    from grader import notebooks
    from grader.nbgrader.cells import strip_hidden_tests

    dest.mkdir(parents=True, exist_ok=True)
    for path in folder.glob("*.py"):
        shutil.copyfile(path, dest / path.name)
    notebook = folder / (assignment.notebook or f"{assignment.main_module}.ipynb")
    if notebook.is_file() and not (dest / f"{assignment.main_module}.py").exists():
        try:
            nb = strip_hidden_tests(notebooks.read_notebook(notebook))
            source = notebooks.module_from_notebook(nb, notebook.name, assignment.main_module)
            (dest / f"{assignment.main_module}.py").write_text(source, encoding="utf-8")
        except notebooks.NotebookError:
            pass      # a cell that does not compile: the kernel already showed the error
    return dest


def student_id(assignment_id: str) -> str:
    """nbgrader runs the notebook in autograded/<student>/<assignment>/."""
    cwd = Path.cwd()
    return cwd.parent.name if cwd.name == assignment_id else "notebook"


# ---------------------------------------------------------------------------------------
# Running the tests
# ---------------------------------------------------------------------------------------

def _pytest_args(assignment: course.Assignment, nodeids: list[str]) -> list[str]:
    from grader import grading

    root = assignment.suite_dir.parent
    files = sorted({str(root / n.split("::")[0]) for n in nodeids})
    # no pytest-timeout: nbgrader's cell timeout bounds the cell, deadlines bound each call
    return grading.suite_pytest_args(assignment, files, timeout=False) + ["-p", "no:faulthandler"]


class _Selection:
    """Keeps only the cell's tests of the collected suite; records their points and the
    tests that are no longer in the suite."""

    def __init__(self, nodeids):
        self.wanted = list(nodeids)
        self.points: dict[str, float] = {}
        self.missing: list[str] = []

    def pytest_collection_modifyitems(self, config, items):
        from grader.plugin import points_of

        wanted = set(self.wanted)
        chosen = [i for i in items if i.nodeid in wanted]
        dropped = [i for i in items if i.nodeid not in wanted]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = chosen
        for item in chosen:
            self.points[item.nodeid] = points_of(item)
        self.missing = [n for n in self.wanted if n not in self.points]


def run_tests(assignment_id: str, nodeids: list[str], namespace: dict,
              secret: str | None = None) -> tuple[list, "_Selection", list[str]]:
    """(test results, the selection: points and missing tests, collection errors) of the
    given tests of the hidden suite, with the notebook's namespace as the student's module."""
    import pytest

    from grader import grading
    from grader.grading import course_secret
    from grader.plugin import GradingContext, GradingPlugin, submission_session
    from grader.sandbox.in_process import in_process
    from grader.submissions import Submission

    assignment = course.load_assignment(assignment_id)
    saved = {name: sys.modules.get(name) for name in assignment.modules}
    work = Path(tempfile.mkdtemp(prefix="grader-nbgrader-"))
    try:
        student = student_id(assignment_id)
        prepared = prepare_from_notebook(assignment, Path.cwd(), work / "submission")
        ctx = GradingContext(Submission(student, assignment_id, Path.cwd()), assignment,
                             prepared, work / "logs", secret or course_secret())
        main = namespace_module(assignment.main_module, namespace)
        try:
            others, failure = _other_modules(assignment, saved), None
        except errors.ImportFailed as exc:
            others, failure = {}, exc            # every test gets the verdict "import error"
        saved.update(others)
        session = submission_session(ctx, factory=in_process(
            main, others, isolation=ISOLATION, source_prefix=_cell_files_prefix()))
        session.import_failure = failure
        plugin = GradingPlugin(ctx, session)
        selection = _Selection(nodeids)
        pytest.main(_pytest_args(assignment, nodeids),
                    plugins=[plugin, selection])
        results = grading.settle_internal_errors(plugin.results, ctx.submission, assignment,
                                                 ctx.secret)
        return results, selection, plugin.collection_errors
    finally:
        # the reference is imported under the student's module names: put the student's back
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        shutil.rmtree(work, ignore_errors=True)


def _detail(test) -> str:
    """What the student may see of a failed test: the rule of the feedback pages
    (grader.vocabulary), applied before the due date."""
    if test.verdict in ("pass", INTERNAL):
        return ""
    if shows_output(test.visibility):
        return test.output.strip()
    return "Hidden test: details are not shown."


def cell_points(results, points: dict[str, float]) -> float:
    """The points a cell's tests award: each test its score, as in `grader grade`. A test
    the grader could not run (an internal grader error, one the reference fails too) scores
    0 until it is re-graded, as in `grader grade`: awarding it would let a submission earn
    points by breaking a check; a skipped test earns none."""
    return round(sum(t.score for t in results), 4)


def run_cell(assignment_id: str, nodeids: list[str], namespace: dict) -> float:
    """Run the hidden tests of one autograder cell and print what they found; the value is
    the points they award (nbgrader's partial credit for the cell)."""
    with contextlib.suppress(Exception):     # a course.toml problem never fails a cell
        i18n.set_language(i18n.for_course())
    results, selection, collection_errors = run_tests(assignment_id, nodeids, namespace)
    if collection_errors or selection.missing:
        # a grader problem, never the student's: the cell must be re-graded
        what = ("; ".join(collection_errors)[:500] if collection_errors else
                f"{len(selection.missing)} tests of this cell are not in the hidden suite "
                f"(e.g. {selection.missing[0]}); run `grader nbgrader` again")
        raise RuntimeError(f"the hidden tests could not run: {what}")
    score = cell_points(results, selection.points)
    passed = sum(t.verdict == "pass" for t in results)
    print(i18n.ngettext("Hidden tests: {passed} of {n} passed, {score} of {most} points.",
                        "Hidden tests: {passed} of {n} passed, {score} of {most} points.",
                        len(results)).format(passed=passed, n=len(results),
                                             score=i18n.decimal(score, 4),
                                             most=i18n.decimal(sum(selection.points.values()), 4)))
    shown = [t for t in results if not withheld(t.visibility)]
    for t in shown:
        line = f"- {i18n.shown_title(t.name)}: {shown_verdict(t.verdict)}"
        if t.verdict not in (*NOT_COUNTED, INTERNAL):
            line += f" ({i18n.decimal(t.score, 4)} / {i18n.decimal(t.max_score, 4)})"
        print(line)
        detail = _detail(t)
        if detail:
            print("    " + detail[:1500].replace("\n", "\n    "))
        if t.verdict == INTERNAL:
            print("    " + i18n._("The grader had a problem with this test; it is not your "
                                  "fault. It scores 0 until your instructor re-grades it."))
    if len(shown) < len(results):
        more = len(results) - len(shown)
        print(i18n.ngettext("{n} more test is released after the due date.",
                            "{n} more tests are released after the due date.", more).format(n=more))
    return score
