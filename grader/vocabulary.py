"""The words the grader shares across its rooms: the verdicts a test can get, which of them
count, what each means to a student, and which tests a student may see when.

The sandbox, the checks and the plugin produce verdicts; the reports, validate and the
nbgrader kernel read them. Every one of them takes the names and the rules from here.
"""
from __future__ import annotations

from grader.i18n import N_, _

# N_ marks each name for the catalogues: results.json keeps the English name, a page shows it
# in the page's language (shown_verdict).
INTERNAL = N_("internal grader error")
SKIPPED = N_("skipped")
UNGRADABLE = N_("ungradable")     # a submission's state, not a test's verdict

# Verdicts in the order tables show them; anything unknown is appended after these.
VERDICTS = (
    N_("pass"), N_("partial"), N_("wrong answer"), N_("invalid output"), N_("student exception"),
    N_("import error"), N_("syntax error"), N_("timeout"), N_("cpu limit"), N_("memory"),
    N_("output limit"), N_("forbidden syscall"), N_("crashed"), N_("protocol violation"),
    SKIPPED, INTERNAL,
)

NOT_COUNTED = (SKIPPED,)       # the engine keeps these out of max_score

# An internal grader error keeps its points in the maximum and scores 0 until re-graded.
NOT_FAILURES = ("pass", "partial", INTERNAL, *NOT_COUNTED)

RELEASED_LATER = ("after_due_date", "after_published")  # shown to students only with release_hidden

def shown_verdict(verdict: str) -> str:
    """A verdict in the page's language (one we do not know, as it is)."""
    return _(verdict) if verdict in VERDICTS or verdict == UNGRADABLE else verdict


# What each verdict means, for a student reading the feedback page.
VERDICT_WORDS = {
    "pass": N_("the test passed: full points"),
    "partial": N_("part of the points, e.g. a lower accuracy tier"),
    "wrong answer": N_("your code ran and returned a value of the right kind, but a wrong value"),
    "invalid output": N_("your code returned the wrong type, shape or dtype, or NaN/inf values"),
    "student exception": N_("your code raised an exception; the message shows where"),
    "import error": N_("your module could not be imported (an error while loading it, or a missing or forbidden module)"),
    "syntax error": N_("your file does not parse, so none of it could be run"),
    "timeout": N_("your code ran past the time limit (an endless loop, or far too slow)"),
    "cpu limit": N_("your code used more CPU time than allowed"),
    "memory": N_("your code used more memory than allowed"),
    "output limit": N_("your code printed or wrote more than allowed"),
    "forbidden syscall": N_("your code tried something the grader does not allow (network, new processes, files outside its folder)"),
    "crashed": N_("the process running your code died (e.g. a segmentation fault)"),
    "protocol violation": N_("your code interfered with the grader's channel to it"),
    "ungradable": N_("the submission could not be run at all"),
    "skipped": N_("not run on this grading machine (e.g. no GPU); does not count"),
    "internal grader error": N_("a problem in the grader, not in your code; it scores 0 until it is re-graded"),
}


# Visibility of a test (Gradescope's values, the `visibility` marker): "visible" tests show
# their output, "hidden" ones only their name, points and verdict; the released-later ones are
# withheld entirely until the instructor releases them (after the due date).
VISIBILITIES = ("visible", "hidden", *RELEASED_LATER)


def withheld(visibility: str, release_hidden: bool = False) -> bool:
    """A test a student does not see yet: released later and not released now."""
    return visibility in RELEASED_LATER and not release_hidden


def shows_output(visibility: str, release_hidden: bool = False) -> bool:
    """A test whose output a student may read: a visible one, or a released one. Any value
    we do not know is treated as hidden (fail closed)."""
    return visibility == "visible" or (visibility in RELEASED_LATER and release_hidden)
