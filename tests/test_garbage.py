"""A submission whose every function returns garbage scores 0 in every assignment: properties
of a wrong value ("the input is not modified", "the dtype is kept", "deterministic") earn
nothing on their own.

The garbage is made from the released stubs: every `raise NotImplementedError()` becomes a
return of NaN (shaped like the first array argument), of zeros, or of the input unchanged.
"""
import ast
from pathlib import Path

import pytest

from grader.course import list_assignments, load_assignment
from grader.grading import grade_submission, run_many
from grader.submissions import Submission

GARBAGE = '''
def _garbage(kind, args):
    import numpy as _np
    arrays = [a for a in args if hasattr(a, "shape")]
    if kind == "input":
        return arrays[0] if arrays else (args[0] if args else None)
    if kind == "zeros":
        return _np.zeros(_np.shape(arrays[0])) if arrays else 0.0
    return _np.full(_np.shape(arrays[0]), _np.nan) if arrays else float("nan")
'''
KINDS = ("nan", "zeros", "input")


class _Fill(ast.NodeTransformer):
    def __init__(self, kind):
        self.kind = kind

    def visit_FunctionDef(self, node):
        self.generic_visit(node)
        body = []
        for stmt in node.body:
            if isinstance(stmt, ast.Raise) and "NotImplementedError" in ast.unparse(stmt):
                if node.name == "__init__":
                    stmt = ast.Pass()
                else:
                    stmt = ast.parse(f"return _garbage({self.kind!r}, [v for k, v in "
                                     "locals().items() if k != 'self'])").body[0]
            body.append(stmt)
        node.body = body
        return node


def garbage(stub: str, kind: str) -> str:
    tree = _Fill(kind).visit(ast.parse(stub))
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n" + GARBAGE


def _grade(assignment_id, kind, folder):
    result = grade_submission(Submission(f"garbage-{kind}", assignment_id, Path(folder)),
                              "garbage-test")
    earned = {t["name"]: t["score"] for t in result["tests"] if t["score"] > 0}
    return assignment_id, kind, result["score"], earned


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tasks = []
    for aid in list_assignments():
        a = load_assignment(aid)
        for kind in KINDS:
            folder = tmp_path_factory.mktemp(f"{aid}-{kind}")
            for module in a.modules:
                (folder / f"{module}.py").write_text(
                    garbage((a.stub_dir / f"{module}.py").read_text(), kind))
            tasks.append((aid, kind, str(folder)))
    return run_many(tasks, 2, _grade)


@pytest.mark.parametrize("kind", KINDS)
def test_garbage_scores_zero_everywhere(graded, kind):
    earned = {aid: points for aid, k, score, points in graded if k == kind and score > 0}
    assert earned == {}
