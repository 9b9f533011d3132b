"""Hidden tests of assignment 03, part 6: the framework is the student's own (numpy only)."""
import numpy as np
import pytest

from grader.checks import check_array, check_forbidden_imports
from grader.i18n import _


@pytest.mark.points(1)
def test_no_autograd_library(student, reference, submission, assignment):
    """numpy only: no torch, tensorflow, jax or autograd"""
    check_forbidden_imports(submission, assignment.forbidden_imports, what=_("your framework"))
    # the point is for a framework in numpy: an untouched stub imports nothing forbidden
    # but earns nothing either
    x = np.array([[-1.0, 0.5, 2.0]])
    check_array(student.Tanh().forward(x), reference.Tanh().forward(x), what="Tanh().forward(x)",
                inputs="x: (1, 3) float64")
