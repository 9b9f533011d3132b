"""06's three tracks and the TensorFlow backend (issue 20): a submission written as the
lesson's Keras notebook writes it (`from tensorflow import keras`) is graded with Keras on
TensorFlow and scores full marks; a Lightning submission with Lightning's default Trainer
(progress bar, logger, checkpoints) scores full marks and its feedback carries none of
Lightning's banners or bars; a submission that does not import TensorFlow never gets it."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from grader.course import load_assignment
from grader.grading import grade_submission, run_many
from grader.reports.feedback import render_feedback_markdown
from grader.reports.texts import shown, split_warnings
from grader.sandbox.bwrap import worker_environment
from grader.submissions import Submission
from grader.validate import load_mutants

ROOT = Path(__file__).resolve().parents[1]
TRACKS = ROOT / "solutions" / "06_frameworks_lab" / "tracks"
HAS_TF = importlib.util.find_spec("tensorflow") is not None
needs_tf = pytest.mark.skipif(not HAS_TF, reason="needs TensorFlow (make install installs "
                              "the tensorflow extra)")

# The lesson's Keras code, which also refuses to work unless Keras really runs on
# TensorFlow: a worker on the torch backend would score zero on it.
LESSON_KERAS = (TRACKS / "keras" / "frameworks_lab.py").read_text().replace(
    "def build_model(problem, hidden_layers=()):\n",
    "def build_model(problem, hidden_layers=()):\n"
    "    if keras.backend.backend() != 'tensorflow':\n"
    "        raise RuntimeError('the lesson expects Keras on TensorFlow')\n", 1)

LIGHTNING_DEFAULTS = (TRACKS / "lightning" / "frameworks_lab.py").read_text().replace(
    '''    trainer = L.Trainer(max_epochs=epochs, accelerator="cpu", devices=1, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False)''', "    trainer = L.Trainer(max_epochs=epochs)")


def _grade(student, source, folder):
    path = Path(folder) / student / "06_frameworks_lab"
    path.mkdir(parents=True)
    (path / "frameworks_lab.py").write_text(source)
    return student, grade_submission(Submission(student, "06_frameworks_lab", path), "secret")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tracks")
    cases = [("lena", LIGHTNING_DEFAULTS, str(folder))]
    if HAS_TF:
        cases.append(("tove", LESSON_KERAS, str(folder)))
    return dict(run_many(cases, 2, _grade))


def test_the_lightning_defaults_are_not_in_the_edited_reference():
    assert "L.Trainer(max_epochs=epochs)" in LIGHTNING_DEFAULTS
    assert "keras.backend.backend()" in LESSON_KERAS


@needs_tf
def test_the_lessons_keras_imports_score_full_marks_on_tensorflow(graded):
    result = graded["tove"]
    assert result["extra_data"]["verdict"] == "graded"
    assert result["score"] == result["max_score"] > 0, [
        (t["name"], t["output"][:300]) for t in result["tests"] if t["score"] < t["max_score"]]


def test_lightning_with_its_default_trainer_scores_full_marks_quietly(graded):
    result = graded["lena"]
    assert result["score"] == result["max_score"] > 0, [
        (t["name"], t["output"][:300]) for t in result["tests"] if t["score"] < t["max_score"]]
    page = render_feedback_markdown(result)
    for noise in ("GPU available", "TPU available", "Tip:", "it/s", "v_num"):
        assert noise not in page, noise
    # the bars were there, and were left out (the student sees that they were)
    assert "progress-bar line" in page


def test_the_keras_backend_follows_what_the_worker_imports_first():
    assert worker_environment(None, ("numpy", "torch"))["KERAS_BACKEND"] == "torch"
    assert worker_environment(None, ("numpy", "torch", "tensorflow"))["KERAS_BACKEND"] == "tensorflow"
    assert worker_environment()["KERAS_BACKEND"] == "torch"


def test_tensorflow_goes_first_only_for_submissions_that_import_it(tmp_path, monkeypatch):
    from grader import plugin
    from grader.plugin import worker_imports

    a = load_assignment("06_frameworks_lab")

    def ctx(source):
        folder = tmp_path / str(abs(hash(source)))
        folder.mkdir()
        (folder / "frameworks_lab.py").write_text(source)
        sub = Submission("s", a.id, folder)
        return type("Ctx", (), {"assignment": a, "submission": sub, "prepared_dir": folder})()

    monkeypatch.setattr(plugin, "installed", lambda module: True)
    lesson, heidi = ctx("from tensorflow import keras\n"), ctx("import keras\n")
    assert worker_imports(lesson) == (("tensorflow",), ())
    assert worker_imports(heidi) == ((), ("keras",))
    assert worker_imports(ctx("import lightning as L\n")) == ((), ("lightning",))
    # where TensorFlow is missing, Keras stays on torch and the import fails with a hint
    monkeypatch.setattr(plugin, "installed", lambda module: False)
    assert worker_imports(lesson)[0] == ()
    # one parse of the submission for both
    parses = []
    monkeypatch.setattr(plugin, "_imported", lambda c: parses.append(c) or {"keras"})
    assert worker_imports(heidi) == ((), ("keras",)) and len(parses) == 1


def test_a_torch_assignment_never_imports_tensorflow_in_the_grader(tmp_path):
    code = ("import sys; from pathlib import Path\n"
            "from grader.grading import grade_submission\n"
            "from grader.submissions import Submission\n"
            f"r = grade_submission(Submission('a', '06_frameworks_lab', Path({str(ROOT / 'solutions' / '06_frameworks_lab')!r})), 's')\n"
            "assert r['score'] == r['max_score'], r['score']\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'lightning')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_progress_bars_of_every_framework_are_left_out_of_what_the_student_reads():
    bars = ["Epoch 2/2  ━━━━━━━━━━━━━━━━━━━━━━━ 2/2 0:00:00 • 0:00:00 366.37it/s v_num: 8.000",
            "Epoch 0: 100%|██████████| 4/4 [00:00<00:00, 200.00it/s, v_num=0]",
            "\r1/4 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - loss: 1.02\r4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 1ms/step"]
    own = ["epoch 3/10: loss 0.25", "accuracy 97%", "|###| my own table |###|"]
    text = "\n".join([own[0], *bars, own[1], own[2]])
    assert shown(text).split("\n") == [own[0], "[3 progress-bar lines left out]", own[1], own[2]]
    student, library = split_warnings("\n".join(bars[:1] + own[:1]))
    assert student.split("\n") == ["[1 progress-bar line left out]", own[0]]


def test_each_track_has_its_reference_and_its_own_mutants():
    a = load_assignment("06_frameworks_lab")
    assert set(a.tracks) == {"keras", "lightning"}
    mutants = load_mutants("06_frameworks_lab")
    for track in a.tracks:
        assert len([m for m in mutants if m.track == track]) >= 5, track
    names = [m.label() for m in mutants]
    assert len(set(names)) == len(names)
