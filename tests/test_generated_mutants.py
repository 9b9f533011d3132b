"""CI's share of `grader validate --generated` (the full run is `make mutation`): a fixed sample
of mutmut's mutants of every reference must each be killed by the hidden suite, or judged
equivalent in the suite's equivalent_mutants.toml and pass the public tests; and every
judgement must name a mutant that is still generated, with a reason a reviewer can check.
"""
import re

import pytest

from grader.course import list_assignments, load_assignment
from grader.mutation import EQUIVALENT_FILE, generate, judgements, timed_run

pytest.importorskip("mutmut", reason="mutmut is in the dev extra")

SAMPLE = 4


def same_change(a: str, b: str) -> bool:
    return re.sub(r" line \d+:", "", a) == re.sub(r" line \d+:", "", b)


@pytest.mark.parametrize("assignment_id", list_assignments())
def test_sampled_generated_mutants_are_killed_or_judged_equivalent(assignment_id):
    report = timed_run(assignment_id, size=SAMPLE, jobs=2)
    assert report["generated"] == SAMPLE
    assert (report["survived"], report["error"]) == (0, 0), report["survivors"]


@pytest.mark.parametrize("assignment_id", list_assignments())
def test_equivalence_judgements_name_live_mutants_with_a_reason(assignment_id):
    a = load_assignment(assignment_id)
    generated = {m.id: m for m in generate(a)}
    for judged in judgements(a):
        where = f"{a.suite_dir.name}/{EQUIVALENT_FILE}: {judged['id']}"
        assert judged["id"] in generated, f"{where}: no such mutant any more; remove it"
        # the line number may move with edits elsewhere; the change itself may not
        assert same_change(judged["change"], generated[judged["id"]].change), \
            f"{where}: the change differs from the mutant's"
        assert len(judged["why"].split()) >= 6, f"{where}: say why no test can tell it apart"
