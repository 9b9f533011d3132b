"""`grader nbgrader COURSE_DIR`: an nbgrader course made from the reference solutions and the
hidden suites, for instructors who release, collect and grade with nbgrader.

For every assignment, `source/<id>/<notebook>.ipynb` holds (nbgrader cell metadata, schema 3):
the task (markdown), a read-only setup cell, a read-only cell with the public tests, one
solution cell per function or class, and after it an autograder test cell. A test cell's
visible part runs the public tests of its function; its hidden region calls
`run_hidden_tests` (below), which runs the hidden suite's tests of that function in the
kernel (grader.nbgrader_kernel); the cell's value is the points they award. Free-text
questions of a lab become manually graded answer cells.

Which cell a hidden test belongs to is decided here, once, by `cell_of` (rule in its
docstring), and written into the cell as the list of its pytest node ids; `cell_tests`
reads it back, so a comparison with `grader grade` uses the very same grouping.

Nothing here imports nbformat or nbgrader: notebooks are plain JSON.
"""
from __future__ import annotations

import ast
import contextlib
import copy
import inspect
import json
import os
import sys
import textwrap
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from grader import course, notebooks
from grader.release import BEGIN_SOLUTION, END_SOLUTION, ReleaseError, clear_solutions

# Spelled in pieces: this file ships in the student bundle, which must not hold the markers.
BEGIN_HIDDEN = "### BEGIN " + "HIDDEN TESTS"
END_HIDDEN = "### END " + "HIDDEN TESTS"
MODULE_CELL = "module"          # the cell of tests that concern no single function
RUNNER = "run_hidden_tests"


class ExportError(Exception):
    """A course that cannot be written (one readable line naming the file)."""


# ---------------------------------------------------------------------------------------
# The tests and what they concern
# ---------------------------------------------------------------------------------------

@dataclass
class SuiteTest:
    """One collected test (hidden or public) and what its code refers to."""

    nodeid: str
    name: str                              # the test function's name
    points: float = 0.0
    params: tuple = ()                     # parametrize values
    fixtures: tuple = ()
    gpu: bool = False
    direct: list[str] = field(default_factory=list)   # names in its body, in order
    used: set[str] = field(default_factory=set)       # attributes reached, helpers included


def _body_names(tree: ast.AST) -> tuple[list[str], set[str], set[str]]:
    """(names, attribute names and strings in source order; attribute names; called names)."""
    found: list[tuple[int, int, str]] = []
    attributes, called = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            found.append((node.end_lineno, node.end_col_offset, node.attr))
            attributes.add(node.attr)
        elif isinstance(node, ast.Name):
            found.append((node.lineno, node.col_offset, node.id))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.col_offset, node.value))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            called.add(node.func.id)
    return [name for *_, name in sorted(found)], attributes, called


def _function_tree(fn) -> ast.AST | None:
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return None


def analyse(test: SuiteTest, fn, module_globals: dict) -> SuiteTest:
    """Fill in what the test's body names and which attributes it and the helper functions
    it calls (from its own module, transitively) reach."""
    tree = _function_tree(fn)
    if tree is None:
        return test
    body = tree.body[0].body if tree.body and hasattr(tree.body[0], "body") else tree.body
    direct, attributes, called = _body_names(ast.Module(body=body, type_ignores=[]))
    test.direct = direct
    test.used = set(attributes) | {n for n in direct if isinstance(n, str)}
    seen, todo = set(), list(called)
    while todo:
        name = todo.pop()
        helper = module_globals.get(name)
        if name in seen or not inspect.isfunction(helper) or \
                helper.__module__ != module_globals.get("__name__"):
            continue
        seen.add(name)
        helper_tree = _function_tree(helper)
        if helper_tree is not None:
            _, helper_attributes, helper_called = _body_names(helper_tree)
            test.used |= helper_attributes
            todo += helper_called
    return test


def _normal(name: str) -> str:
    return name.replace("_", "").lower()


def name_match(test_name: str, graded: list[str]) -> str | None:
    """The graded name that the test's name spells, as consecutive words: the longest, then
    the first (test_leaky_relu_values -> leaky_relu; test_linear_backward_dx -> Linear)."""
    words = test_name.removeprefix("test_").split("_")
    by_key = {_normal(g): g for g in graded}
    best = None
    for i in range(len(words)):
        for j in range(i + 1, len(words) + 1):
            key = "".join(words[i:j]).lower()
            if key in by_key and (best is None or (len(key), -i) > best[0]):
                best = ((len(key), -i), by_key[key])
    return best[1] if best else None


def cell_of(test: SuiteTest, graded: list[str]) -> str:
    """The graded function or class whose test cell runs this test, or MODULE_CELL.

    1. A test of the whole submission (it uses the `submission` fixture: static checks of
       its imports) goes to the module's cell.
    2. Otherwise the test concerns the graded name that its name spells
       (test_sigmoid_extreme_inputs -> sigmoid), else the one among its parametrize values
       (test_activation_keeps_float32[tanh] -> tanh), else the first one its body names
       (test_mlp_two_layers: student.mlp_forward -> mlp_forward); none: the module's cell.
    3. It runs in the cell of that name, or of a later one if it reaches one defined later
       (test_softmax_cross_entropy_together also builds a CrossEntropyLoss): a cell runs
       when the cells above it have run, so everything its tests reach must exist by then.
       "Reaches" means: an attribute of that name in the test or in the helper functions
       of its module it calls, a string or name in the test's body, or a parametrize value
       when the test's name does not spell what it concerns.
    """
    order = {g: i for i, g in enumerate(graded)}
    if "submission" in test.fixtures:
        return MODULE_CELL
    named = name_match(test.name, graded)
    params = [p for p in test.params if isinstance(p, str) and p in order]
    concerned = named or next(iter(params), None) or next(
        (n for n in test.direct if n in order), None)
    if concerned is None:
        return MODULE_CELL
    # parameters name what the test reaches only when its name does not say what it tests
    # (test_activation_keeps_float32[tanh], but not test_dense_activation[softmax])
    used = [n for n in test.used if n in order] + ([] if named else params)
    return max([concerned, *used], key=order.__getitem__)


class _Collector:
    """Collects the hidden suite's tests (no student code involved)."""

    def __init__(self):
        self.tests: list[SuiteTest] = []
        self.errors: list[str] = []

    def pytest_collectreport(self, report):
        if report.failed:
            self.errors.append(str(report.longrepr)[-1000:])

    def pytest_collection_modifyitems(self, items):
        for item in items:
            marker = item.get_closest_marker("points")
            spec = getattr(item, "callspec", None)
            test = SuiteTest(nodeid=item.nodeid, name=item.originalname,
                             points=float(marker.args[0]) if marker else 0.0,
                             params=tuple(spec.params.values()) if spec else (),
                             fixtures=tuple(item.fixturenames),
                             gpu=item.get_closest_marker("gpu") is not None)
            self.tests.append(analyse(test, item.function, item.module.__dict__))


def hidden_tests(assignment: course.Assignment) -> list[SuiteTest]:
    """The hidden suite's tests, collected by pytest with the grading settings."""
    import pytest

    from grader.grading import _pytest_args
    from grader.plugin import gpu_skip_reason

    collector = _Collector()
    code = pytest.main(_pytest_args(assignment) + ["--collect-only"], plugins=[collector])
    if collector.errors or code not in (0, 5):
        raise ExportError(f"{assignment.suite_dir}: the hidden suite cannot be collected: "
                          + ("; ".join(collector.errors) or f"pytest exit {code}")[:500])
    if any(t.gpu for t in collector.tests) and gpu_skip_reason() is not None:
        # as in grader grade: GPU tests count only where a GPU is present
        collector.tests = [t for t in collector.tests if not t.gpu]
    return collector.tests


def public_tests(source: str) -> list[SuiteTest]:
    """The public tests (top-level test functions of test_public.py), read from its syntax
    tree. They use the student's functions by name (`from forward import sigmoid`), so the
    names in the helpers they call count as used too."""
    tree = ast.parse(source)
    helpers = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    tests = []
    for node in tree.body:
        if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test")):
            continue
        direct, attributes, called = _body_names(ast.Module(body=node.body, type_ignores=[]))
        used = set(attributes) | set(direct)
        seen, todo = set(), list(called)
        while todo:
            name = todo.pop()
            if name in seen or name not in helpers:
                continue
            seen.add(name)
            helper_direct, _, helper_called = _body_names(helpers[name])
            used |= set(helper_direct)
            todo += helper_called
        tests.append(SuiteTest(nodeid=f"test_public.py::{node.name}", name=node.name,
                               direct=direct, used=used))
    return tests


# ---------------------------------------------------------------------------------------
# The solution module, cut into cells
# ---------------------------------------------------------------------------------------

def split_module(source: str) -> tuple[str, list[str], list[tuple[str, str]]]:
    """(module docstring, setup statements, [(def or class name, its text)]), each text with
    the comment lines above it; a function's trailing indented comments (the end marker of
    its solution region) stay with it."""
    tree = ast.parse(source)
    lines = source.split("\n")
    body = tree.body
    docstring = ast.get_docstring(tree) or ""
    if docstring:
        body = body[1:]
    setup, defs = [], []
    previous_end = tree.body[0].end_lineno if docstring else 0
    for i, node in enumerate(body):
        end = node.end_lineno
        j = end
        while j < len(lines) and (not lines[j].strip() or lines[j][:1] in (" ", "\t")):
            j += 1
            if lines[j - 1].strip():
                end = j
        last = len(lines) if i == len(body) - 1 else end
        text = "\n".join(lines[previous_end:last]).strip("\n")
        previous_end = end
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs.append((node.name, text))
        elif not (isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)):
            setup.append(text)
    return docstring, setup, defs


# ---------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------

def _source(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _markdown(cell_id: str, text: str, nbgrader: dict | None = None) -> dict:
    return {"cell_type": "markdown", "id": cell_id,
            "metadata": {"nbgrader": nbgrader} if nbgrader else {}, "source": _source(text)}


def _code(cell_id: str, text: str, nbgrader: dict) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": cell_id,
            "metadata": {"nbgrader": nbgrader}, "outputs": [], "source": _source(text)}


def _meta(grade_id: str, *, grade=False, solution=False, locked=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked,
            "schema_version": notebooks.NBGRADER_SCHEMA, "solution": solution}
    if points is not None:
        meta["points"] = points
    return meta


PUBLIC_CHECKS = '''\
# Public checks: the tests of test_public.py, run with pytest on the code of this notebook.
# The test cells below call public_checks("<name>"). Read-only: do not change this cell.
PUBLIC_MODULE = {module!r}
PUBLIC_CELLS = {cells}
PUBLIC_TESTS = {tests}


def public_checks(name):
    """Run the public tests of `name` on this notebook's code; fail if one fails."""
    import contextlib, os, sys, tempfile, types, warnings
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        return print("(the public tests do not run when the notebook is graded: the hidden "
                     "tests below award this cell's points)")
    ids = PUBLIC_CELLS.get(name, [])
    if not ids:
        return print(f"no public tests for {{name}}")
    import pytest
    module = types.ModuleType(PUBLIC_MODULE)
    module.__dict__.update(globals())

    def undefined(attr):   # a function of a cell further down that has not run yet
        if attr.startswith("__"):
            raise AttributeError(attr)
        def missing(*args, **kwargs):
            raise NameError(f"{{attr}} is not defined yet: run its cell first")
        return missing
    module.__getattr__ = undefined
    saved = {{n: sys.modules.pop(n, None) for n in (PUBLIC_MODULE, "test_public")}}
    sys.modules[PUBLIC_MODULE] = module
    try:
        with tempfile.TemporaryDirectory() as folder:
            for file, text in (("test_public.py", PUBLIC_TESTS), ("pytest.ini", "[pytest]\\n")):
                with open(os.path.join(folder, file), "w") as f:
                    f.write(text)
            sys.stdout.flush()
            with contextlib.redirect_stderr(sys.stdout), warnings.catch_warnings():
                code = pytest.main([os.path.join(folder, i) for i in ids] + [
                    "-q", "--no-header", "--tb=short", "-p", "no:cacheprovider",
                    "--rootdir", folder, "--import-mode=importlib"])
    finally:
        for n, m in saved.items():
            sys.modules.pop(n, None)
            if m is not None:
                sys.modules[n] = m
    if code != 0:
        raise AssertionError(f"public tests of {{name}} failed (see above)")
'''


def _string_literal(text: str) -> str:
    """A readable literal for a source text: a raw triple-quoted string where it can be."""
    if "'''" not in text and not text.endswith("\\") and "\r" not in text:
        return "r'''" + text + "'''"
    return repr(text)


def public_checks_cell(public_source: str, module: str, cells: dict[str, list[str]]) -> dict:
    listed = "{\n" + "".join(f"    {name!r}: {ids!r},\n" for name, ids in cells.items()) + "}"
    text = PUBLIC_CHECKS.format(module=module, cells=listed,
                                tests=_string_literal(public_source))
    return _code("cell-public-checks", text, _meta("public_checks", locked=True))


def test_cell(assignment: course.Assignment, name: str, label: str, tests: list[SuiteTest],
              has_public: bool) -> dict:
    points = round(sum(t.points for t in tests), 4)
    worth = f"{points:g} point{'' if points == 1 else 's'}"
    visible = [f"# Tests of {label}, {worth}."
               + (" Run this cell to run the public tests." if has_public else ""),
               f"# When the notebook is graded, hidden tests of {label} run here and award "
               "the points."]
    if has_public:
        visible.append(f"public_checks({name!r})")
    ids = "".join(f"    {t.nodeid!r},\n" for t in tests)
    hidden = [BEGIN_HIDDEN,
              f"from grader.nbgrader_export import {RUNNER}",
              f"{RUNNER}({assignment.id!r}, [\n{ids}], globals())",
              END_HIDDEN]
    return _code(f"cell-test-{name}", "\n".join(visible + hidden),
                 _meta(f"test_{name}", grade=True, locked=True, points=points))


def question_cells(assignment: course.Assignment) -> list[dict]:
    """Free-text questions of `assignment.toml` ([[questions]] with id, prompt, points and
    an optional model answer): a read-only prompt and a manually graded answer cell."""
    cells = []
    for q in assignment.settings.get("questions", []):
        try:
            qid, prompt, points = str(q["id"]), str(q["prompt"]), float(q["points"])
        except (KeyError, TypeError, ValueError):
            raise ExportError(f"{assignment.suite_dir / 'assignment.toml'}: every [[questions]] "
                              "needs id, prompt and points") from None
        cells.append(_markdown(f"cell-question-{qid}", f"### Question: {qid}\n\n{prompt}"
                               f"\n\n*({points:g} points, graded by hand)*",
                               _meta(f"question_{qid}", locked=True)))
        answer = str(q.get("answer") or "YOUR ANSWER HERE")
        cells.append(_markdown(f"cell-answer-{qid}", answer,
                               _meta(f"answer_{qid}", grade=True, solution=True, points=points)))
    return cells


# ---------------------------------------------------------------------------------------
# The source notebook
# ---------------------------------------------------------------------------------------

def notebook_name(assignment: course.Assignment) -> str:
    return assignment.notebook or f"{assignment.main_module}.ipynb"


def plan(assignment: course.Assignment, graded: list[str],
         public_source: str | None) -> tuple[dict[str, list[SuiteTest]], dict[str, list[str]]]:
    """({cell: its hidden tests}, {cell: its public test ids}); cells are graded names or
    MODULE_CELL, in notebook order."""
    hidden: dict[str, list[SuiteTest]] = {}
    for test in hidden_tests(assignment):
        hidden.setdefault(cell_of(test, graded), []).append(test)
    public: dict[str, list[str]] = {}
    for test in public_tests(public_source) if public_source else []:
        public.setdefault(cell_of(test, graded), []).append(test.nodeid)
    order = [*graded, MODULE_CELL]
    return ({c: hidden[c] for c in order if c in hidden},
            {c: public[c] for c in order if c in public})


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
    docstring, setup, defs = split_module(solution)
    graded = [d for d, _ in defs]
    public_path = assignment.stub_dir / "test_public.py"
    public_source = public_path.read_text(encoding="utf-8") if public_path.is_file() else None
    hidden, public = plan(assignment, graded, public_source)

    cells = [_markdown("cell-intro", f"# {assignment.title}\n\n{docstring}".rstrip() + (
        "\n\nWrite your code in the cells that say `YOUR CODE HERE`. The test cell after each "
        "of them runs the public tests; when the notebook is graded it also runs hidden "
        "tests, which award the points."))]
    if setup:
        cells.append(_code("cell-setup", "\n\n".join(setup), _meta("setup", locked=True)))
    if public:
        cells.append(public_checks_cell(public_source, module, public))
    for def_name, text in defs:
        if BEGIN_SOLUTION in text and END_SOLUTION not in text:
            raise ExportError(f"{name}: the solution region of {def_name} does not end inside "
                              "it; keep each region within one function or class")
        cells.append(_code(f"cell-{def_name}", text,
                           _meta(def_name, solution=BEGIN_SOLUTION in text,
                                 locked=BEGIN_SOLUTION not in text)))
        if def_name in hidden:
            cells.append(test_cell(assignment, def_name, f"`{def_name}`", hidden[def_name],
                                   def_name in public))
    if MODULE_CELL in hidden:
        cells.append(test_cell(assignment, MODULE_CELL, "the whole module", hidden[MODULE_CELL],
                               MODULE_CELL in public))
    cells += question_cells(assignment)
    ids = [_nbgrader(c)["grade_id"] for c in cells if _nbgrader(c)]
    clash = sorted({i for i in ids if ids.count(i) > 1})
    if clash:
        raise ExportError(f"{name}: two cells would have the nbgrader id {clash[0]}; rename "
                          "the function, class or question")
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": dict(notebooks.KERNELSPEC),
                         "language_info": {"name": "python"}}}


# ---------------------------------------------------------------------------------------
# Reading a course back
# ---------------------------------------------------------------------------------------

def _text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _nbgrader(cell: dict) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_test_cell(cell: dict) -> bool:
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and \
        not meta.get("solution")


def strip_hidden_tests(nb: dict) -> dict:
    """The notebook with the hidden regions of its test cells removed (what nbgrader's
    release and a student's submission have)."""
    nb = copy.deepcopy(nb)
    for cell in nb.get("cells", []):
        text = _text(cell)
        if BEGIN_HIDDEN not in text:
            continue
        kept, hiding = [], False
        for line in text.split("\n"):
            if BEGIN_HIDDEN in line:
                hiding = True
            elif END_HIDDEN in line:
                hiding = False
            elif not hiding:
                kept.append(line)
        cell["source"] = _source("\n".join(kept))
    return nb


def cell_tests(nb: dict) -> dict[str, list[str]]:
    """{grade_id: hidden test node ids} of the autograder test cells, read from their hidden
    regions: the grouping nbgrader's autograde really uses."""
    out = {}
    for cell in nb.get("cells", []):
        if not is_test_cell(cell):
            continue
        try:
            tree = ast.parse(_text(cell))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == RUNNER \
                    and len(node.args) >= 2:
                out[_nbgrader(cell)["grade_id"]] = list(ast.literal_eval(node.args[1]))
    return out


def cell_scores(result: dict, tests_of_cells: dict[str, list[str]]) -> dict[str, float]:
    """A `grader grade` result (results.json) summed per nbgrader test cell: a cell's score
    is the sum of the scores of its tests, the rule the kernel applies too (a test that hit
    an internal grader error scores 0 in both until it is re-graded)."""
    scores = {t["extra_data"]["nodeid"]: float(t["score"]) for t in result.get("tests", [])}
    return {cell: round(sum(scores.get(n, 0.0) for n in ids), 4)
            for cell, ids in tests_of_cells.items()}


# ---------------------------------------------------------------------------------------
# The course
# ---------------------------------------------------------------------------------------

CONFIG_MARK = "# nbgrader configuration written by `grader nbgrader`"
CONFIG = CONFIG_MARK + '''; run nbgrader from this folder.
import os

c = get_config()  # noqa: F821
# the kernels start with the environment of `grader grade`'s worker (one thread per math
# library, a fixed hash seed, ...), so that both graders compute the same numbers
os.environ.update({environment})
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
    (threads of the math libraries, hash seed, Keras backend...), not its paths."""
    from grader.sandbox.worker import _environment

    return {k: v for k, v in _environment().items()
            if k not in ("HOME", "TMPDIR", "PATH", "LANG", "MPLBACKEND")}


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


# ---------------------------------------------------------------------------------------
# In the kernel
# ---------------------------------------------------------------------------------------

@contextlib.contextmanager
def quiet_stderr():
    """Everything meant for stderr goes to stdout, Python warnings are recorded: nbgrader
    scores a test cell that wrote to stderr as failed, whatever wrote it."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = None
    with contextlib.suppress(OSError, ValueError):
        saved = os.dup(2)
        os.dup2(1, 2)          # C-level writes (torch, BLAS) as well
    try:
        with contextlib.redirect_stderr(sys.stdout), warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)


def run_hidden_tests(assignment_id: str, nodeids: list[str], namespace: dict) -> float:
    """What the hidden region of a test cell calls, in the kernel: the cell's hidden tests
    (grader.nbgrader_kernel.run_cell); the value is the points they award. This module
    imports only the standard library and small parts of the grader, so that importing it
    cannot write to stderr; the rest is imported with stderr sent to stdout."""
    with quiet_stderr():
        from grader.nbgrader_kernel import run_cell
        return run_cell(assignment_id, nodeids, namespace)
