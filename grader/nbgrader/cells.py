"""The cells of an exported notebook: the task, setup, public checks, solution and
autograder test cells (nbgrader cell metadata, schema 3), and reading them back.

Nothing here imports nbformat or nbgrader: notebooks are plain JSON.
"""
from __future__ import annotations

import ast
import copy

from grader import course, notebooks
from grader.nbgrader.plan import ExportError, SuiteTest

# Spelled in pieces: this file ships in the student bundle, which must not hold the markers.
# Spelled in pieces: this file ships in the student bundle, which must not hold the markers.
BEGIN_HIDDEN = "### BEGIN " + "HIDDEN TESTS"


END_HIDDEN = "### END " + "HIDDEN TESTS"


RUNNER = "run_hidden_tests"


def _source(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def markdown_cell(cell_id: str, text: str, nbgrader: dict | None = None) -> dict:
    return {"cell_type": "markdown", "id": cell_id,
            "metadata": {"nbgrader": nbgrader} if nbgrader else {}, "source": _source(text)}


def code_cell(cell_id: str, text: str, nbgrader: dict) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": cell_id,
            "metadata": {"nbgrader": nbgrader}, "outputs": [], "source": _source(text)}


def cell_meta(grade_id: str, *, grade=False, solution=False, locked=False, points=None) -> dict:
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
    return code_cell("cell-public-checks", text, cell_meta("public_checks", locked=True))


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
    return code_cell(f"cell-test-{name}", "\n".join(visible + hidden),
                 cell_meta(f"test_{name}", grade=True, locked=True, points=points))


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
        cells.append(markdown_cell(f"cell-question-{qid}", f"### Question: {qid}\n\n{prompt}"
                               f"\n\n*({points:g} points, graded by hand)*",
                               cell_meta(f"question_{qid}", locked=True)))
        answer = str(q.get("answer") or "YOUR ANSWER HERE")
        cells.append(markdown_cell(f"cell-answer-{qid}", answer,
                               cell_meta(f"answer_{qid}", grade=True, solution=True, points=points)))
    return cells


def _text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def nbgrader_meta(cell: dict) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_test_cell(cell: dict) -> bool:
    meta = nbgrader_meta(cell)
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
                out[nbgrader_meta(cell)["grade_id"]] = list(ast.literal_eval(node.args[1]))
    return out


def cell_scores(result: dict, tests_of_cells: dict[str, list[str]]) -> dict[str, float]:
    """A `grader grade` result (results.json) summed per nbgrader test cell: a cell's score
    is the sum of the scores of its tests, the rule the kernel applies too (a test that hit
    an internal grader error scores 0 in both until it is re-graded)."""
    scores = {t["extra_data"]["nodeid"]: float(t["score"]) for t in result.get("tests", [])}
    return {cell: round(sum(scores.get(n, 0.0) for n in ids), 4)
            for cell, ids in tests_of_cells.items()}
