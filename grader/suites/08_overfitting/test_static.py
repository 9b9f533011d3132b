"""Hidden tests of assignment 08, part 6: the submission is numpy only."""
import numpy as np
import pytest

from grader.checks import check_array, check_forbidden_imports


@pytest.mark.points(1)
def test_numpy_only(student, reference, submission, assignment):
    """numpy only: no scikit-learn, torch, tensorflow, keras or jax"""
    check_forbidden_imports(submission, assignment.forbidden_imports)   # "your submission"
    # the point is for an implementation in numpy: an untouched stub imports nothing
    # forbidden but earns nothing either
    y = np.array([0, 0, 0, 1])
    check_array(student.class_weights(y), reference.class_weights(y), what="class_weights(y)",
                inputs="y: (4,) int64, counts (3, 1)")
