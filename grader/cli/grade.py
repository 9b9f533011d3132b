"""`grader grade` (one machine or a Dask cluster), `grader demo` and `grader cluster`."""
from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path

from grader.cluster import on_cluster
from grader.cli.common import (INSTALL_BWRAP, UserError, console_for, isolation_or_refuse,
                               reduced_allowed)
from grader.cli.progress import class_progress_bar


def show_where(out: Path, console) -> None:
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
    from grader.grading import grade_class
    from grader.pool import Interrupted, OutputLocked, default_jobs
    from grader.reports import print_gradebook, print_summary, write_reports
    from grader.submissions import discover

    as_json = getattr(args, "json", False)
    # With --json, stdout holds the JSON document only; every other line goes to stderr.
    console = console_for(stderr=as_json)
    if getattr(args, "nbgrader_db", None):
        from grader.nbgrader.gradebook import GradebookError, check_gradebook
        try:
            check_gradebook(Path(args.nbgrader_db))
        except GradebookError as exc:
            raise UserError(str(exc)) from None
    if getattr(args, "similarity", False):
        try:
            import copydetect  # noqa: F401
        except ImportError:
            raise UserError("--similarity needs copydetect: pip install "
                            "'nn-autograder[similarity]'") from None
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
        isolation = isolation_or_refuse(getattr(args, "allow_reduced_isolation", False))
        if isolation != "bubblewrap":
            console.print(f"[yellow]warning:[/] grading in {escape(isolation)}")
    progress, tracker = class_progress_bar([(s.student, s.assignment) for s in subs], jobs)
    done = []

    def on_done(summary):
        done.append(summary)
        tracker.finished((summary["student"], summary["assignment"]), summary.get("time"))
        if progress:
            progress.advance(progress.task_ids[0])

    def on_skip(sub):
        tracker.skipped((sub.student, sub.assignment))
        if progress:
            progress.advance(progress.task_ids[0])

    try:
        if progress:
            progress.start()
        with stack:
            summaries, skipped = grade_class(subs, out, jobs=jobs, resume=not args.no_resume,
                                             on_done=on_done, on_skip=on_skip,
                                             run=on_cluster(client) if client else None)
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
    if getattr(args, "similarity", False):
        from grader.similarity import write_class_similarity
        # the whole class of each assignment, also the submissions unchanged since the last run
        write_class_similarity(out, subs)
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
        show_where(out, console)
    return 1 if internal else 0


def cmd_demo(args) -> int:
    from grader.course import course_root

    examples = course_root() / "examples" / "submissions"
    # the example class is the course's own code: no need for bubblewrap to run it
    ns = argparse.Namespace(submissions=str(examples), assignment=[], student=[], jobs=args.jobs,
                            out=args.out, no_resume=args.no_resume, json=args.json,
                            release_hidden=args.release_hidden, allow_reduced_isolation=True)
    code = cmd_grade(ns)
    return 0 if code in (0, 1) else code     # the demo class is meant to contain failures


@contextlib.contextmanager


def _cluster_client(args, subs, console):
    """`--dask SPEC`: a client whose workers all run this grader and a full sandbox (or
    reduced isolation where allowed, as on one machine)."""
    from rich.markup import escape

    from grader.cluster import (WAIT_FOR_SLURM, WAIT_FOR_WORKERS, ClusterError,
                                check_workers, connect)
    from grader.sandbox.bwrap import is_reduced

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
            if reduced and not reduced_allowed(getattr(args, "allow_reduced_isolation", False)):
                raise UserError(f"student code would run with {reduced[0]} on a worker of "
                                f"{args.dask}: {INSTALL_BWRAP}")
            for mode in reduced:
                console.print(f"[yellow]warning:[/] grading on the cluster in {escape(mode)}")
            yield client
    except ClusterError as exc:
        raise UserError(str(exc)) from None


def cmd_cluster(args) -> int:
    from grader.cluster import ClusterError, slurm_job_script, slurm_settings

    try:
        print(slurm_job_script(slurm_settings(), args.scheduler), end="")
    except ClusterError as exc:
        raise UserError(str(exc)) from None
    return 0
