"""Similar submissions, flagged for a person to look at (`grader similarity`): never a grade.

Each submission's code is what the grader would grade (the student's .py files, or the code
cells of their notebook as one module, `Submission.prepare`), fingerprinted by copydetect's
winnowing (MOSS's method: renamed variables and moved whitespace do not hide a copy). The
released stub is boilerplate: code every student was given matches nobody. A pair is flagged
when each side's share of code found in the other reaches the threshold.
"""
from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

THRESHOLD = 0.6        # both sides: 60% of the code found in the other
NOISE = 25             # copydetect's k: the shortest match counted, in characters of tokens
GUARANTEE = 30         # every match this long is found (the winnowing window is the difference)


@dataclass
class Pair:
    a: str
    b: str
    similarity_a: float           # share of a's code found in b
    similarity_b: float
    tokens: int                   # overlapping tokens
    code_a: str = ""              # each side's code, the matching regions marked (HTML)
    code_b: str = ""


def student_code(submission, assignment) -> str:
    """The code the grader would grade for this submission, as one text ("" when there is
    none: an ungradable submission has nothing to compare)."""
    from grader.submissions import UngradableSubmission

    with tempfile.TemporaryDirectory(prefix="grader-similarity-") as tmp:
        try:
            folder = submission.prepare(assignment, Path(tmp) / "code")
        except (UngradableSubmission, OSError):
            return ""
        return "\n".join(p.read_text(errors="replace") for p in sorted(folder.glob("*.py")))


def fingerprint(code: str, boilerplate=()):
    from copydetect import CodeFingerprint

    return CodeFingerprint("code.py", NOISE, GUARANTEE - NOISE + 1, boilerplate=list(boilerplate),
                           fp=io.StringIO(code))


def stub_boilerplate(assignment) -> list[int]:
    """The fingerprints of the code a student was given (the released stub's modules)."""
    code = "\n".join(p.read_text(errors="replace") for m in assignment.modules
                     if (p := assignment.stub_dir / f"{m}.py").is_file())
    return list(fingerprint(code).hashes) if code else []


def similar_pairs(codes: dict[str, str], boilerplate=(), threshold: float = THRESHOLD,
                  marked: bool = True) -> list[Pair]:
    """Every pair of students whose code matches above `threshold` on both sides, most
    similar first; `marked`: with each side's code, matching regions in <mark>."""
    from copydetect import compare_files
    from copydetect.utils import highlight_overlap

    prints = {s: fingerprint(c, boilerplate) for s, c in codes.items() if c.strip()}
    names = sorted(prints)
    pairs = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            tokens, (sim_a, sim_b), (slices_a, slices_b) = compare_files(prints[a], prints[b])
            if tokens == 0 or min(sim_a, sim_b) < threshold:
                continue
            pair = Pair(a, b, float(sim_a), float(sim_b), int(tokens))
            if marked:
                pair.code_a = highlight_overlap(prints[a].raw_code, slices_a, "<mark>", "</mark>",
                                                escape_html=True)[0]
                pair.code_b = highlight_overlap(prints[b].raw_code, slices_b, "<mark>", "</mark>",
                                                escape_html=True)[0]
            pairs.append(pair)
    return sorted(pairs, key=lambda p: -min(p.similarity_a, p.similarity_b))


def class_pairs(submissions, assignment, threshold: float = THRESHOLD) -> tuple[list[Pair], int]:
    """The flagged pairs among `submissions` of one assignment, and how many had code."""
    codes = {s.student: student_code(s, assignment) for s in submissions}
    pairs = similar_pairs(codes, stub_boilerplate(assignment), threshold)
    return pairs, sum(1 for c in codes.values() if c.strip())


def write_page(path: Path, assignment_id: str, pairs: list[Pair], compared: int,
               threshold: float) -> Path:
    """A self-contained page: each flagged pair side by side, the matching code marked."""
    from grader.reports.files import atomic_write_text
    from grader.reports.templates import html_env

    html = html_env.get_template("similarity.html.j2").render(
        assignment=assignment_id, pairs=pairs, compared=compared, threshold=threshold)
    atomic_write_text(path, html)
    return path




def write_class_similarity(out: Path, submissions, threshold: float = THRESHOLD) -> dict:
    """`grader grade --similarity`: per assignment among `submissions`, the side-by-side page
    OUT/similarity-ID.html and a line per flagged pair in OUT/similarity.json, which the
    class report lists. Grades are not touched."""
    import json

    from grader.course import list_assignments, load_assignment
    from grader.reports.files import atomic_write_text
    from grader.reports.results import SIMILARITY_NAME

    by_assignment: dict[str, list] = {}
    for s in submissions:
        by_assignment.setdefault(s.assignment, []).append(s)
    summary = {}
    for aid in sorted(set(by_assignment) & set(list_assignments())):
        pairs, compared = class_pairs(by_assignment[aid], load_assignment(aid), threshold)
        page = write_page(Path(out) / f"similarity-{aid}.html", aid, pairs, compared, threshold)
        summary[aid] = {"compared": compared, "threshold": threshold, "page": page.name,
                        "pairs": [{"a": p.a, "b": p.b, "similarity": [round(p.similarity_a, 4),
                                                                      round(p.similarity_b, 4)]}
                                  for p in pairs]}
    atomic_write_text(Path(out) / SIMILARITY_NAME, json.dumps(summary, indent=1))
    return summary

