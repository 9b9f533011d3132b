"""A 06 submission written as the lesson's Keras notebook writes its imports
(`from tensorflow import keras`), graded where TensorFlow is not installed: one clear
message saying how to write it for Keras 3, told once on the page, not per test."""
from pathlib import Path

import pytest

from grader.grading import grade_submission
from grader.reports.feedback import feedback_context, render_feedback_markdown
from grader.submissions import Submission

ROOT = Path(__file__).resolve().parents[1]
HEIDI = ROOT / "examples" / "submissions" / "heidi" / "06_frameworks_lab" / "frameworks_lab.py"


def tensorflow_installed() -> bool:
    import importlib.util
    return importlib.util.find_spec("tensorflow") is not None


@pytest.mark.skipif(tensorflow_installed(), reason="TensorFlow is installed here: the "
                    "lesson's imports then work")
def test_the_lessons_tensorflow_import_gets_one_message_on_how_to_write_it(tmp_path):
    source = HEIDI.read_text().replace("import keras\n", "from tensorflow import keras\n", 1)
    assert "from tensorflow import keras" in source
    folder = tmp_path / "lena" / "06_frameworks_lab"
    folder.mkdir(parents=True)
    (folder / "frameworks_lab.py").write_text(source)
    result = grade_submission(Submission("lena", "06_frameworks_lab", folder), "secret")
    verdicts = {t["extra_data"]["verdict"] for t in result["tests"]}
    assert verdicts == {"import error"} and result["score"] == 0
    assert all("write `import keras`" in t["output"] for t in result["tests"])
    page = render_feedback_markdown(result)
    assert page.count("TensorFlow is not installed on the grading machine") == 1
    fixes = feedback_context(result)["first_fixes"]
    assert len(fixes) == 1 and len(fixes[0]["problems"]) == 1


def test_other_missing_modules_get_no_tensorflow_advice(tmp_path):
    folder = tmp_path / "max" / "06_frameworks_lab"
    folder.mkdir(parents=True)
    (folder / "frameworks_lab.py").write_text("import tensorflow_datasets_is_not_here\n")
    result = grade_submission(Submission("max", "06_frameworks_lab", folder), "secret")
    outputs = {t["output"] for t in result["tests"]}
    assert all("No module named" in o and "TensorFlow is not installed" not in o
               for o in outputs)
