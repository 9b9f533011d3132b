"""Feedback that says a thing once (issue 17): what a page shows of text from the student's
process and from libraries, and how failures are grouped. Pages of real submissions (a loop,
a syntax error, a notebook) are tested in test_cli.py."""
from grader.notebooks import cell_of, cite_cells
from grader.reports.feedback import feedback_context, render_feedback_html, render_feedback_markdown
from grader.reports.texts import failing_function, plain, split_warnings, without_host_paths


def result(tests, **extra):
    rows = [{"name": name, "score": score, "max_score": maximum, "output": output,
             "visibility": "visible", "status": "passed" if verdict == "pass" else "failed",
             "extra_data": {"verdict": verdict, "function": function}}
            for name, score, maximum, verdict, output, function in tests]
    return {"score": sum(r["score"] for r in rows), "max_score": sum(r["max_score"] for r in rows),
            "output": "", "tests": rows,
            "extra_data": {"student": "s", "assignment": "06_frameworks_lab", "verdict": "graded",
                           **extra}}


def test_terminal_codes_and_progress_bars_are_removed():
    bar = "\x1b[1m1/5\x1b[0m \x1b[32m━━━━\x1b[0m\r\x1b[1m5/5\x1b[0m \x1b[32m━━━━━━━━\x1b[0m done\n"
    assert plain(bar) == "5/5 ━━━━━━━━ done\n"
    assert plain("a\x1b]0;title\x07b\x07c") == "abc"


def test_no_path_of_the_grading_machine_is_shown():
    text = ('  File "/work/main/.venv/lib/python3.11/site-packages/joblib/parallel.py", line 3\n'
            '  File "/submission/forward.py", line 12, in f\n'
            'saved to /tmp/grader-abc123/logs/x.txt; ratio 1/2/3; see https://keras.io/a/b')
    shown = without_host_paths(text)
    assert '"joblib/parallel.py"' in shown and '"forward.py", line 12' in shown
    assert "/work/main" not in shown and "/tmp/grader-abc123" not in shown
    assert ".../x.txt" in shown and "1/2/3" in shown and "https://keras.io/a/b" in shown


def test_library_warnings_are_told_apart_from_the_students_stderr():
    stderr = ("/opt/venv/lib/python3.11/site-packages/joblib/_multiprocessing_helpers.py:46: "
              "UserWarning: [Errno 38] Function not implemented.  joblib will operate in "
              "serial mode\n  warnings.warn('%s.  joblib will operate in serial mode' % (e,))\n"
              "my debug print\n"
              "/submission/lab.py:7: RuntimeWarning: divide by zero\n  return 1 / x\n")
    own, library = split_warnings(stderr)
    assert "joblib/_multiprocessing_helpers.py:46: UserWarning" in library
    assert "warnings.warn" in library and "/opt/venv" not in library
    assert own.splitlines() == ["my debug print", "lab.py:7: RuntimeWarning: divide by zero",
                                "  return 1 / x"]
    page = render_feedback_markdown(result([("t", 1, 1, "pass", "", "f")], stderr_tail=stderr))
    assert page.index("## Your program's errors") < page.index("## Warnings from libraries")
    assert "/opt/venv" not in page and "/submission" not in page


def test_one_problem_is_shown_once_under_the_function_it_happened_in():
    stuck = ("did not return within 2 s (deadline of one call); look for an endless loop\n"
             "Your code was still running here when it was stopped:\n"
             '  File "lab.py", line 3, in dense\n  File "lab.py", line 9, in softmax\n'
             "    while True:")
    stuck_direct = stuck.replace('  File "lab.py", line 3, in dense\n', "")
    res = result([("softmax rows", 0, 2, "timeout", stuck_direct, "softmax"),
                  ("dense softmax", 0, 1, "timeout", stuck, "dense"),
                  ("mlp", 0, 3, "timeout", stuck, "mlp_forward"),
                  ("relu values", 0, 1, "wrong answer", "relu: 2 of 3 values are wrong", "relu"),
                  ("relu float32", 1, 1, "pass", "", "relu")])
    ctx = feedback_context(res)
    fixes = ctx["first_fixes"]
    assert [g["title"] for g in fixes] == ["softmax", "relu"]
    assert fixes[0]["lost"] == "6" and fixes[0]["tests"] == ["softmax rows", "dense softmax", "mlp"]
    page = render_feedback_markdown(res)
    assert page.count("did not return within") == 1 and page.count("2 of 3 values") == 1
    html = render_feedback_html(res)
    assert html.count("did not return within") == 1
    assert "shown in “Fix these first” above" in html


def test_a_hidden_tests_output_stays_hidden_in_the_summary():
    res = result([("hidden one", 0, 2, "wrong answer", "secret expected 0.123", "f")])
    res["tests"][0]["visibility"] = "hidden"
    page = render_feedback_markdown(res) + render_feedback_html(res)
    assert "secret expected" not in page and "0.123" not in page


def test_failing_function_is_where_the_traceback_ends():
    assert failing_function('  File "a.py", line 3, in f\n  File "a.py", line 9, in g') == "g"
    assert failing_function("forward.ipynb, cell 7, line 2, in sigmoid") == "sigmoid"
    assert failing_function("values differ") == ""


def test_module_lines_are_cited_as_notebook_cells():
    source = ("# header\n# rule\n\n\n# --- cell 3 ---\n\n\ndef f():\n    return x\n\n\n"
              "# --- cell 5 ---\ndef g():\n    pass\n")
    assert cell_of(source, 9) == (3, 4) and cell_of(source, 13) == (5, 1)
    assert cell_of(source, 1) is None
    text = 'NameError\n  File "/submission/forward.py", line 9, in f\nforward.py, line 13: x'
    cited = cite_cells(text, "forward.py", source, "forward.ipynb")
    assert cited == "NameError\n  forward.ipynb, cell 3, line 4, in f\nforward.ipynb, cell 5, line 1: x"


def test_a_crash_in_tests_of_several_functions_is_told_once():
    crash = "the Python process crashed with SIGSEGV during the call (a segmentation fault)"
    res = result([("a", 0, 2, "crashed", crash, "f"), ("b", 0, 1, "crashed", crash, "g")])
    fixes = feedback_context(res)["first_fixes"]
    assert [g["title"] for g in fixes] == ["f", "g"] and fixes[1]["see"] == "f"
    assert render_feedback_markdown(res).count("SIGSEGV") == 1
    assert render_feedback_html(res).count("SIGSEGV") == 1
