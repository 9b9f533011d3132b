"""Hidden tests of assignment 02, part 3: numpy only."""
import numpy as np
import pytest

from grader.checks import check_array, check_forbidden_imports


@pytest.mark.points(1)
def test_numpy_only(student, reference, submission, assignment):
    """numpy only: no torch, tensorflow, jax, keras, autograd or sklearn"""
    check_forbidden_imports(submission, assignment.forbidden_imports)   # "your submission"
    # the point is for an implementation in numpy: an untouched stub earns nothing
    w, X = np.array([1.0, -1.0, 0.5]), np.array([[1.0, 3.0], [2.0, 0.0]])
    got = student.predict_perceptron(w, X)
    check_array(got, reference.predict_perceptron(w, X), what="predict_perceptron(w, X)",
                inputs="w: (3,), X: (2, 2)", rtol=0, atol=0,
                dtype=got.dtype if isinstance(got, np.ndarray) else None)
