"""Which file is graded when students hand in what they really hand in: the notebook beside
the untouched stub, misnamed and nested files, files directly in the student's folder. A
correct student never gets 0 without being told why."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.course import load_assignment
from grader.grading import grade_submission
from grader.notebooks import build_notebook, dumps_notebook
from grader.submissions import Submission, UngradableSubmission

ROOT = Path(__file__).resolve().parents[1]
ID = "01_numpy_forward"
ALICE = (ROOT / "examples/submissions/alice" / ID / "forward.py").read_text()
STUB = (ROOT / "assignments" / ID / "forward.py").read_text()
STUB_NOTEBOOK = (ROOT / "assignments" / ID / "forward.ipynb").read_text()
ALICE_NOTEBOOK = dumps_notebook(build_notebook(ALICE, "Numpy forward pass", ID))


def hand_in(tmp_path, files, student="sam"):
    folder = tmp_path / student / ID
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return Submission(student, ID, folder)


def resolved(sub):
    res = sub.resolve(load_assignment(ID))
    graded = {m: p.relative_to(sub.path).as_posix() for m, p in res.modules.items()}
    if res.notebook:
        graded["notebook"] = res.notebook.relative_to(sub.path).as_posix()
    return graded, res.warnings


def test_the_notebook_beside_the_untouched_stub_is_graded_with_full_marks(tmp_path):
    sub = hand_in(tmp_path, {"forward.py": STUB, "forward.ipynb": ALICE_NOTEBOOK})
    graded, warnings = resolved(sub)
    assert graded == {"notebook": "forward.ipynb"}
    assert warnings == ["forward.py is the released stub, untouched: your notebook "
                        "forward.ipynb was graded"]
    result = grade_submission(sub, "resolution")
    assert result["score"] == result["max_score"] > 0
    assert result["extra_data"]["warnings"] == warnings


def test_a_changed_py_beside_a_changed_notebook_is_graded_with_a_warning(tmp_path):
    sub = hand_in(tmp_path, {"forward.py": ALICE, "forward.ipynb": ALICE_NOTEBOOK})
    graded, warnings = resolved(sub)
    assert graded == {"forward": "forward.py"}
    assert "both forward.py and forward.ipynb" in warnings[0]
    sub = hand_in(tmp_path, {"forward.py": ALICE, "forward.ipynb": STUB_NOTEBOOK}, "tom")
    assert resolved(sub) == ({"forward": "forward.py"}, [])


@pytest.mark.parametrize("name", ["Forward.py", "forward (1).py", "forward-1.py",
                                  "forward copy.py", "hw1/forward.py", "my_solution.py"])
def test_one_unambiguous_candidate_is_graded_and_named(tmp_path, name):
    sub = hand_in(tmp_path, {name: ALICE, "notes.txt": "x"})
    graded, warnings = resolved(sub)
    assert graded == {"forward": name}
    assert warnings and f"no forward.py was handed in: {name} was graded" in warnings[0]
    result = grade_submission(sub, "resolution")
    assert result["score"] == result["max_score"] > 0
    assert name in result["extra_data"]["warnings"][0]


def test_ambiguity_is_ungradable_and_lists_what_was_found(tmp_path):
    sub = hand_in(tmp_path, {"forward (1).py": ALICE, "Forward.py": ALICE})
    with pytest.raises(UngradableSubmission, match=r"several candidates: Forward.py, forward \(1\).py"):
        sub.resolve(load_assignment(ID))
    sub = hand_in(tmp_path, {"readme.txt": "x", "data.csv": "1,2"}, "una")
    result = grade_submission(sub, "resolution")
    assert result["extra_data"]["verdict"] == "ungradable"
    assert "no forward.py and no notebook; handed in: data.csv, readme.txt" in result["extra_data"]["reason"]


def test_files_directly_in_the_student_folder_are_graded_when_a_names_the_assignment(tmp_path):
    root = tmp_path / "class"
    (root / "vic").mkdir(parents=True)
    (root / "vic" / "forward.py").write_text(ALICE)
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(root), "-a", ID,
                           "--out", str(tmp_path / "grades")], capture_output=True, text=True,
                          cwd=ROOT, env=dict(os.environ, GRADER_SECRET="resolution"), timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads((tmp_path / "grades" / "vic" / ID / "results.json").read_text())
    assert result["score"] == result["max_score"] > 0


def test_the_warning_reaches_the_feedback_page_and_the_terminal(tmp_path):
    root = tmp_path / "class"
    (root / "wes" / ID).mkdir(parents=True)
    (root / "wes" / ID / "Forward (2).py").write_text(ALICE)
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(root), "-a", ID,
                           "--out", str(tmp_path / "grades")], capture_output=True, text=True,
                          cwd=ROOT, env=dict(os.environ, GRADER_SECRET="resolution"), timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "wes/01_numpy_forward: no forward.py was handed in: Forward (2).py was graded" in proc.stdout
    page = (tmp_path / "grades" / "wes" / ID / "feedback.md").read_text()
    assert "Forward (2).py was graded" in page
