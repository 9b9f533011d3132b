"""The course's tools: `grader check` (a student's public tests), `validate`, `release`,
`gradescope` and `nbgrader`."""
from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from grader import i18n
from grader.cli.common import UserError, console_for
from grader.i18n import _


def _other_assignment(work: Path, assignment) -> str | None:
    """The id of another assignment whose files `work` holds instead of this one's."""
    from grader.course import CourseError, list_assignments, load_assignment

    own = {f"{m}.py" for m in assignment.modules} | {assignment.notebook or ""}
    if any((work / name).is_file() for name in own if name):
        return None
    for other in list_assignments():
        if other == assignment.id:
            continue
        if work.name == other:
            return other
        try:
            theirs = load_assignment(other)
        except CourseError:
            continue
        if any((work / f"{m}.py").is_file() for m in theirs.modules) or \
                (theirs.notebook and (work / theirs.notebook).is_file()):
            return other
    return None


def cmd_check(args) -> int:
    """A student runs the public tests on their own work (their own machine, plain pytest):
    the notebook when it is what they changed (or with --notebook), else the .py; one line
    per test and the diagnostic of each failure."""
    import os
    import shutil

    from grader.course import CourseError, course_above, load_assignment
    from grader.submissions import Submission, UngradableSubmission

    work = Path(args.path).resolve()
    try:
        assignment = load_assignment(args.assignment)
    except CourseError:
        # the grader installed from the student bundle knows the course by where it lies
        root = course_above(work, args.assignment)
        if root is None:
            raise
        os.environ["GRADER_COURSE_DIR"] = str(root)
        assignment = load_assignment(args.assignment)
    i18n.set_language(i18n.for_student(getattr(args, "lang", None)))
    if not work.is_dir():
        raise UserError(f"{work} is not a folder; give the folder that holds your "
                        f"{assignment.main_module}.py or notebook")
    other = _other_assignment(work, assignment)
    if other is not None:
        raise UserError(f"{work} holds the work of {other}, not of {assignment.id}: run "
                        f"`grader check {other} {args.path}`, or give {assignment.id}'s folder")
    public = work / "test_public.py"
    if not public.exists():
        public = assignment.stub_dir / "test_public.py"
    if not public.exists():
        raise UserError(f"no test_public.py for {assignment.id} in {work} or {assignment.stub_dir}")
    with tempfile.TemporaryDirectory(prefix="grader-check-") as tmp:
        source = work
        if args.notebook:
            notebook = work / (assignment.notebook or f"{assignment.notebook_module}.ipynb")
            if not notebook.is_file():
                raise UserError(f"--notebook: no {notebook.name} in {work}")
            source = Path(tmp) / "notebook"
            source.mkdir()
            shutil.copyfile(notebook, source / notebook.name)
        sub = Submission("you", assignment.id, source)
        try:
            resolution = sub.resolve(assignment)
            code_dir = sub.prepare(assignment, Path(tmp) / "code")
        except UngradableSubmission as exc:
            raise UserError(str(exc)) from None
        module = assignment.notebook_module if resolution.notebook else assignment.main_module
        checked = resolution.notebook.name if resolution.notebook else f"{module}.py"
        if resolution.stub_untouched:
            checked += " " + _("(your notebook: {file} is the untouched stub)").format(
                file=f"{module}.py")
        # the grading rule, told as what is tested here
        notes = ["--note=" + note for note in resolution.check_notes]
        cmd, env = assignment.public_test_run(code_dir, public)
        cmd = [cmd[0], "-m", "grader.student", str(code_dir), module, checked, *notes,
               f"--lang={i18n.language()}"]
        if args.verbose:
            cmd.append("--verbose")
        return subprocess.call(cmd, cwd=code_dir, env=env)


def cmd_validate(args) -> int:
    from rich.markup import escape
    from rich.table import Table

    from grader.course import list_assignments
    from grader.pool import default_jobs
    from grader.mutants import MutantError
    from grader.validate import validate

    ids = [args.assignment] if args.assignment else list_assignments()
    if args.assignment and args.assignment not in list_assignments():
        raise UserError(f"unknown assignment {args.assignment} (known: {', '.join(list_assignments())})")
    if getattr(args, "generated", False):
        return _validate_generated(ids, args)
    console = console_for()
    if getattr(args, "secrets", 0) < 0:
        raise UserError("--secrets must be 0 or more")
    try:
        rows = validate(ids, jobs=args.jobs or default_jobs(), secrets=getattr(args, "secrets", 0))
    except MutantError as exc:
        raise UserError(str(exc)) from None
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

    from grader.pool import default_jobs
    from grader.mutation import timed_run

    try:
        import mutmut  # noqa: F401
    except ImportError:
        raise UserError("generated mutants need mutmut: pip install -e '.[mutation]'") from None
    console = console_for()
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

    console = console_for()
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
    console = console_for()
    console.print(f"nbgrader course written to {course_dir}/:" + "".join(f"\n  {f}" for f in files))
    if "nbgrader_config.py" not in files:
        console.print("kept your own nbgrader_config.py; see the README for the settings it needs")
    console.print(f"next, from {course_dir}/: nbgrader generate_assignment ID --force, then "
                  "nbgrader autograde ID on submitted/ (README, section nbgrader)")
    return 0
