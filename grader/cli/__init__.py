"""The `grader` command line: grade, check, validate, release, nbgrader, demo, report, export.

Heavy imports (pytest, the engine, matplotlib) happen inside the commands that need them.
Errors a user can meet are one line and a non-zero exit, never a traceback. The commands
live beside this file: grade.py (grade, demo, cluster), course_tools.py (check, validate,
release, gradescope, nbgrader), results.py (report, export, import).
"""
from __future__ import annotations

import argparse
import sys

from grader.cli.common import EXIT_USAGE, UserError
from grader.cli.course_tools import (cmd_check, cmd_gradescope, cmd_nbgrader, cmd_release,
                                     cmd_validate)
from grader.cli.grade import cmd_cluster, cmd_demo, cmd_grade
from grader.cli.results import cmd_export, cmd_import, cmd_report, cmd_similarity


RELEASE_HELP = ("show after_due_date tests in the students' feedback pages (after the due date); "
                "without it they are left out, with their points")


LANG_HELP = "the students' language: en, da, sv or de (default: `language` in course.toml)"


def _report_options(parser) -> None:
    parser.add_argument("--lang", metavar="LANG", help=LANG_HELP)
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
    g.add_argument("--similarity", action="store_true",
                   help="also flag similar submissions per assignment (OUT/similarity-ID.html, "
                        "a section of the report); never changes a grade; needs .[similarity]")
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
    c.add_argument("--notebook", action="store_true",
                   help="test the notebook even where the .py was changed too")
    c.add_argument("-v", "--verbose", action="store_true",
                   help="pytest's full report, tracebacks included")
    c.add_argument("--lang", metavar="LANG",
                   help="en, da, sv or de (default: your locale's language, else the course's)")
    c.set_defaults(fn=cmd_check)

    v = sub.add_parser("validate", help="reference full marks, stubs zero, every mutant caught")
    v.add_argument("assignment", nargs="?")
    v.add_argument("-j", "--jobs", type=int, default=0)
    v.add_argument("--secrets", type=int, default=0, metavar="N",
                   help="also grade each reference under N other course secrets (other seeds "
                        "and data): a threshold that holds only for some fails here")
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
    rp.add_argument("--lang", metavar="LANG", help=LANG_HELP)
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

    sm = sub.add_parser("similarity", help="flag similar submissions of one assignment for a "
                                           "person to read (never changes a grade)")
    sm.add_argument("submissions")
    sm.add_argument("-a", "--assignment", required=True)
    sm.add_argument("--threshold", type=float, default=None, metavar="0..1",
                    help="each side's share of code found in the other (default 0.6)")
    sm.add_argument("--out", metavar="FILE",
                    help="the side-by-side page (default similarity-ID.html here)")
    sm.set_defaults(fn=cmd_similarity)

    gs = sub.add_parser("gradescope", help="write a Gradescope autograder zip for one assignment")
    gs.add_argument("assignment")
    gs.add_argument("--out", default="autograder.zip")
    gs.set_defaults(fn=cmd_gradescope)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from grader import i18n
    from grader.course import CourseError
    known = (UserError, CourseError, i18n.LanguageError)
    try:
        from grader.release import ReleaseError
        known += (ReleaseError,)
    except ImportError:
        pass
    try:
        if args.command != "check":     # check's language is the student's (cmd_check)
            i18n.set_language(i18n.for_course(getattr(args, "lang", None)))
        return args.fn(args)
    except known as exc:
        print(f"grader: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
