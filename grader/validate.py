"""`grader validate`: the reference scores full marks, the stubs zero, every mutant loses points.

This is the proof that each hidden check catches the mistake it targets.
"""
from __future__ import annotations

import importlib.util
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.course import TRACKS_DIR, load_assignment
from grader.grading import course_secret, grade_submission
from grader.pool import run_many
from grader.mutants import MutantError
from grader.mutation import failing_public_tests
from grader.submissions import Submission


@dataclass
class Row:
    assignment: str
    kind: str                 # reference, stub, stub notebook, mutant
    name: str
    score: float
    max_score: float
    ok: bool
    note: str = ""
    caught_by: list[str] = field(default_factory=list)


def load_mutants(assignment_id: str) -> list:
    a = load_assignment(assignment_id)
    path = a.suite_dir / "mutants.py"
    if not path.exists():
        return []
    spec = importlib.util.spec_from_file_location(f"mutants_{assignment_id}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.MUTANTS)


def _grade(kind: str, name: str, assignment_id: str, folder: str, secret: str,
           advice_only: str = "") -> Row:
    result = grade_submission(Submission(f"{kind}:{name}", assignment_id, Path(folder)), secret)
    extra = result["extra_data"]
    failed = [t["name"] for t in result["tests"] if t["score"] < t["max_score"]]
    advice = [t["name"] for t in result["tests"] if t["max_score"] == 0
              and t["extra_data"]["verdict"] not in ("pass", "partial", "skipped")]
    # a skipped test (a GPU test on a machine without one) counts in no maximum: not a failure
    verdicts = sorted({t["extra_data"]["verdict"] for t in result["tests"]
                       if t["extra_data"]["verdict"] not in ("pass", "partial", "skipped")})
    score, maximum = result["score"], result["max_score"]
    internal = extra["internal_errors"]
    if extra["verdict"] != "graded":
        ok, note = False, f"ungradable: {extra['reason']}"
    elif internal:
        ok, note = False, f"{internal} internal grader error(s): " + (extra["reason"] or "")
    elif kind == "reference":
        ok = maximum > 0 and score == maximum
        note = "full marks" if ok else "the reference must score full marks"
    elif kind.startswith("stub"):
        crashed = [v for v in verdicts if v not in ("student exception", "wrong answer",
                                                     "invalid output")]
        ok = score == 0 and not crashed
        note = "zero" if ok else ("the stub must score zero" if score else
                                  f"the stub must fail cleanly, not with {', '.join(crashed)}")
    elif advice_only:
        ok = bool(advice)
        note = (f"advice only ({advice_only})" if ok else
                "NOT CAUGHT: no advice test failed")
        failed = failed or advice
        # public ⊂ hidden: what the public tests reject must cost hidden points
        if ok and score == maximum and (
                public := failing_public_tests(load_assignment(assignment_id), Path(folder))):
            ok, note = False, (f"fails the public test(s) {', '.join(public)} but loses no "
                               "hidden points")
    else:
        ok = score < maximum
        note = ", ".join(verdicts) if ok else "NOT CAUGHT: no test lost points"
    return Row(assignment_id, kind, name, score, maximum, ok, note, failed)


def validate(assignment_ids: list[str], jobs: int = 1, on_done=None, secrets: int = 0) -> list[Row]:
    """`secrets`: also grade each reference under that many other course secrets (each draws
    other seeds and data): a check whose threshold holds only for some draws shows up as a
    reference below full marks."""
    secret = course_secret()
    tasks, temp = [], Path(tempfile.mkdtemp(prefix="grader-validate-"))
    try:
        for aid in assignment_ids:
            a = load_assignment(aid)
            tasks.append(("reference", "reference solution", aid, str(a.solution_dir), secret))
            tasks += [("reference", f"reference solution, secret {k}", aid, str(a.solution_dir),
                       f"{secret}:validate-{k}") for k in range(1, secrets + 1)]
            tasks.append(("stub", f"{a.main_module}.py as released", aid, str(a.stub_dir), secret))
            if a.notebook and (a.stub_dir / a.notebook).exists():
                nb_dir = temp / aid / "stub-notebook"
                nb_dir.mkdir(parents=True)
                shutil.copyfile(a.stub_dir / a.notebook, nb_dir / a.notebook)
                # the assignment's other modules (04's framework.py), which the notebook imports
                for module in a.modules:
                    stub = a.stub_dir / f"{module}.py"
                    if module != a.notebook_module and stub.is_file():
                        shutil.copyfile(stub, nb_dir / stub.name)
                tasks.append(("stub notebook", f"{a.notebook} as released", aid, str(nb_dir), secret))
            tracks = a.tracks
            tasks += [("reference", f"reference solution, {track} track", aid, str(folder),
                       secret) for track, folder in tracks.items()]
            for i, mutant in enumerate(load_mutants(aid)):
                if mutant.track and mutant.track not in tracks:
                    raise MutantError(f"mutant '{mutant.name}': {aid} has no {mutant.track} "
                                      f"track (solutions/{aid}/{TRACKS_DIR}/{mutant.track}/)")
                source = tracks[mutant.track] if mutant.track else a.solution_dir
                dest = mutant.write(source, temp / aid / f"mutant-{i}", a.main_module)
                tasks.append(("mutant", mutant.label(), aid, str(dest), secret,
                              mutant.advice_only))
        return run_many(tasks, jobs, _grade, on_done)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
