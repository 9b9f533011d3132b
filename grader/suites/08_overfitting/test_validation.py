"""Hidden tests of assignment 08, part 2: train/validation split, early stopping on synthetic
loss curves with plateaus and noise, and the epoch where overfitting starts."""
import numpy as np
import pytest

from grader.checks import CheckFailed, InvalidOutput
from grader.checks.properties import check_output
from grader.checks.values import kind_of
from grader.i18n import _, ngettext, num


# ----- train_val_split ----------------------------------------------------------------

def tagged(rng, n, d=3):
    """X whose column 0 is a unique id per row, and y = 10 * id + 7: pairs stay checkable."""
    ids = rng.permutation(n) + 100
    X = np.column_stack([ids, rng.normal(size=(n, d - 1))])
    return X, ids * 10 + 7


def split_parts(got, X, y, n_val, what):
    if not isinstance(got, tuple | list) or len(got) != 4:
        returned = (_("{type} of length {n}").format(type=type(got).__name__, n=len(got))
                    if isinstance(got, tuple | list) else type(got).__name__)
        raise InvalidOutput(_("{what} must return a tuple (X_train, X_val, y_train, y_val); it "
                              "returned {returned}").format(what=what, returned=returned))
    n = len(X)
    shapes = ((n - n_val, X.shape[1]), (n_val, X.shape[1]), (n - n_val,), (n_val,))
    names = ("X_train", "X_val", "y_train", "y_val")
    return [check_output(part, shape, what=_("{what}: the returned {name}").format(
        what=what, name=name), kinds=kinds)
            for part, shape, name, kinds in zip(got, shapes, names, ("f", "f", "iu", "iu"))]


SPLITS = ((50, 0.2, 10), (23, 0.3, 7), (40, 0.25, 10))


@pytest.mark.points(2)
def test_train_val_split_sizes_and_partition(student, rng):
    for n, fraction, n_val in SPLITS:
        X, y = tagged(rng, n)
        what = f"train_val_split(X, y, val_fraction={fraction}, seed=3)"
        X_tr, X_val, _y_tr, _y_val = split_parts(student.train_val_split(X, y, fraction, 3), X,
                                                 y, n_val, _("{what} for N={n}").format(
                                                     what=what, n=n))
        ids_tr, ids_val = X_tr[:, 0], X_val[:, 0]
        if np.intersect1d(ids_tr, ids_val).size or not np.array_equal(
                np.sort(np.concatenate([ids_tr, ids_val])), np.sort(X[:, 0])):
            raise CheckFailed(_("{what} for N={n}: the training and validation rows must be the "
                                "N rows of X, each in exactly one of the two sets").format(
                what=what, n=n))


@pytest.mark.points(2)
def test_train_val_split_keeps_each_label_with_its_row(student, rng):
    X, y = tagged(rng, 30)
    what = "train_val_split(X, y, val_fraction=0.2, seed=1)"
    X_tr, X_val, y_tr, y_val = split_parts(student.train_val_split(X, y, 0.2, 1), X, y, 6, what)
    for part, Xp, yp in ((_("in the training set"), X_tr, y_tr),
                         (_("in the validation set"), X_val, y_val)):
        if not np.array_equal(yp, Xp[:, 0] * 10 + 7):
            raise CheckFailed(_("{what}: {part} some labels no longer belong to their rows: "
                                "shuffle X and y with the same permutation").format(
                what=what, part=part))
    rows = {row[0]: row for row in X}
    for Xp in (X_tr, X_val):
        if not all(np.array_equal(r, rows.get(r[0], r + 1)) for r in Xp):
            raise CheckFailed(_("{what}: some rows of X were changed or mixed up; take whole "
                                "rows (X[indices])").format(what=what))


@pytest.mark.points(2)
def test_train_val_split_shuffles_reproducibly(student, rng):
    X, y = tagged(rng, 40)
    X = X[np.argsort(X[:, 0])]                  # ids in order: a slice would show
    y = X[:, 0].astype(np.int64) * 10 + 7
    what = "train_val_split(X, y, 0.25, seed)"
    first = split_parts(student.train_val_split(X, y, 0.25, 5), X, y, 10, what)
    again = split_parts(student.train_val_split(X, y, 0.25, 5), X, y, 10, what)
    other = split_parts(student.train_val_split(X, y, 0.25, 6), X, y, 10, what)
    if not all(np.array_equal(a, b) for a, b in zip(first, again)):
        raise CheckFailed(_("{what}: the same seed gave two different splits; draw the "
                            "permutation from np.random.default_rng(seed)").format(what=what))
    if np.array_equal(first[1][:, 0], other[1][:, 0]):
        raise CheckFailed(_("{what}: seeds 5 and 6 gave the same validation set; the seed must "
                            "choose the permutation").format(what=what))
    val_ids = np.sort(first[1][:, 0])
    if np.array_equal(val_ids, X[:10, 0]) or np.array_equal(val_ids, X[-10:, 0]):
        raise CheckFailed(_("{what}: the validation set is the first or last {share} of the "
                            "rows, not a random sample: shuffle before splitting").format(
            what=what, share=num(0.25, ".0%")))


# ----- EarlyStopping ------------------------------------------------------------------

def as_bool(value, what):
    if type(value) is bool:
        return value
    if type(value) is np.ndarray and value.shape == () and value.dtype == np.bool_:
        return bool(value)
    raise InvalidOutput(_("{what} must return True or False, got {got}").format(
        what=what, got=kind_of(value)))


def val_curve(rng, n=40):
    """A validation loss: falls, then rises past a random epoch; noise; exact plateaus."""
    t = np.arange(n)
    turn = rng.integers(8, 25)
    curve = 1.0 + np.exp(-t / 6) + 0.004 * np.maximum(t - turn, 0) ** 1.5
    curve += rng.normal(0, 0.01, size=n)
    for _plateau in range(3):                     # the same value for 2-3 epochs
        i, length = int(rng.integers(1, n - 4)), int(rng.integers(2, 4))
        curve[i:i + length] = curve[i]
    return np.round(curve, 4)


def drive(make, curve, what):
    """(stop epoch or None, best_epoch, best_loss) of an EarlyStopping fed `curve`."""
    es = make()
    for epoch, value in enumerate(curve):
        if as_bool(es.step(float(value)), f"{what}.step(val_loss)"):
            return epoch, es.best_epoch, es.best_loss
    return None, es.best_epoch, es.best_loss


def stop_message(what, got, expected):
    where = (_("never returned True") if got is None else
             _("first returned True at epoch {epoch}").format(epoch=got))
    if expected is None:
        return _("{what}: step() {where}, but it should never stop on this curve").format(
            what=what, where=where)
    if got is None:
        return _("{what}: step() {where}; it should have stopped").format(what=what, where=where)
    late = got - expected
    how = (ngettext("{n} epoch too late", "{n} epochs too late", abs(late)) if late > 0 else
           ngettext("{n} epoch too early", "{n} epochs too early", abs(late))).format(n=abs(late))
    return _("{what}: step() {where}, {how}: stop as soon as `patience` epochs in a row (the "
             "current one included) brought no improvement of more than min_delta").format(
        what=what, where=where, how=how)


@pytest.mark.points(3)
def test_early_stopping_stops_at_the_right_epoch(student, reference, rng):
    for patience, min_delta in ((1, 0.0), (2, 0.0), (3, 0.0), (5, 0.0), (3, 0.02)):
        curve = val_curve(rng)
        what = _("{call} on a validation curve of 40 epochs with noise and plateaus").format(
            call=f"EarlyStopping(patience={patience}, min_delta={min_delta})")
        got = drive(lambda: student.EarlyStopping(patience, min_delta), curve, "EarlyStopping")
        expected = drive(lambda: reference.EarlyStopping(patience, min_delta), curve, "reference")
        if got[0] != expected[0]:
            raise CheckFailed(stop_message(what, got[0], expected[0]))
    # A curve that keeps creeping down by less than min_delta after a real drop: only an
    # EarlyStopping that honours min_delta stops (at epoch 4 + patience - 1 = 6).
    start = 0.5 + rng.integers(0, 50) / 100
    creep = np.round(np.concatenate([start - 0.1 * np.arange(4),
                                     start - 0.3 - 0.004 * np.arange(1, 37)]), 4)
    what = _("{call} on a validation curve that keeps falling by 0.004 per epoch after epoch "
             "3").format(call="EarlyStopping(patience=3, min_delta=0.02)")
    got = drive(lambda: student.EarlyStopping(3, 0.02), creep, "EarlyStopping")
    expected = drive(lambda: reference.EarlyStopping(3, 0.02), creep, "reference")
    if got[0] != expected[0]:
        raise CheckFailed(stop_message(what, got[0], expected[0]) + _(
            "; a decrease smaller than min_delta is not an improvement"))


@pytest.mark.points(2)
def test_early_stopping_best_epoch_and_loss(student, reference, rng):
    for patience, min_delta in ((3, 0.0), (4, 0.01)):
        curve = val_curve(rng)
        what = f"EarlyStopping(patience={patience}, min_delta={min_delta})"
        got = drive(lambda: student.EarlyStopping(patience, min_delta), curve, "EarlyStopping")
        expected = drive(lambda: reference.EarlyStopping(patience, min_delta), curve, "reference")
        if got[0] != expected[0]:
            raise CheckFailed(stop_message(what, got[0], expected[0]))
        best_epoch = got[1]
        if type(best_epoch) is np.ndarray and best_epoch.shape == () \
                and best_epoch.dtype.kind in "iu":
            best_epoch = int(best_epoch)
        if type(best_epoch) is not int or best_epoch != expected[1]:
            raise CheckFailed(_("{what}: after stopping, best_epoch is {got}, not the epoch "
                                "(counted from 0) of the lowest validation loss that counted as "
                                "an improvement").format(what=what, got=repr(best_epoch)))
        try:
            best_loss = float(np.asarray(got[2], dtype=np.float64).reshape(()))
        except (TypeError, ValueError):
            raise InvalidOutput(_("{what}: best_loss must be a number").format(
                what=what)) from None
        if best_loss != expected[2]:
            raise CheckFailed(_("{what}: after stopping, best_loss is not the validation loss of "
                                "best_epoch").format(what=what))


@pytest.mark.points(2)
def test_early_stopping_patience_starts_again_after_an_improvement(student):
    for patience in (2, 4):
        # improve, then patience-1 epochs without improvement, improve again, ...: never stop
        curve, best = [1.0], 1.0
        for _improvement in range(6):
            curve += [round(best + 0.05, 4)] * (patience - 1)
            best = round(best - 0.1, 4)
            curve.append(best)
        what = _("{call} on a curve with a new best every {n} epochs").format(
            call=f"EarlyStopping(patience={patience})", n=patience)
        got = drive(lambda: student.EarlyStopping(patience), curve, "EarlyStopping")
        if got[0] is not None:
            raise CheckFailed(_("{what}: step() returned True at epoch {epoch}; after an "
                                "improvement the count of epochs without improvement must start "
                                "again at 0").format(what=what, epoch=got[0]))


# ----- overfitting_epoch --------------------------------------------------------------

def loss_curves(rng, n=30, turn=None):
    t = np.arange(n)
    train = 2.0 * np.exp(-t / 8) + 0.1 + rng.normal(0, 0.004, size=n)
    train[rng.integers(3, n, size=2)] += 0.03            # the odd bad batch
    turn = rng.integers(6, 20) if turn is None else turn
    val = 2.0 * np.exp(-t / 8) + 0.3 + 0.06 * np.maximum(t - turn, 0)
    val += rng.normal(0, 0.002, size=n)
    return train.round(5).tolist(), val.round(5).tolist()


@pytest.mark.points(3)
def test_overfitting_epoch(student, reference, rng):
    cases = [loss_curves(rng) + (patience,) for patience in (2, 3, 3, 4)]
    cases.append(loss_curves(rng, turn=99) + (3,))       # validation loss never turns
    for train, val, patience in cases:
        what = _("{call} on curves of {n} epochs").format(
            call=f"overfitting_epoch(train_losses, val_losses, patience={patience})", n=len(train))
        got = student.overfitting_epoch(train, val, patience)
        if type(got) is np.ndarray and got.shape == () and got.dtype.kind in "iu":
            got = int(got)
        expected = reference.overfitting_epoch(train, val, patience)
        if got is None and expected is None:
            continue
        if got is not None and type(got) is not int:
            raise InvalidOutput(_("{what}: expected an int epoch or None, got {got}").format(
                what=what, got=type(got).__name__))
        if got == expected:
            continue
        if expected is None:
            raise CheckFailed(_("{what}: returned {got}, but on these curves the validation "
                                "loss never rises for {n} epochs in a row while the training "
                                "loss falls: expected None").format(what=what, got=got,
                                                                     n=patience))
        if got is None:
            raise CheckFailed(_("{what}: returned None, but the curves do show "
                                "overfitting").format(what=what))
        hint = (_(" (the epoch BEFORE the first rise is the one to return)")
                if got == expected + 1 else "")
        raise CheckFailed(_("{what}: returned epoch {got}, which is not the first epoch after "
                            "which the validation loss rose in each of the next {n} epochs "
                            "while the training loss fell").format(what=what, got=got,
                                                                   n=patience) + hint)


@pytest.mark.points(2)
def test_overfitting_epoch_on_equal_losses_and_at_the_end(student, reference, rng):
    """overfitting_epoch: equal losses are no rise and no fall; a pattern in the very last epochs counts"""
    cases = []
    for _case in range(60):
        n = int(rng.integers(4, 10))
        train = rng.choice([1.0, 2.0, 3.0], size=n).tolist()      # plateaus: equal neighbours
        val = rng.choice([1.0, 2.0, 3.0], size=n).tolist()
        cases.append((train, val, int(rng.integers(1, 4))))
    # the pattern fills exactly the last `patience` epochs
    cases.append(([5.0, 4.0, 3.0, 2.0, 1.0], [1.0, 1.5, 1.2, 1.3, 1.4], 2))
    cases.append(([5.0, 4.0, 3.0, 2.0], [1.0, 0.9, 1.0, 1.1], 2))
    for train, val, patience in cases:
        what = (f"overfitting_epoch({train}, {val}, patience={patience})")
        got = student.overfitting_epoch(train, val, patience)
        if type(got) is np.ndarray and got.shape == () and got.dtype.kind in "iu":
            got = int(got)
        expected = reference.overfitting_epoch(train, val, patience)
        if got != expected or (got is not None and type(got) is not int):
            raise CheckFailed(_("{what}: returned {got}, expected {expected}: the first e such "
                                "that for each t in e+1..e+{n} val[t] > val[t-1] and train[t] < "
                                "train[t-1] (equal values are neither), the last window ending "
                                "at the last epoch included; None if there is none").format(
                what=what, got=repr(got), expected=repr(expected), n=patience))
