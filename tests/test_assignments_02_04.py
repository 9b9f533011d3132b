"""Assignments 02-04 beyond `grader validate`: one framework reference, reproducible
training scores, and the calibration recorded beside each accuracy threshold."""
import re
from pathlib import Path

from grader.grading import grade_submission
from grader.submissions import Submission

ROOT = Path(__file__).resolve().parents[1]
SUITES = ROOT / "grader" / "suites"


def test_the_lab_reference_framework_is_the_03_reference():
    # 04's submission holds the student's own framework.py; its reference is 03's, unchanged
    assert (ROOT / "solutions" / "04_mnist_own_framework" / "framework.py").read_text() == \
        (ROOT / "solutions" / "03_backprop" / "framework.py").read_text()


def test_training_scores_are_identical_when_graded_again():
    sub = Submission("alice", "04_mnist_own_framework",
                     ROOT / "examples" / "submissions" / "alice" / "04_mnist_own_framework")
    runs = [grade_submission(sub, "secret") for _ in range(2)]
    scores = [[(t["name"], t["score"], t["output"]) for t in r["tests"]] for r in runs]
    assert scores[0] == scores[1]
    assert any("accuracy" in output for _, _, output in scores[0])


def test_every_accuracy_threshold_records_its_calibration():
    for suite in ("02_perceptron", "03_backprop", "04_mnist_own_framework"):
        assert (SUITES / suite / "calibrate.py").is_file()
        text = "\n".join(p.read_text() for p in (SUITES / suite).glob("test_*.py"))
        assert "award_tiers" in text
        assert re.search(r"# Calibration \(python calibrate\.py, \d+ seeds", text)
        assert "mean" in text and "min" in text and "margin" in text
