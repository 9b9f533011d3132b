"""Hidden tests of assignment 01, part 5: the submission uses numpy only."""
import numpy as np
import pytest

from grader.checks import check_array, check_forbidden_imports


@pytest.mark.points(1)
def test_numpy_only(student, reference, submission, assignment):
    """numpy only: no torch, tensorflow, jax, keras, scipy.special or sklearn"""
    check_forbidden_imports(submission, assignment.forbidden_imports)   # "your submission"
    # the point is for an implementation in numpy: an untouched stub imports nothing
    # forbidden but earns nothing either
    z = np.array([[-1.0, 0.5, 2.0]])
    check_array(student.relu(z), reference.relu(z), what="relu(z)", inputs="z: (1, 3) float64")
