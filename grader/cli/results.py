"""Reading a class again: `grader report`, `grader export`, `grader import` and
`grader similarity`."""
from __future__ import annotations

import sys
from pathlib import Path

from grader.cli.common import UserError, console_for, grades_folder
from grader.cli.grade import show_where


def cmd_report(args) -> int:
    from rich.markup import escape

    from grader.reports import print_gradebook, print_summary, write_reports

    out = grades_folder(args.grades)
    reports = write_reports(out, release_hidden=args.release_hidden)
    console = console_for()
    print_gradebook(out, console, results=reports["results"])
    print_summary(reports["results"], console)
    for w in reports["warnings"]:
        console.print(f"[yellow]warning:[/] {escape(w)}")
    show_where(out, console)
    return 0


def cmd_export(args) -> int:
    from rich.markup import escape

    from grader.reports import (EXPORT_FORMATS, atomic_write_text, collect_results, export_text,
                                internal_error_count)

    if not args.format:
        raise UserError(f"choose a format: --format {'|'.join(EXPORT_FORMATS)}")
    if args.format not in EXPORT_FORMATS:
        raise UserError(f"unknown export format '{args.format}' (known: {', '.join(EXPORT_FORMATS)})")
    out = grades_folder(args.grades)
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
    errors = console_for(stderr=True)
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
    console = console_for()
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


def cmd_similarity(args) -> int:
    from rich.markup import escape
    from rich.table import Table

    from grader.course import list_assignments, load_assignment
    from grader.similarity import THRESHOLD, class_pairs, write_page
    from grader.submissions import discover

    try:
        import copydetect  # noqa: F401
    except ImportError:
        raise UserError("grader similarity needs copydetect: pip install 'nn-autograder[similarity]'") from None
    if args.assignment not in list_assignments():
        raise UserError(f"unknown assignment '{args.assignment}' (known: {', '.join(list_assignments())})")
    threshold = THRESHOLD if args.threshold is None else args.threshold
    if not 0 < threshold <= 1:
        raise UserError(f"--threshold must lie in (0, 1], got {threshold:g}")
    root = Path(args.submissions)
    if not root.is_dir():
        raise UserError(f"{root} is not a folder of submissions")
    subs, warnings = discover(root, [args.assignment])
    console = console_for()
    for w in warnings:
        console.print(f"[yellow]warning:[/] {escape(w)}")
    if len(subs) < 2:
        raise UserError(f"fewer than two submissions of {args.assignment} in {root}: nothing to compare")
    pairs, compared = class_pairs(subs, load_assignment(args.assignment), threshold)
    page = write_page(Path(args.out or f"similarity-{args.assignment}.html"), args.assignment,
                      pairs, compared, threshold)
    table = Table(title=f"similar submissions of {args.assignment} (at least {threshold:.0%} "
                        "of each side's code in the other)")
    for column in ("student", "student", "similarity", "tokens"):
        table.add_column(column, justify="right" if column in ("similarity", "tokens") else "left")
    for p in pairs:
        table.add_row(escape(p.a), escape(p.b),
                      f"{p.similarity_a:.0%} / {p.similarity_b:.0%}", str(p.tokens))
    console.print(table)
    console.print(f"{len(pairs)} pair(s) flagged among {compared} submissions with code; "
                  f"side by side: {escape(str(page))}", soft_wrap=True)
    console.print("note: this flags code for a person to read; no grade was changed")
    return 0
