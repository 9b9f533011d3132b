"""Hidden tests of assignment 08, part 5: class imbalance. Class weights (inverse frequency),
a weighted logistic regression that must raise the minority class's recall on hidden test
data, and a decision threshold that maximises F1 on the validation data.

Calibration of RECALL_GAIN: `python grader/suites/08_overfitting/calibrate.py` runs this
file's data and settings with the reference over seeds 0..19:
    minority recall on the hidden test set at threshold 0.5, unweighted: mean 0.496,
    min 0.391; class-weighted: mean 0.860, min 0.797; gain: mean 0.364, min 0.278
    -> a weighted model must gain >= 0.15 (margin 0.128 below the smallest gain).
"""
import numpy as np
import pytest

from grader.checks import CheckFailed, check_array
from grader.checks.properties import check_number, check_output
from grader.i18n import _, num

RECALL_GAIN = 0.15
F64 = dict(rtol=1e-6, atol=1e-9)


def imbalanced(rng, n, minority=0.1, D=2, shift=1.5):
    """Two overlapping Gaussian classes, class 1 the rare one; every class present."""
    y = (rng.random(n) < minority).astype(np.int64)
    y[:2] = [0, 1]
    X = rng.normal(size=(n, D))
    X[:, :2] += shift * y[:, None]
    return X, y


def f1(y, pred):
    tp = np.sum(pred & (y == 1))
    wrong = np.sum(pred != (y == 1))
    return 2 * tp / (2 * tp + wrong) if tp + wrong else 0.0


def best_f1(probs, y):
    return max(f1(y, probs >= t) for t in np.unique(probs))


def recall(y, pred):
    return float(np.sum(pred & (y == 1)) / np.sum(y == 1))


# ----- class weights ------------------------------------------------------------------

@pytest.mark.points(3)
def test_class_weights_are_inverse_frequency(student, reference, rng):
    for counts in ((90, 10), (50, 30, 20), (7, 7, 7, 7), (5, 60, 15, 20)):
        y = rng.permutation(np.repeat(np.arange(len(counts)), counts))
        what = "class_weights(y)"
        inputs = _("y: ({n},) int64 with class counts {counts}").format(n=len(y), counts=counts)
        got = student.class_weights(y)
        expected = reference.class_weights(y)
        try:
            check_array(got, expected, what=what, inputs=inputs, rtol=1e-9, atol=1e-12)
        except CheckFailed as exc:
            if type(got) is np.ndarray and got.shape == expected.shape and len(set(counts)) > 1 \
                    and np.all(np.diff(got[np.argsort(counts)]) > 0):
                raise CheckFailed(_("{what} for {inputs}: your weights grow with the class's "
                                    "count; a rare class needs a LARGE weight: N / (C * "
                                    "N_c)").format(what=what, inputs=inputs)) from None
            raise exc


# ----- logistic regression ------------------------------------------------------------

@pytest.mark.points(1)
def test_predict_proba(student, reference, rng):
    w = rng.normal(0, 2, size=4)
    X = rng.normal(size=(12, 3))
    check_array(student.predict_proba(w, X), reference.predict_proba(w, X),
                what="predict_proba(w, X)", inputs="w: (4,) bias last, X: (12, 3) float64", **F64)


@pytest.mark.points(2)
def test_train_logistic(student, reference, rng):
    X, y = imbalanced(rng, 60, minority=0.3, D=3)
    check_array(student.train_logistic(X, y, None, 100, 0.5),
                reference.train_logistic(X, y, None, 100, 0.5),
                what="train_logistic(X, y, class_weights=None, epochs=100, lr=0.5)",
                inputs="X: (60, 3) float64, y: (60,) in {0, 1}", **F64)


@pytest.mark.points(2)
def test_train_logistic_with_class_weights(student, reference, rng):
    X, y = imbalanced(rng, 60, minority=0.2, D=3)
    weights = len(y) / (2 * np.bincount(y).astype(np.float64))      # computed here
    check_array(student.train_logistic(X, y, weights, 100, 0.5),
                reference.train_logistic(X, y, weights, 100, 0.5),
                what="train_logistic(X, y, class_weights, epochs=100, lr=0.5)",
                inputs="X: (60, 3) float64, y: (60,) in {0, 1}, class_weights: (2,)", **F64)


@pytest.mark.points(3)
def test_class_weights_raise_minority_recall(student, rng):
    """A class-weighted classifier finds more of the rare class on hidden test data"""
    X, y = imbalanced(rng, 600)
    X_test, y_test = imbalanced(rng, 2000)
    w_plain = check_output(student.train_logistic(X, y), (3,), what="train_logistic(X, y)")
    weights = student.class_weights(y)
    w_weighted = check_output(student.train_logistic(X, y, weights), (3,),
                              what="train_logistic(X, y, class_weights(y))")
    plain = recall(y_test, X_test @ w_plain[:-1] + w_plain[-1] >= 0)      # probability >= 0.5
    weighted = recall(y_test, X_test @ w_weighted[:-1] + w_weighted[-1] >= 0)
    report = _("10% minority class, 600 training samples: recall of the minority class on "
               "hidden test data at threshold 0.5 is {plain} unweighted and {weighted} with "
               "class_weights(y)").format(plain=num(plain, ".3f"), weighted=num(weighted, ".3f"))
    if weighted < plain + RECALL_GAIN:
        raise CheckFailed(_("{report}; weighting should raise it by at least {gain}: check that "
                            "class_weights gives the rare class the larger weight and that "
                            "train_logistic multiplies each sample's gradient by its "
                            "weight").format(report=report, gain=num(RECALL_GAIN)))


# ----- the decision threshold ---------------------------------------------------------

@pytest.mark.points(3)
def test_best_threshold_maximises_f1(student, rng):
    for n, minority in ((40, 0.3), (200, 0.1), (25, 0.5)):
        y = (rng.random(n) < minority).astype(np.int64)
        y[:2] = [0, 1]
        probs = np.clip(0.35 * y + rng.normal(0.35, 0.2, size=n), 0, 1).round(2)  # with ties
        what = "best_threshold(probs, y)"
        inputs = _("probs: ({n},) float64 with ties, y: ({n},) in {{0, 1}}").format(n=n)
        t = check_number(student.best_threshold(probs, y), what=what, inputs=inputs)
        reached, best = f1(y, probs >= t - 1e-12), best_f1(probs, y)
        if reached < best - 1e-12:
            raise CheckFailed(_("{what} for {inputs}: predicting class 1 where probs >= your "
                                "threshold gives F1 {reached}, but another threshold reaches "
                                "{best}; try every distinct value of probs and keep the one with "
                                "the highest F1").format(what=what, inputs=inputs,
                                                          reached=num(reached, ".4f"),
                                                          best=num(best, ".4f")))


@pytest.mark.points(2)
def test_best_threshold_on_a_tie_takes_the_smallest(student, reference, rng):
    """best_threshold: of thresholds with equal F1 the smallest; every distinct value tried"""
    # few distinct probabilities on few samples: equal F1s for different thresholds happen
    cases, ties = [], 0
    while len(cases) < 40 or ties < 5:
        n = int(rng.integers(4, 12))
        probs = rng.choice([0.1, 0.2, 0.3, 0.5, 0.7, 0.9], size=n)
        y = (rng.random(n) < 0.5).astype(np.int64)
        if 0 < y.sum() < n:
            scores = [f1(y, probs >= t) for t in np.unique(probs)]
            tie = sorted(scores)[-1] == sorted(scores)[-2] if len(scores) > 1 else False
            if tie or len(cases) < 40:
                cases.append((probs, y))
                ties += bool(tie)
    for probs, y in cases:
        inputs = f"probs: {probs.tolist()}, y: {y.tolist()}"
        got = check_number(student.best_threshold(probs, y), what="best_threshold(probs, y)",
                           inputs=inputs)
        want = reference.best_threshold(probs, y)
        if got != want:
            raise CheckFailed(_("{call} for {inputs}: returned {got}; the highest F1 "
                                "(predicting 1 where probs >= t, F1 = 2 TP / (2 TP + FP + FN)) "
                                "is reached first at another threshold; on a tie the smallest t "
                                "wins").format(call="best_threshold(probs, y)", inputs=inputs,
                                               got=num(got)))


@pytest.mark.points(1)
def test_fit_imbalanced_classifier_passes_epochs_and_lr(student, reference, rng):
    """fit_imbalanced_classifier passes its epochs and lr on to train_logistic"""
    X_train, y_train = imbalanced(rng, 60, minority=0.25, D=4, shift=1.5)
    X_val, y_val = imbalanced(rng, 60, minority=0.25, D=4, shift=1.5)
    for epochs, lr in ((40, 0.05), (7, 1.3)):
        what = f"fit_imbalanced_classifier(..., epochs={epochs}, lr={lr})"
        got = student.fit_imbalanced_classifier(X_train, y_train, X_val, y_val, epochs=epochs,
                                                lr=lr)
        if not isinstance(got, tuple | list) or len(got) != 2:
            raise CheckFailed(_("{what} must return a pair (w, threshold)").format(what=what))
        check_array(got[0], reference.fit_imbalanced_classifier(X_train, y_train, X_val, y_val,
                                                                epochs=epochs, lr=lr)[0],
                    what=_("{what}: the returned {name}").format(what=what, name="w"),
                    inputs="X_train: (60, 4)", rtol=1e-6,
                    atol=1e-8)


@pytest.mark.points(3)
def test_threshold_is_chosen_on_the_validation_data(student, reference, rng):
    # Many features and few training samples: the model fits its training data almost
    # perfectly, so a threshold tuned there is tuned to over-confident probabilities.
    for _case in range(2):
        X_train, y_train = imbalanced(rng, 80, minority=0.2, D=20, shift=1.2)
        X_val, y_val = imbalanced(rng, 300, minority=0.2, D=20, shift=1.2)
        what = "fit_imbalanced_classifier(X_train, y_train, X_val, y_val)"
        inputs = _("X_train: (80, 20), X_val: (300, 20), {share} class 1").format(
            share=num(0.2, ".0%"))
        got = student.fit_imbalanced_classifier(X_train, y_train, X_val, y_val)
        if not isinstance(got, tuple | list) or len(got) != 2:
            raise CheckFailed(_("{what} must return a pair (w, threshold)").format(what=what))
        w = check_array(got[0], reference.fit_imbalanced_classifier(X_train, y_train, X_val,
                                                                    y_val)[0],
                        what=_("{what}: the returned w (trained with {call})").format(
                            what=what, call="class_weights(y_train)"),
                        inputs=inputs, rtol=1e-6, atol=1e-8)
        t = check_number(got[1], what=_("{what}: the returned {name}").format(
            what=what, name="threshold"), inputs=inputs)
        probs = reference.predict_proba(w, X_val)        # of the student's own w
        reached, best = f1(y_val, probs >= t - 1e-9), best_f1(probs, y_val)
        if reached >= best - 1e-12:
            continue
        on_train = reference.best_threshold(reference.predict_proba(w, X_train), y_train)
        hint = (" " + _("It is the best threshold on the TRAINING data, where the model is "
                        "over-confident: choose it on the validation data.")
                if abs(t - on_train) <= 1e-9 else "")
        raise CheckFailed(_("{what} for {inputs}: on the validation data your threshold gives "
                            "F1 {reached}, but another threshold reaches {best}.").format(
            what=what, inputs=inputs, reached=num(reached, ".4f"), best=num(best, ".4f")) + hint)
