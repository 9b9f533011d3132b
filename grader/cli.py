"""The `grader` command line: grade, check, validate, release, nbgrader, demo, report, export.

Heavy imports (pytest, the engine, matplotlib) happen inside the commands that need them.
Errors a user can meet are one line and a non-zero exit, never a traceback.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

EXIT_USAGE = 2


class UserError(Exception):
    """An error the user can fix; printed as one line."""


def _console(stderr: bool = False):
    from rich.console import Console
    # A fixed width when piped (CI logs, files): rich would otherwise squeeze tables to 80.
    width = None if (sys.stderr if stderr else sys.stdout).isatty() else 160
    return Console(stderr=stderr, highlight=False, width=width)


def _progress(total: int, label: str):
    """A rich progress bar with an ETA on stderr when it is a terminal; None (quiet) otherwise."""
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn,
                               TimeRemainingColumn)

    if not sys.stderr.isatty():
        return None
    # On stderr, so that stdout holds only the command's output (one JSON document with --json).
    progress = Progress("[progress.description]{task.description}", BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(), "eta", TimeRemainingColumn(),
                        console=Console(stderr=True), transient=True)
    progress.add_task(label, total=total)
    return progress


def _where(out: Path, console) -> None:
    """The last lines of a grading run: where the instructor and the students find their pages."""
    from rich.markup import escape

    console.print(f"class report: {escape(str(out / 'report.html'))}", soft_wrap=True)
    console.print(f"feedback pages: {escape(str(out))}/<student>/<assignment>/feedback.html (and .md), "
                  f"each student's overview in {escape(str(out))}/<student>/feedback.html", soft_wrap=True)


def _run_document(out: Path, reports: dict, graded: int, unchanged: int) -> dict:
    """What `--json` prints: the run, the class's numbers and every submission under OUT."""
    from grader.reports import class_stats, internal_error_count, is_ungradable, results_path

    submissions = []
    for r in reports["results"]:
        extra = r.get("extra_data") or {}
        try:
            results = results_path(out, str(extra.get("student")), str(extra.get("assignment")))
        except ValueError:     # a name that is no folder name: warned about, no pages written
            continue
        submissions.append({
            "student": extra.get("student"), "assignment": extra.get("assignment"),
            "score": 0 if is_ungradable(r) else r.get("score"), "max_score": r.get("max_score"),
            "verdict": extra.get("verdict"), "reason": extra.get("reason"),
            "needs_regrade": internal_error_count(r) > 0, "execution_time": r.get("execution_time"),
            "warnings": extra.get("warnings") or [],
            "results": str(results), "feedback": str(results.parent / "feedback.html")})
    return {"out": str(out), "graded": graded, "unchanged": unchanged,
            "gradebook": str(reports["gradebook"]), "report": str(reports["report"]),
            "assignments": class_stats(reports["results"]), "submissions": submissions,
            "warnings": reports["warnings"]}


def cmd_grade(args) -> int:
    from rich.markup import escape

    from grader.course import list_assignments
    from grader.grading import Interrupted, OutputLocked, default_jobs, grade_class
    from grader.reports import print_gradebook, print_summary, write_reports
    from grader.submissions import discover

    as_json = getattr(args, "json", False)
    # With --json, stdout holds the JSON document only; every other line goes to stderr.
    console = _console(stderr=as_json)
    if getattr(args, "nbgrader_db", None):
        from grader.nbgrader.gradebook import GradebookError, check_gradebook
        try:
            check_gradebook(Path(args.nbgrader_db))
        except GradebookError as exc:
            raise UserError(str(exc)) from None
    subs, warnings = discover(Path(args.submissions), args.assignment or None,
                              args.student or None)
    for w in warnings:
        console.print(f"[yellow]warning:[/] {escape(w)}")
    if not subs:
        raise UserError(f"no submissions found in {args.submissions} (expected "
                        f"{args.submissions}/<student>/<assignment>/, assignments: "
                        f"{', '.join(list_assignments())})")
    out = Path(args.out)
    jobs = args.jobs or default_jobs()
    stack = contextlib.ExitStack()
    client = None
    if getattr(args, "dask", None):
        # the client only writes; the workers grade, so their sandboxes are what counts
        client = stack.enter_context(_cluster_client(args, subs, console))
    else:
        isolation = _isolation_or_refuse(getattr(args, "allow_reduced_isolation", False))
        if isolation != "bubblewrap":
            console.print(f"[yellow]warning:[/] grading in {escape(isolation)}")
    progress = _progress(len(subs), "grading")
    done = []

    def on_done(summary):
        done.append(summary)
        if progress:
            progress.advance(progress.task_ids[0])

    def on_skip(sub):
        if progress:
            progress.advance(progress.task_ids[0])

    try:
        if progress:
            progress.start()
        with stack:
            summaries, skipped = grade_class(subs, out, jobs=jobs, resume=not args.no_resume,
                                             on_done=on_done, on_skip=on_skip, dask=client)
    except OutputLocked as exc:
        raise UserError(str(exc)) from None
    except Interrupted as exc:
        if progress:
            progress.stop()
        # what was completed is kept, and the gradebook shows it; nothing half-graded is
        try:
            write_reports(out, release_hidden=getattr(args, "release_hidden", False))
        except Exception as problem:  # noqa: BLE001  the interruption is what to report
            console.print(f"[yellow]warning:[/] the reports could not be written: {problem}")
        console.print(f"interrupted: {len(exc.graded)} of {len(subs)} graded; run the same "
                      "command again to resume")
        return 128 + exc.signum
    finally:
        if progress:
            progress.stop()
    reports = write_reports(out, release_hidden=getattr(args, "release_hidden", False))
    if not as_json:
        console.print(f"graded {len(summaries)} submissions, {skipped} unchanged since the last "
                      f"run (skipped); results in {out}/")
        print_gradebook(out, console, results=reports["results"])
        print_summary(reports["results"], console)
    for w in reports["warnings"]:
        console.print(f"[yellow]warning:[/] {escape(w)}")
    for r in reports["results"]:
        extra = r.get("extra_data") or {}
        for w in extra.get("warnings") or []:
            console.print(f"[yellow]note:[/] {escape(str(extra.get('student')))}/"
                          f"{escape(str(extra.get('assignment')))}: {escape(str(w))}")
    if getattr(args, "nbgrader_db", None):
        from grader.nbgrader.gradebook import GradebookError, write_scores
        try:
            written, notes = write_scores(Path(args.nbgrader_db), out, subs)
        except GradebookError as exc:
            raise UserError(str(exc)) from None
        for note in notes:
            console.print(f"[yellow]warning:[/] {note}")
        console.print(f"scores of {written} submissions written to {args.nbgrader_db}")
    internal = [s for s in summaries if s["internal_errors"]]
    if internal:
        console.print(f"[red]{len(internal)} submissions hit an internal grader error and need "
                      "a re-grade (they were not charged); run again after fixing the suite[/]")
    if as_json:
        print(json.dumps(_run_document(out, reports, len(summaries), skipped), indent=2))
    else:
        _where(out, console)
    return 1 if internal else 0


INSTALL_BWRAP = ("install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), or pass "
                 "--allow-reduced-isolation (or set allow_reduced_isolation = true under "
                 "[grading] in course.toml) to grade with less isolation, stated in every result")


def _reduced_allowed(asked: bool) -> bool:
    from grader.course import course_config

    return asked or os.environ.get("GRADER_ISOLATION") == "reduced" or bool(
        course_config().get("grading", {}).get("allow_reduced_isolation"))


def _isolation_or_refuse(allowed: bool) -> str:
    """How student code will run; without a working bubblewrap only when asked for."""
    from grader.sandbox.worker import isolation_mode, is_reduced

    mode = isolation_mode()
    if is_reduced(mode) and not _reduced_allowed(allowed):
        raise UserError(f"student code would run with {mode}: {INSTALL_BWRAP}")
    return mode


@contextlib.contextmanager
def _cluster_client(args, subs, console):
    """`--dask SPEC`: a client whose workers all run this grader and a full sandbox (or
    reduced isolation where allowed, as on one machine)."""
    from rich.markup import escape

    from grader.cluster import (WAIT_FOR_SLURM, WAIT_FOR_WORKERS, ClusterError,
                                check_workers, connect)
    from grader.sandbox.worker import is_reduced

    if args.jobs:
        console.print("[yellow]note:[/] -j is ignored with --dask (the cluster's workers grade)")
    slurm = args.dask.startswith("slurm:")
    try:
        with connect(args.dask) as client:
            if slurm:
                console.print("waiting for the SLURM jobs' workers to connect ...")
            modes = check_workers(client, [s.assignment for s in subs],
                                  wait=WAIT_FOR_SLURM if slurm else WAIT_FOR_WORKERS)
            reduced = sorted({m for m in modes.values() if is_reduced(m)})
            if reduced and not _reduced_allowed(getattr(args, "allow_reduced_isolation", False)):
                raise UserError(f"student code would run with {reduced[0]} on a worker of "
                                f"{args.dask}: {INSTALL_BWRAP}")
            for mode in reduced:
                console.print(f"[yellow]warning:[/] grading on the cluster in {escape(mode)}")
            yield client
    except ClusterError as exc:
        raise UserError(str(exc)) from None


def cmd_check(args) -> int:
    """A student runs the public tests on their own work (their own machine, plain pytest)."""
    from grader.course import load_assignment

    assignment = load_assignment(args.assignment)
    work = Path(args.path).resolve()
    if not work.is_dir():
        raise UserError(f"{work} is not a folder; give the folder that holds your "
                        f"{assignment.main_module}.py or notebook")
    public = work / "test_public.py"
    if not public.exists():
        public = assignment.stub_dir / "test_public.py"
    if not public.exists():
        raise UserError(f"no test_public.py for {assignment.id} in {work} or {assignment.stub_dir}")
    from grader.submissions import Submission, UngradableSubmission

    with tempfile.TemporaryDirectory(prefix="grader-check-") as tmp:
        # The student's code (or the module made from their notebook) beside a copy of the
        # public tests, so no stub lying next to the course's copy can shadow it.
        try:
            code_dir = Submission("you", assignment.id, work).prepare(assignment, Path(tmp) / "code")
        except UngradableSubmission as exc:
            raise UserError(str(exc)) from None
        cmd, env = assignment.public_test_run(code_dir, public)
        return subprocess.call(cmd, cwd=code_dir, env=env)


def cmd_validate(args) -> int:
    from rich.markup import escape
    from rich.table import Table

    from grader.course import list_assignments
    from grader.grading import default_jobs
    from grader.validate import validate

    ids = [args.assignment] if args.assignment else list_assignments()
    if args.assignment and args.assignment not in list_assignments():
        raise UserError(f"unknown assignment {args.assignment} (known: {', '.join(list_assignments())})")
    if getattr(args, "generated", False):
        return _validate_generated(ids, args)
    console = _console()
    rows = validate(ids, jobs=args.jobs or default_jobs())
    table = Table(title="grader validate")
    for col in ("assignment", "kind", "name", "score", "ok", "caught by / note"):
        table.add_column(col)
    for r in rows:
        caught = "; ".join(r.caught_by[:3]) + (f" (+{len(r.caught_by) - 3} more)"
                                               if len(r.caught_by) > 3 else "")
        detail = f"{caught} — {r.note}" if r.kind == "mutant" and r.ok else r.note
        # test names carry parametrize ids in brackets, which rich would read as markup
        table.add_row(r.assignment, r.kind, escape(r.name), f"{r.score:g}/{r.max_score:g}",
                      "[green]ok[/]" if r.ok else "[red]FAIL[/]", escape(detail))
    console.print(table)
    bad = [r for r in rows if not r.ok]
    mutants = [r for r in rows if r.kind == "mutant"]
    console.print(f"{len(mutants) - sum(not r.ok for r in mutants)} of {len(mutants)} mutants "
                  f"caught; {len(bad)} problems")
    return 1 if bad else 0


MUTATION_TARGET = 0.95


def _validate_generated(ids: list[str], args) -> int:
    """`grader validate --generated`: mutmut's mutants of each reference, graded; per
    assignment generated, killed, equivalent (judged in the suite's equivalent_mutants.toml),
    survived; a report in --report (JSON per assignment)."""
    from rich.markup import escape
    from rich.table import Table

    from grader.grading import default_jobs
    from grader.mutation import timed_run

    try:
        import mutmut  # noqa: F401
    except ImportError:
        raise UserError("generated mutants need mutmut: pip install -e '.[mutation]'") from None
    console = _console()
    report = Path(args.report)
    report.mkdir(parents=True, exist_ok=True)
    table = Table(title="generated mutants (mutmut operators)")
    for col in ("assignment", "generated", "killed", "equivalent", "survived", "errors",
                "killed of non-equivalent", "seconds"):
        table.add_column(col)
    ok = True
    for aid in ids:
        s = timed_run(aid, size=args.sample or 0, jobs=args.jobs or default_jobs())
        (report / f"{aid}.json").write_text(json.dumps(s, indent=2) + "\n")
        good = s["killed_share"] >= MUTATION_TARGET and not s["error"]
        ok = ok and good
        gpu_only = s["equivalent_without_gpu"]
        table.add_row(aid, str(s["generated"]), str(s["killed"]),
                      str(s["equivalent"]) + (f" ({gpu_only} need a GPU)" if gpu_only else ""),
                      str(s["survived"]), str(s["error"]),
                      f"{'[green]' if good else '[red]'}{s['killed_share']:.1%}[/]", f"{s['seconds']:g}")
        for survivor in s["survivors"]:
            console.print(f"  {aid} {survivor['id']}: {escape(survivor['change'])} "
                          f"({escape(survivor['score'])})", soft_wrap=True)
    console.print(table)
    console.print(f"reports in {report}/; target: at least {MUTATION_TARGET:.0%} of the "
                  "non-equivalent mutants killed in every assignment")
    return 0 if ok else 1


def cmd_release(args) -> int:
    from grader.release import build_student_bundle, release

    console = _console()
    changed = release(check=args.check)
    if args.check:
        if changed:
            for path in changed:
                console.print(f"out of date: {path}")
            console.print("run `grader release` to regenerate the stubs and notebooks")
            return 1
        console.print("stubs and notebooks are up to date")
    else:
        console.print(f"release: {len(changed)} files written" + "".join(f"\n  {p}" for p in changed))
    if args.student_bundle:
        build_student_bundle(Path(args.student_bundle))
        console.print(f"student bundle written to {args.student_bundle}")
    return 0


def cmd_demo(args) -> int:
    from grader.course import course_root

    examples = course_root() / "examples" / "submissions"
    # the example class is the course's own code: no need for bubblewrap to run it
    ns = argparse.Namespace(submissions=str(examples), assignment=[], student=[], jobs=args.jobs,
                            out=args.out, no_resume=args.no_resume, json=args.json,
                            release_hidden=args.release_hidden, allow_reduced_isolation=True)
    code = cmd_grade(ns)
    return 0 if code in (0, 1) else code     # the demo class is meant to contain failures


def _grades_folder(path: str) -> Path:
    out = Path(path)
    if not out.is_dir():
        raise UserError(f"{out} is not a grades folder (give the --out folder of grader grade)")
    return out


def cmd_report(args) -> int:
    from rich.markup import escape

    from grader.reports import print_gradebook, print_summary, write_reports

    out = _grades_folder(args.grades)
    reports = write_reports(out, release_hidden=args.release_hidden)
    console = _console()
    print_gradebook(out, console, results=reports["results"])
    print_summary(reports["results"], console)
    for w in reports["warnings"]:
        console.print(f"[yellow]warning:[/] {escape(w)}")
    _where(out, console)
    return 0


def cmd_export(args) -> int:
    from rich.markup import escape

    from grader.reports import (EXPORT_FORMATS, atomic_write_text, collect_results, export_text,
                                internal_error_count)

    if not args.format:
        raise UserError(f"choose a format: --format {'|'.join(EXPORT_FORMATS)}")
    if args.format not in EXPORT_FORMATS:
        raise UserError(f"unknown export format '{args.format}' (known: {', '.join(EXPORT_FORMATS)})")
    out = _grades_folder(args.grades)
    warnings: list[str] = []
    results = collect_results(out, warnings)
    if not results:
        raise UserError(f"no results in {out} (expected {out}/<student>/<assignment>/results.json; "
                        "run grader grade first)")
    roster = None
    if getattr(args, "roster", None):
        if args.format == "csv":
            raise UserError("--roster fills an LMS's identity columns: use it with --format "
                            "canvas or moodle")
        from grader.lms import ImportFailed, read_roster
        try:
            roster = {p.login: p for p in read_roster(Path(args.roster), args.format).values()}
        except ImportFailed as exc:
            raise UserError(str(exc)) from None
    try:
        text = export_text(results, args.format, roster)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    errors = _console(stderr=True)
    for w in warnings:
        errors.print(f"[yellow]warning:[/] {escape(w)}")
    regrade = [r for r in results if internal_error_count(r) > 0]
    if regrade:
        errors.print(f"[yellow]warning:[/] {len(regrade)} submissions need a re-grade (grader errors); "
                     "their scores are exported as they are")
    if args.out == "-":
        sys.stdout.write(text)
        return 0
    dest = Path(args.out) if args.out else out / f"{args.format}-grades.csv"
    try:
        atomic_write_text(dest, text)
    except OSError as exc:
        raise UserError(f"cannot write {dest}: {exc.strerror or exc}") from None
    errors.print(f"{args.format} gradebook written to {dest}")
    return 0


def cmd_import(args) -> int:
    """An LMS's bulk download mapped to SUBMISSIONS/<student>/<ID>/ (grader.lms)."""
    from rich.markup import escape
    from rich.table import Table

    from grader.course import load_assignment
    from grader.lms import ImportFailed, import_submissions

    assignment = load_assignment(args.assignment)
    try:
        mapped, unmapped = import_submissions(args.lms, Path(args.source), assignment,
                                              Path(args.into),
                                              Path(args.roster) if args.roster else None)
    except ImportFailed as exc:
        raise UserError(str(exc)) from None
    console = _console()
    table = Table(title=f"{args.lms} → {args.into}/<student>/{assignment.id}/")
    for column in ("student", "LMS id", "name", "files", "late"):
        table.add_column(column)
    for m in mapped:
        table.add_row(escape(m.student), m.lms_id, escape(m.name), escape(", ".join(m.files)),
                      "late" if m.late else "")
    console.print(table)
    for line in unmapped:
        console.print(f"[yellow]not mapped:[/] {escape(line)}")
    console.print(f"{len(mapped)} submissions written; grade them with: grader grade "
                  f"{escape(args.into)} -a {assignment.id}")
    return 0


def cmd_cluster(args) -> int:
    from grader.cluster import ClusterError, slurm_job_script, slurm_settings

    try:
        print(slurm_job_script(slurm_settings(), args.scheduler), end="")
    except ClusterError as exc:
        raise UserError(str(exc)) from None
    return 0


def cmd_gradescope(args) -> int:
    from grader.gradescope import GradescopeError, build_autograder

    try:
        files = build_autograder(args.assignment, Path(args.out))
    except GradescopeError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(f"{args.out}: Gradescope autograder of {args.assignment} ({len(files)} files); "
          "upload it as a zip autograder on the Ubuntu 24.04 base image")
    return 0


def cmd_nbgrader(args) -> int:
    from grader.nbgrader.course_writer import write_course
    from grader.nbgrader.plan import ExportError

    course_dir = Path(args.course_dir)
    try:
        files = write_course(course_dir, args.assignment or None)
    except ExportError as exc:
        raise UserError(str(exc)) from None
    console = _console()
    console.print(f"nbgrader course written to {course_dir}/:" + "".join(f"\n  {f}" for f in files))
    if "nbgrader_config.py" not in files:
        console.print("kept your own nbgrader_config.py; see the README for the settings it needs")
    console.print(f"next, from {course_dir}/: nbgrader generate_assignment ID --force, then "
                  "nbgrader autograde ID on submitted/ (README, section nbgrader)")
    return 0


RELEASE_HELP = ("show after_due_date tests in the students' feedback pages (after the due date); "
                "without it they are left out, with their points")


def _report_options(parser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document to stdout (the run, the class, every submission)")
    parser.add_argument("--release-hidden", action="store_true", help=RELEASE_HELP)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="grader", description="Autograder for the neural-networks course")
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("grade", help="grade a class: SUBMISSIONS/<student>/<assignment>/")
    g.add_argument("submissions")
    g.add_argument("-a", "--assignment", action="append", default=[], help="only this assignment")
    g.add_argument("-s", "--student", action="append", default=[], help="only this student")
    g.add_argument("-j", "--jobs", type=int, default=0, help="parallel graders (default: cores)")
    g.add_argument("--out", default="grades", help="output folder (default grades/)")
    g.add_argument("--no-resume", action="store_true", help="re-grade unchanged submissions too")
    g.add_argument("--nbgrader-db", metavar="GRADEBOOK",
                   help="also write the scores into this nbgrader gradebook.db")
    g.add_argument("--allow-reduced-isolation", action="store_true",
                   help="grade even where bubblewrap cannot run (stated in every result)")
    g.add_argument("--dask", metavar="ADDRESS",
                   help="grade on Dask: a scheduler (tcp://host:8786), local:N (N local "
                        "workers) or slurm:N (N jobs, course.toml [cluster]); needs .[cluster]")
    _report_options(g)
    g.set_defaults(fn=cmd_grade)

    cl = sub.add_parser("cluster", help="cluster set-up: the SLURM job script of course.toml [cluster]")
    cl.add_argument("kind", choices=["slurm"])
    cl.add_argument("--print-job-script", action="store_true", required=True,
                    help="print the job script one SLURM job of Dask workers runs")
    cl.add_argument("--scheduler", default="tcp://SCHEDULER:8786",
                    help="the scheduler's address the workers connect to")
    cl.set_defaults(fn=cmd_cluster)

    c = sub.add_parser("check", help="run the public tests on your work")
    c.add_argument("assignment")
    c.add_argument("path", nargs="?", default=".")
    c.set_defaults(fn=cmd_check)

    v = sub.add_parser("validate", help="reference full marks, stubs zero, every mutant caught")
    v.add_argument("assignment", nargs="?")
    v.add_argument("-j", "--jobs", type=int, default=0)
    v.add_argument("--generated", action="store_true",
                   help="grade mutmut's generated mutants of the references instead")
    v.add_argument("--sample", type=int, default=0, metavar="N",
                   help="with --generated: a fixed sample of N mutants per assignment")
    v.add_argument("--report", default="mutation", metavar="DIR",
                   help="with --generated: where the JSON reports go (default mutation/)")
    v.set_defaults(fn=cmd_validate)

    r = sub.add_parser("release", help="regenerate stubs and notebooks from the solutions")
    r.add_argument("--check", action="store_true", help="only report what is out of date")
    r.add_argument("--student-bundle", metavar="DIR", help="also write the student bundle")
    r.set_defaults(fn=cmd_release)

    d = sub.add_parser("demo", help="grade the bundled example class into grades/")
    d.add_argument("-j", "--jobs", type=int, default=0)
    d.add_argument("--out", default="grades")
    d.add_argument("--no-resume", action="store_true")
    _report_options(d)
    d.set_defaults(fn=cmd_demo)

    nb = sub.add_parser("nbgrader", help="write an nbgrader course (source notebooks, config)")
    nb.add_argument("course_dir")
    nb.add_argument("-a", "--assignment", action="append", default=[], help="only this assignment")
    nb.set_defaults(fn=cmd_nbgrader)

    rp = sub.add_parser("report", help="rebuild the gradebook, the feedback pages and the class report")
    rp.add_argument("grades")
    rp.add_argument("--release-hidden", action="store_true", help=RELEASE_HELP)
    rp.set_defaults(fn=cmd_report)

    ex = sub.add_parser("export", help="write the gradebook for an LMS: canvas, moodle or csv")
    ex.add_argument("grades")
    # Checked by cmd_export, not by choices=: a bad value is then one line, like every error.
    ex.add_argument("--format", metavar="canvas|moodle|csv")
    ex.add_argument("--out", metavar="FILE", help="where to write (default GRADES/FORMAT-grades.csv; - for stdout)")
    ex.add_argument("--roster", metavar="ROSTER.csv",
                    help="the LMS's own export of its students: fills its identity columns")
    ex.set_defaults(fn=cmd_export)

    im = sub.add_parser("import", help="map an LMS's bulk download to SUBMISSIONS/<student>/<ID>/")
    im.add_argument("lms", metavar="canvas|moodle")
    im.add_argument("source", help="the downloaded folder or zip")
    im.add_argument("-a", "--assignment", required=True)
    im.add_argument("--into", required=True, metavar="SUBMISSIONS")
    im.add_argument("--roster", metavar="ROSTER.csv",
                    help="Canvas gradebook export or Moodle grading worksheet: student ids")
    im.set_defaults(fn=cmd_import)

    gs = sub.add_parser("gradescope", help="write a Gradescope autograder zip for one assignment")
    gs.add_argument("assignment")
    gs.add_argument("--out", default="autograder.zip")
    gs.set_defaults(fn=cmd_gradescope)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from grader.course import CourseError
    known = (UserError, CourseError)
    try:
        from grader.release import ReleaseError
        known += (ReleaseError,)
    except ImportError:
        pass
    try:
        return args.fn(args)
    except known as exc:
        print(f"grader: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
