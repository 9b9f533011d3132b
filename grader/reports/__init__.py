"""What a grading run leaves for people, rendered from the results.json files under OUT.

The engine writes only results.json (`results.write_results`); everything else is rendered
from those files, once, at the end of a run (also an interrupted one) or by `grader report`:

- results.py: where results.json lives, writing and reading it back, readers of a result;
- feedback.py: the students' pages (per submission, and an overview per student);
- gradebook.py: grades.csv and the terminal's gradebook;
- stats.py: the class's numbers per assignment;
- class_report.py: report.html for the instructor;
- export.py: the gradebook as an LMS imports it (Canvas, Moodle);
- files.py: atomic writes; templates.py: the Jinja environments.
"""
from __future__ import annotations

from pathlib import Path

from grader.reports.class_report import write_class_report
from grader.reports.export import EXPORT_FORMATS, export_rows, export_text
from grader.reports.feedback import (feedback_context, render_feedback_html,
                                     render_feedback_markdown, student_context,
                                     write_feedback_pages, write_submission_outputs)
from grader.reports.files import atomic_write_bytes, atomic_write_text
from grader.reports.gradebook import (Gradebook, build_gradebook, gradebook_rows, inert,
                                      print_gradebook, write_gradebook)
from grader.reports.results import (collect_results, format_score, internal_error_count,
                                    is_ungradable, results_path, submission_dir, verdict_of,
                                    write_results)
from grader.reports.stats import assignment_stats, class_stats, print_summary
from grader.vocabulary import NOT_COUNTED, VERDICT_WORDS, VERDICTS

__all__ = [
    "EXPORT_FORMATS", "NOT_COUNTED", "VERDICTS", "VERDICT_WORDS", "Gradebook", "assignment_stats",
    "atomic_write_bytes", "atomic_write_text", "build_gradebook", "class_stats", "collect_results",
    "export_rows", "export_text", "feedback_context", "format_score", "gradebook_rows", "inert",
    "internal_error_count", "is_ungradable", "print_gradebook", "print_summary",
    "render_feedback_html", "render_feedback_markdown", "results_path", "student_context",
    "submission_dir", "verdict_of", "write_class_report", "write_feedback_pages",
    "write_gradebook", "write_reports", "write_results", "write_submission_outputs",
]


def write_reports(out_dir: Path, release_hidden: bool = False) -> dict:
    """Everything a grading run leaves besides results.json, from the results under OUT:
    grades.csv, every feedback page, report.html. Returns the results and what was written."""
    warnings: list[str] = []
    results = collect_results(out_dir, warnings)

    def attempt(what, write, default):
        # one failing output (a disk error, an odd result) never costs the others
        try:
            return write()
        except Exception as exc:  # noqa: BLE001
            warnings.append(f"{what} could not be written: {type(exc).__name__}: {exc}")
            return default

    gradebook = attempt("grades.csv", lambda: write_gradebook(out_dir, results=results),
                        Path(out_dir) / "grades.csv")
    pages = attempt("the feedback pages",
                    lambda: write_feedback_pages(out_dir, results, release_hidden, warnings), 0)
    report = attempt("report.html", lambda: write_class_report(out_dir, results, warnings),
                     Path(out_dir) / "report.html")
    return {"results": results, "gradebook": gradebook, "report": report, "pages_changed": pages,
            "warnings": warnings}
