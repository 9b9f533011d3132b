"""Grading runs: one submission through its hidden suite, and a whole class in parallel.

discover -> prepare -> pytest with the grading plugin (student code in the sandbox) ->
result dict (Gradescope schema) -> reports. A re-run skips submissions whose content and
grader fingerprint are unchanged, so a killed batch resumes where it stopped.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import os
import secrets
import shutil
import signal
import tempfile
import time
from pathlib import Path

from grader import __version__, i18n, late
from grader.course import (PACKAGE_DIR, SUITES_DIR, Assignment, course_root, load_assignment,
                           wants_gpu)
from grader.pool import Interrupted, output_lock, run_many, stop_signal, stoppable
from grader.submissions import Submission, UngradableSubmission
from grader.sandbox.stacks import strip_dumps

SUITE_INI = SUITES_DIR / "pytest.ini"
TAIL = 2000


def course_secret() -> str:
    """The instructor's secret behind per-student random inputs (never in a student bundle)."""
    env = os.environ.get("GRADER_SECRET")
    if env:
        return env
    path = course_root() / ".grader-secret"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
        except FileExistsError:
            pass
    return path.read_text().strip()


@functools.lru_cache(maxsize=None)
def fingerprint(assignment_id: str) -> str:
    """Grader version + the hidden suite + the reference + the engine: a change re-grades."""
    a = load_assignment(assignment_id)
    h = hashlib.sha256(__version__.encode())
    for folder in (a.suite_dir, a.solution_dir):
        for p in sorted(folder.glob("*")):
            if p.is_file() and p.suffix in (".py", ".toml", ".ini"):
                h.update(p.name.encode() + b"\0" + p.read_bytes())
    h.update(b"suites/pytest.ini\0" + SUITE_INI.read_bytes())   # markers, collection rules
    for p in engine_files():
        h.update(p.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0" + p.read_bytes())
    return f"{__version__}+{h.hexdigest()[:16]}"


# Modules that only present or publish results, or serve other commands: a change to them
# must not re-grade a class. Everything else in the package (this module, the plugin, the
# sandbox, the checks, the data layer, ...) can change a score, so it is in the fingerprint.
NOT_ENGINE = {"__main__.py", "cli", "reports", "release.py", "validate.py", "mutants.py",
              "nbgrader", "nbgrader_export.py", "lms.py",
              "gradescope.py", "mutation.py", "gpu_check.py", "cluster.py", "similarity.py",
              "student.py"}


def engine_files() -> list[Path]:
    """The package's files whose change can change a grade (suites are hashed per assignment)."""
    files = []
    for p in sorted(PACKAGE_DIR.rglob("*.py")):
        rel = p.relative_to(PACKAGE_DIR)
        if rel.parts[0] != "suites" and "__pycache__" not in rel.parts and \
                rel.parts[0] not in NOT_ENGINE:
            files.append(p)
    return files


def _tail(path: Path) -> str:
    if not path.exists():
        return ""
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - TAIL))
        text = strip_dumps(f.read().decode(errors="replace"))
    return text if path.stat().st_size <= TAIL else "...[earlier output truncated]\n" + text


def grade_submission(sub: Submission, secret: str | None = None, apply_late: bool = True) -> dict:
    """Run the hidden suite on one submission; the result dict in Gradescope's schema.
    `apply_late=False`: without the late penalty (a cluster task, whose copy of the files
    has lost their dates: the client applies it)."""
    import pytest  # imported here: the CLI's start-up does not need it

    from grader.plugin import INTERNAL, GradingContext, GradingPlugin
    from grader.sandbox.bwrap import isolation_mode

    assignment = load_assignment(sub.assignment)
    started = time.monotonic()
    secret = secret or course_secret()
    extra = {"student": sub.student, "assignment": sub.assignment, "verdict": "graded",
             "secret_id": secret_id(secret), "late_policy": late.policy_id(),
             "reason": None, "content_hash": sub.content_hash(), "warnings": sub.warnings(assignment),
             "fingerprint": fingerprint(sub.assignment), "isolation": isolation_mode(),
             "skipped": [], "internal_errors": 0, "stdout_tail": "", "stderr_tail": "",
             "graded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
             "language": i18n.language()}
    work = Path(tempfile.mkdtemp(prefix="grader-"))
    try:
        try:
            prepared = sub.prepare(assignment, work / "submission")
        except UngradableSubmission as exc:
            extra.update(verdict="ungradable", reason=str(exc))
            return _result([], extra, started, full_marks=max_score(assignment.id))
        except (OSError, ValueError, RecursionError, MemoryError) as exc:
            # its files could not be read or converted (odd names, a notebook too deeply
            # nested...): this submission's problem, told in one line
            extra.update(verdict="ungradable", reason=i18n._(
                "its files could not be read ({error})").format(
                    error=f"{type(exc).__name__}: {_first_line(exc)}"))
            return _result([], extra, started, full_marks=max_score(assignment.id))
        ctx = GradingContext(sub, assignment, prepared, work / "logs", secret)
        plugin = GradingPlugin(ctx)
        plugin.session.prestart()     # the submission's import overlaps pytest's set-up
        code = pytest.main(suite_pytest_args(assignment), plugins=[plugin])
        if code == pytest.ExitCode.INTERRUPTED:
            # Ctrl-C or SIGTERM reached pytest, which stopped: half a submission is never
            # a result
            raise KeyboardInterrupt
        tests = settle_internal_errors(plugin.results, sub, assignment, ctx.secret)
        if plugin.collection_errors or code not in (0, 1):
            extra["internal_errors"] = max(1, len(plugin.collection_errors))
            extra["reason"] = "the hidden suite could not run: " + "; ".join(
                plugin.collection_errors)[:2000] if plugin.collection_errors else f"pytest exit {code}"
        extra["skipped"] = plugin.skipped
        extra["internal_errors"] += sum(t.verdict == INTERNAL for t in tests)
        extra["isolation"] = plugin.session.isolation or extra["isolation"]
        extra["stdout_tail"] = _tail(ctx.log_dir / "stdout.txt")
        extra["stderr_tail"] = _tail(ctx.log_dir / "stderr.txt")
        cite_notebook(sub, assignment, prepared, tests, extra)
        result = _result(tests, extra, started, full_marks=max_score(assignment.id))
        return late.apply(result, sub.assignment, sub.path) if apply_late else result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def settle_internal_errors(tests: list, sub: Submission, assignment: Assignment,
                           secret: str) -> list:
    """A test that raised something other than a verdict is a grader bug only if the
    reference fails it too. Such tests run again on the reference, as the same student (the
    same random inputs); where the reference passes, the student's code caused the failure
    (a value of an unexpected type, a forged reply...) and it is charged to them."""
    from grader.plugin import INTERNAL

    suspects = [t.nodeid for t in tests if t.verdict == INTERNAL
                and not t.error.startswith("WorkerUnavailable")]
    if not suspects or not assignment.solution_dir.is_dir():
        return tests
    reference = {r.nodeid: r for r in reference_results(assignment, sub.student, suspects, secret)}
    settled = []
    for t in tests:
        ref = reference.get(t.nodeid)
        if t.verdict == INTERNAL and ref is not None and ref.verdict in ("pass", "partial") \
                and t.nodeid in suspects:
            t = dataclasses.replace(
                t, verdict="invalid output", internal="",
                output=i18n._("the check could not use what your code returned or did "
                              "({error}); the reference solution passes this test").format(
                    error=t.error))
        elif t.verdict == INTERNAL:
            seen = f"{ref.verdict}: {ref.error or ref.output[:200]}" if ref else "not run"
            t = dataclasses.replace(t, internal=f"{t.internal}\n[on the reference: {seen}]")
        settled.append(t)
    return settled


def reference_results(assignment: Assignment, student: str, nodeids: list[str],
                      secret: str) -> list:
    """The results of these tests of the hidden suite on the reference solution, graded as
    `student` (in the sandbox, like any submission)."""
    return run_tests(Submission(student, assignment.id, assignment.solution_dir), nodeids,
                     secret, settle=False)


def cite_notebook(sub: Submission, assignment: Assignment, prepared: Path, tests: list,
                  extra: dict) -> None:
    """For a graded notebook: every line of the module made from it that the feedback cites
    ("forward.py, line 289", a file the student never wrote) told as its cell and line."""
    notebook = sub.resolve(assignment).notebook
    if notebook is None:
        return
    from grader.notebooks import cite_cells

    module_file = f"{assignment.notebook_module}.py"
    try:
        source = (prepared / module_file).read_text(encoding="utf-8")
    except OSError:
        return
    for t in tests:
        t.output = cite_cells(t.output, module_file, source, notebook.name)
    for key in ("stdout_tail", "stderr_tail"):
        extra[key] = cite_cells(extra[key], module_file, source, notebook.name)


def run_tests(sub: Submission, nodeids: list[str], secret: str, settle: bool = True) -> list:
    """The plugin's results of some tests of the hidden suite (node ids relative to the
    suites folder, e.g. "05_pytorch_basics/test_mlp.py::test_x") on one submission, internal
    errors settled against the reference (unless `settle` is False)."""
    import pytest

    from grader.plugin import GradingContext, GradingPlugin

    assignment = load_assignment(sub.assignment)
    work = Path(tempfile.mkdtemp(prefix="grader-tests-"))
    try:
        prepared = sub.prepare(assignment, work / "submission")
        plugin = GradingPlugin(GradingContext(sub, assignment, prepared, work / "logs", secret))
        root = assignment.suite_dir.parent
        pytest.main(suite_pytest_args(assignment, [str(root / n) for n in nodeids]), plugins=[plugin])
        if settle:
            return settle_internal_errors(plugin.results, sub, assignment, secret)
        return plugin.results
    finally:
        shutil.rmtree(work, ignore_errors=True)


@functools.lru_cache(maxsize=None)
def max_score(assignment_id: str) -> float:
    """Full marks of an assignment, from collecting its suite (no student code involved)."""
    import pytest

    from grader.plugin import PointsCollector

    a = load_assignment(assignment_id)
    collector = PointsCollector(a)
    pytest.main(suite_pytest_args(a) + ["--collect-only"], plugins=[collector])
    return collector.total


UNUSED_PYTEST_PLUGINS = ("doctest", "junitxml", "pastebin", "setuponly", "setupplan", "legacypath",
                         "tmpdir", "monkeypatch", "recwarn", "stepwise", "unittest", "subtests",
                         "debugging")


def suite_pytest_args(assignment: Assignment, targets: list[str] | None = None,
                 timeout: bool = True) -> list[str]:
    """pytest's arguments for the hidden suite (or the `targets` files of it); `timeout`:
    pytest-timeout guards the whole submission."""
    args = [*(targets or [str(assignment.suite_dir)]), "-c", str(SUITE_INI), "--rootdir",
            str(assignment.suite_dir.parent), "-p", "no:cacheprovider", "-p", "no:terminal",
            # these two run gc.collect() after every session: 60 ms a submission for nothing
            "-p", "no:unraisableexception", "-p", "no:threadexception",
            # log capture around every phase of every test (no suite reads it): 50 ms
            "-p", "no:logging",
            # only the plugins named here: whatever else is installed beside the grader
            # (anyio, platformdirs...) neither loads (30 ms a session) nor touches a verdict
            "--disable-plugin-autoload",
            # pytest's own plugins for what no hidden suite uses (fixtures such as tmp_path
            # and monkeypatch, doctests, junit XML, pdb...): each one's hooks run for every
            # test; 30 ms a submission of 05 together
            *[arg for name in UNUSED_PYTEST_PLUGINS for arg in ("-p", f"no:{name}")],
            "--import-mode=importlib", "--assert=plain",
            # the markers the suites use, registered by the plugin module that reads them
            "-p", "grader.plugin",
            "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    if timeout:
        return args + ["-p", "timeout",
                       "-o", f"timeout={int(assignment.submission_timeout)}",
                       "-o", "timeout_method=signal"]
    return args


def _result(tests, extra, started, full_marks=None) -> dict:
    rows = []
    for t in tests:
        row = {"name": t.name, "score": t.score, "max_score": t.max_score,
               "status": "passed" if t.verdict in ("pass", "partial") else "failed",
               "output": t.output, "visibility": t.visibility,
               "extra_data": {"verdict": t.verdict, "nodeid": t.nodeid, "duration": t.duration}}
        if t.function:
            row["extra_data"]["function"] = t.function
        if t.internal:
            row["extra_data"]["internal"] = t.internal
        rows.append(row)
    score = round(sum(t.score for t in tests), 4)
    # Full marks come from the suite, not from the tests that ran: nothing a submission does
    # (a crash, a test that never reported) can shrink the maximum.
    maximum = round(max(sum(t.max_score for t in tests), full_marks or 0.0), 4)
    _, ngettext, decimal = i18n._, i18n.ngettext, i18n.decimal
    if extra["verdict"] == "ungradable":
        summary = _("Not graded: {reason}. Score 0 / {most}.").format(reason=extra["reason"],
                                                                      most=decimal(maximum, 4))
    else:
        passed = sum(r["status"] == "passed" for r in rows)
        summary = ngettext("{score} / {most} points; {passed} of {n} test passed.",
                           "{score} / {most} points; {passed} of {n} tests passed.",
                           len(rows)).format(score=decimal(score, 4), most=decimal(maximum, 4),
                                             passed=passed, n=len(rows))
        if extra["internal_errors"]:
            summary += " " + _("Some tests hit an internal grader error and will be re-graded.")
        if extra["skipped"]:
            n = len(extra["skipped"])
            summary += " " + ngettext("{n} test was skipped and does not count.",
                                      "{n} tests were skipped and do not count.", n).format(n=n)
    return {"score": score, "max_score": maximum,
            "execution_time": round(time.monotonic() - started, 3), "output": summary,
            "visibility": "visible", "tests": rows, "extra_data": extra}


# --- a whole class ------------------------------------------------------------------------

def result_path(out: Path, sub: Submission) -> Path:
    from grader.reports.results import results_path
    return results_path(out, sub.student, sub.assignment)


def secret_id(secret: str) -> str:
    """Which course secret a result was graded under (not the secret: a one-way digest)."""
    return hashlib.sha256(b"nn-autograder secret id\0" + secret.encode()).hexdigest()[:16]


def is_up_to_date(out: Path, sub: Submission, secret: str) -> bool:
    """A result that a re-run may keep: graded from these very files, by this grader, with
    the same random inputs (the same course secret), and without a grader error."""
    path = result_path(out, sub)
    try:
        extra = json.loads(path.read_text())["extra_data"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return (extra.get("content_hash") == sub.content_hash()
            and extra.get("fingerprint") == fingerprint(sub.assignment)
            and extra.get("secret_id") == secret_id(secret)
            and extra.get("late_policy") == late.policy_id()
            and extra.get("language", i18n.DEFAULT) == i18n.language()   # its feedback's words
            and not extra.get("internal_errors"))


def _grade_and_write(sub: Submission, out: Path, secret: str) -> dict:
    """Grade one submission and write its results; whatever goes wrong stays with this one
    submission (SANDBOX.md rule 7): a failure of the grader is recorded as a result that the
    next run grades again, never an exception that stops the class."""
    try:
        result = grade_submission(sub, secret)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001  one submission's failure must not stop the class
        result = failed_result(sub, i18n._("the grader failed on this submission ({error})")
                               .format(error=f"{type(exc).__name__}: {_first_line(exc)}"))
    return write_result(out, result)


def write_result(out: Path, result: dict) -> dict:
    """Write one submission's results.json (its pages are rendered from it at the end of the
    run); its summary. A failure to write is that submission's problem, recorded in the
    summary (its old result, if any, stays)."""
    from grader.reports.results import write_results
    try:
        write_results(Path(out), result)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001
        summary = _summary(result)
        summary.update(verdict="ungradable", internal_errors=1,
                       reason=f"its results could not be written ({type(exc).__name__}: "
                              f"{_first_line(exc)})")
        return summary
    return _summary(result)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else ""


def failed_result(sub: Submission, reason: str) -> dict:
    """The result of a submission the grader could not grade through its own fault: worth 0
    now, its full marks kept, and graded again by the next run (internal_errors)."""
    try:
        full = max_score(sub.assignment)
    except Exception:  # noqa: BLE001
        full = 0.0
    extra = {"student": sub.student, "assignment": sub.assignment, "verdict": "ungradable",
             "reason": reason, "content_hash": None, "fingerprint": None, "secret_id": None,
             "isolation": "", "skipped": [], "internal_errors": 1, "stdout_tail": "",
             "stderr_tail": "", "language": i18n.language(),
             "graded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    return _result([], extra, time.monotonic(), full_marks=full)


def _summary(result: dict) -> dict:
    e = result["extra_data"]
    return {"student": e["student"], "assignment": e["assignment"], "score": result["score"],
            "max_score": result["max_score"], "verdict": e["verdict"], "reason": e["reason"],
            "internal_errors": e["internal_errors"], "time": result["execution_time"]}


def grade_here(todo: list[Submission], out: Path, secret: str, finished, jobs: int = 1) -> list[dict]:
    """Grade `todo` in `jobs` processes of this machine (grade_class's default `run`)."""
    for framework in sorted({wants_gpu(s.assignment) for s in todo} - {None}):
        from grader.gpu.decision import decision
        decision(framework)       # once, here: the pool processes adopt it
    return run_many([(s, out, secret) for s in todo], jobs, _grade_and_write, finished)


def grade_class(submissions: list[Submission], out: Path, jobs: int = 1, resume: bool = True,
                on_done=None, on_skip=None, run=None) -> tuple[list[dict], int]:
    """Grade every submission not already graded; returns (summaries, number skipped).
    `run(todo, out, secret, finished)` grades the submissions to do and calls `finished` with
    each summary: `grade_here` with `jobs` processes by default, or a Dask cluster's
    (grader.cluster.on_cluster(client)), which decides about its own GPUs.

    Raises Interrupted on Ctrl-C or SIGTERM: the submissions in progress are discarded (no
    partial score is saved), the finished ones are kept, and a re-run resumes. Raises
    OutputLocked when another run writes to `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    done: list[dict] = []
    run = run or functools.partial(grade_here, jobs=jobs)

    def finished(summary):
        done.append(summary)
        if on_done:
            on_done(summary)

    with output_lock(out), stoppable():
        try:
            todo = []
            skipped = 0
            secret = course_secret()
            for sub in submissions:
                if resume and is_up_to_date(out, sub, secret):
                    skipped += 1
                    if on_skip:
                        on_skip(sub)
                else:
                    todo.append(sub)
            summaries = run(todo, out, secret, finished)
        except KeyboardInterrupt:
            raise Interrupted(stop_signal() or signal.SIGINT, done) from None
    return summaries, skipped
