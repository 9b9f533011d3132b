"""Submissions that try to cheat the grader must not gain a single point.

Each attack is a correct submission (alice's) with one trick added; the grade must be what
the honest part earns, never more.
"""
import json
from pathlib import Path

import pytest

from grader.grading import grade_class, grade_submission
from grader.sandbox.bwrap import isolation_mode
from grader.submissions import Submission

ROOT = Path(__file__).resolve().parents[1]
ALICE = (ROOT / "examples/submissions/alice/01_numpy_forward/forward.py").read_text()
ID = "01_numpy_forward"


def submit(tmp_path, code, name="mallory", extra_files=None):
    folder = tmp_path / name / ID
    folder.mkdir(parents=True)
    (folder / "forward.py").write_text(code)
    for fname, text in (extra_files or {}).items():
        (folder / fname).write_text(text)
    return Submission(name, ID, folder)


def grade(sub):
    return grade_submission(sub, secret="tamper-test")


def verdicts(result, word):
    return {t["extra_data"]["verdict"] for t in result["tests"] if word in t["name"]}


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    return grade(submit(tmp_path_factory.mktemp("honest"), ALICE))


def test_the_honest_submission_scores_full_marks(honest):
    assert honest["score"] == honest["max_score"] > 0


def test_monkeypatching_numpy_in_the_students_process_changes_nothing(tmp_path, honest):
    code = ALICE + """
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *x, **k: np.ones(np.broadcast(a, b).shape, bool)
np.testing.assert_allclose = lambda *a, **k: None
np.array_equal = lambda *a, **k: True

def softmax(z, axis=-1):
    return np.zeros_like(z)          # wrong, hoping the checks use the patched numpy
"""
    result = grade(submit(tmp_path, code))
    assert result["score"] < honest["score"]
    assert verdicts(result, "softmax") & {"wrong answer", "invalid output"}


def test_exit_zero_at_import_scores_nothing(tmp_path):
    result = grade(submit(tmp_path, "import os\nos._exit(0)\n" + ALICE))
    assert result["score"] == 0
    assert {t["extra_data"]["verdict"] for t in result["tests"]} == {"crashed"}


def test_an_object_whose_eq_is_always_true_is_invalid_output(tmp_path, honest):
    code = ALICE + """
class AlwaysEqual:
    def __eq__(self, other):
        return True
    __array_priority__ = 1000
    def __array_function__(self, *a, **k):
        return True
    def __array_ufunc__(self, *a, **k):
        return True

def softmax(z, axis=-1):
    return AlwaysEqual()
"""
    result = grade(submit(tmp_path, code))
    assert result["score"] < honest["score"]
    assert "invalid output" in verdicts(result, "softmax")


def test_an_ndarray_subclass_with_rigged_comparisons_gains_nothing(tmp_path, honest):
    code = ALICE + """
class Liar(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, bool)
    def __array_ufunc__(self, *a, **k):
        return np.zeros(self.shape)
    def __array_function__(self, *a, **k):
        return True

def sigmoid(z):
    return np.zeros_like(np.asarray(z)).view(Liar)
"""
    result = grade(submit(tmp_path, code))
    assert result["score"] < honest["score"]
    assert verdicts(result, "sigmoid") & {"wrong answer", "invalid output"}


def test_nan_outputs_fail(tmp_path, honest):
    code = ALICE + """
def tanh(z):
    return np.full_like(np.asarray(z, dtype=float), np.nan)
"""
    result = grade(submit(tmp_path, code))
    assert result["score"] < honest["score"]
    assert "invalid output" in verdicts(result, "tanh")


def test_a_conftest_in_the_submission_is_never_loaded(tmp_path):
    conftest = """
import pytest
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    outcome.get_result().outcome = "passed"
"""
    stub = (ROOT / "assignments" / ID / "forward.py").read_text()
    result = grade(submit(tmp_path, stub, extra_files={"conftest.py": conftest}))
    assert result["score"] == 0


def test_reading_the_reference_solution_fails(tmp_path, honest):
    if isolation_mode() != "bubblewrap":
        pytest.skip(f"file system secrecy needs bubblewrap ({isolation_mode()})")
    solution = ROOT / "solutions" / ID / "forward.py"
    code = f"""
import importlib.util
_spec = importlib.util.spec_from_file_location("ref", {str(solution)!r})
_ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_ref)
globals().update({{k: v for k, v in vars(_ref).items() if not k.startswith("_")}})
"""
    result = grade(submit(tmp_path, code))
    assert result["score"] == 0
    assert "import error" in {t["extra_data"]["verdict"] for t in result["tests"]}


def test_writing_to_the_results_directory_fails(tmp_path):
    if isolation_mode() != "bubblewrap":
        pytest.skip(f"file system isolation needs bubblewrap ({isolation_mode()})")
    out = tmp_path / "grades"
    victim = submit(tmp_path / "class", ALICE, name="aaron")          # graded first
    grade_class([victim], out, jobs=1)
    target = out / "aaron" / ID / "results.json"
    before = target.read_text()
    attack = f"""
import os
for path in ({str(target)!r}, {str(out / 'grades.csv')!r}, "/tmp/../{out.name}/x"):
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write('{{"score": 1000}}')
    except OSError:
        pass
""" + ALICE
    attacker = submit(tmp_path / "class", attack, name="zed")
    summaries, _ = grade_class([attacker], out, jobs=1)
    assert target.read_text() == before
    mine = json.loads((out / "zed" / ID / "results.json").read_text())
    assert mine["score"] == summaries[0]["score"] <= mine["max_score"]
