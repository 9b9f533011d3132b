"""Hidden tests of assignment 04, part 3: the lab uses the student's own framework only."""
import numpy as np
import pytest

from grader.checks import CheckFailed, check_forbidden_imports
from grader.i18n import _


@pytest.mark.points(1)
def test_no_autograd_library(student, submission, assignment):
    """numpy and your own framework only: no torch, tensorflow, jax or autograd"""
    check_forbidden_imports(submission, assignment.forbidden_imports,
                            what=_("your {lab} and {framework}").format(
                                lab="mnist_lab.py", framework="framework.py"))
    # the point is for a lab built on a working framework: a stub earns nothing
    p = student.predict(student.build_net(1), np.zeros((2, 784)))
    if type(p) is not np.ndarray or p.shape != (2,):
        raise CheckFailed(_("{call} should give one label per row").format(
            call="predict(build_net(1), x)"))
