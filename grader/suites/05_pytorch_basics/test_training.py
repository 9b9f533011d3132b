"""Hidden tests of assignment 05, part 4: train, evaluate and predict on MNIST.

One MLP is trained per submission (kept for the tests below); the student's process gets
the training split and the hidden test images (perturbed, grader.data.perturb_images), never
the test labels: its logits come back and the accuracy is computed here.

What train does is established from outside the student's process (ARCHITECTURE.md, the
trust rule): a model of the grader's own architecture (Linear, BatchNorm1d, ReLU, Linear)
with weights the grader sets goes through the student's train(), and its outputs afterwards
must be those of the same model trained here by the reference. With one batch per epoch the
result does not depend on the shuffling, and BatchNorm makes every part of the loop visible
in it: training mode, gradients, the number of steps and of forward passes, lr, Adam,
zero_grad. The worker's forward log (a record kept inside the student's process) only adds
advice. Thresholds: calibrate.py beside this file (reference, 8 seeds).
"""
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from grader.checks import CheckFailed, InvalidOutput, award_tiers, check_array, close, differ
from grader.checks.autograd import check_forward_log, check_python_float
from grader.data import mnist_split, perturb_images
from grader.sandbox.harness.wire import TensorData
from grader.i18n import N_, _, num

# Settings of the run, shared with calibrate.py.
SPLIT_SEED, HIDDEN, DROPOUT, EPOCHS, LR, BATCH_SIZE = 0, [64], 0.2, 3, 1e-3, 32
# Calibration (python calibrate.py, 8 seeds, perturbed test images): the reference's accuracy
# on the hidden 1000 test digits has mean 0.8909, min 0.8830, max 0.8990. Full points at
# 0.855 (margin 0.028 below the minimum), half at 0.825. Forgetting zero_grad gives 0.785 on
# average (max 0.802 over 3 seeds): below both tiers.
TIERS = [(0.855, 1.0), (0.825, 0.5)]
WHAT = N_("{net} trained with {call} on 4000 MNIST digits")


def mnist_what() -> str:
    return _(WHAT).format(net=f"MLP(784, {HIDDEN}, 10, dropout={DROPOUT})",
                          call=f"train(model, X, y, epochs={EPOCHS}, lr={LR}, "
                               f"batch_size={BATCH_SIZE}, device='cpu')")
# The model of known architecture for the reproduced training runs: no bias before the
# BatchNorm (its gradient is zero, and Adam would turn the rounding noise of a zero gradient
# into full steps of random sign).
PROBE_FEATURES, PROBE_HIDDEN, PROBE_CLASSES = 20, 16, 4
PROBE_SPEC = [["Linear", PROBE_FEATURES, PROBE_HIDDEN, False], ["BatchNorm1d", PROBE_HIDDEN],
              ["ReLU"], ["Linear", PROBE_HIDDEN, PROBE_CLASSES]]
PLAIN_SPEC = [["Linear", PROBE_FEATURES, PROBE_HIDDEN], ["ReLU"],
              ["Linear", PROBE_HIDDEN, PROBE_CLASSES]]


@dataclass
class Trained:
    model: object
    history: object
    loss_before: float
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def train_mnist(student, seed) -> Trained:
    """Train the student's MLP with the student's train(); the cross-entropy of its logits
    on the first 1000 training digits is measured here before training."""
    split = mnist_split(seed=SPLIT_SEED)
    student.reseed(seed)
    model = student.MLP(784, HIDDEN, 10, dropout=DROPOUT)
    x, y = split.x_train[:1000], split.y_train[:1000]
    before = cross_entropy(logits_of(model, x, _("{net} before training").format(
        net=f"MLP(784, {HIDDEN}, 10)")), y)
    history = student.train(model, split.x_train, split.y_train, epochs=EPOCHS, lr=LR,
                            batch_size=BATCH_SIZE, device="cpu", seed=seed % 1000)
    return Trained(model, history, before, *split)


def trained(student, rng, worker_cache) -> Trained:
    """The submission's trained MLP: trained once per worker, by the first test that asks."""
    seed = int(rng.integers(2**31))
    return worker_cache.get("mnist", lambda: train_mnist(student, seed))


def cross_entropy(logits, y):
    z = logits.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean())


def logits_of(model, x, what):
    got = model.model_outputs(x)
    if not isinstance(got, np.ndarray) or got.shape != (len(x), 10):
        raise InvalidOutput(_("{what}: expected logits of shape {shape}, got {got}").format(
            what=what, shape=(len(x), 10), got=getattr(got, "shape", type(got).__name__)))
    if not np.isfinite(got).all():
        raise InvalidOutput(_("{what}: the logits contain NaN or inf").format(what=what))
    return got


def check_history(history, epochs, what):
    if type(history) is not list or len(history) != epochs:
        n = len(history) if isinstance(history, (list, tuple)) else None
        got = (_("{type} of length {n}").format(type=type(history).__name__, n=n)
               if n is not None else type(history).__name__)
        raise InvalidOutput(_("{what}: expected a list of {epochs} losses (one per epoch), got "
                              "{got}").format(what=what, epochs=epochs, got=got))
    return [check_python_float(v, what=_("{what}: the loss of epoch {epoch}").format(
        what=what, epoch=i + 1)) for i, v in enumerate(history)]


@pytest.mark.points(2)
@pytest.mark.deadline(120)
def test_train_returns_a_decreasing_loss_per_epoch(student, rng, worker_cache):
    """train returns one mean loss per epoch, and the model's loss really decreases"""
    t = trained(student, rng, worker_cache)
    losses = check_history(t.history, EPOCHS, mnist_what())
    if not losses[-1] < losses[0]:
        raise CheckFailed(_("{what}: the loss did not decrease (epoch 1: {first}, epoch {last}: "
                            "{final})").format(what=mnist_what(), first=num(losses[0], ".4g"),
                                               last=EPOCHS, final=num(losses[-1], ".4g")))
    x, y = t.x_train[:1000], t.y_train[:1000]
    after = cross_entropy(logits_of(t.model, x, mnist_what()), y)
    if not after < t.loss_before:
        raise CheckFailed(_("{what}: the model's cross-entropy on the training digits did not "
                            "go down; the reported losses decrease, but the weights did not "
                            "learn").format(what=mnist_what()))


def probe_state(rng, spec) -> dict:
    """Weights (and BatchNorm statistics) for a model of `spec`, chosen here."""
    model = local_model(spec)
    state = {}
    for name, value in model.state_dict().items():
        value = value.numpy()
        if name.endswith("running_var"):
            state[name] = rng.uniform(0.5, 2.0, size=value.shape).astype(np.float32)
        elif value.dtype.kind == "f":
            state[name] = rng.normal(0, 0.3, size=value.shape).astype(np.float32)
        else:
            state[name] = value.copy()
    return state


def local_model(spec, state=None):
    model = torch.nn.Sequential(*[getattr(torch.nn, name)(*args) for name, *args in spec])
    if state is not None:
        model.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()}, strict=True)
    return model


def reproduce(reference, spec, state, x, y, probe, *, eval_first=False, **kwargs):
    """The outputs (eval mode) on `probe` of a model of `spec` with `state`, trained here by
    the reference's train(x, y, **kwargs)."""
    model = local_model(spec, state)
    if eval_first:
        model.eval()
    # one thread, as in the worker: float32 sums in the worker's order (with the grading
    # process's threads, Adam's steps on BatchNorm amplified the difference past the
    # tolerance for some seeds, and the reference itself lost the point)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng():
            reference.train(model, x, y, **kwargs)
        model.eval()
        with torch.no_grad():
            return model(torch.as_tensor(probe)).numpy()
    finally:
        torch.set_num_threads(threads)


def probe_data(rng, n=256):
    x = rng.normal(0, 1, size=(n, PROBE_FEATURES)).astype(np.float32)
    y = rng.integers(0, PROBE_CLASSES, size=n)
    return x, y, rng.normal(0, 1, size=(64, PROBE_FEATURES)).astype(np.float32)


def check_reproduced(student, reference, rng, *, eval_first, what):
    x, y, probe = probe_data(rng)
    state = probe_state(rng, PROBE_SPEC)
    kwargs = dict(epochs=3, lr=0.01, batch_size=len(x), device="cpu", seed=5)
    model = student.torch_model(PROBE_SPEC)
    model.load_state(state)
    if eval_first:
        model.eval()
    student.reseed(int(rng.integers(2**31)))
    check_history(student.train(model, x, y, **kwargs), 3, what)
    want = reproduce(reference, PROBE_SPEC, state, x, y, probe, eval_first=eval_first, **kwargs)
    got = model.model_outputs(probe)
    check_array(got, want, what=_("{what}: the model's outputs afterwards").format(what=what),
                rtol=1e-4, atol=1e-5,
                inputs=f"x: {probe.shape} float32")


TRAINING_STEPS = N_("{model}, weights set by the grader, trained with {call} on 256 samples: "
                    "one batch per epoch")


def training_steps() -> str:
    return _(TRAINING_STEPS).format(
        model="(Linear(20, 16, bias=False), BatchNorm1d(16), ReLU(), Linear(16, 4))",
        call="train(model, X, y, epochs=3, lr=0.01, batch_size=256, device='cpu')")


@pytest.mark.points(2)
@pytest.mark.deadline(60)
def test_train_takes_the_training_steps(student, reference, rng):
    """train runs each batch forward in training mode, with gradients, then zero_grad, backward and an Adam step"""
    # The outputs afterwards show every part of the loop: BatchNorm normalises with the
    # batch's statistics (and updates its running ones) in training mode only, each extra
    # forward pass in training mode moves the running statistics, and Adam's steps depend
    # on lr, zero_grad, the loss and the number of batches and epochs.
    what = _("a model {steps}").format(steps=training_steps())
    try:
        check_reproduced(student, reference, rng, eval_first=False, what=what)
    except CheckFailed as exc:
        raise type(exc)(_("{problem}; the model must end as the reference's loop leaves it: "
                          "model.train(), then per batch zero_grad, forward, CrossEntropyLoss, "
                          "backward, Adam step, and no other forward pass in training "
                          "mode").format(problem=exc)) from None


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
    what = _("{call} on 256 digits with pixels in [0, 20] (the weights stay fixed)").format(
        call="train(model, X, y, epochs=2, lr=0.0, batch_size=32, device='cpu')")
    losses = check_history(student.train(model, x, y, epochs=2, lr=0.0, batch_size=32,
                                         device="cpu"), 2, what)
    for epoch, loss in enumerate(losses, 1):
        if not close(loss, want, rtol=1e-4, atol=1e-6):
            raise CheckFailed(_(
                "{what}: epoch {epoch} reports a loss {share} away from the mean cross-entropy of "
                "the model's logits over the 256 samples; report the mean of nn.CrossEntropyLoss "
                "over all samples of the epoch, on the logits (it applies log-softmax itself: no "
                "softmax before it)").format(what=what, epoch=epoch,
                                             share=num(abs(loss - want) / want, ".2%")))


@pytest.mark.points(4)
@pytest.mark.deadline(120)
def test_trained_mlp_reaches_the_accuracy_threshold(student, rng, credit, worker_cache):
    """the trained MLP reaches the accuracy threshold on the hidden MNIST test digits"""
    t = trained(student, rng, worker_cache)
    logits = logits_of(t.model, perturb_images(t.x_test, rng), mnist_what())
    accuracy = float(np.mean(logits.argmax(axis=1) == t.y_test))
    award_tiers(credit, accuracy, TIERS, what=mnist_what())


def evaluation_set(t):
    return t.x_train[:1000], t.y_train[:1000]


def grads_of(model):
    return [None if g is None else g.array.copy() for _name, g in model.model_state()["grads"]]


@pytest.mark.points(2)
@pytest.mark.deadline(120)
def test_evaluate_uses_eval_mode(student, rng, worker_cache):
    """evaluate uses model.eval(): the accuracy of the logits with dropout off, every time"""
    t = trained(student, rng, worker_cache)
    x, y = evaluation_set(t)
    what = _("{call} on 1000 training digits, after training").format(
        call="evaluate(model, X, y, device='cpu')")
    want = float(np.mean(logits_of(t.model, x, what).argmax(axis=1) == y))
    t.model.train()          # as left by training: evaluate must switch dropout off itself
    t.model.watch_forward()
    first = check_python_float(student.evaluate(t.model, x, y, device="cpu"), what=what)
    log = t.model.forward_log()
    check_forward_log(log, what=what, training=False)
    second = check_python_float(student.evaluate(t.model, x, y, device="cpu"), what=what)
    if not close(first, second, atol=1e-9):
        raise CheckFailed(_("{what}: two calls gave {first} and {second}").format(
            what=what, first=num(first, ".4f"), second=num(second, ".4f")))
    if not close(first, want, atol=1e-6):
        raise CheckFailed(_("{what}: got accuracy {value}, but the fraction of rows whose "
                            "largest logit is at the label is different").format(
            what=what, value=num(first, ".4f")))


@pytest.mark.points(0)
@pytest.mark.deadline(120)
def test_evaluate_runs_without_gradients(student, rng, worker_cache):
    """advice, no points: evaluate runs under torch.no_grad() and leaves the gradients alone"""
    # Gradient mode leaves no trace outside the student's process: this is read from the
    # worker's forward log and the model's .grad, both reported by that process, so it can
    # only give advice (ARCHITECTURE.md, the trust rule).
    t = trained(student, rng, worker_cache)
    x, y = evaluation_set(t)
    what = "evaluate(model, X, y, device='cpu')"
    before = grads_of(t.model)
    t.model.watch_forward()
    check_python_float(student.evaluate(t.model, x, y, device="cpu"), what=what)
    check_forward_log(t.model.forward_log(), what=what, grad=False)
    after = grads_of(t.model)
    if any((a is None) != (b is None) or (a is not None and not np.array_equal(a, b))
           for a, b in zip(before, after)):
        raise CheckFailed(_("{what} changed the parameters' .grad; evaluation must not compute "
                            "gradients").format(what=what))


@pytest.mark.points(2)
@pytest.mark.deadline(120)
def test_predict_gives_the_labels_of_the_largest_logits(student, rng, worker_cache):
    """predict returns int64 labels, computed in eval mode without gradients"""
    t = trained(student, rng, worker_cache)
    x = t.x_test[:500]
    what = _("{call} on 500 test digits").format(call="predict(model, X, device='cpu')")
    want = logits_of(t.model, x, what).argmax(axis=1)
    t.model.train()
    t.model.watch_forward()
    got = student.predict(t.model, x, device="cpu")
    log = t.model.forward_log()
    if isinstance(got, TensorData):
        raise InvalidOutput(_("{what}: expected a numpy array, got a torch tensor (use "
                              ".cpu().numpy())").format(what=what))
    check_array(got, want.astype(np.int64), what=what, inputs="X: (500, 784) float32",
                rtol=0, atol=0)
    check_forward_log(log, what=what, training=False, grad=False)


def small_set(t, n=256):
    return t.x_train[:n], t.y_train[:n]


@pytest.mark.points(1)
@pytest.mark.deadline(60)
def test_train_switches_to_training_mode(student, reference, rng):
    """train calls model.train(), also on a model that evaluate left in eval mode"""
    what = _("a model in eval mode {steps}").format(steps=training_steps())
    try:
        check_reproduced(student, reference, rng, eval_first=True, what=what)
    except CheckFailed as exc:
        raise type(exc)(_("{problem}; call model.train() in train(): the model may come from "
                          "evaluate, in eval mode").format(problem=exc)) from None


@pytest.mark.points(2)
@pytest.mark.deadline(60)
def test_device_argument_is_used(student, rng, worker_cache):
    """train, evaluate and predict use the device they are given, not the best one available"""
    # torch reports a CUDA GPU here (faked in the student's process for these calls): code
    # that ignores device="cpu" tries to use the GPU and fails; on a GPU machine it would
    # silently train on the GPU, which the forward log shows.
    t = trained(student, rng, worker_cache)
    x, y = small_set(t)
    student.reseed(int(rng.integers(2**31)))
    model = student.MLP(784, [16], 10)
    model.watch_forward()
    what = _("{call} while a CUDA GPU is available").format(
        call="train(model, X, y, epochs=1, device='cpu')")
    history = student.call_with_fake_devices("train", model, x, y, epochs=1, device="cpu",
                                             cuda=True)
    check_history(history, 1, what)
    check_forward_log(model.forward_log(), what=what, device="cpu")
    devices = {p.device for _name, p in model.model_state()["parameters"]}
    if devices != {"cpu"}:
        raise CheckFailed(_("{what}: the model's parameters ended up on {devices}").format(
            what=what, devices=sorted(devices)))
    for name, args in (("evaluate", (model, x, y)), ("predict", (model, x))):
        what = _("{call} while a CUDA GPU is available").format(
            call=f"{name}(model, X, ..., device='cpu')")
        model.watch_forward()
        student.call_with_fake_devices(name, *args, device="cpu", cuda=True)
        check_forward_log(model.forward_log(), what=what, device="cpu")


@pytest.mark.points(1)
@pytest.mark.deadline(60)
def test_train_shuffles_with_its_seed(student, rng):
    """train shuffles with a generator seeded by `seed`: the same seed, the same model"""
    # Weights set by the grader, batches of 16: only the order of the batches differs
    # between runs, and it must follow `seed` alone (not the global random state).
    x, y, probe = probe_data(rng, n=128)
    state = probe_state(rng, PLAIN_SPEC)
    outputs = {}
    for run, seed in (("first", 7), ("again", 7), ("other", 8)):
        model = student.torch_model(PLAIN_SPEC)
        model.load_state(state)
        student.reseed(int(rng.integers(2**31)))      # a different global random state
        what = f"train(model, X, y, epochs=2, batch_size=16, device='cpu', seed={seed})"
        check_history(student.train(model, x, y, epochs=2, lr=0.01, batch_size=16,
                                    device="cpu", seed=seed), 2, what)
        outputs[run] = model.model_outputs(probe)
    what = "train(model, X, y, epochs=2, batch_size=16, device='cpu', seed=...)"
    if not close(outputs["first"], outputs["again"], rtol=1e-5, atol=1e-6):
        raise CheckFailed(_("{what}: two runs from the same weights with seed=7 trained "
                            "different models; shuffle with "
                            "torch.Generator().manual_seed(seed)").format(what=what))
    if not differ(outputs["first"], outputs["other"], rtol=1e-5, atol=1e-6):
        raise CheckFailed(_("{what}: seed=7 and seed=8 trained the same model; shuffle the "
                            "batches (shuffle=True) with a generator seeded by `seed`").format(
            what=what))


@pytest.mark.points(1)
@pytest.mark.deadline(60)
def test_float64_features_and_int32_labels_are_accepted(student, rng):
    """train, evaluate and predict take any float features and integer labels (torch.as_tensor with the right dtype)"""
    X = rng.normal(size=(64, 12))                           # float64, as numpy makes them
    y = rng.integers(0, 3, size=64).astype(np.int32)
    student.reseed(int(rng.integers(2**31)))
    model = student.MLP(12, [8], 3)
    what = _("{call} with X float64 and y int32").format(
        call="train(model, X, y, epochs=1, device='cpu')")
    check_history(student.train(model, X, y, epochs=1, batch_size=16, device="cpu"), 1, what)
    logits = model.model_outputs(X.astype(np.float32))
    if not isinstance(logits, np.ndarray) or logits.shape != (64, 3) or not np.isfinite(logits).all():
        raise InvalidOutput(_("{what}: the model's logits afterwards are not finite (64, "
                              "3)").format(what=what))
    what = _("{call} with X float64 and y int32").format(
        call="evaluate(model, X, y, device='cpu')")
    accuracy = check_python_float(student.evaluate(model, X, y, device="cpu"), what=what)
    if not close(accuracy, float(np.mean(logits.argmax(axis=1) == y)), atol=1e-6):
        raise CheckFailed(_("{what}: not the fraction of rows whose largest logit is at the "
                            "label").format(what=what))
    got = student.predict(model, X, device="cpu")
    check_array(got, logits.argmax(axis=1).astype(np.int64),
                what=_("{call} with X float64").format(call="predict(model, X, device='cpu')"),
                inputs="X: (64, 12) float64",
                rtol=0, atol=0)


@pytest.mark.points(1)
@pytest.mark.deadline(60)
def test_device_none_means_get_device(student, rng):
    """train, evaluate and predict without a device use get_device() (here: the CPU)"""
    X = rng.normal(size=(64, 12)).astype(np.float32)
    y = rng.integers(0, 3, size=64)
    student.reseed(int(rng.integers(2**31)))
    model = student.MLP(12, [8], 3)
    # no GPU reported, so get_device() is the CPU, whatever the grading machine has
    what = _("{call} without a device").format(call="train(model, X, y, epochs=1)")
    check_history(student.call_with_fake_devices("train", model, X, y, epochs=1, batch_size=16),
                  1, what)
    logits = model.model_outputs(X)
    if not isinstance(logits, np.ndarray) or logits.shape != (64, 3) or not np.isfinite(logits).all():
        raise InvalidOutput(_("{what}: the model's logits afterwards are not finite (64, "
                              "3)").format(what=what))
    what = _("{call} without a device").format(call="evaluate(model, X, y)")
    accuracy = check_python_float(student.call_with_fake_devices("evaluate", model, X, y),
                                  what=what)
    if not close(accuracy, float(np.mean(logits.argmax(axis=1) == y)), atol=1e-6):
        raise CheckFailed(_("{what}: not the fraction of rows whose largest logit is at the "
                            "label").format(what=what))
    check_array(student.call_with_fake_devices("predict", model, X),
                logits.argmax(axis=1).astype(np.int64),
                what=_("{call} without a device").format(call="predict(model, X)"),
                inputs="X: (64, 12) float32", rtol=0, atol=0)

