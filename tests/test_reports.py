"""Tests of grader/reports/ on synthetic result dicts: atomic writes, feedback, gradebook, class report."""
from __future__ import annotations

import csv
import re
import io
import json
import os
import sys

import pytest

from grader import reports
from grader.reports import (
    atomic_write_text,
    collect_results,
    format_score,
    gradebook_rows,
    print_gradebook,
    render_feedback_html,
    render_feedback_markdown,
    write_class_report,
    write_gradebook,
    write_submission_outputs,
)

SCRIPT = "<script>alert('pwned')</script>"


def make_test(name, score, max_score, verdict, output="", visibility="visible"):
    return {
        "name": name, "score": score, "max_score": max_score,
        "status": "passed" if verdict == "pass" else "failed",
        "output": output, "visibility": visibility,
        "extra_data": {"verdict": verdict, "nodeid": f"test_forward.py::test_{name.split(':')[0]}"},
    }


def make_result(student="alice", assignment="01_numpy_forward", score=7.5, max_score=10.0, tests=None,
                verdict="graded", reason=None, internal_errors=0, stdout="", stderr="", skipped=()):
    if tests is None:
        tests = [make_test("softmax: matches on random inputs", 2.0, 2.0, "pass"),
                 make_test("relu: backward", 5.5, 8.0, "partial", "dx differs at index (1, 2)")]
    return {
        "score": score, "max_score": max_score, "execution_time": 1.23,
        "output": f"{score} of {max_score} points.", "visibility": "visible", "tests": tests,
        "extra_data": {
            "student": student, "assignment": assignment, "verdict": verdict, "reason": reason,
            "content_hash": "sha256:0f1e2d", "fingerprint": "0.1.0+suite:abc",
            "isolation": "bubblewrap", "skipped": list(skipped), "internal_errors": internal_errors,
            "stdout_tail": stdout, "stderr_tail": stderr, "graded_at": "2026-11-23T17:00:00+00:00",
        },
    }


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


# ---------------------------------------------------------------- atomic writes

def test_atomic_write_creates_dirs_replaces_content_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "a" / "b" / "grades.csv"
    atomic_write_text(target, "first\n")
    assert target.read_text() == "first\n"
    atomic_write_text(target, "second\n")
    assert target.read_text() == "second\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["grades.csv"]


def test_atomic_write_that_fails_keeps_the_old_file_and_removes_its_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "results.json"
    atomic_write_text(target, "old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(reports.files.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_atomic_write_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    target = tmp_path / "feedback.html"
    atomic_write_text(target, "x")
    os.chmod(target, 0o640)
    atomic_write_text(target, "y")
    assert target.stat().st_mode & 0o777 == 0o640


# ---------------------------------------------------------------- scores as text

@pytest.mark.parametrize("value, text", [
    (7.5, "7.5"), (10.0, "10"), (10, "10"), (0.0, "0"), (-0.0, "0"), (1 / 3, "0.33"), (2.25, "2.25"), (7.10, "7.1"),
])
def test_format_score(value, text):
    assert format_score(value) == text


# ---------------------------------------------------------------- per-submission outputs

def test_write_submission_outputs_writes_the_three_files_and_results_json_round_trips(tmp_path):
    result = make_result()
    folder = write_submission_outputs(tmp_path, result)
    assert folder == tmp_path / "alice" / "01_numpy_forward"
    assert sorted(p.name for p in folder.iterdir()) == ["feedback.html", "feedback.md", "results.json"]
    assert json.loads((folder / "results.json").read_text()) == result


def test_feedback_shows_score_tests_skips_and_isolation(tmp_path):
    result = make_result(skipped=[{"name": "gpu: softmax on cuda", "reason": "no CUDA GPU on this grading machine"}],
                         stdout="epoch 3 loss 0.25")
    result["extra_data"]["isolation"] = "reduced isolation: bubblewrap not installed"
    folder = write_submission_outputs(tmp_path, result)
    for name in ("feedback.md", "feedback.html"):
        text = (folder / name).read_text()
        assert "7.5 / 10" in text
        assert "5.5 / 8" in text
        assert "dx differs at index (1, 2)" in text
        assert "partial" in text
        assert "no CUDA GPU on this grading machine" in text
        assert "reduced isolation: bubblewrap not installed" in text
        assert "epoch 3 loss 0.25" in text


def hidden_tests():
    return [
        make_test("softmax: visible", 2.0, 2.0, "pass", "VISIBLE-DIAGNOSTIC"),
        make_test("softmax: hidden inputs", 1.0, 3.0, "wrong answer", "SECRET-EXPECTED-0.4142", "hidden"),
        make_test("accuracy: held-out split", 0.0, 5.0, "partial", "AFTER-DUE-ACCURACY-91.3", "after_due_date"),
        make_test("relu: typo in visibility", 0.0, 1.0, "wrong answer", "SECRET-UNKNOWN-VIS", "hiden"),
    ]


def test_hidden_tests_show_name_and_points_but_never_their_output(tmp_path):
    folder = write_submission_outputs(tmp_path, make_result(score=3.0, max_score=11.0, tests=hidden_tests()))
    for name in ("feedback.md", "feedback.html"):
        text = (folder / name).read_text()
        assert "VISIBLE-DIAGNOSTIC" in text
        assert "SECRET" not in text
        assert "softmax: hidden inputs" in text and "1 / 3" in text
        assert "Hidden test: details are not shown." in text
        assert "test_forward.py" not in text  # node ids name the hidden suite's files


def test_after_due_date_tests_are_left_out_with_their_points_until_released(tmp_path):
    result = make_result(score=3.0, max_score=11.0, tests=hidden_tests())
    folder = write_submission_outputs(tmp_path, result)
    for name in ("feedback.md", "feedback.html"):
        text = (folder / name).read_text()
        assert "accuracy: held-out split" not in text and "AFTER-DUE" not in text
        assert "3 / 6" in text and "3 / 11" not in text  # the score of the tests shown only
        assert "1 more test, worth 5 points, is released after the due date" in text
        assert "3.0 of 11.0 points" not in text  # the engine's summary counts the withheld test
    for render in (render_feedback_html, render_feedback_markdown):
        text = render(result, release_hidden=True)
        assert "accuracy: held-out split" in text and "AFTER-DUE-ACCURACY-91.3" in text
        assert "3 / 11" in text and "released after the due date" not in text
        assert "SECRET" not in text  # hidden stays hidden


def test_a_long_test_output_is_cut_in_the_middle(tmp_path):
    output = "HEAD of the diagnostic " + "x" * 20000 + " TAIL: ValueError at line 3"
    result = make_result(tests=[make_test("softmax", 0.0, 2.0, "student exception", output)])
    for render in (render_feedback_html, render_feedback_markdown):
        text = render(result)
        assert "HEAD of the diagnostic" in text and "TAIL: ValueError at line 3" in text
        assert "characters cut" in text and len(text) < 12000


def test_feedback_explains_the_verdicts_on_the_page_in_plain_words():
    tests = [make_test("softmax", 2.0, 2.0, "pass"), make_test("relu", 0.0, 1.0, "timeout", "ran past 2 s")]
    for render in (render_feedback_html, render_feedback_markdown):
        text = render(make_result(tests=tests))
        assert "What the results mean" in text
        assert reports.VERDICT_WORDS["timeout"] in text
        assert reports.VERDICT_WORDS["crashed"] not in text  # only verdicts that occur


def test_every_verdict_has_plain_words():
    assert set(reports.VERDICTS) | {"ungradable"} <= set(reports.VERDICT_WORDS)


def test_feedback_pages_of_a_class_hold_each_students_own_data_only(tmp_path):
    write_submission_outputs(tmp_path, make_result("alice", stdout="ALICE-OWN-PRINT"))
    write_submission_outputs(tmp_path, make_result("bob", tests=[
        make_test("softmax", 0.0, 2.0, "wrong answer", "BOB-OWN-DIAGNOSTIC")], stdout="BOB-OWN-PRINT"))
    write_submission_outputs(tmp_path, make_result("bob", "02_backprop", 8.0, 8.0))
    reports.write_feedback_pages(tmp_path)
    alice = [p.read_text() for p in (tmp_path / "alice").rglob("feedback.*")]
    assert len(alice) == 4  # the submission's page and the student's overview, HTML and Markdown
    assert "ALICE-OWN-PRINT" in "".join(alice)
    for text in alice:
        assert "BOB" not in text and "bob" not in text and "02_backprop" not in text
    overview = (tmp_path / "bob" / "feedback.html").read_text()
    assert '<a href="01_numpy_forward/feedback.html">01_numpy_forward</a>' in overview
    assert "8 / 8" in overview and "7.5 / 10" in overview
    assert "[02\\_backprop](02_backprop/feedback.html) | 8 / 8" in (tmp_path / "bob" / "feedback.md").read_text()


def test_a_students_overview_has_the_total_titles_dates_and_a_named_note_column(tmp_path):
    write_submission_outputs(tmp_path, make_result("bob", "01_numpy_forward", 7.5, 10.0))
    write_submission_outputs(tmp_path, make_result("bob", "02_perceptron", 8.0, 8.0))
    write_submission_outputs(tmp_path, make_result("carol", "01_numpy_forward", 9.0, 10.0,
                                                   verdict="ungradable", reason="no file"))
    reports.write_feedback_pages(tmp_path)
    bob = (tmp_path / "bob" / "feedback.html").read_text()
    assert "15.5 / 18" in bob                                 # the total
    assert "Numpy forward pass" in bob and "The perceptron" in bob   # titles
    assert "2026-11-23" in bob                                # the day each was graded
    assert "<th></th>" not in bob and "<th>Note</th>" not in bob     # no empty column
    carol = (tmp_path / "carol" / "feedback.html").read_text()
    assert "<th>Note</th>" in carol and "could not be graded" in carol
    assert "0 / 10" in carol                                  # ungradable counts 0
    assert "15.5 / 18" in (tmp_path / "bob" / "feedback.md").read_text()


def test_write_feedback_pages_rewrites_only_what_changed_and_applies_release(tmp_path):
    write_submission_outputs(tmp_path, make_result(score=3.0, max_score=11.0, tests=hidden_tests()))
    page = tmp_path / "alice" / "01_numpy_forward" / "feedback.html"
    assert reports.write_feedback_pages(tmp_path) == 2  # the two overview pages are new
    assert reports.write_feedback_pages(tmp_path) == 0
    assert reports.write_feedback_pages(tmp_path, release_hidden=True) == 4
    assert "AFTER-DUE-ACCURACY" in page.read_text()
    reports.write_feedback_pages(tmp_path)
    assert "AFTER-DUE-ACCURACY" not in page.read_text()


def test_internal_grader_error_is_shown_as_not_the_students_fault_without_its_traceback(tmp_path):
    tests = [make_test("softmax: matches", 2.0, 2.0, "pass"),
             make_test("relu: backward", 0.0, 0.0, "internal grader error",
                       "Traceback: grader/suites/01/test_forward.py line 12: expected = ref.relu(x)")]
    folder = write_submission_outputs(tmp_path, make_result(score=2.0, max_score=2.0, tests=tests, internal_errors=1))
    for name in ("feedback.md", "feedback.html"):
        text = (folder / name).read_text()
        assert "Traceback" not in text and "ref.relu" not in text
        assert "not your fault" in text
        assert "re-graded" in text


def test_feedback_html_escapes_script_in_test_output_stdout_names_and_reason():
    tests = [make_test(f"softmax {SCRIPT}", 0.0, 2.0, "wrong answer", f"got {SCRIPT}")]
    result = make_result(tests=tests, stdout=f"print {SCRIPT}", stderr=SCRIPT, reason=SCRIPT)
    result["output"] = SCRIPT
    html = render_feedback_html(result)
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert html.count("&lt;script&gt;") >= 4  # name, output, stdout, stderr, summary


def test_feedback_markdown_renders_no_html_from_student_text():
    from markdown_it import MarkdownIt  # comes with rich

    tests = [make_test(f"softmax {SCRIPT} | [link](javascript:x)", 0.0, 2.0, "wrong answer",
                       f"before\n```\n{SCRIPT}\n```\nafter")]
    result = make_result(tests=tests, stdout=f"````\n{SCRIPT}", reason=SCRIPT)
    result["output"] = f"**bold** {SCRIPT}"
    markdown = render_feedback_markdown(result)
    html = MarkdownIt("commonmark").enable("table").render(markdown)  # commonmark passes raw HTML through
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert "<strong>bold" not in html
    # The fenced output is shown whole, the inner ``` did not close it.
    assert "before\n```\n&lt;script&gt;" in html


def test_student_names_that_would_leave_the_output_folder_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not a plain folder name"):
        write_submission_outputs(tmp_path / "out", make_result(student="../../evil"))
    assert not (tmp_path / "evil").exists()


# ---------------------------------------------------------------- reading results back

def test_collect_results_survives_corrupt_files_and_reports_them(tmp_path):
    write_submission_outputs(tmp_path, make_result("alice"))
    write_submission_outputs(tmp_path, make_result("dave"))
    (tmp_path / "bob" / "01_numpy_forward").mkdir(parents=True)
    (tmp_path / "bob" / "01_numpy_forward" / "results.json").write_text('{"score": 3, "max_sc')
    (tmp_path / "carol" / "01_numpy_forward").mkdir(parents=True)
    (tmp_path / "carol" / "01_numpy_forward" / "results.json").write_text('["not", "a", "result"]')
    (tmp_path / "erin" / "01_numpy_forward").mkdir(parents=True)
    (tmp_path / "erin" / "01_numpy_forward" / "results.json").write_bytes(b"\xff\xfe\x00")
    warnings = []
    results = collect_results(tmp_path, warnings)
    assert [r["extra_data"]["student"] for r in results] == ["alice", "dave"]
    assert len(warnings) == 3
    assert any("bob" in w for w in warnings) and any("carol" in w for w in warnings)
    # and everything downstream still works
    assert [row[0] for row in read_csv(write_gradebook(tmp_path))] == ["student", "alice", "dave"]
    assert "bob" in write_class_report(tmp_path).read_text()  # the warning is listed


def test_collect_results_of_a_missing_folder_is_empty(tmp_path):
    assert collect_results(tmp_path / "nothing") == []


def test_collect_results_takes_identity_from_folders_when_results_omit_it(tmp_path):
    folder = tmp_path / "frank" / "02_backprop"
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps({"score": 1, "max_score": 4, "tests": []}))
    [result] = collect_results(tmp_path)
    assert result["extra_data"]["student"] == "frank"
    assert result["extra_data"]["assignment"] == "02_backprop"


# ---------------------------------------------------------------- the gradebook

def class_results():
    return [
        make_result("carol", "01_numpy_forward", 10.0, 10.0),
        make_result("alice", "02_backprop", 3.25, 8.0),
        make_result("alice", "01_numpy_forward", 7.5, 10.0),
        # ungradable, and no suite ran so its own max_score is 0: counts the class's 10
        make_result("bob", "01_numpy_forward", 0.0, 0.0, tests=[], verdict="ungradable",
                    reason="invalid notebook: not JSON"),
        make_result("bob", "02_backprop", 8.0, 8.0),
    ]


def test_gradebook_columns_rows_totals_with_missing_and_ungradable_cells(tmp_path):
    for result in class_results():
        write_submission_outputs(tmp_path, result)
    path = write_gradebook(tmp_path)
    assert path == tmp_path / "grades.csv"
    assert read_csv(path) == [
        ["student", "01_numpy_forward", "02_backprop", "total", "max_total"],
        ["alice", "7.5", "3.25", "10.75", "18"],
        ["bob", "0", "8", "8", "18"],
        ["carol", "10", "", "10", "10"],
    ]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_gradebook_with_given_assignment_ids_has_a_column_for_each(tmp_path):
    rows = gradebook_rows(class_results(), ["03_pytorch", "01_numpy_forward", "02_backprop"])
    assert rows[0] == ["student", "01_numpy_forward", "02_backprop", "03_pytorch", "total", "max_total"]
    assert rows[3] == ["carol", "10", "", "", "10", "10"]


def test_gradebook_counts_an_ungradable_result_as_zero_whatever_score_it_carries():
    result = make_result("bob", score=4.0, max_score=10.0, verdict="ungradable", reason="timeout at import")
    assert gradebook_rows([result]) == [
        ["student", "01_numpy_forward", "total", "max_total"], ["bob", "0", "0", "10"]]


def test_gradebook_of_no_results_is_a_header_only():
    assert gradebook_rows([]) == [["student", "total", "max_total"]]


def test_print_gradebook_marks_ungradable_and_needs_regrade(tmp_path):
    from rich.console import Console

    results = class_results()
    results[1] = make_result("alice", "02_backprop", 3.25, 8.0, internal_errors=1)
    for result in results:
        write_submission_outputs(tmp_path, result)
    write_submission_outputs(tmp_path, make_result("[red]mallory"))
    buffer = io.StringIO()
    gradebook = print_gradebook(tmp_path, Console(file=buffer, width=200, color_system=None))
    text = buffer.getvalue()
    assert "0 (ungradable)" in text
    assert "3.25 (needs re-grade)" in text
    assert "10.75" in text
    assert "[red]mallory" in text  # printed as itself, not as markup
    assert [row.student for row in gradebook.rows] == ["[red]mallory", "alice", "bob", "carol"]


# ---------------------------------------------------------------- the class report

def class_report_folder(tmp_path):
    results = class_results()
    results.append(make_result("dave", "01_numpy_forward", 2.0, 2.0, internal_errors=1, tests=[
        make_test("softmax: matches on random inputs", 2.0, 2.0, "pass"),
        make_test("relu: backward", 0.0, 0.0, "internal grader error", "Traceback ...")]))
    results[3]["extra_data"]["reason"] = f"invalid notebook: {SCRIPT}"
    for result in results:
        write_submission_outputs(tmp_path, result)
    return tmp_path


def test_class_report_has_plots_verdict_counts_ungradable_and_regrade_lists(tmp_path):
    pytest.importorskip("matplotlib")
    path = write_class_report(class_report_folder(tmp_path))
    assert path == tmp_path / "report.html"
    html = path.read_text()
    assert html.count('<img alt="score histogram') == 2
    assert html.count('<img alt="pass rate per test') == 2
    assert "data:image/png;base64,iVBORw0KGgo" in html  # a PNG's signature, base64
    assert "<th>internal grader error</th>" in html
    assert "<td>relu: backward</td><td></td><td>2</td><td>1</td><td>0%</td>" in html
    assert '<a href="bob/01_numpy_forward/feedback.html">bob</a>' in html
    assert '<a href="dave/01_numpy_forward/feedback.html">dave</a>: 1 internal grader error' in html
    # the report's one script is its own table sorting; nothing from a submission runs
    assert html.count("<script") == 1 and "<script>\n// Sorting of the tables" in html
    assert SCRIPT not in html


def test_class_report_without_matplotlib_has_tables_and_a_note(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib...` raise ImportError
    html = write_class_report(class_report_folder(tmp_path)).read_text()
    assert "<img" not in html
    assert "matplotlib is not installed" in html
    assert "<h3>Verdicts per test</h3>" in html
    assert "invalid notebook: &lt;script&gt;" in html


def test_class_report_of_an_empty_folder_is_written(tmp_path):
    html = write_class_report(tmp_path).read_text()
    assert "0 students, 0 assignments" in html


def test_importing_reports_does_not_import_matplotlib():
    # matplotlib takes a second or more to import; the grading run should not pay for it.
    import subprocess

    code = "import sys, grader.reports; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# ---------------------------------------------------------------- class statistics and the summary

def failing_class():
    return [
        make_result("alice", "01_numpy_forward", 10.0, 10.0, tests=[make_test("softmax", 10.0, 10.0, "pass")]),
        make_result("bob", "01_numpy_forward", 4.0, 10.0, tests=[
            make_test("softmax", 0.0, 3.0, "timeout"), make_test("relu", 0.0, 3.0, "timeout"),
            make_test("tanh", 4.0, 4.0, "pass")]),
        make_result("carol", "01_numpy_forward", 0.0, 10.0, tests=[
            make_test("softmax", 0.0, 5.0, "syntax error"), make_test("relu", 0.0, 5.0, "syntax error")]),
        make_result("dave", "01_numpy_forward", 0.0, 0.0, tests=[], verdict="ungradable", reason="not JSON"),
        make_result("erin", "01_numpy_forward", 6.0, 10.0, tests=[make_test("softmax", 6.0, 10.0, "partial"),
                                                                   make_test("gpu", 0.0, 0.0, "skipped")]),
    ]


def test_assignment_stats_count_ungradable_as_zero_and_failures_by_verdict():
    [stats] = reports.class_stats(failing_class())
    assert stats["submissions"] == 5 and stats["ungradable"] == 1
    assert stats["mean"] == 4.0 and stats["median"] == 4.0   # (10 + 4 + 0 + 0 + 6) / 5
    assert stats["full_marks"] == 1 and stats["max_score"] == 10.0
    assert stats["failures"] == {"syntax error": {"submissions": 1, "tests": 2},
                                 "timeout": {"submissions": 1, "tests": 2}}
    assert list(stats["failures"]) == ["syntax error", "timeout"]  # in the order of VERDICTS


def test_print_summary_has_a_row_per_assignment_with_failures_by_verdict():
    from rich.console import Console

    buffer = io.StringIO()
    results = failing_class() + [make_result("alice", "02_backprop", 3.25, 8.0)]
    reports.print_summary(results, Console(file=buffer, width=250, color_system=None))
    rows = {line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:-1]]
            for line in buffer.getvalue().splitlines() if line.startswith("│")}
    # submissions, mean, median, max, full marks, ungradable, failures by verdict
    assert rows == {"01_numpy_forward": ["5", "4", "4", "10", "1", "1", "syntax error 1, timeout 1"],
                    "02_backprop": ["1", "3.25", "3.25", "8", "0", "0", ""]}  # a partial is no failure


def test_class_report_lists_failures_by_verdict_and_the_slowest_submissions(tmp_path):
    results = failing_class()
    results[1]["execution_time"] = 99.5
    for r in results:
        write_submission_outputs(tmp_path, r)
    html = write_class_report(tmp_path).read_text()
    verdicts = html[html.index('<table id="verdicts">'):]
    assert "<tr><td>timeout</td><td>1</td><td>1</td><td>2</td></tr>" in verdicts
    assert "<tr><td>ungradable</td><td>1</td><td>1</td><td></td></tr>" in verdicts
    slowest = html[html.index('<table id="slowest">'):]
    assert slowest.index("bob / 01_numpy_forward") < slowest.index("alice / 01_numpy_forward")
    assert "<td>99.5</td><td>timeout 1</td>" in slowest
    assert '<td><a href="#01_numpy_forward">01_numpy_forward</a></td><td>5</td><td>4</td><td>4</td>' in html


def test_write_reports_writes_gradebook_pages_and_report_from_one_reading(tmp_path):
    for r in class_results():
        write_submission_outputs(tmp_path, r)
    (tmp_path / "zed" / "01_numpy_forward").mkdir(parents=True)
    (tmp_path / "zed" / "01_numpy_forward" / "results.json").write_text("{broken")
    written = reports.write_reports(tmp_path)
    assert written["gradebook"] == tmp_path / "grades.csv" and written["report"] == tmp_path / "report.html"
    assert len(written["results"]) == 5 and len(written["warnings"]) == 1
    assert (tmp_path / "bob" / "feedback.md").exists() and not (tmp_path / "zed" / "feedback.md").exists()


# ---------------------------------------------------------------- exports for an LMS

def test_canvas_export_has_the_identity_columns_points_possible_and_blank_missing_cells():
    rows = list(csv.reader(io.StringIO(reports.export_text(class_results(), "canvas"))))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01_numpy_forward", "02_backprop"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "10", "8"]
    assert rows[2:] == [["alice", "", "alice", "alice", "", "7.5", "3.25"],
                        ["bob", "", "bob", "bob", "", "0", "8"],        # ungradable: 0
                        ["carol", "", "carol", "carol", "", "10", ""]]  # missing: left alone


def test_moodle_export_has_an_identifier_column_and_one_column_per_grade_item():
    rows = list(csv.reader(io.StringIO(reports.export_text(class_results(), "moodle"))))
    assert rows == [["ID number", "01_numpy_forward", "02_backprop"],
                    ["alice", "7.5", "3.25"], ["bob", "0", "8"], ["carol", "10", ""]]


def test_csv_export_is_the_gradebook_and_an_unknown_format_is_refused(tmp_path):
    for r in class_results():
        write_submission_outputs(tmp_path, r)
    assert reports.export_text(collect_results(tmp_path), "csv") == write_gradebook(tmp_path).read_text()
    with pytest.raises(ValueError, match="unknown export format 'xls'"):
        reports.export_rows(class_results(), "xls")


@pytest.mark.parametrize("fmt", reports.EXPORT_FORMATS)
def test_export_refuses_a_student_id_a_spreadsheet_would_run_as_a_formula(fmt):
    results = class_results()
    results[0]["extra_data"]["student"] = "=HYPERLINK(\"http://x\")"
    with pytest.raises(ValueError, match="starts like a spreadsheet formula"):
        reports.export_text(results, fmt)


def test_the_class_report_starts_with_a_gradebook_of_every_student(tmp_path):
    out = class_report_folder(tmp_path)
    html = write_class_report(out).read_text()
    start = html.index('<table id="gradebook-table"')
    book = html[start:html.index("</table>", start)]
    rows = re.findall(r'<tr><td><a href="([^"/]+)/feedback.html">.*?class="flags">([^<]*)</td></tr>',
                      book)
    students = [s for s, _ in rows]
    assert sorted(students) == sorted({r.parent.parent.name for r in out.glob("*/*/results.json")})
    assert start < html.index('id="summary"')
    # students with an ungradable submission or one that needs a re-grade come first
    flagged = [bool({"ungradable", "needs re-grade"} & set(f.split(", "))) for _, f in rows]
    assert any(flagged) and flagged == sorted(flagged, reverse=True)


def test_chart_labels_wrap_and_keep_every_word_of_a_long_test_name():
    from grader.reports.class_report import chart_labels

    names = ["dense(x, W, b, activation) with every activation: [Sigmoid]",
             "dense(x, W, b, activation) with every activation: [Tanh]", "short"]
    labels = chart_labels(names)
    assert [" ".join(label.split("\n")) for label in labels] == names
    assert all(len(line) <= 48 for label in labels for line in label.split("\n"))


def test_short_gradebook_names_stay_unique_when_assignments_share_a_number():
    from grader.reports.gradebook import short_names

    names = short_names(["student", "01_numpy_forward", "05_pytorch_basics",
                         "05_tensorflow_basics", "total", "max_total"])
    assert names["01_numpy_forward"] == "01" and names["max_total"] == "max"
    assert names["05_pytorch_basics"] == "05p" and names["05_tensorflow_basics"] == "05t"
