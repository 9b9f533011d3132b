"""The command line end to end on the example class: grades, verdicts, outputs, resume, errors."""
import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "submissions"
ID = "01_numpy_forward"


def grader(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True,
                          text=True, cwd=cwd or ROOT, timeout=900)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The example class's 01 submissions graded once through the CLI, at -j2."""
    out = tmp_path_factory.mktemp("grades")
    proc = grader("grade", str(EXAMPLES), "-a", ID, "--out", str(out), "-j", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out, proc


def result(out, student):
    return json.loads((out / student / ID / "results.json").read_text())


def named(res, word):
    return [t for t in res["tests"] if word in t["name"]]


def test_the_gradebook_has_a_row_per_student_and_totals(graded):
    out, proc = graded
    rows = list(csv.DictReader(open(out / "grades.csv")))
    students = {r["student"] for r in rows}
    assert {"alice", "bob", "carol", "dave", "erin", "frank"} <= students
    for r in rows:
        if r[ID]:
            assert float(r["total"]) >= float(r[ID])
    assert "alice" in proc.stdout and "Gradebook" in proc.stdout


def test_the_perfect_and_the_notebook_student_get_full_marks(graded):
    out, _ = graded
    for student in ("alice", "erin"):
        res = result(out, student)
        assert res["score"] == res["max_score"] > 0, student


def test_the_partial_student_loses_some_points_only(graded):
    res = result(graded[0], "bob")
    assert 0 < res["score"] < res["max_score"]


def test_a_syntax_error_scores_zero_with_its_verdict(graded):
    res = result(graded[0], "carol")
    assert res["score"] == 0
    assert {t["extra_data"]["verdict"] for t in res["tests"]} - {"wrong answer"} == {"syntax error"}
    assert "line" in res["tests"][0]["output"]


def test_an_infinite_loop_costs_only_the_tests_that_call_it(graded):
    res = result(graded[0], "dave")
    softmax = named(res, "softmax")
    assert softmax and all(t["extra_data"]["verdict"] == "timeout" for t in softmax)
    sigmoid = named(res, "sigmoid")
    assert sigmoid and all(t["extra_data"]["verdict"] == "pass" for t in sigmoid)
    assert 0 < res["score"] < res["max_score"]


def test_a_crash_costs_only_the_tests_that_call_it(graded):
    res = result(graded[0], "frank")
    crashed = [t for t in res["tests"] if t["extra_data"]["verdict"] == "crashed"]
    assert crashed and all("SIG" in t["output"] for t in crashed)
    # frank's tanh segfaults: only tanh and the layers that apply it may crash
    assert all(any(w in t["name"] for w in ("tanh", "dense", "mlp")) for t in crashed)
    assert all(t["extra_data"]["verdict"] == "pass" for t in named(res, "sigmoid"))
    assert 0 < res["score"] < res["max_score"]


def test_results_follow_gradescopes_schema(graded):
    res = result(graded[0], "bob")
    assert set(res) >= {"score", "max_score", "execution_time", "output", "tests"}
    for t in res["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert t["status"] in ("passed", "failed")
        assert t["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
        assert t["extra_data"]["verdict"]
    assert res["extra_data"]["verdict"] == "graded"
    assert res["score"] == pytest.approx(sum(t["score"] for t in res["tests"]))


def test_feedback_never_shows_the_hidden_suite(graded):
    out, _ = graded
    suite_lines = {line.strip() for p in (ROOT / "grader" / "suites" / ID).glob("test_*.py")
                   for line in p.read_text().splitlines()
                   if len(line.strip()) > 25 and not line.strip().startswith(("#", '"""'))}
    for student in ("bob", "dave", "frank"):
        for name in ("feedback.md", "feedback.html"):
            text = (out / student / ID / name).read_text()
            assert not [line for line in suite_lines if line in text], (student, name)
    assert (out / "report.html").exists()


def test_a_rerun_skips_unchanged_submissions_and_regrades_changed_ones(tmp_path):
    cls = tmp_path / "class"
    for student in ("alice", "bob"):
        shutil.copytree(EXAMPLES / student / ID, cls / student / ID)
    out = tmp_path / "grades"
    first = grader("grade", str(cls), "--out", str(out), "-j", "1")
    assert first.returncode == 0, first.stderr
    again = grader("grade", str(cls), "--out", str(out), "-j", "1")
    assert "graded 0 submissions, 2 unchanged" in again.stdout
    path = cls / "bob" / ID / "forward.py"
    path.write_text((EXAMPLES / "alice" / ID / "forward.py").read_text())
    third = grader("grade", str(cls), "--out", str(out), "-j", "1")
    assert "graded 1 submissions, 1 unchanged" in third.stdout
    assert result(out, "bob")["score"] == result(out, "bob")["max_score"]


def test_an_invalid_notebook_is_ungradable_for_that_row_only(tmp_path):
    cls = tmp_path / "class"
    shutil.copytree(EXAMPLES / "alice" / ID, cls / "alice" / ID)
    broken = cls / "oscar" / ID
    broken.mkdir(parents=True)
    (broken / "forward.ipynb").write_text('{"cells": [}')
    out = tmp_path / "grades"
    proc = grader("grade", str(cls), "--out", str(out), "-j", "1")
    assert proc.returncode == 0, proc.stderr
    oscar = result(out, "oscar")
    assert oscar["extra_data"]["verdict"] == "ungradable" and oscar["score"] == 0
    assert "notebook" in oscar["extra_data"]["reason"]
    assert result(out, "alice")["score"] == result(out, "alice")["max_score"]
    rows = {r["student"]: r for r in csv.DictReader(open(out / "grades.csv"))}
    assert rows["oscar"][ID] == "0"


def test_the_run_ends_with_where_the_report_and_feedback_pages_are(graded):
    out, proc = graded
    last = proc.stdout.strip().splitlines()[-2:]
    assert last[0] == f"class report: {out / 'report.html'}"
    assert last[1].startswith(f"feedback pages: {out}/<student>/<assignment>/feedback.html")
    assert (out / "bob" / ID / "feedback.html").exists() and (out / "bob" / "feedback.html").exists()
    assert "Summary per assignment" in proc.stdout


def test_not_on_a_terminal_the_run_is_quiet(graded):
    _, proc = graded
    assert proc.stderr == ""                      # no progress bar
    assert "graded alice/" not in proc.stdout     # no line per submission


def test_the_progress_bar_shows_an_eta_on_a_terminal(monkeypatch):
    from grader.cli import progress as progress_module

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    progress, tracker = progress_module.class_progress_bar([("a", "01")] * 10, 2)
    assert any(type(c).__name__ == "Eta" for c in progress.columns)
    assert progress.console.stderr              # never on stdout, which --json keeps for itself
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert progress_module.class_progress_bar([("a", "01")] * 10, 2)[0] is None


def test_json_prints_one_document_and_nothing_else_on_stdout(graded, tmp_path):
    out, _ = graded
    proc = grader("grade", str(EXAMPLES), "-a", ID, "-s", "bob", "-s", "carol", "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)                 # the whole of stdout is one JSON document
    assert doc["unchanged"] == 2 and doc["graded"] == 0
    assert doc["report"] == str(out / "report.html")
    [stats] = doc["assignments"]
    assert stats["assignment"] == ID and stats["submissions"] >= 6
    assert stats["failures"]["syntax error"]["submissions"] >= 1          # carol
    assert stats["failures"]["timeout"]["submissions"] >= 1               # dave
    bob = next(s for s in doc["submissions"] if s["student"] == "bob")
    assert bob["score"] == result(out, "bob")["score"] and bob["feedback"].endswith("bob/01_numpy_forward/feedback.html")
    assert "Traceback" not in proc.stderr


def test_demo_passes_json_and_release_hidden_on_to_grade(monkeypatch):
    from grader import cli
    from grader.cli import grade

    seen = {}
    monkeypatch.setattr(grade, "cmd_grade", lambda ns: seen.update(vars(ns)) or 1)
    assert cli.main(["demo", "--json", "--release-hidden", "--out", "x"]) == 0
    assert seen["json"] and seen["release_hidden"] and seen["out"] == "x"


def test_export_writes_the_lms_layouts(graded, tmp_path):
    out, _ = graded
    proc = grader("export", str(out), "--format", "canvas", "--out", str(tmp_path / "canvas.csv"))
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(open(tmp_path / "canvas.csv")))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ID]
    assert rows[1][0].strip() == "Points Possible" and rows[1][5] == "90"
    by_student = {r[3]: r for r in rows[2:]}
    assert by_student["bob"][5] == f"{result(out, 'bob')['score']:g}"
    assert by_student["carol"][5] == "0"
    proc = grader("export", str(out), "--format", "moodle", "--out", "-")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(proc.stdout.splitlines()))
    assert rows[0] == ["ID number", ID] and ["alice", "90"] in rows
    proc = grader("export", str(out), "--format", "csv")
    assert proc.returncode == 0 and (out / "csv-grades.csv").read_text() == (out / "grades.csv").read_text()


@pytest.mark.parametrize("args,words", [
    (["grade", "/no/such/folder"], "does not exist"),
    (["grade", str(EXAMPLES), "-a", "99_nothing"], "unknown assignment"),
    (["validate", "99_nothing"], "unknown assignment"),
    (["check", "99_nothing", "."], "unknown assignment"),
    (["report", "/no/such/grades"], "not a grades folder"),
    (["export", "/no/such/grades", "--format", "canvas"], "not a grades folder"),
    (["export", str(EXAMPLES), "--format", "canvas"], "no results in"),
    (["export", str(ROOT / "grader"), "--format", "pdf"], "unknown export format 'pdf'"),
    (["export", str(ROOT / "grader")], "choose a format"),
    (["grade", str(EXAMPLES), "-a", ID, "--out", "/nonexistent/grades",
      "--nbgrader-db", "/no/such/gradebook.db"], "no such gradebook"),
])
def test_bad_input_is_one_clear_line_and_a_nonzero_exit(args, words):
    proc = grader(*args)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]


def test_check_runs_the_public_tests_on_a_students_folder(tmp_path):
    work = tmp_path / "work"
    shutil.copytree(ROOT / "assignments" / ID, work)
    stub = grader("check", ID, str(work))
    assert stub.returncode != 0 and "0 of 28 public tests passed" in stub.stdout
    shutil.copyfile(EXAMPLES / "alice" / ID / "forward.py", work / "forward.py")
    done = grader("check", ID, str(work))
    assert done.returncode == 0, done.stdout
    assert "passed" in done.stdout


def test_check_accepts_a_notebook(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    shutil.copyfile(EXAMPLES / "erin" / ID / "forward.ipynb", work / "forward.ipynb")
    proc = grader("check", ID, str(work))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_grader_starts_without_importing_pytest_torch_or_nbformat():
    code = ("import sys, grader.cli; grader.cli.build_parser(); "
            "print(sorted(m for m in ('pytest', 'torch', 'nbformat', 'numpy') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip() == "[]"


def test_report_and_export_import_neither_torch_nor_nbformat_nor_pytest(graded, tmp_path):
    out, _ = graded
    code = ("import sys, grader.cli\n"
            f"assert grader.cli.main(['report', {str(out)!r}]) == 0\n"
            f"assert grader.cli.main(['export', {str(out)!r}, '--format', 'canvas', '--out', {str(tmp_path / 'c.csv')!r}]) == 0\n"
            "print(sorted(m for m in ('pytest', 'torch', 'nbformat') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_the_fingerprint_covers_what_can_change_a_score_and_not_the_presentation(monkeypatch, tmp_path):
    """A fixed check or harness re-grades the class on resume; a reworded report does not."""
    from grader import grading

    names = {p.relative_to(grading.PACKAGE_DIR).as_posix() for p in grading.engine_files()}
    assert {"grading.py", "plugin.py", "submissions.py", "notebooks.py", "checks/gradient.py",
            "checks/numeric.py", "sandbox/worker.py", "sandbox/proxy.py",
            "sandbox/harness/child.py", "sandbox/harness/wire.py", "data/split.py"} <= names
    assert not names & {"release.py", "validate.py"}
    assert not any(n.startswith(("reports/", "cli/", "nbgrader/")) for n in names)
    assert not any(n.startswith("suites/") for n in names)   # hashed per assignment

    # The same package copied: one byte more in a check changes the fingerprint.
    package = tmp_path / "grader"
    shutil.copytree(grading.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__", "suites"))
    monkeypatch.setattr(grading, "PACKAGE_DIR", package)
    grading.fingerprint.cache_clear()
    before = grading.fingerprint("01_numpy_forward")
    with open(package / "reports" / "feedback.py", "a") as f:
        f.write("# reworded\n")
    grading.fingerprint.cache_clear()
    assert grading.fingerprint("01_numpy_forward") == before
    with open(package / "checks" / "numeric.py", "a") as f:
        f.write("# fixed\n")
    grading.fingerprint.cache_clear()
    assert grading.fingerprint("01_numpy_forward") != before
    grading.fingerprint.cache_clear()


def test_the_engine_writes_only_results_and_a_run_renders_each_page_once(tmp_path, monkeypatch):
    """Pages are rendered from results.json at the end of the run, never by the engine."""
    from grader import cli, grading
    from grader.reports import feedback
    from grader.submissions import discover

    cls = tmp_path / "class"
    for student in ("alice", "bob"):
        shutil.copytree(EXAMPLES / student / ID, cls / student / ID)
    subs, _ = discover(cls, [ID])
    engine_out = tmp_path / "engine"
    grading.write_result(engine_out, grading.failed_result(subs[0], "a reason"))
    assert sorted(p.name for p in (engine_out / subs[0].student / ID).iterdir()) == ["results.json"]

    rendered = []
    original = feedback.render_feedback_html
    monkeypatch.setattr(feedback, "render_feedback_html",
                        lambda result, *a: rendered.append(result["extra_data"]["student"])
                        or original(result, *a))
    out = tmp_path / "grades"
    assert cli.main(["grade", str(cls), "--out", str(out), "-j", "1"]) == 0
    assert sorted(rendered) == ["alice", "bob"]
    assert all((out / s / ID / "feedback.html").is_file() for s in ("alice", "bob"))


def test_the_eta_uses_the_mean_time_of_the_same_assignment():
    # Two 1 s numpy submissions, then a 60 s training one: one rate for all (rich's ETA)
    # promised seconds for the remaining training submission; the mean of its own
    # assignment promises a minute.
    from grader.cli.progress import ClassProgress

    now = [0.0]
    todo = [("a", "01"), ("b", "01"), ("a", "05"), ("b", "05"), ("c", "01")]
    p = ClassProgress(todo, jobs=1, clock=lambda: now[0])
    assert p.eta() is None                                    # nothing finished yet
    for key, seconds in ((("a", "01"), 1.0), (("b", "01"), 1.0), (("a", "05"), 60.0)):
        p.running()
        now[0] += seconds
        p.finished(key, seconds)
    assert p.eta() == pytest.approx(60.0 + 1.0)              # b/05 (60 s) and c/01 (1 s)
    now[0] += 20.0                                            # b/05 has run 20 s
    assert p.eta() == pytest.approx(40.0 + 1.0)
    assert p.now_text() == "b/05 20 s"
    two = ClassProgress(todo, jobs=2, clock=lambda: now[0])
    two.finished(("a", "01"), 2.0)
    assert two.eta() == pytest.approx(4 * 2.0 / 2)            # 4 left, 2 processes
    assert two.now_text().endswith("+1")                      # two in progress


def test_the_progress_line_names_the_submission_in_progress_and_fits_80_columns(monkeypatch):
    import io

    from rich.console import Console

    from grader.cli.progress import ClassProgress, progress_for

    now = [0.0]
    tracker = ClassProgress([("a_student_with_a_long_name", "04_mnist_own_framework")] * 1,
                            jobs=1, clock=lambda: now[0])
    tracker.running()
    now[0] = 75.0
    console = Console(file=io.StringIO(), width=80, force_terminal=False)
    progress = progress_for(tracker, console=console)
    with console.capture() as captured:
        console.print(progress.get_renderable())
    text = captured.get()
    assert "75 s" in text and "a_student_with_a_long" in text
    assert all(len(row) <= 80 for row in text.splitlines())


def _class_results(students, assignments):
    from grader.grading import failed_result
    from grader.submissions import Submission

    results = []
    for i, student in enumerate(students):
        for a in assignments:
            r = failed_result(Submission(student, a, Path(".")), "x")
            if i:                                   # the first student is ungradable
                r["score"], r["extra_data"]["verdict"] = r["max_score"] - i, "graded"
                r["extra_data"]["internal_errors"] = 0
            results.append(r)
    return results


def test_the_summary_and_the_gradebook_fit_80_columns_and_keep_names_whole(tmp_path):
    import io

    from rich.console import Console

    from grader.course import list_assignments
    from grader.reports import print_gradebook, print_summary

    assignments = list_assignments()
    results = _class_results(["ann", "bob", "carmen"], assignments)
    wide = 24 * (len(assignments) + 1)              # room for every name whole
    for width in (80, wide):
        console = Console(file=io.StringIO(), width=width, record=True)
        print_summary(results, console)
        print_gradebook(tmp_path, console, results=results)
        text = console.export_text()
        assert max(len(row) for row in text.splitlines()) <= width
        for a in assignments:                       # never broken over lines
            assert a in text, (width, a)
        assert "ann" in text and "carmen" in text
        assert "…" not in text                      # no cell or header cut short
        # narrow: the gradebook names the assignments by number, their names listed below
        assert ("01=01_numpy_forward" in text) == (width == 80)


# --- feedback that says a thing once (issue 17) ------------------------------------------

def page(out, student, kind="md"):
    return (out / student / ID / f"feedback.{kind}").read_text()


def test_a_loop_is_reported_once_at_the_students_line(graded):
    """dave's softmax never returns: 14 tests time out (some through dense and mlp_forward).
    The page told "did not return within 2 s" 14 times without saying where; now once,
    under softmax, with the line the worker was stopped on and the tests it cost."""
    md = page(graded[0], "dave")
    timeouts = named(result(graded[0], "dave"), "")
    n = sum(t["extra_data"]["verdict"] == "timeout" for t in timeouts)
    assert n >= 10
    assert md.count("did not return within") == 1
    fixes = md.split("## Fix these first", 1)[1].split("## Tests", 1)[0]
    assert "### softmax:" in fixes and f"{n} tests failed" in fixes
    # the loop is `while True:` (line 38) over `pass` (39): the worker is stopped on either
    assert re.search(r'File "forward.py", line 3(8, in softmax\n +while True:|9, in softmax\n'
                     r' +pass)', fixes), fixes
    # every test that reached the loop counts here, those through dense and mlp_forward too
    assert any("mlp" in t["name"] and t["extra_data"]["verdict"] == "timeout" for t in timeouts)
    assert f"and {n - 8} more." in fixes
    for text in (md, page(graded[0], "dave", "html")):
        assert "/submission" not in text and "\x1b[" not in text and "/tmp/" not in text


def test_a_syntax_error_is_reported_once(graded):
    md = page(graded[0], "carol")
    assert md.count("could not import your code") == 1
    assert "### loading your code:" in md
    assert len(md.splitlines()) < 150        # was 607 lines: the error once per test


@pytest.fixture(scope="module")
def buggy_notebook(tmp_path_factory):
    """A notebook submission whose sigmoid uses an undefined name, graded through the CLI."""
    from grader import notebooks
    from grader.course import load_assignment

    a = load_assignment(ID)
    source = (ROOT / "solutions" / ID / "forward.py").read_text()
    marker = "def sigmoid("
    assert marker in source
    source = source.replace(marker, "def sigmoid_unused(", 1) + \
        "\n\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z)) + undefined_name\n"
    subs = tmp_path_factory.mktemp("subs")
    folder = subs / "nina" / ID
    folder.mkdir(parents=True)
    nb = notebooks.build_notebook(source, a.title, a.id)
    (folder / "forward.ipynb").write_text(notebooks.dumps_notebook(nb))
    shutil.copyfile(ROOT / "assignments" / ID / "forward.py", folder / "forward.py")
    out = tmp_path_factory.mktemp("grades")
    proc = grader("grade", str(subs), "-a", ID, "--out", str(out), "-j", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cell = next(i for i, c in enumerate(nb["cells"], 1) if "undefined_name" in "".join(c["source"]))
    return out, cell


def test_a_notebook_traceback_cites_the_cell_and_its_line(buggy_notebook):
    out, cell = buggy_notebook
    md = (out / "nina" / ID / "feedback.md").read_text()
    assert f"forward.ipynb, cell {cell}, line 2, in sigmoid" in md
    assert "forward.py, line" not in md and "/submission" not in md
    assert md.count("NameError: name 'undefined_name' is not defined") == 1
