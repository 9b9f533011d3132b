"""Hidden tests of assignment 05, part 4: train, evaluate and predict on MNIST.

One MLP is trained per submission (cached for the tests below); the student's process gets
the training split and the hidden test images, never the test labels: its logits come back
and the accuracy is computed here. The worker records the mode of every forward pass
(model.watch_forward), so training mode, eval mode, no_grad, device and batch size are
observed, not guessed. Thresholds: calibrate.py beside this file (reference, 8 seeds).
"""
import weakref
from dataclasses import dataclass

import numpy as np
import pytest

from grader.checks import CheckFailed, InvalidOutput, award_tiers, check_array
from grader.checks.autograd import check_forward_log, check_python_float
from grader.data import mnist_split
from grader.sandbox.harness.wire import TensorData

# Settings of the run, shared with calibrate.py.
SPLIT_SEED, HIDDEN, DROPOUT, EPOCHS, LR, BATCH_SIZE = 0, [64], 0.2, 3, 1e-3, 32
# Calibration (python calibrate.py, 8 seeds): the reference's accuracy on the hidden 1000
# test digits has mean 0.9034, min 0.8970, max 0.9110. Full points at 0.87 (margin 0.027
# below the minimum), half at 0.84. Forgetting zero_grad gives 0.80 on average (max 0.823
# over 3 seeds): below both tiers.
TIERS = [(0.87, 1.0), (0.84, 0.5)]
WHAT = (f"MLP(784, {HIDDEN}, 10, dropout={DROPOUT}) trained with train(model, X, y, "
        f"epochs={EPOCHS}, lr={LR}, batch_size={BATCH_SIZE}, device='cpu') on 4000 MNIST digits")


@dataclass
class Trained:
    model: object
    history: object
    log: object
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


_TRAINED = weakref.WeakKeyDictionary()     # session -> (worker generation, Trained)


def train_mnist(student, seed) -> Trained:
    """Train the student's MLP with the student's train(); cached per worker."""
    split = mnist_split(seed=SPLIT_SEED)
    student.reseed(seed)
    model = student.MLP(784, HIDDEN, 10, dropout=DROPOUT)
    model.watch_forward()
    history = student.train(model, split.x_train, split.y_train, epochs=EPOCHS, lr=LR,
                            batch_size=BATCH_SIZE, device="cpu", seed=seed % 1000)
    log = model.forward_log()
    return Trained(model, history, log, *split)


def trained(student, rng) -> Trained:
    session = object.__getattribute__(student, "_session")
    seed = int(rng.integers(2**31))
    cached = _TRAINED.get(session)
    if cached is None or cached[0] != session.generation:
        result = train_mnist(student, seed)
        _TRAINED[session] = (session.generation, result)
        return result
    return cached[1]


def cross_entropy(logits, y):
    z = logits.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean())


def logits_of(model, x, what):
    got = model.model_outputs(x)
    if not isinstance(got, np.ndarray) or got.shape != (len(x), 10):
        raise InvalidOutput(f"{what}: expected logits of shape {(len(x), 10)}, got "
                            f"{getattr(got, 'shape', type(got).__name__)}")
    if not np.isfinite(got).all():
        raise InvalidOutput(f"{what}: the logits contain NaN or inf")
    return got


def check_history(history, epochs, what):
    if type(history) is not list or len(history) != epochs:
        n = len(history) if isinstance(history, (list, tuple)) else None
        raise InvalidOutput(f"{what}: expected a list of {epochs} losses (one per epoch), got "
                            f"{type(history).__name__}" + (f" of length {n}" if n is not None else ""))
    return [check_python_float(v, what=f"{what}: the loss of epoch {i + 1}")
            for i, v in enumerate(history)]


@pytest.mark.points(2)
@pytest.mark.deadline(120)
def test_train_returns_a_decreasing_loss_per_epoch(student, rng):
    """train returns one mean loss per epoch, and it decreases"""
    t = trained(student, rng)
    losses = check_history(t.history, EPOCHS, WHAT)
    if not losses[-1] < losses[0]:
        raise CheckFailed(f"{WHAT}: the loss did not decrease (epoch 1: {losses[0]:.4g}, "
                          f"epoch {EPOCHS}: {losses[-1]:.4g})")


@pytest.mark.points(2)
@pytest.mark.deadline(120)
def test_train_runs_batches_in_training_mode(student, rng):
    """train runs every batch through the model in training mode, with gradients"""
    t = trained(student, rng)
    check_forward_log(t.log, what=WHAT, training=True, grad=True, device="cpu",
                      samples=EPOCHS * len(t.x_train), max_batch=BATCH_SIZE)


@pytest.mark.points(2)
@pytest.mark.deadline(60)
def test_train_reports_the_mean_cross_entropy_of_the_logits(student, rng):
    """train reports each epoch's mean cross-entropy of the logits (no softmax before the loss)"""
    # With lr=0 the weights never move (and there is no dropout), so every epoch's mean loss
    # over the samples is the cross-entropy of this very model on X, computed here. Pixels
    # scaled to [0, 20] give logits large enough that a softmax applied before the loss
    # changes it by 20-30 % (near-zero logits of [0, 1] inputs would hide it).
    split = mnist_split(seed=SPLIT_SEED)
    x, y = split.x_train[:256] * np.float32(20), split.y_train[:256]
    student.reseed(int(rng.integers(2**31)))
    model = student.MLP(784, [32], 10)
    want = cross_entropy(logits_of(model, x, "MLP(784, [32], 10)"), y)
    what = ("train(model, X, y, epochs=2, lr=0.0, batch_size=32, device='cpu') on 256 digits "
            "with pixels in [0, 20] (the weights stay fixed)")
    losses = check_history(student.train(model, x, y, epochs=2, lr=0.0, batch_size=32,
                                         device="cpu"), 2, what)
    for epoch, loss in enumerate(losses, 1):
        if not abs(loss - want) <= 1e-4 * want + 1e-6:
            raise CheckFailed(
                f"{what}: epoch {epoch} reports a loss {abs(loss - want) / want:.2%} away from the "
                "mean cross-entropy of the model's logits over the 256 samples; report the mean of "
                "nn.CrossEntropyLoss over all samples of the epoch, on the logits (it applies "
                "log-softmax itself: no softmax before it)")


@pytest.mark.points(4)
@pytest.mark.deadline(120)
def test_trained_mlp_reaches_the_accuracy_threshold(student, rng, credit):
    """the trained MLP reaches the accuracy threshold on the hidden MNIST test digits"""
    t = trained(student, rng)
    logits = logits_of(t.model, t.x_test, WHAT)
    accuracy = float(np.mean(logits.argmax(axis=1) == t.y_test))
    award_tiers(credit, accuracy, TIERS, what=WHAT)


def evaluation_set(t):
    return t.x_train[:1000], t.y_train[:1000]


def grads_of(model):
    return [None if g is None else g.array.copy() for _, g in model.model_state()["grads"]]


@pytest.mark.points(2)
@pytest.mark.deadline(120)
def test_evaluate_uses_eval_mode(student, rng):
    """evaluate uses model.eval(): the accuracy of the logits with dropout off, every time"""
    t = trained(student, rng)
    x, y = evaluation_set(t)
    what = "evaluate(model, X, y, device='cpu') on 1000 training digits, after training"
    want = float(np.mean(logits_of(t.model, x, what).argmax(axis=1) == y))
    t.model.train()          # as left by training: evaluate must switch dropout off itself
    t.model.watch_forward()
    first = check_python_float(student.evaluate(t.model, x, y, device="cpu"), what=what)
    log = t.model.forward_log()
    check_forward_log(log, what=what, training=False)
    second = check_python_float(student.evaluate(t.model, x, y, device="cpu"), what=what)
    if abs(first - second) > 1e-9:
        raise CheckFailed(f"{what}: two calls gave {first:.4f} and {second:.4f}")
    if abs(first - want) > 1e-6:
        raise CheckFailed(f"{what}: got accuracy {first:.4f}, but the fraction of rows whose "
                          "largest logit is at the label is different")


@pytest.mark.points(2)
@pytest.mark.deadline(120)
def test_evaluate_runs_without_gradients(student, rng):
    """evaluate runs under torch.no_grad() and leaves the gradients alone"""
    t = trained(student, rng)
    x, y = evaluation_set(t)
    what = "evaluate(model, X, y, device='cpu')"
    before = grads_of(t.model)
    t.model.watch_forward()
    check_python_float(student.evaluate(t.model, x, y, device="cpu"), what=what)
    check_forward_log(t.model.forward_log(), what=what, grad=False)
    after = grads_of(t.model)
    if any((a is None) != (b is None) or (a is not None and not np.array_equal(a, b))
           for a, b in zip(before, after)):
        raise CheckFailed(f"{what} changed the parameters' .grad; evaluation must not "
                          "compute gradients")


@pytest.mark.points(2)
@pytest.mark.deadline(120)
def test_predict_gives_the_labels_of_the_largest_logits(student, rng):
    """predict returns int64 labels, computed in eval mode without gradients"""
    t = trained(student, rng)
    x = t.x_test[:500]
    what = "predict(model, X, device='cpu') on 500 test digits"
    want = logits_of(t.model, x, what).argmax(axis=1)
    t.model.train()
    t.model.watch_forward()
    got = student.predict(t.model, x, device="cpu")
    log = t.model.forward_log()
    if isinstance(got, TensorData):
        raise InvalidOutput(f"{what}: expected a numpy array, got a torch tensor (use "
                            ".cpu().numpy())")
    check_array(got, want.astype(np.int64), what=what, inputs="X: (500, 784) float32",
                rtol=0, atol=0)
    check_forward_log(log, what=what, training=False, grad=False)


def small_set(t, n=256):
    return t.x_train[:n], t.y_train[:n]


@pytest.mark.points(1)
@pytest.mark.deadline(60)
def test_train_switches_to_training_mode(student, rng):
    """train calls model.train(), also on a model that evaluate left in eval mode"""
    t = trained(student, rng)
    x, y = small_set(t)
    student.reseed(int(rng.integers(2**31)))
    model = student.MLP(784, [16], 10, dropout=0.2)
    model.eval()
    model.watch_forward()
    what = "train(model, X, y, epochs=1, device='cpu') on a model in eval mode"
    check_history(student.train(model, x, y, epochs=1, device="cpu"), 1, what)
    check_forward_log(model.forward_log(), what=what, training=True, grad=True)


@pytest.mark.points(2)
@pytest.mark.deadline(60)
def test_device_argument_is_used(student, rng):
    """train, evaluate and predict use the device they are given, not the best one available"""
    # torch reports a CUDA GPU here (faked in the student's process for these calls): code
    # that ignores device="cpu" tries to use the GPU and fails; on a GPU machine it would
    # silently train on the GPU, which the forward log shows.
    t = trained(student, rng)
    x, y = small_set(t)
    student.reseed(int(rng.integers(2**31)))
    model = student.MLP(784, [16], 10)
    model.watch_forward()
    what = "train(model, X, y, epochs=1, device='cpu') while a CUDA GPU is available"
    history = student.call_with_fake_devices("train", model, x, y, epochs=1, device="cpu",
                                             cuda=True)
    check_history(history, 1, what)
    check_forward_log(model.forward_log(), what=what, device="cpu")
    devices = {p.device for _, p in model.model_state()["parameters"]}
    if devices != {"cpu"}:
        raise CheckFailed(f"{what}: the model's parameters ended up on {sorted(devices)}")
    for name, args in (("evaluate", (model, x, y)), ("predict", (model, x))):
        what = f"{name}(model, X, ..., device='cpu') while a CUDA GPU is available"
        model.watch_forward()
        student.call_with_fake_devices(name, *args, device="cpu", cuda=True)
        check_forward_log(model.forward_log(), what=what, device="cpu")


@pytest.mark.points(1)
@pytest.mark.deadline(60)
def test_train_shuffles_with_its_seed(student, rng):
    """train shuffles with a generator seeded by `seed`: the same seed, the same losses"""
    t = trained(student, rng)
    x, y = small_set(t)
    init = int(rng.integers(2**31))
    histories = []
    for _ in range(2):
        student.reseed(init)                       # the same initial weights
        model = student.MLP(784, [16], 10)
        student.reseed(int(rng.integers(2**31)))   # a different global random state
        histories.append(student.train(model, x, y, epochs=2, batch_size=16, device="cpu",
                                       seed=7))
    what = "train(model, X, y, epochs=2, batch_size=16, device='cpu', seed=7)"
    first, second = (check_history(h, 2, what) for h in histories)
    if not np.allclose(first, second, rtol=1e-5, atol=1e-7):
        raise CheckFailed(f"{what}: two runs from the same initial weights with the same seed "
                          "gave different losses; shuffle with torch.Generator().manual_seed(seed)")
