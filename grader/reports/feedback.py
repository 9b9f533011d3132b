"""The students' feedback pages, rendered from results.json: one per submission
(feedback.html and .md) and one overview per student."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from grader.i18n import N_, _, decimal, language, ngettext, shown_title
from grader.reports.files import atomic_write_text, write_if_changed
from grader.reports.results import (assignment_of, collect_results, extra_of,
                                    internal_error_count, is_ungradable, number, student_of,
                                    submission_dir, verdict_of, write_results)
from grader.reports.templates import html_env, md_env
from grader.reports.texts import failing_function, shown, split_warnings
from grader.vocabulary import (INTERNAL, NOT_COUNTED, NOT_FAILURES, VERDICT_WORDS, VERDICTS,
                               shown_verdict, shows_output, withheld)


OUTPUT_LIMIT = 3000  # characters of one test's output on a feedback page


def _verdict_class(verdict: str) -> str:
    if verdict == "pass":
        return "pass"
    if verdict == "partial":
        return "partial"
    if verdict in NOT_COUNTED or verdict == "internal grader error":
        return "muted"
    return "fail"


def _truncate(text: str, limit: int = OUTPUT_LIMIT) -> str:
    """The start and the end of a long text: a diagnostic leads, a traceback ends with the cause."""
    text = str(text)
    if len(text) <= limit:
        return text
    half = limit // 2
    cut = _("...[{n} characters cut]...").format(n=len(text) - 2 * half)
    return f"{text[:half]}\n{cut}\n{text[-half:]}"


# Verdicts of code that did not run to an answer: tests that failed this way in the same
# function failed for one reason, told once.
_STOPPED = frozenset(VERDICTS) - {"pass", "partial", "wrong answer", "invalid output", "skipped",
                                  INTERNAL}
FIRST_FIXES = 6          # functions the "fix these first" summary names
FIX_FIRST = "Fix these first"          # a test's `same_as` when the summary shows its problem
LOADING = N_("loading your code")     # the summary's titles that are not a function's name
OTHER = N_("other tests")


def _problem(test: dict) -> tuple:
    details = test["details"] or ""
    if test["verdict"] in _STOPPED:
        return (test["verdict"], details.split("\n", 1)[0], failing_function(details))
    return (test["verdict"], details)


def said_once(tests: list[dict]) -> list[dict]:
    """Says each failure once. Returns the "fix these first" summary: the failed tests grouped
    by the student's function they failed in (where the traceback or the stuck stack ends,
    else the function the test called), most points lost first, each with the text of its
    first distinct problems (the same import error, the same endless loop reached from many
    tests is one problem). A test whose problem the summary or an earlier test already shows
    loses its details: `same_as` names where it is shown."""
    groups: dict[str, dict] = {}
    keys: dict[int, tuple] = {}
    for i, t in enumerate(tests):
        t["same_as"] = ""
        if t["verdict"] in NOT_FAILURES:
            continue
        details = t["details"] or ""
        keys[i] = _problem(t)
        if t["verdict"] in ("import error", "syntax error"):
            title = _(LOADING)
        else:
            where = failing_function(details) if t["verdict"] in _STOPPED else ""
            title = where or t["function"] or _(OTHER)
        group = groups.setdefault(title, {"title": title, "lost": 0.0, "tests": [],
                                          "problems": {}})
        group["lost"] += max(0.0, t["max"] - t["score"])
        group["tests"].append(t["name"])
        if details and len(group["problems"]) < 2:
            group["problems"].setdefault(keys[i], details)
    ranked = sorted(groups.values(), key=lambda g: (-g["lost"], g["title"]))[:FIRST_FIXES]
    shown_under: dict[tuple, str] = {}      # a problem of several functions: told once
    for g in ranked:
        g["see"] = next((shown_under[k] for k in g["problems"] if k in shown_under), "")
        g["problems"] = {k: v for k, v in g["problems"].items() if k not in shown_under}
        shown_under.update({k: g["title"] for k in g["problems"]})
    in_summary = set(shown_under)
    first_of: dict[tuple, str] = {}
    for i, t in enumerate(tests):
        if i not in keys or not t["details"]:
            continue
        if keys[i] in in_summary:
            t["same_as"], t["details"] = FIX_FIRST, None
        elif keys[i] in first_of:
            t["same_as"], t["details"] = first_of[keys[i]], None
        else:
            first_of[keys[i]] = t["name"]
    for g in ranked:
        n = len(g["tests"])
        g["lost"] = decimal(g["lost"])
        g["heading"] = ngettext("{title}: {n} test failed, {lost} points lost",
                                "{title}: {n} tests failed, {lost} points lost", n).format(
            title=g["title"], n=n, lost=g["lost"])
        names = ", ".join(g["tests"][:8])
        g["tests_line"] = (_("Tests: {names}.").format(names=names) if n <= 8 else
                           ngettext("Tests: {names} and {n} more.", "Tests: {names} and {n} more.",
                                    n - 8).format(names=names, n=n - 8))
        g["problems"] = list(g["problems"].values())
    return ranked


def feedback_context(result: dict, release_hidden: bool = False) -> dict:
    """What the student may see of a result. Hidden details are dropped here, before any template.

    `hidden` tests show their name, points and verdict, never their output. `after_due_date`
    (and `after_published`) tests are left out entirely, with their points, unless
    `release_hidden`: then they are shown like visible tests."""
    extra = extra_of(result)
    default_visibility = result.get("visibility") or "visible"
    tests = []
    withheld_score = withheld_max = 0.0
    withheld_names: list[str] = []
    for test in result.get("tests") or []:
        verdict = verdict_of(test)
        visibility = test.get("visibility") or default_visibility
        if withheld(visibility, release_hidden):
            withheld_score += number(test.get("score"))
            withheld_max += number(test.get("max_score")) if verdict not in NOT_COUNTED else 0.0
            withheld_names.append(str(test.get("name") or ""))
            continue
        if verdict in NOT_COUNTED:
            points = _("not counted")
        else:
            points = f"{decimal(number(test.get('score')))} / {decimal(number(test.get('max_score')))}"
        if verdict == "internal grader error":
            # Its output is the grader's own error and may quote the hidden suite: never shown.
            details, note = None, _("The grader had a problem with this test. It is not your "
                                    "fault; it scores 0 until it is re-graded.")
        elif shows_output(visibility, release_hidden):
            details, note = _truncate(shown(test.get("output") or "")), None
        else:  # "hidden", and any value we do not know: fail closed
            details, note = None, _("Hidden test: details are not shown.")
        tests.append({
            "score": number(test.get("score")), "max": number(test.get("max_score")),
            "function": str(extra_of(test).get("function") or ""),
            "name": shown_title(test.get("name")) if test.get("name") else _("(unnamed test)"),
            "points": points,
            "verdict": verdict,
            "verdict_shown": shown_verdict(verdict),
            "verdict_words": _(VERDICT_WORDS[verdict]) if verdict in VERDICT_WORDS else "",
            "verdict_class": _verdict_class(verdict),
            "details": details,
            "note": note,
        })
    isolation = str(extra.get("isolation") or "")
    if isolation.startswith("reduced isolation"):
        isolation_note = _("Your code ran with {isolation}.").format(isolation=isolation)
    elif isolation:
        isolation_note = _("Your code ran in a sandbox ({isolation}).").format(isolation=isolation)
    else:
        isolation_note = ""
    ungradable = is_ungradable(result)
    first_fixes = said_once(tests)
    stderr_own, library_warnings = split_warnings(str(extra.get("stderr_tail") or ""))
    n_withheld = len(withheld_names)
    score = number(result.get("score")) - withheld_score
    max_score = number(result.get("max_score")) - withheld_max
    seen = {t["verdict"] for t in tests} | ({"ungradable"} if ungradable else set())
    graded_at = str(extra.get("graded_at") or "")
    content_hash = str(extra.get("content_hash") or "")
    return {
        "lang": language(), "fix_first": FIX_FIRST,
        "student": student_of(result),
        "assignment": assignment_of(result),
        "score": "0" if ungradable else decimal(score),
        "max_score": decimal(max_score),
        "points": 0.0 if ungradable else score, "max_points": max_score,    # as numbers
        "ungradable": ungradable,
        "reason": str(extra.get("reason") or ""),
        # how the handed-in files were read: which file was graded, links not followed
        "warnings": [str(w) for w in extra.get("warnings") or [] if isinstance(w, str)],
        # The engine's summary counts every test, the withheld ones too.
        "summary": "" if n_withheld else str(result.get("output") or ""),
        "withheld_note": ngettext(
            "{n} more test, worth {points} points, is released after the due date; the score "
            "above counts only the tests shown here.",
            "{n} more tests, worth {points} points, are released after the due date; the score "
            "above counts only the tests shown here.", n_withheld).format(
                n=n_withheld, points=decimal(withheld_max)) if n_withheld else "",
        "tests": tests,
        "first_fixes": first_fixes,
        "legend": [{"verdict": shown_verdict(v), "words": _(VERDICT_WORDS[v])}
                   for v in (*VERDICTS, "ungradable") if v in seen and v in VERDICT_WORDS],
        "skipped": [{"name": shown_title(s.get("name") or ""), "reason": str(s.get("reason") or "")}
                    for s in extra.get("skipped") or []
                    if isinstance(s, dict) and str(s.get("name") or "") not in withheld_names],
        "needs_regrade": internal_error_count(result) > 0,
        "stdout_tail": shown(str(extra.get("stdout_tail") or "")),
        "stderr_tail": stderr_own,
        "library_warnings": library_warnings,
        "isolation_note": isolation_note,
        "graded_at": graded_at,
        "content_hash": content_hash,
        "graded_line": (_("Graded {when}; submission hash {hash}.").format(when=graded_at,
                                                                            hash=content_hash)
                        if content_hash else
                        _("Graded {when}.").format(when=graded_at) if graded_at else ""),
    }


def render_feedback_markdown(result: dict, release_hidden: bool = False) -> str:
    return md_env.get_template("feedback.md.j2").render(feedback_context(result, release_hidden))


def render_feedback_html(result: dict, release_hidden: bool = False) -> str:
    return html_env.get_template("feedback.html.j2").render(feedback_context(result, release_hidden))


def write_submission_outputs(out_dir: Path, result: dict) -> Path:
    """Write results.json, feedback.md and feedback.html of one submission; returns its folder.
    The pages hold no after_due_date test: `write_feedback_pages` releases them at the end."""
    folder = submission_dir(out_dir, result)
    atomic_write_text(folder / "feedback.md", render_feedback_markdown(result))
    atomic_write_text(folder / "feedback.html", render_feedback_html(result))
    # results.json last: a resumed run trusts it, so it must not exist before the feedback does.
    return write_results(out_dir, result)


def assignment_title(assignment: str) -> str:
    """The title in the assignment's settings ("" for one this course does not know)."""
    from grader.course import load_assignment

    try:
        return str(load_assignment(assignment).settings.get("title") or "")
    except Exception:  # noqa: BLE001  a page never fails for a title
        return ""


def student_context(student: str, results: list[dict], release_hidden: bool = False) -> dict:
    """One student's overview: per assignment its title, the score the student may see, the
    day it was graded and the link to its page; and the total of those scores."""
    rows = []
    total = total_max = 0.0
    for r in sorted(results, key=assignment_of):
        page = feedback_context(r, release_hidden)
        total += page["points"]
        total_max += page["max_points"]
        rows.append({"assignment": page["assignment"], "title": assignment_title(page["assignment"]),
                     "score": page["score"], "max_score": page["max_score"],
                     "graded": page["graded_at"][:10],
                     "link": f"{quote(page['assignment'])}/feedback.html",
                     "note": (_("could not be graded") if page["ungradable"] else
                              _("some tests will be re-graded") if page["needs_regrade"] else
                              _("more tests released after the due date")
                              if page["withheld_note"] else "")})
    total, total_max = decimal(total), decimal(total_max)
    return {"lang": language(), "student": student, "rows": rows, "total": total,
            "total_max": total_max,
            "total_line": ngettext("Your total: {total} / {most} points over {n} assignment.",
                                   "Your total: {total} / {most} points over {n} assignments.",
                                   len(rows)).format(total=total, most=total_max, n=len(rows)),
            "any_note": any(row["note"] for row in rows)}


def write_feedback_pages(out_dir: Path, results: list[dict] | None = None, release_hidden: bool = False,
                         warnings: list[str] | None = None) -> int:
    """(Re)write every student's feedback pages from the results under OUT: each submission's
    feedback.html/.md, and OUT/<student>/feedback.html/.md with the score of every assignment.
    Returns how many pages changed."""
    out_dir = Path(out_dir)
    results = collect_results(out_dir, warnings) if results is None else results
    changed = 0
    by_student: dict[str, list[dict]] = {}
    for r in results:
        try:
            folder = submission_dir(out_dir, r)
            changed += write_if_changed(folder / "feedback.md",
                                         render_feedback_markdown(r, release_hidden))
            changed += write_if_changed(folder / "feedback.html",
                                         render_feedback_html(r, release_hidden))
        except (ValueError, OSError) as exc:    # one student's page never costs the others'
            if warnings is not None:
                warnings.append(str(exc))
            continue
        by_student.setdefault(student_of(r), []).append(r)
    for student, own in by_student.items():
        context = student_context(student, own, release_hidden)
        try:
            changed += write_if_changed(out_dir / student / "feedback.md",
                                         md_env.get_template("student.md.j2").render(context))
            changed += write_if_changed(out_dir / student / "feedback.html",
                                         html_env.get_template("student.html.j2").render(context))
        except (ValueError, OSError) as exc:
            if warnings is not None:
                warnings.append(str(exc))
    return changed
