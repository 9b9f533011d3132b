"""`grader gradescope`: the autograder zip holds one assignment's suite and nothing else of
the course, and its run_autograder, run against a folder laid out like Gradescope's
/autograder, grades with the engine and sandbox and always leaves valid JSON."""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ID = "01_numpy_forward"
ALICE = (ROOT / "examples/submissions/alice" / ID / "forward.py").read_text()


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    out = tmp_path_factory.mktemp("gs") / "autograder.zip"
    proc = subprocess.run([sys.executable, "-m", "grader", "gradescope", ID, "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, GRADER_SECRET="gradescope-test"))
    assert proc.returncode == 0, proc.stderr
    return out


def test_the_zip_holds_one_assignment_and_gradescope_s_layout(autograder):
    names = zipfile.ZipFile(autograder).namelist()
    assert {"setup.sh", "run_autograder"} <= set(names)
    suites = {n.split("/")[3] for n in names if n.startswith("package/grader/suites/")
              and n.count("/") > 3}
    assert suites == {ID, "locale"}      # the suites' catalogues: feedback in the course's language
    assert "package/course.toml" in names
    assert f"package/solutions/{ID}/forward.py" in names
    assert not [n for n in names if n.startswith(("package/solutions/", "package/assignments/"))
                and f"/{ID}/" not in n]
    assert not [n for n in names if "examples" in n or "__pycache__" in n]
    info = zipfile.ZipFile(autograder).getinfo("run_autograder")
    assert info.external_attr >> 16 & 0o111


def run_autograder(autograder, tmp_path, files, metadata=True, python=sys.executable):
    root = tmp_path / "autograder"
    zipfile.ZipFile(autograder).extractall(root / "source")
    (root / "source" / "run_autograder").chmod(0o755)
    (root / "submission").mkdir(parents=True)
    for name, text in files.items():
        (root / "submission" / name).write_text(text)
    if metadata:
        (root / "submission_metadata.json").write_text(json.dumps(
            {"users": [{"email": "sam@uni.example", "name": "Sam", "id": "77"}]}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    env.update(GRADESCOPE_ROOT=str(root), GRADER_PYTHON=python)
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return json.loads((root / "results" / "results.json").read_text())


def test_run_autograder_grades_a_correct_submission(autograder, tmp_path):
    result = run_autograder(autograder, tmp_path, {"forward.py": ALICE})
    assert result["score"] == result["max_score"] == 90
    assert all(t["visibility"] in ("visible", "hidden", "after_due_date") for t in result["tests"])
    assert not any("internal" in (t.get("extra_data") or {}) for t in result["tests"])


def test_a_submission_that_crashes_everything_still_gets_valid_json(autograder, tmp_path):
    result = run_autograder(autograder, tmp_path, {"forward.py": "import os\nos._exit(3)\n"})
    assert result["score"] == 0 and result["tests"]


def test_a_broken_autograder_run_still_writes_valid_json(autograder, tmp_path):
    result = run_autograder(autograder, tmp_path, {}, metadata=False)
    assert result["score"] == 0 and "ungradable" == result["extra_data"]["verdict"]


def test_an_autograder_that_cannot_even_start_writes_valid_json(autograder, tmp_path):
    result = run_autograder(autograder, tmp_path, {"forward.py": ALICE},
                            python=str(tmp_path / "no-such-python"))
    assert result["score"] == 0 and "could not start" in result["output"]
