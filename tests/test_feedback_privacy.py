"""What a student's feedback pages must never show: the hidden suite's code, the reference's
outputs, hidden tests' details, after_due_date tests before their release, another student's
data. Failing submissions are graded through the command line, then the pages are searched."""
from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "submissions"


def grader(*args, env):
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=600, env={**os.environ, **env})


def student_pages(out: Path, student: str) -> dict[str, str]:
    """Every page a student is given: each submission's feedback and their overview."""
    pages = {str(p.relative_to(out)): p.read_text() for p in (out / student).rglob("feedback.*")}
    assert pages
    return pages


def suite_lines(suite_dir: Path) -> set[str]:
    """Lines of test code long enough to be recognised; docstrings name tests, so they may show."""
    lines = set()
    for path in suite_dir.glob("test_*.py"):
        for line in path.read_text().splitlines():
            line = line.strip()
            if len(line) > 20 and not line.startswith(("#", '"""', "@", "def ", "import ", "from ")):
                lines.add(line)
    return lines


# ---------------------------------------------------------------- numbers on a page

NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+(?:e[-+]?\d+)?(?![\w.])")


def significant_digits(token: str) -> int:
    mantissa = token.lstrip("-").split("e")[0].replace(".", "")
    return len(mantissa.lstrip("0"))


def leaked_numbers(text: str, values: list[float], min_digits: int = 4) -> set[str]:
    """Numbers on the page, of at least `min_digits` significant digits, that are one of `values`
    rounded to the digits shown (so "0.4142" and "0.41421" both give 0.414213...)."""
    tokens = {t for t in NUMBER.findall(text) if significant_digits(t) >= min_digits}
    leaks = set()
    for token in tokens:
        digits = significant_digits(token)
        shown = {format(v, f".{digits}g") for v in values} | {repr(v) for v in values}
        if token in shown or token.lstrip("-") in shown:
            leaks.add(token)
    return leaks


def test_the_number_search_finds_a_rounded_value():
    values = [0.41421356237, 1234.56789]
    assert leaked_numbers("expected 0.4142 here", values) == {"0.4142"}
    assert leaked_numbers("got 1234.568, tolerance 1e-07, error 0.56", values) == {"1234.568"}
    assert leaked_numbers("relative error 0.41 at index (1, 2)", values) == set()  # 2 digits: too common


# ---------------------------------------------------------------- a made-up course

SUITE = '''
import pytest
from grader.checks import CheckFailed, check_scalar


@pytest.mark.points(2)
def test_area_visible(student, reference):
    """area of a circle"""
    radius_shown_to_students = 2.5
    check_scalar(student.area(radius_shown_to_students), reference.area(radius_shown_to_students),
                 what="area(r)", inputs="r = 2.5")


@pytest.mark.points(3)
@pytest.mark.visibility("hidden")
def test_area_hidden(student, reference):
    """area of a large circle"""
    radius_for_the_hidden_check = 1234.5
    expected_hidden_value = reference.area(radius_for_the_hidden_check)
    if student.area(radius_for_the_hidden_check) != expected_hidden_value:
        raise CheckFailed(f"HIDDEN-DETAIL: expected {expected_hidden_value!r} for r=1234.5")


@pytest.mark.points(4)
@pytest.mark.visibility("after_due_date")
def test_perimeter_after_due(student, reference):
    """perimeter of a circle"""
    value_released_after_the_due_date = reference.perimeter(7.25)
    if student.perimeter(7.25) != value_released_after_the_due_date:
        raise CheckFailed(f"AFTER-DUE-DETAIL: expected {value_released_after_the_due_date!r}")
'''

REFERENCE = '''
import math


def area(r):
    return math.pi * r * r


def perimeter(r):
    return 2 * math.pi * r
'''

WRONG = '''
print("ANN-OWN-PRINT")


def area(r):
    return 3 * r * r


def perimeter(r):
    return 6 * r
'''

RIGHT = '''
import math
print("BEN-OWN-PRINT")


def area(r):
    return math.pi * r * r


def perimeter(r):
    return 2 * math.pi * r
'''


@pytest.fixture
def made_up_course(tmp_path):
    suites = tmp_path / "suites"
    (suites / "90_circles").mkdir(parents=True)
    (suites / "90_circles" / "assignment.toml").write_text('modules = ["circles"]\ncall_timeout = 5\n')
    (suites / "90_circles" / "test_circles.py").write_text(SUITE)
    (tmp_path / "solutions" / "90_circles").mkdir(parents=True)
    (tmp_path / "solutions" / "90_circles" / "circles.py").write_text(REFERENCE)
    for student, code in (("ann", WRONG), ("ben", RIGHT)):
        folder = tmp_path / "class" / student / "90_circles"
        folder.mkdir(parents=True)
        (folder / "circles.py").write_text(textwrap.dedent(code))
    env = {"GRADER_SUITES_DIR": str(suites), "GRADER_COURSE_DIR": str(tmp_path), "GRADER_SECRET": "s"}
    return tmp_path, env


def test_hidden_details_reference_outputs_and_other_students_stay_out_of_the_pages(made_up_course):
    course, env = made_up_course
    out = course / "grades"
    proc = grader("grade", str(course / "class"), "--out", str(out), "-j", "1", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    reference_outputs = [math.pi * 2.5 ** 2, math.pi * 1234.5 ** 2, 2 * math.pi * 7.25]
    pages = student_pages(out, "ann")
    for name, text in pages.items():
        assert not [line for line in suite_lines(course / "suites" / "90_circles") if line in text], name
        assert not leaked_numbers(text, reference_outputs), name
        assert "HIDDEN-DETAIL" not in text and "AFTER-DUE-DETAIL" not in text, name
        assert "perimeter of a circle" not in text, name           # after_due_date: not even its name
        assert "BEN-OWN-PRINT" not in text and "ben" not in text, name
    page = pages["ann/90_circles/feedback.md"]
    assert "area of a circle" in page and "wrong value" in page and "r = 2.5" in page  # the visible test
    assert "area of a large circle" in page and "Hidden test: details are not shown." in page
    assert "0 / 5" in page and "1 more test, worth 4 points, is released after the due date" in page
    assert "ANN-OWN-PRINT" in page
    # The instructor's results.json keeps everything.
    assert "HIDDEN-DETAIL" in (out / "ann" / "90_circles" / "results.json").read_text()

    released = grader("report", str(out), "--release-hidden", env=env)
    assert released.returncode == 0, released.stderr
    page = (out / "ann" / "90_circles" / "feedback.md").read_text()
    assert "perimeter of a circle" in page and "AFTER-DUE-DETAIL" in page and "0 / 9" in page
    assert "HIDDEN-DETAIL" not in page
    assert grader("report", str(out), env=env).returncode == 0
    assert "AFTER-DUE-DETAIL" not in (out / "ann" / "90_circles" / "feedback.md").read_text()


# ---------------------------------------------------------------- the real suite of 01

# Appended to a copy of the reference: every output of a public function goes to a log.
RECORDER = '''

def _record_outputs(function):
    import functools
    import os

    import numpy

    @functools.wraps(function)
    def recorded(*args, **kwargs):
        value = function(*args, **kwargs)
        floats = []
        for part in value if isinstance(value, tuple) else (value,):
            array = numpy.asarray(part)
            if array.dtype.kind == "f":
                floats += array.ravel().tolist()
        with open(os.environ["REFERENCE_LOG"], "a") as log:
            log.writelines(f"{x!r}\\n" for x in floats)
        return value
    return recorded


for _name, _value in list(globals().items()):
    if callable(_value) and getattr(_value, "__module__", None) == __name__ and not _name.startswith("_"):
        globals()[_name] = _record_outputs(_value)
'''


def test_a_failing_submission_of_01_sees_neither_suite_code_nor_reference_outputs(tmp_path):
    ID = "01_numpy_forward"
    course = tmp_path / "course"
    (course / "solutions" / ID).mkdir(parents=True)
    source = (ROOT / "solutions" / ID / "forward.py").read_text()
    (course / "solutions" / ID / "forward.py").write_text(source + RECORDER)
    shutil.copytree(EXAMPLES / "bob" / ID, tmp_path / "class" / "bob" / ID)
    log = tmp_path / "reference.log"
    env = {"GRADER_COURSE_DIR": str(course), "GRADER_SECRET": "s", "REFERENCE_LOG": str(log)}
    out = tmp_path / "grades"
    proc = grader("grade", str(tmp_path / "class"), "--out", str(out), "-j", "1", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = (out / "bob" / ID / "results.json").read_text()
    assert '"wrong answer"' in result                                    # bob fails some tests
    outputs = [float(x) for x in log.read_text().split()]
    assert len(outputs) > 1000                                           # the recorder ran
    lines = suite_lines(ROOT / "grader" / "suites" / ID)
    for name, text in student_pages(out, "bob").items():
        assert not [line for line in lines if line in text], name
        assert not leaked_numbers(text, outputs), name
