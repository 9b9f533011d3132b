"""One submission never breaks a run: a class with one of each kind of bad submission grades
to completion, the correct students at full marks, and every report is written."""
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.grading import grade_submission
from grader.reports import inert, write_gradebook
from grader.submissions import Submission, discover

ROOT = Path(__file__).resolve().parents[1]
ALICE = (ROOT / "examples/submissions/alice/01_numpy_forward/forward.py").read_text()
ID = "01_numpy_forward"


def notebook(source: str) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": "code", "metadata": {}, "outputs": [],
                                  "execution_count": None, "source": source}]})


@pytest.fixture(scope="module")
def bad_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")

    def hand_in(student: bytes | str, files: dict):
        folder = Path(os.fsdecode(os.path.join(os.fsencode(root), os.fsencode(student),
                                               ID.encode())))
        folder.mkdir(parents=True)
        for name, content in files.items():
            path = folder / os.fsdecode(name)
            path.write_text(content) if isinstance(content, str) else content(path)
        return folder

    def sparse(size):
        def make(path):
            with open(path, "wb") as f:
                f.truncate(size)
        return make

    hand_in("alice", {"forward.py": ALICE})
    hand_in("bea", {"forward.py": ALICE, b"notes\xff.txt": "a file name that is not UTF-8"})
    hand_in(b"carl\xe9", {"forward.py": ALICE})                      # a folder name, not UTF-8
    hand_in("dora", {"forward.py": sparse(64 << 30)})                 # 64 GB, sparse
    hand_in("emil", {"forward.py": ALICE, "big.bin": sparse(64 << 30)})
    hand_in("fay", {"forward.ipynb": notebook("x = 1" + "+1" * 300_000)})   # RecursionError
    hand_in("report.html", {"forward.py": ALICE})                    # the run's own file name
    os.symlink(ROOT / "solutions", root / "gus")                     # a student folder -> solutions/
    (root / "hal").mkdir()
    os.symlink(ROOT / "solutions" / ID, root / "hal" / ID)           # an assignment folder -> solutions/
    folder = hand_in("ida", {})
    os.symlink(ROOT / "solutions" / ID / "forward.py", folder / "forward.py")
    return root


@pytest.fixture(scope="module")
def graded(bad_class, tmp_path_factory):
    out = tmp_path_factory.mktemp("grades")
    env = dict(os.environ, GRADER_SECRET="bad-class")
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(bad_class), "-a", ID,
                           "--out", str(out), "-j", "2"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    return out, proc


def result(out, student):
    return json.loads((out / student / ID / "results.json").read_text())


def test_the_run_completes_and_writes_every_report(graded):
    out, proc = graded
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert (out / "grades.csv").is_file() and (out / "report.html").is_file()
    assert "class report:" in proc.stdout


def test_the_correct_students_get_full_marks(graded):
    out, _ = graded
    for student in ("alice", "bea", "emil"):
        r = result(out, student)
        assert r["score"] == r["max_score"] > 0, student


def test_each_bad_submission_is_told_why(graded):
    out, proc = graded
    dora = result(out, "dora")
    assert dora["extra_data"]["verdict"] == "ungradable" and "larger than" in dora["extra_data"]["reason"]
    fay = result(out, "fay")
    assert fay["extra_data"]["verdict"] == "ungradable" and fay["score"] == 0
    ida = result(out, "ida")
    assert ida["score"] == 0
    assert any("symbolic link" in w for w in ida["extra_data"]["warnings"])
    warnings = proc.stdout + proc.stderr
    assert "carl\ufffd" in warnings and "not valid UTF-8" in warnings
    assert "report.html: skipped" in warnings
    assert "gus: a symbolic link, not followed" in warnings
    assert f"{ID}: a symbolic link, not followed" in warnings
    rows = {r["student"] for r in csv.DictReader(open(out / "grades.csv"))}
    assert rows == {"alice", "bea", "dora", "emil", "fay", "ida"}
    assert not (out / "report.html").is_dir()


def test_a_linked_folder_or_file_never_leads_out_of_the_root(bad_class):
    subs, warnings = discover(bad_class, [ID])
    assert {s.student for s in subs} == {"alice", "bea", "dora", "emil", "fay", "ida"}
    ida = next(s for s in subs if s.student == "ida")
    assert ida.files() == [] and ida.warnings()


def test_hashing_a_huge_sparse_file_reads_only_its_start(bad_class):
    emil = Submission("emil", ID, bad_class / "emil" / ID)
    assert len(emil.content_hash()) == 64          # returns: 64 GB were not read


def test_an_unexpected_error_makes_one_submission_need_a_regrade(tmp_path, monkeypatch):
    from grader import grading

    folder = tmp_path / "zed" / ID
    folder.mkdir(parents=True)
    (folder / "forward.py").write_text(ALICE)
    sub = Submission("zed", ID, folder)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(grading, "grade_submission", broken)
    out = tmp_path / "grades"
    summaries, _ = grading.grade_class([sub], out)
    [summary] = summaries
    assert summary["verdict"] == "ungradable" and summary["internal_errors"] == 1
    saved = json.loads((out / "zed" / ID / "results.json").read_text())
    assert "disk on fire" in saved["extra_data"]["reason"] and saved["max_score"] > 0
    assert not grading.is_up_to_date(out, sub, grading.course_secret())   # graded again next time


def test_grades_csv_keeps_formula_like_student_ids_inert(tmp_path):
    folder = tmp_path / "=HYPERLINK(1)" / ID
    folder.mkdir(parents=True)
    (folder / "forward.py").write_text("")
    out = tmp_path / "grades"
    res = grade_submission(Submission("=HYPERLINK(1)", ID, folder), secret="s")
    from grader.reports import write_submission_outputs
    write_submission_outputs(out, res)
    write_gradebook(out)
    cells = [row[0] for row in csv.reader(open(out / "grades.csv"))]
    assert "'=HYPERLINK(1)" in cells and "=HYPERLINK(1)" not in cells
    assert inert("-1") == "'-1" and inert("alice") == "alice"
