"""Hidden tests of assignment 05 (TensorFlow track), part 2: build_mlp's layers, and the
explicit GradientTape training loop seen from outside: with lr=0 nothing moves and the
reported loss is the mean cross-entropy of the model's outputs (computed here); one Adam
step per mini-batch; the seed decides the shuffling; the accuracy that training reaches on
the hidden MNIST split. (WIP on this branch: the accuracy tiers are not calibrated yet, and
evaluate and predict are still to come.)"""
import numpy as np
import pytest

from grader.checks import CheckFailed, InvalidOutput, differ
from grader.checks.models import check_adam_steps, set_layers, verified_layers
from grader.i18n import _


def outputs(model, x, n_out, what):
    got = model.model_outputs(x)
    if not isinstance(got, np.ndarray) or got.shape != (len(x), n_out):
        raise InvalidOutput(_("{what}: expected outputs of shape {expected}, got {got}").format(
            what=what, expected=(len(x), n_out), got=getattr(got, "shape", type(got).__name__)))
    if not np.isfinite(got).all():
        raise InvalidOutput(_("{what}: the outputs contain NaN or inf").format(what=what))
    return got.astype(np.float64)


def cross_entropy(logits, y):
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean())


def losses_of(history, epochs, what):
    if type(history) not in (list, tuple) or len(history) != epochs or not all(
            type(v) in (int, float) and np.isfinite(v) for v in history):
        raise InvalidOutput(_("{what}: train should return a list of {epochs} losses (Python "
                              "floats, one per epoch)").format(what=what, epochs=epochs))
    return [float(v) for v in history]


@pytest.mark.points(2)
@pytest.mark.parametrize("hidden", [(), (8,), (16, 8)], ids=["none", "one", "two"])
def test_build_mlp_has_its_dense_layers(student, rng, hidden):
    """build_mlp has one dense layer per hidden size, plus the output layer, ReLU between"""
    what = f"build_mlp(5, {list(hidden)}, 3)"
    model = student.build_mlp(5, list(hidden), 3)
    probe = rng.normal(0, 1, size=(16, 5)).astype(np.float32)
    layers = verified_layers(model, probe, outputs(model, probe, 3, what), what)
    shapes = [W.shape for W, _b in layers]
    sizes = [5, *hidden, 3]
    if shapes != list(zip(sizes[:-1], sizes[1:])):
        raise CheckFailed(_("{what}: dense layers of shapes {got}, expected {expected}").format(
            what=what, got=shapes, expected=list(zip(sizes[:-1], sizes[1:]))))


@pytest.mark.points(3)
def test_train_with_lr_0_reports_the_mean_cross_entropy(student, rng):
    """train with lr=0 leaves the model unchanged and reports its mean cross-entropy"""
    X = rng.normal(0, 1, size=(80, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=80)
    what = "train(build_mlp(4, [8], 3), X, y, epochs=2, lr=0.0, batch_size=32)"
    model = student.build_mlp(4, [8], 3)
    before = outputs(model, X, 3, what)
    losses = losses_of(student.train(model, X, y, epochs=2, lr=0.0, batch_size=32), 2, what)
    if differ(outputs(model, X, 3, what), before, rtol=1e-5, atol=1e-6):
        raise CheckFailed(_("{what}: the model changed; with lr=0.0 no step may move the "
                            "weights (pass lr to the optimizer)").format(what=what))
    want = cross_entropy(before, y)
    for epoch, loss in enumerate(losses, 1):
        if abs(loss - want) > 1e-3 * want + 1e-5:
            raise CheckFailed(_("{what}: epoch {epoch} reports {got}, but the mean cross-entropy "
                                "of the model's logits over the samples is {want}").format(
                what=what, epoch=epoch, got=f"{loss:.5g}", want=f"{want:.5g}"))


@pytest.mark.points(2)
def test_train_takes_one_adam_step_per_batch(student, rng):
    """train takes one Adam step per mini-batch and trains every layer"""
    for n, batch in ((64, 32), (48, 16)):     # 2 and 3 steps: few enough for one weight to keep its sign
        X = rng.normal(0, 1, size=(n, 4)).astype(np.float32)
        y = rng.integers(0, 3, size=n)
        what = f"train(build_mlp(4, [8], 3), X, y, epochs=1, lr=1e-4, batch_size={batch})"
        model = student.build_mlp(4, [8], 3)
        probe = rng.normal(0, 1, size=(16, 4)).astype(np.float32)
        before = verified_layers(model, probe, outputs(model, probe, 3, what), what)
        losses_of(student.train(model, X, y, epochs=1, lr=1e-4, batch_size=batch), 1, what)
        after = verified_layers(model, probe, outputs(model, probe, 3, what), what)
        # check_adam_steps counts batches of 32: scale n so that ceil(n / batch) steps fit
        check_adam_steps(before, after, 1e-4, n * 32 // batch, what)


@pytest.mark.points(1)
def test_the_seed_decides_the_shuffling(student, rng):
    """train shuffles by its seed: the same seed, the same model; another seed, another"""
    X = rng.normal(0, 1, size=(64, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=64)
    probe = rng.normal(0, 1, size=(16, 4)).astype(np.float32)
    layers = [(rng.normal(0, 0.5, size=(4, 8)), np.zeros(8)),
              (rng.normal(0, 0.5, size=(8, 3)), np.zeros(3))]
    what = "train(model, X, y, epochs=2, lr=0.01, batch_size=16, seed=...)"
    results = []
    for seed in (1, 1, 2):
        model = student.build_mlp(4, [8], 3)
        set_layers(model, layers)           # the same start each time, chosen here
        losses_of(student.train(model, X, y, epochs=2, lr=0.01, batch_size=16, seed=seed),
                  2, what)
        results.append(outputs(model, probe, 3, what))   # behaviour, not reported weights
    if differ(results[0], results[1], rtol=1e-5, atol=1e-6):
        raise CheckFailed(_("{what}: seed 1 twice from the same weights gave two different "
                            "models; shuffle with a generator seeded by `seed`").format(what=what))
    if not differ(results[0], results[2], rtol=1e-6, atol=1e-7):
        raise CheckFailed(_("{what}: seeds 1 and 2 from the same weights gave the same model, "
                            "so the batches were the same; shuffle the samples every epoch "
                            "with the seed").format(what=what))
