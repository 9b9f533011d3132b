"""Which notebook cell each test of the hidden suite (and of the public tests) belongs to.

The rule is decided here, once, by `cell_of` (its docstring), and written into each cell as
the list of its pytest node ids (grader.nbgrader.cells); a comparison with `grader grade`
reads the very same grouping back.
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass, field

from grader import course

class ExportError(Exception):
    """A course that cannot be written (one readable line naming the file)."""


MODULE_CELL = "module"          # the cell of tests that concern no single function


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
        from grader.plugin import points_of

        for item in items:
            spec = getattr(item, "callspec", None)
            test = SuiteTest(nodeid=item.nodeid, name=item.originalname,
                             points=points_of(item),
                             params=tuple(spec.params.values()) if spec else (),
                             fixtures=tuple(item.fixturenames),
                             gpu=item.get_closest_marker("gpu") is not None)
            self.tests.append(analyse(test, item.function, item.module.__dict__))


def hidden_tests(assignment: course.Assignment) -> list[SuiteTest]:
    """The hidden suite's tests, collected by pytest with the grading settings."""
    import pytest

    from grader.grading import suite_pytest_args
    from grader.plugin import gpu_skip_reason

    collector = _Collector()
    code = pytest.main(suite_pytest_args(assignment) + ["--collect-only"], plugins=[collector])
    if collector.errors or code not in (0, 5):
        raise ExportError(f"{assignment.suite_dir}: the hidden suite cannot be collected: "
                          + ("; ".join(collector.errors) or f"pytest exit {code}")[:500])
    if any(t.gpu for t in collector.tests) and gpu_skip_reason(assignment) is not None:
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
