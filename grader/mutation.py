"""Generated mutants: mutmut's standard mutation operators applied to every reference solution,
each mutant graded by the hidden suite through the normal engine (`grader validate
--generated`). The hand-written catalogue (mutants.py) is written by the people who wrote the
checks; these are not.

Operators (mutmut 3's, on libcst): comparison and boundary changes (< to <=, == to !=),
arithmetic changes (+ to -, * to /, ** to *), numbers + 1 (range bounds and constants
included), strings changed, True/False swapped, is/in negated, an argument of a call replaced
by None or removed, an assignment's value replaced by None, an augmented assignment made
plain, a conditional expression forced down each branch. Only code inside the solution
regions is mutated (what students write); for 04, whose framework.py is 03's reference, only
the lab module.

A mutant that survives needs a stronger check, or a judgement in the suite's folder,
`equivalent_mutants.toml`: an [[equivalent]] table per mutant with its `id`, the `change` it
makes and `why` no test could tell it from the reference (a sentence a reviewer can check);
`needs = "gpu"` marks a device mistake that only a GPU reveals (judged equivalent only on a
machine without one; the report counts them apart).
Mutant ids are digests of the change itself, so they survive edits elsewhere in the file.
A mutant that keeps full hidden marks is also run against the public tests: one that fails a
public test is never equivalent, and counts as survived (the hidden suite must be at least as
strict as the public one).
"""
from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from grader.course import Assignment, load_assignment
from grader.release import BEGIN_SOLUTION, END_SOLUTION

EQUIVALENT_FILE = "equivalent_mutants.toml"
# modules that are another assignment's reference, mutated there
MUTATED_ELSEWHERE = {("04_mnist_own_framework", "framework")}


@dataclass(frozen=True)
class Generated:
    id: str
    module: str
    line: int
    operator: str
    change: str             # "line 123: `old` -> `new`", for people
    source: str             # the whole mutated module


def solution_lines(code: str) -> set[int]:
    """Line numbers strictly inside the solution regions, by release's own rule (the markers
    are spelled there in parts, so that this module can ship in the student bundle)."""
    lines, inside = set(), False
    for number, line in enumerate(code.splitlines(), 1):
        if BEGIN_SOLUTION in line:
            inside = True
        elif END_SOLUTION in line:
            inside = False
        elif inside:
            lines.add(number)
    return lines


def _changed_lines(before: str, after: str) -> tuple[str, str]:
    import difflib

    old, new = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            old.append(line[2:].strip())
        elif line.startswith("+ "):
            new.append(line[2:].strip())
    return " / ".join(old), " / ".join(new)


def generate_module(code: str, module: str) -> list[Generated]:
    """Every distinct mutant of the solution regions of one module's source."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider
    from mutmut.mutation.mutators import mutation_operators

    lines = solution_lines(code)

    class Finder(cst.CSTVisitor):
        METADATA_DEPENDENCIES = (PositionProvider,)

        def __init__(self):
            self.found = []

        def on_visit(self, node):
            position = self.get_metadata(PositionProvider, node, None)
            if position is not None and position.start.line in lines:
                for kind, operator in mutation_operators:
                    if isinstance(node, kind):
                        for mutated in operator(node):
                            self.found.append((node, mutated, position.start.line,
                                               operator.__name__.removeprefix("operator_")))
            return True

    wrapper = MetadataWrapper(cst.parse_module(code))
    finder = Finder()
    wrapper.visit(finder)
    out, seen, ordinal = [], set(), {}
    for node, mutated, line, operator in finder.found:
        source = wrapper.module.deep_replace(node, mutated).code
        if source == code or source in seen:
            continue
        seen.add(source)
        old, new = _changed_lines(code, source)
        key = f"{module}\0{operator}\0{old}\0{new}"
        ordinal[key] = ordinal.get(key, -1) + 1
        digest = hashlib.sha256(f"{key}\0{ordinal[key]}".encode()).hexdigest()[:10]
        out.append(Generated(digest, module, line, operator, f"{module}.py line {line}: "
                             f"`{old}` -> `{new}`", source))
    return out


def generate(assignment: Assignment) -> list[Generated]:
    mutants = []
    for module in assignment.modules:
        if (assignment.id, module) in MUTATED_ELSEWHERE:
            continue
        path = assignment.solution_dir / f"{module}.py"
        if path.is_file():
            mutants += generate_module(path.read_text(), module)
    return mutants


def judgements(assignment: Assignment) -> list[dict]:
    """The suite's [[equivalent]] tables: id, change, why, needs."""
    path = assignment.suite_dir / EQUIVALENT_FILE
    if not path.is_file():
        return []
    return [{k: str(e.get(k, "")) for k in ("id", "change", "why", "needs")}
            for e in tomllib.loads(path.read_text()).get("equivalent", [])]


def equivalents(assignment: Assignment) -> dict[str, dict]:
    """{mutant id: its judgement} for the judgements that hold on this machine. One with
    `needs = "gpu"` (a device mistake that only a GPU can reveal) holds only on a machine
    without one: where a GPU is available, that mutant must be killed like any other."""
    from grader.plugin import gpu_skip_reason

    gpu = gpu_skip_reason(assignment) is None
    return {e["id"]: e for e in judgements(assignment) if not (e["needs"] == "gpu" and gpu)}


def sample(mutants: list[Generated], size: int) -> list[Generated]:
    """A fixed sample: every k-th mutant in id order (the same on every machine)."""
    ordered = sorted(mutants, key=lambda m: m.id)
    if size <= 0 or size >= len(ordered):
        return ordered
    step = len(ordered) / size
    return [ordered[int(i * step)] for i in range(size)]


@dataclass
class Outcome:
    mutant: Generated
    score: float
    max_score: float
    verdict: str            # "killed", "survived", "equivalent", "error"
    note: str = ""
    needs: str = ""         # an equivalent judgement's `needs` ("gpu": holds without a GPU)


def _mutant_folder(a: Assignment, module: str, source: str, dest: Path) -> Path:
    shutil.copytree(a.solution_dir, dest, ignore=shutil.ignore_patterns("__pycache__"))
    (dest / f"{module}.py").write_text(source)
    return dest


def _grade(assignment_id: str, module: str, source: str, secret: str) -> tuple[float, float, str]:
    from grader.grading import grade_submission
    from grader.submissions import Submission

    a = load_assignment(assignment_id)
    with tempfile.TemporaryDirectory(prefix="grader-generated-") as tmp:
        folder = _mutant_folder(a, module, source, Path(tmp) / "mutant")
        result = grade_submission(Submission("generated-mutant", assignment_id, folder), secret)
    extra = result["extra_data"]
    problem = extra["reason"] if extra["internal_errors"] else ""
    return result["score"], result["max_score"], problem


def public_failures(assignment_id: str, module: str, source: str) -> list[str]:
    """The public tests (test_public.py, as students run them) that the mutant fails."""
    a = load_assignment(assignment_id)
    with tempfile.TemporaryDirectory(prefix="grader-public-") as tmp:
        return failing_public_tests(a, _mutant_folder(a, module, source, Path(tmp) / "mutant"))


def failing_public_tests(a: Assignment, folder: Path) -> list[str]:
    """The public tests that the code in `folder` (a scratch copy: the tests are put beside
    the code) fails. Only for the course's own code, a reference changed by an operator or
    by hand: it runs here, unconfined."""
    import subprocess

    if not (a.stub_dir / "test_public.py").is_file():
        return []
    cmd, env = a.public_test_run(folder, None, "-rf")
    done = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    return [line.split()[1] for line in done.stdout.splitlines()
            if line.startswith(("FAILED ", "ERROR "))]


def run(assignment_id: str, mutants: list[Generated], jobs: int = 1, on_done=None) -> list[Outcome]:
    """Grade every mutant; judge it killed (it lost points), equivalent (judged so), or
    survived."""
    from grader.grading import course_secret
    from grader.pool import run_many

    a = load_assignment(assignment_id)
    judged = equivalents(a)
    secret = course_secret()
    graded = run_many([(assignment_id, m.module, m.source, secret) for m in mutants], jobs,
                      _grade, on_done)
    outcomes = []
    for m, (score, maximum, problem) in zip(mutants, graded):
        if problem:
            verdict, note = "error", problem
        elif score < maximum:
            verdict, note = "killed", f"{score:g}/{maximum:g}"
        elif failing := public_failures(assignment_id, m.module, m.source):
            # public ⊂ hidden: what the public tests catch, the hidden suite must punish
            verdict, note = "survived", (f"{score:g}/{maximum:g} although it fails the public "
                                         f"test(s) {', '.join(failing)}")
        elif m.id in judged:
            outcomes.append(Outcome(m, score, maximum, "equivalent", judged[m.id]["why"],
                                    judged[m.id]["needs"]))
            continue
        else:
            verdict, note = "survived", f"{score:g}/{maximum:g}"
        outcomes.append(Outcome(m, score, maximum, verdict, note))
    return outcomes


def summary(assignment_id: str, outcomes: list[Outcome], seconds: float) -> dict:
    counts = {v: sum(o.verdict == v for o in outcomes) for v in ("killed", "survived",
                                                                 "equivalent", "error")}
    relevant = len(outcomes) - counts["equivalent"]
    counts["equivalent_without_gpu"] = sum(o.verdict == "equivalent" and o.needs == "gpu"
                                           for o in outcomes)
    return {"assignment": assignment_id, "generated": len(outcomes), **counts,
            "killed_share": round(counts["killed"] / relevant, 4) if relevant else 1.0,
            "seconds": round(seconds, 1),
            "survivors": [{"id": o.mutant.id, "change": o.mutant.change, "score": o.note}
                          for o in outcomes if o.verdict in ("survived", "error")]}


def timed_run(assignment_id: str, size: int = 0, jobs: int = 1, on_done=None) -> dict:
    a = load_assignment(assignment_id)
    mutants = sample(generate(a), size)
    started = time.monotonic()
    outcomes = run(assignment_id, mutants, jobs, on_done)
    return summary(assignment_id, outcomes, time.monotonic() - started)
