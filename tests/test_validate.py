"""Every assignment: the reference scores full marks, the stubs zero, and every mutant of the
catalogue loses points. This is what proves each hidden check catches its mistake."""
import pytest

from grader.course import list_assignments
from grader.validate import load_mutants, validate

# The issues' floors for the size of each mutant catalogue.
MIN_MUTANTS = {"01_numpy_forward": 15, "03_backprop": 15, "05_pytorch_basics": 12}


@pytest.mark.parametrize("assignment_id", list_assignments())
def test_reference_full_marks_stubs_zero_every_mutant_caught(assignment_id):
    rows = validate([assignment_id], jobs=2)
    kinds = {r.kind for r in rows}
    assert {"reference", "stub", "mutant"} <= kinds
    problems = [f"{r.kind} {r.name}: {r.score:g}/{r.max_score:g} {r.note}" for r in rows if not r.ok]
    assert not problems, "\n".join(problems)
    reference = next(r for r in rows if r.kind == "reference")
    assert reference.score == reference.max_score > 0
    for r in rows:
        if r.kind.startswith("stub"):
            assert r.score == 0
        if r.kind == "mutant" and r.note.startswith("advice only"):
            # no trace outside the student's process: an advice test must name it
            assert r.caught_by and r.score == r.max_score
        elif r.kind == "mutant":
            assert r.score < r.max_score and r.caught_by


@pytest.mark.parametrize("assignment_id", list_assignments())
def test_the_mutant_catalogue_is_large_enough(assignment_id):
    mutants = load_mutants(assignment_id)
    assert len(mutants) >= MIN_MUTANTS.get(assignment_id, 10)
    assert len({m.label() for m in mutants}) == len(mutants)


def test_validate_grades_each_reference_under_other_secrets_when_asked(monkeypatch):
    import grader.validate as v

    seen = []
    monkeypatch.setattr(v, "run_many", lambda tasks, jobs, fn, on_done=None: seen.extend(tasks) or [])
    v.validate(["01_numpy_forward", "02_perceptron"], secrets=3)
    references = [t for t in seen if t[0] == "reference"]
    assert len(references) == 2 * 4
    for aid in ("01_numpy_forward", "02_perceptron"):
        secrets = [t[4] for t in references if t[2] == aid]
        assert len(set(secrets)) == 4            # the course's and three others, all different
    assert {t[4] for t in seen if t[0] != "reference"} == {references[0][4]}   # the rest: one
