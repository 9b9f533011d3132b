"""One vocabulary: marker values are validated where they are read, and the nbgrader kernel
withholds released-later tests by the same rule as the feedback pages."""
from __future__ import annotations

import pytest

from grader import vocabulary
from grader.nbgrader import kernel
from grader.plugin import TestResult as Outcome
from grader.plugin import marker_problem


class Marker:
    def __init__(self, *args):
        self.args = args


class Item:
    nodeid = "suite/test_x.py::test_y"

    def __init__(self, **markers):
        self.markers = markers

    def get_closest_marker(self, name):
        return self.markers.get(name)


@pytest.mark.parametrize("markers, words", [
    ({}, "no points marker"),
    ({"points": Marker("2")}, "points must be a number"),
    ({"points": Marker(-1)}, "points must be a number"),
    ({"points": Marker(True)}, "points must be a number"),
    ({"points": Marker(1), "visibility": Marker("after_the_exam")}, "visibility must be one of"),
    ({"points": Marker(1), "visibility": Marker()}, "visibility must be one of"),
])
def test_a_marker_value_the_grader_does_not_know_is_a_collection_error(markers, words):
    assert words in marker_problem(Item(**markers))


@pytest.mark.parametrize("visibility", vocabulary.VISIBILITIES)
def test_every_known_visibility_is_accepted(visibility):
    assert marker_problem(Item(points=Marker(1.5), visibility=Marker(visibility))) is None


def result(name, visibility, verdict="wrong answer"):
    return Outcome(name=name, nodeid=name, max_score=1.0, score=0.0, verdict=verdict,
                      output=f"OUTPUT-OF-{name}", visibility=visibility, duration=0.0)


def test_the_kernel_withholds_released_later_tests_as_the_pages_do(monkeypatch, capsys):
    results = [result("shown", "visible"), result("secret", "hidden"),
               result("later", "after_due_date"), result("published", "after_published")]

    class Selection:
        missing: list = []
        points = {r.nodeid: 1.0 for r in results}

    monkeypatch.setattr(kernel, "run_tests", lambda *a: (results, Selection(), []))
    kernel.run_cell("01_numpy_forward", [r.nodeid for r in results], {})
    out = capsys.readouterr().out
    assert "OUTPUT-OF-shown" in out and "- secret: wrong answer" in out
    assert "OUTPUT-OF-secret" not in out
    for withheld in ("later", "published"):
        assert withheld not in out
    assert "2 more tests are released after the due date" in out
