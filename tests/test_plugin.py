"""The pytest plugin on a small made-up suite: points, partial credit, gpu, visibility,
deadlines, and grader bugs that must never be charged to the student."""
import json
import textwrap

import pytest

from grader.grading import grade_submission, result_path
from grader.plugin import gpu_skip_reason
from grader.reports import write_submission_outputs
from grader.submissions import Submission

SUITE = '''
import time
import pytest
from grader.checks import CheckFailed

@pytest.mark.points(2)
def test_passes(student):
    """f returns one"""
    assert student.f() == 1

@pytest.mark.points(4)
def test_partial(student, credit):
    credit.award(0.25, "tier 3 of 4")

@pytest.mark.gpu
@pytest.mark.points(5)
def test_on_gpu(student):
    assert student.f() == 1

@pytest.mark.points(1)
@pytest.mark.visibility("hidden")
def test_hidden(student):
    raise CheckFailed("secret detail 12345")

@pytest.mark.points(3)
def test_grader_bug(student):
    {}["missing"]

@pytest.mark.points(1)
def test_student_raises(student):
    student.g()

@pytest.mark.points(1)
@pytest.mark.deadline(0.5)
def test_slow(student):
    student.slow()

@pytest.mark.points(1)
def test_after_the_slow_one(student):
    assert student.f() == 1

@pytest.mark.points(1)
def test_rng_is_per_student(student, rng, credit):
    student.f()
    credit.award(1.0, f"draw {rng.integers(1 << 30)}")
'''

CODE = '''
import time
def f():
    print("hello from the student's code")
    return 1
def g():
    raise ValueError("student bug")
def slow():
    time.sleep(5)
'''


@pytest.fixture
def fake_course(tmp_path, monkeypatch):
    suites = tmp_path / "suites"
    (suites / "90_fake").mkdir(parents=True)
    (suites / "90_fake" / "assignment.toml").write_text(
        'modules = ["fake"]\ncall_timeout = 3\nimport_timeout = 10\nmemory_mb = 1024\n')
    (suites / "90_fake" / "test_fake.py").write_text(SUITE)
    (suites / "91_nopoints").mkdir()
    (suites / "91_nopoints" / "assignment.toml").write_text('modules = ["fake"]\n')
    (suites / "91_nopoints" / "test_x.py").write_text("def test_x(student):\n    pass\n")
    monkeypatch.setenv("GRADER_SUITES_DIR", str(suites))
    monkeypatch.setenv("GRADER_COURSE_DIR", str(tmp_path))
    sub = tmp_path / "class" / "ann" / "90_fake"
    sub.mkdir(parents=True)
    (sub / "fake.py").write_text(textwrap.dedent(CODE))
    return tmp_path


def by_name(result):
    return {t["extra_data"]["nodeid"].split("::")[-1]: t for t in result["tests"]}


def test_scores_verdicts_and_what_counts_in_the_maximum(fake_course):
    sub = Submission("ann", "90_fake", fake_course / "class" / "ann" / "90_fake")
    result = grade_submission(sub, secret="s")
    tests = by_name(result)
    assert tests["test_passes"]["score"] == 2 and tests["test_passes"]["name"] == "f returns one"
    assert tests["test_partial"]["score"] == 1.0
    assert tests["test_partial"]["extra_data"]["verdict"] == "partial"
    assert tests["test_hidden"]["extra_data"]["verdict"] == "wrong answer"
    assert tests["test_hidden"]["visibility"] == "hidden"
    assert tests["test_student_raises"]["extra_data"]["verdict"] == "student exception"
    assert "ValueError: student bug" in tests["test_student_raises"]["output"]
    assert tests["test_slow"]["extra_data"]["verdict"] == "timeout"
    assert tests["test_after_the_slow_one"]["extra_data"]["verdict"] == "pass"
    # a grader bug (there is no reference to fail it too here) scores 0, its points kept
    bug = tests["test_grader_bug"]
    assert bug["extra_data"]["verdict"] == "internal grader error"
    assert (bug["score"], bug["max_score"]) == (0, 3)
    assert "KeyError" in bug["extra_data"]["internal"] and "KeyError" not in bug["output"]
    assert result["extra_data"]["internal_errors"] == 1
    why = gpu_skip_reason()
    gpu_ok = why is None
    gpu_points = 5 if gpu_ok else 0          # the GPU test passes where a GPU is, else skips
    if gpu_ok:
        assert tests["test_on_gpu"]["extra_data"]["verdict"] == "pass"
    else:
        assert tests["test_on_gpu"]["extra_data"]["verdict"] == "skipped"
        assert tests["test_on_gpu"]["max_score"] == 0
        assert result["extra_data"]["skipped"] == [{"name": "on gpu", "reason": why}]
    assert result["max_score"] == 2 + 4 + gpu_points + 1 + 3 + 1 + 1 + 1 + 1
    assert result["score"] == 2 + 1 + gpu_points + 1 + 1


def test_hidden_output_stays_out_of_the_feedback(fake_course, tmp_path):
    sub = Submission("ann", "90_fake", fake_course / "class" / "ann" / "90_fake")
    result = grade_submission(sub, secret="s")
    out = tmp_path / "grades"
    write_submission_outputs(out, result)
    folder = result_path(out, sub).parent
    for name in ("feedback.md", "feedback.html"):
        assert "secret detail 12345" not in (folder / name).read_text()
    assert "secret detail 12345" in json.dumps(result)     # the instructor still has it
    # the student's own prints come back, captured outside their process
    assert "hello from the student's code" in result["extra_data"]["stdout_tail"]
    assert "hello from the student's code" in (folder / "feedback.md").read_text()


def test_random_inputs_differ_between_students_and_repeat_for_one(fake_course):
    draws = {}
    for student, secret in (("ann", "s"), ("ann", "s"), ("ben", "s"), ("ann", "t")):
        folder = fake_course / "class" / student / "90_fake"
        if not folder.exists():
            folder.mkdir(parents=True)
            (folder / "fake.py").write_text(textwrap.dedent(CODE))
        result = grade_submission(Submission(student, "90_fake", folder), secret=secret)
        output = by_name(result)["test_rng_is_per_student"]["output"]
        assert output.startswith("draw ")          # read from this run's own result
        draws.setdefault((student, secret), []).append(output)
    assert draws["ann", "s"][0] == draws["ann", "s"][1]
    assert draws["ann", "s"][0] != draws["ben", "s"][0]
    assert draws["ann", "s"][0] != draws["ann", "t"][0]


def test_a_test_without_points_is_a_grader_error_not_the_students(fake_course):
    sub = Submission("ann", "91_nopoints", fake_course / "class" / "ann" / "90_fake")
    result = grade_submission(sub, secret="s")
    assert result["extra_data"]["internal_errors"] >= 1
    assert "no points marker" in result["extra_data"]["reason"]


def test_a_suite_runs_with_the_graders_plugins_only():
    """Plugins installed beside the grader (anyio, platformdirs here) are not loaded for a
    hidden suite, nor are pytest's own ones that no suite uses; pytest-timeout is."""
    from grader.course import load_assignment
    from grader.grading import UNUSED_PYTEST_PLUGINS, suite_pytest_args

    seen = []

    class Recorder:
        def pytest_configure(self, config):
            seen.extend(name for name, plugin in config.pluginmanager.list_name_plugin()
                        if plugin is not None)

    assignment = load_assignment("01_numpy_forward")
    pytest.main(suite_pytest_args(assignment) + ["--collect-only"], plugins=[Recorder()])
    assert "timeout" in seen and "grader.plugin" in seen
    assert not {"anyio", "platformdirs"} & set(seen)
    assert not set(UNUSED_PYTEST_PLUGINS) & set(seen)
