"""Hidden tests of assignment 04, part 2: training with the student's own framework.

The student's process gets the training part of grader.data.mnist_split(seed=0) (4000
digits) and the test images (perturbed, grader.data.perturb_images); it trains with its own
train/train_epoch under a seed and a time budget and returns labels; the accuracy is
computed here from the hidden labels. Thresholds: calibrate.py beside this file (the
reference, 10 seeds, the same settings).
"""
import numpy as np
import pytest

from grader.checks import CheckFailed, InvalidOutput, award_tiers, close
from grader.checks.gradient import as_float
from grader.checks.properties import check_output
from grader.data import mnist_split, perturb_images
from grader.i18n import _, num

EPOCHS, LR, BATCH_SIZE, HIDDEN = 5, 0.1, 32, 100
# Calibration (python calibrate.py, 10 seeds, perturbed test images): reference accuracy
#   1 layer:  mean 0.889, min 0.877  -> full at 0.85 (margin 0.027), half at 0.80 (0.077)
#   2 layers: mean 0.901, min 0.891  -> full at 0.86 (margin 0.031), half at 0.80 (0.091)
#   3 layers: mean 0.896, min 0.871  -> full at 0.845 (margin 0.026), half at 0.80 (0.071)
TIERS = {1: [(0.85, 1.0), (0.80, 0.5)],
         2: [(0.86, 1.0), (0.80, 0.5)],
         3: [(0.845, 1.0), (0.80, 0.5)]}


def history_entries(history, epochs, what):
    if not isinstance(history, (list, tuple)) or len(history) != epochs:
        n = len(history) if isinstance(history, (list, tuple)) else type(history).__name__
        raise InvalidOutput(_("{what}: expected a list of {epochs} (loss, accuracy) pairs, one "
                              "per epoch, got {got}").format(what=what, epochs=epochs, got=n))
    out = []
    for i, entry in enumerate(history):
        if not isinstance(entry, (list, tuple)) or len(entry) != 2:
            raise InvalidOutput(_("{what}: entry {i} should be a (train_loss, train_accuracy) "
                                  "pair").format(what=what, i=i))
        loss = as_float(entry[0], what=_("{what}: the loss of epoch {epoch}").format(
            what=what, epoch=i + 1))
        acc = as_float(entry[1], what=_("{what}: the accuracy of epoch {epoch}").format(
            what=what, epoch=i + 1))
        if not 0.0 <= acc <= 1.0:
            raise CheckFailed(_("{what}: the accuracy of epoch {epoch} is {value}; it must be a "
                                "fraction in [0, 1]").format(what=what, epoch=i + 1,
                                                              value=num(acc)))
        out.append((loss, acc))
    return out


def train_and_predict(module, reseed, seed, depth, perturbation):
    """Build, train and predict with `module` (the student's, or the reference in
    calibrate.py); returns the predicted labels of the hidden test images (perturbed by the
    generator `perturbation`) and the history."""
    split = mnist_split(seed=0)
    reseed(seed)
    net = module.build_net(depth, hidden_size=HIDDEN, activation="tanh")
    history = module.train(net, split.x_train, split.y_train, epochs=EPOCHS, lr=LR,
                           batch_size=BATCH_SIZE)
    pred = module.predict(net, perturb_images(split.x_test, perturbation))
    if type(pred) is not np.ndarray or pred.shape != split.y_test.shape or pred.dtype.kind not in "iu":
        raise InvalidOutput(_("{what}: expected an integer array of shape ({n},), got {got}")
                            .format(what="predict(net, x_test)", n=len(split.y_test),
                                    got=f"{pred.dtype} {pred.shape}"
                                    if isinstance(pred, np.ndarray) else type(pred).__name__))
    return pred, split.y_test, history


@pytest.mark.points(3)
@pytest.mark.deadline(90)
@pytest.mark.parametrize("depth", [1, 2, 3])
def test_mnist_accuracy(student, rng, credit, depth):
    """Trained on MNIST with your framework: accuracy on the hidden test digits"""
    pred, y_test, history = train_and_predict(student, student.reseed,
                                              int(rng.integers(0, 2**31)), depth, rng)
    history_entries(history, EPOCHS, f"train(net, X, y, epochs={EPOCHS})")
    award_tiers(credit, float(np.mean(pred == y_test)), TIERS[depth],
                what=_("{net} trained with {call} on 4000 MNIST digits").format(
                    net=f"build_net({depth})",
                    call=f"train(net, X, y, epochs={EPOCHS}, lr={LR}, batch_size={BATCH_SIZE})"))


def loss_acc(net, x, y, what):
    """Cross-entropy and accuracy of the student's net on (x, y), from its own outputs for
    these inputs (net.forward), computed here."""
    p = check_output(net.forward(x), (len(x), 10), what=f"{what}: net.forward(X)")
    if not close(p.sum(axis=1), np.ones(len(x)), atol=1e-6) or p.min() < 0:
        raise CheckFailed(_("{what}: net.forward(X) should give probabilities (a final "
                            "Softmax)").format(what=what))
    loss = float(-np.mean(np.log(np.maximum(p[np.arange(len(y)), y], 1e-300))))
    return loss, float(np.mean(p.argmax(axis=1) == y))


@pytest.mark.points(2)
@pytest.mark.deadline(30)
def test_train_history(student, rng):
    """train returns one (loss, accuracy) per epoch, measured after that epoch on the training data"""
    split = mnist_split(seed=0)
    idx = rng.choice(len(split.x_train), size=600, replace=False)
    X, y = split.x_train[idx], split.y_train[idx]
    student.reseed(int(rng.integers(0, 2**31)))
    net = student.build_net(1)
    what = "train(net, X, y, epochs=3, lr=0.1, batch_size=20)"
    before, _acc = loss_acc(net, X, y, what)
    history = history_entries(student.train(net, X, y, epochs=3, lr=0.1, batch_size=20), 3,
                              what)
    loss, acc = loss_acc(net, X, y, what)
    if not close(history[-1][0], loss, rtol=1e-6, atol=1e-6) or not close(history[-1][1], acc, atol=1e-9):
        raise CheckFailed(_("{what}: the last entry of the history is not the loss and "
                            "accuracy of the trained net on (X, y); record get_loss_acc(net, X, "
                            "y) after each epoch").format(what=what))
    if not history[-1][0] < history[0][0]:
        raise CheckFailed(_("{what}: the training loss did not go down from the first epoch to "
                            "the last").format(what=what))
    if not loss < before:
        raise CheckFailed(_("{what}: the net's loss on (X, y) did not go down: train did not "
                            "change the weights").format(what=what))


def train_like_the_reference(student, lab, rng, X, y, lr, batch_size, shuffle_modes):
    """The student's net after train(net, X, y, epochs=2, lr, batch_size) from weights set
    here, against the reference's loop from the same weights and seed: each epoch shuffled
    with np.random.permutation ("shuffled"), or visited in the given order ("in order")."""
    what = _("{call} on {n} digits").format(
        call=f"train(net, X, y, epochs=2, lr={lr}, batch_size={batch_size})", n=len(X))
    weights = [(rng.normal(0, 0.1, size=(8, 784)), np.zeros((1, 8))),
               (rng.normal(0, 0.5, size=(10, 8)), rng.normal(0, 0.1, size=(1, 10)))]
    net = student.build_net(2, hidden_size=8)
    linears = [layer for layer in net.layers if layer.type_name == "Linear"]
    if len(linears) != 2:
        raise CheckFailed(_("{what}: build_net(2) should hold two Linear layers").format(
            what=what))
    for layer, (W, b) in zip(linears, weights):
        layer.W, layer.b = W, b
    seed = int(rng.integers(2**31))
    student.reseed(seed)
    history_entries(student.train(net, X, y, epochs=2, lr=lr, batch_size=batch_size), 2, what)
    probe = rng.uniform(0, 1, size=(16, 784))
    got = check_output(net.forward(probe), (16, 10),
                       what=_("{what}: {name} afterwards").format(what=what, name="net.forward(x)"))
    matches = []
    for mode in shuffle_modes:
        ref = lab.build_net(2, hidden_size=8)
        for ref_layer, (W, b) in zip([l for l in ref.layers if type(l).__name__ == "Linear"],
                                     weights):
            ref_layer.W, ref_layer.b = W.copy(), b.copy()
        saved = np.random.get_state()
        try:
            np.random.seed(seed % 2**32)            # as student.reseed seeds the worker
            if mode == "shuffled":
                lab.train(ref, X, y, epochs=2, lr=lr, batch_size=batch_size)
            else:
                for _epoch in range(2):
                    lab.train_epoch(ref, X, y, batch_size=batch_size, lr=lr)
        finally:
            np.random.set_state(saved)
        if close(got, ref.forward(probe), rtol=1e-6, atol=1e-9):
            matches.append(mode)
    return what, matches


@pytest.mark.points(2)
@pytest.mark.deadline(60)
def test_train_uses_its_lr_and_batch_size(student, reference_modules, rng):
    """train runs train_epoch with the lr and batch_size it is given, every epoch"""
    split = mnist_split(seed=0)
    X, y = split.x_train[:120].astype(np.float64), split.y_train[:120]
    for lr, batch_size in ((0.05, 16), (0.3, 50)):
        what, matches = train_like_the_reference(student, reference_modules["mnist_lab"], rng, X,
                                                 y, lr, batch_size, ("shuffled", "in order"))
        if not matches:
            raise CheckFailed(_("{what}: the trained net is not the one `epochs` passes of "
                                "{call} give; pass train's own lr and batch_size on").format(
                what=what, call=f"train_epoch(net, ..., batch_size={batch_size}, lr={lr})"))


@pytest.mark.points(0)
@pytest.mark.deadline(60)
def test_train_shuffles_each_epoch(student, reference_modules, rng):
    """advice, no points: train visits the samples in a new np.random.permutation order each epoch"""
    # The lesson's own loop trains in the given order; it is accepted, and told.
    split = mnist_split(seed=0)
    X, y = split.x_train[:120].astype(np.float64), split.y_train[:120]
    what, matches = train_like_the_reference(student, reference_modules["mnist_lab"], rng, X, y,
                                             0.1, 32, ("shuffled",))
    if not matches:
        raise CheckFailed(_("{what}: the samples were not visited in the order of "
                            "np.random.permutation(len(X)) each epoch; shuffling every epoch "
                            "usually trains better").format(what=what))
