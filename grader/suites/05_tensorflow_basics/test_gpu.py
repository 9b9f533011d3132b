"""Hidden tests of assignment 05 on the TensorFlow track, part 3: the GPU. As 05's (PyTorch)
GPU tests: they run only where the one GPU decision says GPU tests run here, for TensorFlow
(`gpu_framework = "tensorflow"`: TensorFlow's own probe in the sandbox; tensorflow-cpu
never passes it); elsewhere they are skipped with its reason and not counted in the maximum.

Each test starts on a fresh worker (the plugin restarts it). TensorFlow puts every op on the
GPU by itself, so no function takes a device: the trusted side observes from outside the
student's process that it holds no CUDA context after the import and one after the calls,
and the training run must give, within a stated tolerance, what the grader computes here in
numpy from the same starting weights (full-batch Adam: no shuffling to agree on).
"""
import numpy as np
import pytest

from grader.checks import CheckFailed, close
from grader.checks.gpu import check_no_context_yet, check_used_gpu
from grader.checks.models import checked_outputs, set_layers, train_losses
from grader.data import mnist_split
from grader.i18n import _, num

FRAMEWORK = "tensorflow"
# The GPU worker runs float32 without TF32 (NVIDIA_TF32_OVERRIDE=0, see bwrap): it differs
# from float64 here by rounding only. Stated tolerances: each epoch's loss within 2 %
# (relative), the logits on the test digits within 2 % of their range, and at most 1 % of
# the predicted labels different.
LOSS_RTOL, LOGIT_TOL, LABELS_DIFFERENT = 2e-2, 2e-2, 0.01
N, HIDDEN, EPOCHS, LR = 2000, 64, 8, 3e-3
ADAM = dict(beta_1=0.9, beta_2=0.999, epsilon=1e-7)      # keras.optimizers.Adam's defaults


def forward(layers, x):
    """Logits of dense layers with a ReLU between them, and the hidden activations."""
    h, seen = np.asarray(x, dtype=np.float64), []
    for i, (W, b) in enumerate(layers):
        z = h @ W + b
        seen.append((h, z))
        h = np.maximum(z, 0) if i < len(layers) - 1 else z
    return h, seen


def full_batch_adam(layers, x, y, epochs, lr):
    """What train(model, x, y, epochs, lr, batch_size=len(x)) does, here in float64: one
    Adam step per epoch on the mean cross-entropy of all samples (Keras's Adam: epsilon added
    to the root of the uncorrected second moment). Returns (the loss before each step, the
    layers after the last)."""
    params = [a.astype(np.float64) for pair in layers for a in pair]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    b1, b2, eps = ADAM["beta_1"], ADAM["beta_2"], ADAM["epsilon"]
    losses = []
    for t in range(1, epochs + 1):
        pairs = list(zip(params[0::2], params[1::2]))
        logits, seen = forward(pairs, x)
        z = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        losses.append(float(-np.log(p[np.arange(len(y)), y]).mean()))
        delta = p
        delta[np.arange(len(y)), y] -= 1
        delta /= len(y)
        grads = [None] * len(params)
        for i in range(len(pairs) - 1, -1, -1):
            h, _z = seen[i]
            grads[2 * i], grads[2 * i + 1] = h.T @ delta, delta.sum(axis=0)
            if i:
                delta = (delta @ pairs[i][0].T) * (seen[i - 1][1] > 0)
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        for k, g in enumerate(grads):
            m[k] += (g - m[k]) * (1 - b1)
            v[k] += (g * g - v[k]) * (1 - b2)
            params[k] = params[k] - alpha * m[k] / (np.sqrt(v[k]) + eps)
    return losses, list(zip(params[0::2], params[1::2]))


@pytest.mark.gpu
@pytest.mark.points(1)
def test_get_device_finds_the_gpu(student):
    """get_device() returns "/GPU:0" on this GPU machine (no faked device list)"""
    got = student.get_device()
    if type(got) is not str or got.upper().replace("/DEVICE:", "/") != "/GPU:0":
        raise CheckFailed(_("{call} on a machine with a CUDA GPU: expected {expected}, got "
                            "{got}").format(call="get_device()", expected=repr("/GPU:0"),
                                            got=repr(got) if type(got) is str
                                            else type(got).__name__))
    # a constant answer is no choice: where TensorFlow lists no GPU, the same code says CPU
    got = student.call_with_fake_devices("get_device", cuda=False)
    if type(got) is not str or got.upper().replace("/DEVICE:", "/") != "/CPU:0":
        raise CheckFailed(_("{call} names the GPU even where no GPU is reported: look for "
                            "one, do not name it").format(call="get_device()"))


@pytest.mark.gpu
@pytest.mark.points(4)
@pytest.mark.deadline(180)
def test_training_on_the_gpu_gives_the_results_computed_here(student, rng):
    """train runs on the GPU and gives what full-batch Adam computed here gives"""
    split = mnist_split(seed=0)
    x, y = split.x_train[:N], split.y_train[:N]
    what = (f"train(build_mlp(784, [{HIDDEN}], 10), X, y, epochs={EPOCHS}, lr={LR}, "
            f"batch_size={N})")
    check_no_context_yet(student, what="import tf_basics", framework=FRAMEWORK)
    layers = [(rng.normal(0, 0.05, size=(784, HIDDEN)), rng.normal(0, 0.01, size=HIDDEN)),
              (rng.normal(0, 0.15, size=(HIDDEN, 10)), rng.normal(0, 0.01, size=10))]
    layers = [(W.astype(np.float32), b.astype(np.float32)) for W, b in layers]
    model = student.build_mlp(784, [HIDDEN], 10)
    set_layers(model, layers)                 # the start chosen here
    history = student.train(model, x, y, epochs=EPOCHS, lr=LR, batch_size=N,
                            seed=int(rng.integers(1000)))
    check_used_gpu(student, what=what, framework=FRAMEWORK)
    history = train_losses(history, EPOCHS, what)
    want_losses, want_layers = full_batch_adam(layers, x, y, EPOCHS, LR)
    if not close(np.asarray(history, dtype=np.float64), want_losses, rtol=LOSS_RTOL):
        raise CheckFailed(_("{what}: the losses per epoch {got} are not those of full-batch "
                            "Adam from the same weights ({want}, within {tolerance})").format(
            what=what, got=[round(float(v), 4) for v in history],
            want=[round(v, 4) for v in want_losses], tolerance=num(LOSS_RTOL, ".0%")))
    got = checked_outputs(model, split.x_test, 10, what)
    want, _seen = forward(want_layers, split.x_test)
    spread = float(want.max() - want.min())
    different = float(np.mean(got.argmax(axis=1) != want.argmax(axis=1)))
    if np.max(np.abs(got - want)) > LOGIT_TOL * spread or different > LABELS_DIFFERENT:
        raise CheckFailed(_("{what}: after training, the model's outputs on the test digits "
                            "are not those of full-batch Adam from the same weights ({share} "
                            "of the predicted labels differ)").format(
            what=what, share=num(different, ".1%")))
