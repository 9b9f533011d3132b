"""Hidden tests of assignment 08, part 4: k-fold indices (by their properties) and
cross-validation (with the student's own polynomial_fit and polynomial_mse as fit_fn and
score_fn: functions of the student's module, passed as handles, run in the worker)."""
import numpy as np
import pytest

from grader.checks import CheckFailed, InvalidOutput, close, expect_exception
from grader.checks.properties import check_number, check_output
from grader.i18n import _


def folds_of(got, n, k, what):
    """The k (train_idx, val_idx) pairs, checked to be integer index arrays."""
    if not isinstance(got, list | tuple) or len(got) != k:
        returned = (_("{type} of length {n}").format(type=type(got).__name__, n=len(got))
                    if isinstance(got, list | tuple) else type(got).__name__)
        raise InvalidOutput(_("{what} must return a list of k={k} pairs (train_idx, val_idx); it "
                              "returned {returned}").format(what=what, k=k, returned=returned))
    folds = []
    for i, pair in enumerate(got):
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise InvalidOutput(_("{what}: fold {i} is not a pair (train_idx, val_idx)").format(
                what=what, i=i))
        arrays = []
        for name, part in zip(("train_idx", "val_idx"), pair):
            if type(part) is not np.ndarray or part.ndim != 1:
                raise InvalidOutput(_("{what}: fold {i}'s {name} must be a 1-d integer array")
                                    .format(what=what, i=i, name=name))
            arrays.append(check_output(part, part.shape, what=_("{what}: fold {i}'s {name}")
                                       .format(what=what, i=i, name=name), kinds="iu"))
        folds.append(tuple(arrays))
    return folds


def check_partition(folds, n, what):
    everything = np.arange(n)
    vals = np.concatenate([v for _train, v in folds])
    if vals.size != n or not np.array_equal(np.sort(vals), everything):
        counts = np.bincount(vals[(vals >= 0) & (vals < n)], minlength=n)
        never, twice = int((counts == 0).sum()), int((counts > 1).sum())
        raise CheckFailed(_("{what}: the validation folds must together hold every index "
                            "0..{last} exactly once; indices never validated: {never}, validated "
                            "more than once: {twice}").format(what=what, last=n - 1, never=never,
                                                              twice=twice))
    for i, (train, val) in enumerate(folds):
        if np.intersect1d(train, val).size:
            raise CheckFailed(_("{what}: in fold {i}, some indices are both in train_idx and "
                                "val_idx: a model is then validated on data it was trained "
                                "on").format(what=what, i=i))
        if train.size != n - val.size or not np.array_equal(
                np.sort(train), np.setdiff1d(everything, val)):
            raise CheckFailed(_("{what}: in fold {i}, train_idx must be all the indices that "
                                "are not in val_idx, each once").format(what=what, i=i))
    sizes = [v.size for _train, v in folds]
    if max(sizes) - min(sizes) > 1:
        raise CheckFailed(_("{what}: the validation folds have sizes {sizes}; they must differ "
                            "by at most one (as np.array_split cuts)").format(
            what=what, sizes=sorted(sizes)))


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
        for i, ((_train, val), expected) in enumerate(zip(folds,
                                                           np.array_split(np.arange(n), k))):
            if not np.array_equal(val, expected):
                raise CheckFailed(_("{what}: fold {i}'s val_idx is not consecutive piece number "
                                    "{number} of 0..n-1 (the first n % k folds are one "
                                    "larger)").format(what=what, i=i, number=i + 1))


@pytest.mark.points(2)
def test_kfold_shuffles_reproducibly(student, rng):
    n, k = 30, 5
    seed = int(rng.integers(1000))
    what = f"kfold_indices({n}, {k}, shuffle=True, seed)"
    first = folds_of(student.kfold_indices(n, k, True, seed), n, k, what)
    again = folds_of(student.kfold_indices(n, k, True, seed), n, k, what)
    other = folds_of(student.kfold_indices(n, k, True, seed + 1), n, k, what)
    if not all(np.array_equal(a[1], b[1]) for a, b in zip(first, again)):
        raise CheckFailed(_("{what}: the same seed gave different folds; permute with "
                            "np.random.default_rng(seed)").format(what=what))
    if all(np.array_equal(a[1], b[1]) for a, b in zip(first, other)):
        raise CheckFailed(_("{what}: seeds {seed} and {other} gave the same folds").format(
            what=what, seed=seed, other=seed + 1))
    ordered = np.array_split(np.arange(n), k)
    if all(np.array_equal(np.sort(a[1]), o) for a, o in zip(first, ordered)):
        raise CheckFailed(_("{what}: with shuffle=True the folds are still consecutive runs of "
                            "indices; shuffle the indices before cutting them").format(what=what))


@pytest.mark.points(1)
def test_kfold_rejects_impossible_k(student):
    expect_exception(lambda: student.kfold_indices(5, 6), "ValueError",
                     what=_("{call} (more folds than samples)").format(call="kfold_indices(5, 6)"))
    expect_exception(lambda: student.kfold_indices(5, 1), "ValueError",
                     what=_("{call} (one fold leaves nothing to train on)").format(
                         call="kfold_indices(5, 1)"))


@pytest.mark.points(3)
def test_cross_validate(student, reference, rng):
    """cross_validate fits on k-1 folds and scores on the held-out one"""
    for n, k in ((20, 5), (17, 4)):
        x = rng.uniform(-3, 3, size=n)
        y = 2.0 * x + 1.0 + rng.normal(0, 1.0, size=n) + 0.3 * x ** 2
        what = _("{call} for {n} points (your own polynomial_fit and polynomial_mse)").format(
            call=f"cross_validate(x, y, {k}, polynomial_fit, polynomial_mse)", n=n)
        folds = folds_of(student.kfold_indices(n, k), n, k, f"kfold_indices({n}, {k})")
        check_partition(folds, n, f"kfold_indices({n}, {k})")
        got = student.cross_validate(x, y, k, student.polynomial_fit, student.polynomial_mse)
        if type(got) is np.ndarray and got.ndim == 1:
            got = got.tolist()                   # an array of the k scores is fine too
        if not isinstance(got, list | tuple) or len(got) != k:
            returned = (_("{type} of length {n}").format(type=type(got).__name__, n=len(got))
                        if isinstance(got, list | tuple) else type(got).__name__)
            raise InvalidOutput(_("{what} must return a list of k={k} scores; it returned "
                                  "{returned}").format(what=what, k=k, returned=returned))
        scores = [check_number(s, what=_("{what}: score {i}").format(what=what, i=i))
                  for i, s in enumerate(got)]
        # what the folds give with the student's own functions: cross_validate alone is tested
        score = "polynomial_mse(polynomial_fit(x_train, y_train), x_val, y_val)"
        expected = [check_number(student.polynomial_mse(student.polynomial_fit(x[tr], y[tr]),
                                                        x[va], y[va]), what=score)
                    for tr, va in folds]
        if close(scores, expected, rtol=1e-6, atol=1e-9):
            continue
        on_train = [reference.polynomial_mse(reference.polynomial_fit(x[tr], y[tr]), x[tr], y[tr])
                    for tr, _val in folds]
        if np.allclose(scores, on_train, rtol=1e-6, atol=1e-9):
            raise CheckFailed(_("{what}: the scores are the errors on each fold's TRAINING part; "
                                "score the model on the held-out validation fold").format(
                what=what))
        raise CheckFailed(_("{what}: the scores are not those of fitting fit_fn on each fold's "
                            "train_idx and scoring on its val_idx, for the folds of {call} in "
                            "their order").format(what=what, call="kfold_indices(len(X), k)"))
