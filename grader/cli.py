"""The `grader` command line: grade, check, validate, release, nbgrader, demo, report.

Heavy imports (pytest, the engine, matplotlib) happen inside the commands that need them.
Errors a user can meet are one line and a non-zero exit, never a traceback.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

EXIT_USAGE = 2


class UserError(Exception):
    """An error the user can fix; printed as one line."""


def _console():
    from rich.console import Console
    # A fixed width when piped (CI logs, files): rich would otherwise squeeze tables to 80.
    width = None if sys.stdout.isatty() else 160
    return Console(stderr=False, highlight=False, width=width)


def _progress(total: int, label: str):
    """A rich progress bar when attached to a terminal, plain lines otherwise."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    if not sys.stderr.isatty():
        return None
    progress = Progress("[progress.description]{task.description}", BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(), transient=True)
    progress.add_task(label, total=total)
    return progress


def cmd_grade(args) -> int:
    from grader.course import list_assignments
    from grader.grading import default_jobs, grade_class
    from grader.reports import print_gradebook, write_class_report, write_gradebook
    from grader.submissions import discover

    console = _console()
    if getattr(args, "nbgrader_db", None) and not Path(args.nbgrader_db).is_file():
        raise UserError(f"{args.nbgrader_db}: no such gradebook; run nbgrader "
                        "generate_assignment in the course folder first")
    subs, warnings = discover(Path(args.submissions), args.assignment or None,
                              args.student or None)
    for w in warnings:
        console.print(f"[yellow]warning:[/] {w}")
    if not subs:
        raise UserError(f"no submissions found in {args.submissions} (expected "
                        f"{args.submissions}/<student>/<assignment>/, assignments: "
                        f"{', '.join(list_assignments())})")
    out = Path(args.out)
    jobs = args.jobs or default_jobs()
    progress = _progress(len(subs), "grading")
    done = []

    def on_done(summary):
        done.append(summary)
        if progress:
            progress.advance(progress.task_ids[0])
        else:
            flag = "" if summary["verdict"] == "graded" else f"  ({summary['reason']})"
            console.print(f"graded {summary['student']}/{summary['assignment']}: "
                          f"{summary['score']:g} / {summary['max_score']:g} "
                          f"in {summary['time']:.1f} s{flag}")

    def on_skip(sub):
        if progress:
            progress.advance(progress.task_ids[0])

    try:
        if progress:
            progress.start()
        summaries, skipped = grade_class(subs, out, jobs=jobs, resume=not args.no_resume,
                                         on_done=on_done, on_skip=on_skip)
    except KeyboardInterrupt:
        if progress:
            progress.stop()
        console.print(f"interrupted: {len(done)} submissions graded and kept in {out}; "
                      "run the same command again to resume")
        return 130
    finally:
        if progress:
            progress.stop()
    write_gradebook(out)
    write_class_report(out)
    console.print(f"graded {len(summaries)} submissions, {skipped} unchanged since the last "
                  f"run (skipped); results in {out}/")
    print_gradebook(out, console)
    if getattr(args, "nbgrader_db", None):
        from grader.nbgrader_gradebook import GradebookError, write_scores
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
        return 1
    return 0


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
        shutil.copyfile(public, code_dir / "test_public.py")
        env = dict(os.environ, PYTHONPATH=str(code_dir), PYTHONDONTWRITEBYTECODE="1")
        cmd = [sys.executable, "-m", "pytest", "test_public.py", "-p", "no:cacheprovider",
               "--rootdir", str(code_dir), "-q", "--no-header"]
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
    ns = argparse.Namespace(submissions=str(examples), assignment=[], student=[], jobs=args.jobs,
                            out=args.out, no_resume=args.no_resume)
    code = cmd_grade(ns)
    return 0 if code in (0, 1) else code     # the demo class is meant to contain failures


def cmd_report(args) -> int:
    from grader.reports import print_gradebook, write_class_report, write_gradebook

    out = Path(args.grades)
    if not out.is_dir():
        raise UserError(f"{out} is not a grades folder")
    write_gradebook(out)
    path = write_class_report(out)
    print_gradebook(out, _console())
    _console().print(f"class report: {path}")
    return 0


def cmd_nbgrader(args) -> int:
    from grader.nbgrader_export import ExportError, write_course

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
    g.set_defaults(fn=cmd_grade)

    c = sub.add_parser("check", help="run the public tests on your work")
    c.add_argument("assignment")
    c.add_argument("path", nargs="?", default=".")
    c.set_defaults(fn=cmd_check)

    v = sub.add_parser("validate", help="reference full marks, stubs zero, every mutant caught")
    v.add_argument("assignment", nargs="?")
    v.add_argument("-j", "--jobs", type=int, default=0)
    v.set_defaults(fn=cmd_validate)

    r = sub.add_parser("release", help="regenerate stubs and notebooks from the solutions")
    r.add_argument("--check", action="store_true", help="only report what is out of date")
    r.add_argument("--student-bundle", metavar="DIR", help="also write the student bundle")
    r.set_defaults(fn=cmd_release)

    d = sub.add_parser("demo", help="grade the bundled example class into grades/")
    d.add_argument("-j", "--jobs", type=int, default=0)
    d.add_argument("--out", default="grades")
    d.add_argument("--no-resume", action="store_true")
    d.set_defaults(fn=cmd_demo)

    nb = sub.add_parser("nbgrader", help="write an nbgrader course (source notebooks, config)")
    nb.add_argument("course_dir")
    nb.add_argument("-a", "--assignment", action="append", default=[], help="only this assignment")
    nb.set_defaults(fn=cmd_nbgrader)

    rp = sub.add_parser("report", help="rebuild the gradebook and class report")
    rp.add_argument("grades")
    rp.set_defaults(fn=cmd_report)
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
