"""`grader import canvas|moodle`: the example class as Canvas and Moodle hand it out (their
real naming rules: Canvas's flat `sortablename_[LATE_]userid_submissionid_file` with `-N`
resubmissions and zips inside, Moodle's `Full Name_id_assignsubmission_file_/` folders),
imported with a roster, graded, and exported back with the LMS's own identity columns."""
import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.grading import grade_submission
from grader.submissions import Submission

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "submissions"
ID = "01_numpy_forward"
SECRET = "lms-import"
# (login, Canvas user id, sortable name, full name, section); ids as a roster gives them
CLASS = [("alice", "1001", "smithalice", "Alice Smith", "A"),
         ("bob", "1002", "ørstedbob", "Bob Ørsted", "A"),
         ("carol", "1003", "dóracarol", "Carol Dóra", "B"),
         ("frank", "1004", "vanderberghfrank", "Frank van der Bergh", "B")]


def grader(*args):
    env = dict(os.environ, GRADER_SECRET=SECRET)
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=600)


def code(login):
    return (EXAMPLES / login / ID / "forward.py").read_bytes()


def canvas_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for i, (login, uid, sortable, _, _) in enumerate(CLASS):
            prefix = f"{sortable}_{'LATE_' if login == 'carol' else ''}{uid}_{5000 + i}"
            if login == "bob":         # a first upload, then the same file again: "-1"
                z.writestr(f"{prefix}_forward.py", b"raise SystemExit('an old attempt')\n")
                z.writestr(f"{prefix}_forward-1.py", code(login))
            elif login == "frank":     # a zip of a folder, as students zip their work
                inner = io.BytesIO()
                with zipfile.ZipFile(inner, "w") as iz:
                    iz.writestr("hw1/forward.py", code(login))
                    iz.writestr("__MACOSX/hw1/._forward.py", b"junk")
                z.writestr(f"{prefix}_hw1.zip", inner.getvalue())
            else:
                z.writestr(f"{prefix}_forward.py", code(login))
                z.writestr(f"{prefix}_notes.txt", b"my notes")
    return path


def canvas_roster(path: Path) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Homework 1 (77)"])
        w.writerow(["    Points Possible", "", "", "", "", "90"])
        for login, uid, _, name, section in CLASS:
            w.writerow([name, uid, f"S{uid}", login, section, ""])
    return path


def moodle_folder(path: Path) -> Path:
    for i, (login, _, _, name, _) in enumerate(CLASS):
        folder = path / f"{name}_{700 + i}_assignsubmission_file_"
        folder.mkdir(parents=True)
        (folder / "forward.py").write_bytes(code(login))
    (path / "Alice Smith_700_assignsubmission_onlinetext_").mkdir()
    (path / "Alice Smith_700_assignsubmission_onlinetext_" / "onlinetext.html").write_text("<p>hi</p>")
    return path


def moodle_roster(path: Path) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Identifier", "Full name", "Email address", "ID number", "Status", "Grade"])
        for i, (login, _, _, name, _) in enumerate(CLASS):
            w.writerow([f"Participant {700 + i}", name, f"{login}@uni.example", login, "", ""])
    return path


def scores(tree: Path) -> dict[str, float]:
    return {login: grade_submission(Submission(login, ID, tree / login / ID), SECRET)["score"]
            for login, *_ in CLASS}


@pytest.fixture(scope="module")
def canonical():
    return scores(EXAMPLES)


@pytest.mark.parametrize("lms", ["canvas", "moodle"])
def test_an_lms_download_imports_grades_and_exports_like_the_canonical_tree(lms, tmp_path, canonical):
    if lms == "canvas":
        source, roster = canvas_zip(tmp_path / "submissions.zip"), canvas_roster(tmp_path / "roster.csv")
    else:
        source, roster = moodle_folder(tmp_path / "download"), moodle_roster(tmp_path / "roster.csv")
    into = tmp_path / "subs"
    proc = grader("import", lms, str(source), "-a", ID, "--into", str(into), "--roster", str(roster))
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in into.iterdir() if not p.name.startswith(".")} == {c[0] for c in CLASS}
    assert scores(into) == canonical
    meta = json.loads((into / "carol" / ID / "submission.json").read_text())
    assert meta["lms"] == lms and meta["late"] == (lms == "canvas")
    out = tmp_path / "grades"
    assert grader("grade", str(into), "-a", ID, "--out", str(out)).returncode == 0
    proc = grader("export", str(out), "--format", lms, "--roster", str(roster), "--out", "-")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    if lms == "canvas":
        people = {r["SIS Login ID"]: r for r in rows if r["ID"]}
        assert {k: (v["Student"], v["ID"], v["SIS User ID"], v["Section"]) for k, v in people.items()} \
            == {login: (name, uid, f"S{uid}", section) for login, uid, _, name, section in CLASS}
    else:
        people = {r["ID number"]: r for r in rows}
        assert {k: (v["Identifier"], v["Email address"]) for k, v in people.items()} == \
            {login: (f"Participant {700 + i}", f"{login}@uni.example")
             for i, (login, *_) in enumerate(CLASS)}
    assert {k: float(v[ID]) for k, v in people.items()} == canonical


def test_without_a_roster_the_lms_id_names_the_student(tmp_path):
    into = tmp_path / "subs"
    proc = grader("import", "canvas", str(canvas_zip(tmp_path / "s.zip")), "-a", ID, "--into", str(into))
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in into.iterdir() if not p.name.startswith(".")} == {c[1] for c in CLASS}
    # the newest of bob's two uploads, under the name the assignment expects
    assert (into / "1002" / ID / "forward.py").read_bytes() == code("bob")
    assert (into / "1004" / ID / "hw1" / "forward.py").is_file()
    assert not (into / "1004" / ID / "__MACOSX").exists()


def _one_line_error(proc, into):
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
    assert not into.exists() or not [p for p in into.iterdir() if not p.name.startswith(".")]


def test_an_unreadable_zip_is_one_line(tmp_path):
    bad = tmp_path / "s.zip"
    bad.write_bytes(b"not a zip")
    into = tmp_path / "subs"
    proc = grader("import", "canvas", str(bad), "-a", ID, "--into", str(into))
    _one_line_error(proc, into)
    assert "not a readable zip" in proc.stderr


def test_a_roster_without_the_columns_is_one_line(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("Name,Email\nAlice,a@x\n")
    into = tmp_path / "subs"
    proc = grader("import", "canvas", str(canvas_zip(tmp_path / "s.zip")), "-a", ID,
                  "--into", str(into), "--roster", str(roster))
    _one_line_error(proc, into)
    assert "not a Canvas gradebook export" in proc.stderr


def test_two_students_mapping_to_one_id_is_one_line(tmp_path):
    roster = canvas_roster(tmp_path / "r.csv")
    text = roster.read_text().replace(",bob,", ",alice,")
    roster.write_text(text)
    into = tmp_path / "subs"
    proc = grader("import", "canvas", str(canvas_zip(tmp_path / "s.zip")), "-a", ID,
                  "--into", str(into), "--roster", str(roster))
    _one_line_error(proc, into)
    assert "two students map to the id 'alice'" in proc.stderr


def test_an_unknown_layout_is_one_line(tmp_path):
    source = tmp_path / "download"
    (source / "alice").mkdir(parents=True)
    (source / "alice" / "forward.py").write_text("x = 1\n")
    into = tmp_path / "subs"
    for lms in ("canvas", "moodle"):
        proc = grader("import", lms, str(source), "-a", ID, "--into", str(into))
        _one_line_error(proc, into)
        assert "unknown layout" in proc.stderr


def test_late_work_loses_the_course_penalty_and_the_gradebook_shows_both(tmp_path, monkeypatch):
    from grader import late
    from grader.reports import write_gradebook, write_submission_outputs

    policy = {"late": {"due": "2026-12-01T23:59:00+01:00", "penalty_per_day": 0.1,
                       "max_penalty": 0.25}}
    monkeypatch.setattr(late, "course_config", lambda: policy)
    out = tmp_path / "grades"
    for login, when in (("alice", "2026-12-04T10:00:00+00:00"),      # 3 started days: 25 % (cap)
                        ("bob", "2026-12-02T10:00:00+00:00"),        # 1 day: 10 %
                        ("frank", "2026-12-01T20:00:00+00:00")):     # on time
        folder = tmp_path / login / ID
        folder.mkdir(parents=True)
        (folder / "forward.py").write_bytes(code(login))
        (folder / "submission.json").write_text(json.dumps({"submitted_at": when}))
        write_submission_outputs(out, grade_submission(Submission(login, ID, folder), SECRET))
    on_time = scores(EXAMPLES)
    write_gradebook(out)
    rows = {r["student"]: r for r in csv.DictReader(open(out / "grades.csv"))}
    raw = f"{ID} (before late penalty)"
    assert float(rows["alice"][ID]) == pytest.approx(0.75 * on_time["alice"])
    assert float(rows["bob"][ID]) == pytest.approx(0.9 * on_time["bob"])
    assert float(rows["frank"][ID]) == on_time["frank"]
    assert {s: float(rows[s][raw]) for s in rows} == {s: on_time[s] for s in rows}
    result = json.loads((out / "alice" / ID / "results.json").read_text())
    assert result["extra_data"]["late"]["days_late"] == 3
    monkeypatch.setattr(late, "course_config", lambda: {})          # off by default
    assert late.penalty(ID, tmp_path / "alice" / ID) is None
