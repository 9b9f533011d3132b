"""Hidden tests of assignment 08, part 4: k-fold indices (by their properties) and
cross-validation (with the student's own polynomial_fit and polynomial_mse as fit_fn and
score_fn: functions of the student's module, passed as handles, run in the worker)."""
import numpy as np
import pytest

from grader.checks import CheckFailed, InvalidOutput, close, expect_exception
from grader.checks.properties import check_number, check_output


def folds_of(got, n, k, what):
    """The k (train_idx, val_idx) pairs, checked to be integer index arrays."""
    if not isinstance(got, list | tuple) or len(got) != k:
        raise InvalidOutput(f"{what} must return a list of k={k} pairs (train_idx, val_idx); "
                            f"it returned {type(got).__name__}"
                            + (f" of length {len(got)}" if isinstance(got, list | tuple) else ""))
    folds = []
    for i, pair in enumerate(got):
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise InvalidOutput(f"{what}: fold {i} is not a pair (train_idx, val_idx)")
        arrays = []
        for name, part in zip(("train_idx", "val_idx"), pair):
            if type(part) is not np.ndarray or part.ndim != 1:
                raise InvalidOutput(f"{what}: fold {i}'s {name} must be a 1-d integer array")
            arrays.append(check_output(part, part.shape, what=f"{what}: fold {i}'s {name}",
                                       kinds="iu"))
        folds.append(tuple(arrays))
    return folds


def check_partition(folds, n, what):
    everything = np.arange(n)
    vals = np.concatenate([v for _, v in folds])
    if vals.size != n or not np.array_equal(np.sort(vals), everything):
        counts = np.bincount(vals[(vals >= 0) & (vals < n)], minlength=n)
        never, twice = int((counts == 0).sum()), int((counts > 1).sum())
        raise CheckFailed(f"{what}: the validation folds must together hold every index "
                          f"0..{n - 1} exactly once; indices never validated: {never}, "
                          f"validated more than once: {twice}")
    for i, (train, val) in enumerate(folds):
        if np.intersect1d(train, val).size:
            raise CheckFailed(f"{what}: in fold {i}, some indices are both in train_idx and "
                              "val_idx: a model is then validated on data it was trained on")
        if train.size != n - val.size or not np.array_equal(
                np.sort(train), np.setdiff1d(everything, val)):
            raise CheckFailed(f"{what}: in fold {i}, train_idx must be all the indices that are "
                              "not in val_idx, each once")
    sizes = [v.size for _, v in folds]
    if max(sizes) - min(sizes) > 1:
        raise CheckFailed(f"{what}: the validation folds have sizes {sorted(sizes)}; they must "
                          "differ by at most one (as np.array_split cuts)")


@pytest.mark.points(3)
def test_kfold_folds_partition_the_data(student, rng):
    """k-fold: every sample validated exactly once, never trained on in its own fold"""
    for n, k in ((20, 5), (23, 4), (10, 10), (31, 3)):
        seed = int(rng.integers(1000))
        what = f"kfold_indices({n}, {k}, shuffle=True, seed={seed})"
        check_partition(folds_of(student.kfold_indices(n, k, True, seed), n, k, what), n, what)


@pytest.mark.points(2)
def test_kfold_without_shuffle_keeps_the_order(student):
    for n, k in ((10, 3), (12, 4), (7, 2)):
        what = f"kfold_indices({n}, {k}, shuffle=False)"
        folds = folds_of(student.kfold_indices(n, k, shuffle=False), n, k, what)
        check_partition(folds, n, what)
        for i, ((_, val), expected) in enumerate(zip(folds, np.array_split(np.arange(n), k))):
            if not np.array_equal(val, expected):
                raise CheckFailed(f"{what}: fold {i}'s val_idx is not the {i + 1}th consecutive "
                                  "piece of 0..n-1 (the first n % k folds are one larger)")


@pytest.mark.points(2)
def test_kfold_shuffles_reproducibly(student, rng):
    n, k = 30, 5
    seed = int(rng.integers(1000))
    what = f"kfold_indices({n}, {k}, shuffle=True, seed)"
    first = folds_of(student.kfold_indices(n, k, True, seed), n, k, what)
    again = folds_of(student.kfold_indices(n, k, True, seed), n, k, what)
    other = folds_of(student.kfold_indices(n, k, True, seed + 1), n, k, what)
    if not all(np.array_equal(a[1], b[1]) for a, b in zip(first, again)):
        raise CheckFailed(f"{what}: the same seed gave different folds; permute with "
                          "np.random.default_rng(seed)")
    if all(np.array_equal(a[1], b[1]) for a, b in zip(first, other)):
        raise CheckFailed(f"{what}: seeds {seed} and {seed + 1} gave the same folds")
    ordered = np.array_split(np.arange(n), k)
    if all(np.array_equal(np.sort(a[1]), o) for a, o in zip(first, ordered)):
        raise CheckFailed(f"{what}: with shuffle=True the folds are still consecutive runs of "
                          "indices; shuffle the indices before cutting them")


@pytest.mark.points(1)
def test_kfold_rejects_impossible_k(student):
    expect_exception(lambda: student.kfold_indices(5, 6), "ValueError",
                     what="kfold_indices(5, 6) (more folds than samples)")
    expect_exception(lambda: student.kfold_indices(5, 1), "ValueError",
                     what="kfold_indices(5, 1) (one fold leaves nothing to train on)")


@pytest.mark.points(3)
def test_cross_validate(student, reference, rng):
    """cross_validate fits on k-1 folds and scores on the held-out one"""
    for n, k in ((20, 5), (17, 4)):
        x = rng.uniform(-3, 3, size=n)
        y = 2.0 * x + 1.0 + rng.normal(0, 1.0, size=n) + 0.3 * x ** 2
        what = (f"cross_validate(x, y, {k}, polynomial_fit, polynomial_mse) for {n} points "
                "(your own polynomial_fit and polynomial_mse)")
        folds = folds_of(student.kfold_indices(n, k), n, k, f"kfold_indices({n}, {k})")
        check_partition(folds, n, f"kfold_indices({n}, {k})")
        got = student.cross_validate(x, y, k, student.polynomial_fit, student.polynomial_mse)
        if type(got) is np.ndarray and got.ndim == 1:
            got = got.tolist()                   # an array of the k scores is fine too
        if not isinstance(got, list | tuple) or len(got) != k:
            size = f" of length {len(got)}" if isinstance(got, list | tuple) else ""
            raise InvalidOutput(f"{what} must return a list of k={k} scores; it returned "
                                f"{type(got).__name__}{size}")
        scores = [check_number(s, what=f"{what}: score {i}") for i, s in enumerate(got)]
        # what the folds give with the student's own functions: cross_validate alone is tested
        score = "polynomial_mse(polynomial_fit(x_train, y_train), x_val, y_val)"
        expected = [check_number(student.polynomial_mse(student.polynomial_fit(x[tr], y[tr]),
                                                        x[va], y[va]), what=score)
                    for tr, va in folds]
        if close(scores, expected, rtol=1e-6, atol=1e-9):
            continue
        on_train = [reference.polynomial_mse(reference.polynomial_fit(x[tr], y[tr]), x[tr], y[tr])
                    for tr, _ in folds]
        if np.allclose(scores, on_train, rtol=1e-6, atol=1e-9):
            raise CheckFailed(f"{what}: the scores are the errors on each fold's TRAINING part; "
                              "score the model on the held-out validation fold")
        raise CheckFailed(f"{what}: the scores are not those of fitting fit_fn on each fold's "
                          f"train_idx and scoring on its val_idx, for the folds of "
                          f"kfold_indices(len(X), k) in their order")
