"""Code written the way the lesson "Own framework" (AI for Beginners, lesson 4) writes it
must get full marks: db of shape (nout,), in-place updates, a Softmax.backward that calls
forward again, `'update' in l.__dir__()`. Example student grace wrote exactly that."""
from pathlib import Path

from grader.grading import grade_submission
from grader.submissions import Submission

ROOT = Path(__file__).resolve().parents[1]
GRACE = ROOT / "examples" / "submissions" / "grace"


def test_the_lesson_style_framework_scores_full_marks():
    result = grade_submission(Submission("grace", "03_backprop", GRACE / "03_backprop"), "secret")
    lost = [f"{t['name']}: {t['output']}" for t in result["tests"] if t["score"] < t["max_score"]]
    assert not lost, "\n".join(lost)
    assert result["extra_data"]["verdict"] == "graded"
    assert result["score"] == result["max_score"] > 0


def test_the_lesson_style_code_really_is_the_lessons():
    source = (GRACE / "03_backprop" / "framework.py").read_text()
    for line in ("db = dz.sum(axis=0)", "p = self.forward(self.z)", "self.W -= lr * self.dW",
                 "return dlog_softmax / self.p", "if 'update' in l.__dir__():",
                 "for l in self.layers[::-1]:"):
        assert line in source
