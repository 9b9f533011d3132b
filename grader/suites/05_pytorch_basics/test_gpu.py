"""Hidden tests of assignment 05, part 5: the GPU. These run only where the one GPU decision
(grader.gpu: a probe worker in the sandbox, confirmed from outside) says GPU tests run here;
elsewhere they are skipped with its reason and not counted in the maximum.

Each test starts on a fresh worker (the plugin restarts it): the trusted side observes from
outside the student's process (its mappings of the GPU's device nodes; NVML or nvidia-smi
where pids match) that there is no CUDA context before the call given device="cuda" and one
after it. Training on device="cuda" must also give the CPU run's results within a stated
tolerance.
"""
import numpy as np
import pytest

from grader.checks import CheckFailed, close
from grader.checks.autograd import check_forward_log, check_python_float, check_tensor
from grader.checks.gpu import check_no_context_yet, check_used_gpu
from grader.data import mnist_split
from grader.i18n import _, num

# Same seed, same initial weights, same batches, no dropout: CPU and GPU differ only by
# floating-point summation order (TF32 is off for matmul by default and the worker asks for
# deterministic algorithms). Stated tolerances: each epoch's loss within 2 % (relative), the
# test accuracy within 0.02.
LOSS_RTOL, ACCURACY_ATOL, EPOCHS = 2e-2, 0.02, 2


@pytest.mark.gpu
@pytest.mark.points(1)
def test_to_tensor_on_cuda(student, rng):
    """to_tensor(array, device="cuda") puts the tensor on the GPU"""
    x = rng.normal(size=(4, 3))
    what = 'to_tensor(array, device="cuda")'
    check_no_context_yet(student, what=what)
    check_tensor(student.to_tensor(x, device="cuda"), x.astype(np.float32),
                 what=what, device="cuda", rtol=1e-6, atol=0)
    check_used_gpu(student, what=what)


@pytest.mark.gpu
@pytest.mark.points(1)
def test_get_device_finds_the_gpu(student):
    """get_device() returns cuda on this GPU machine (no faked probes)"""
    device = student.get_device()
    if getattr(device, "type_name", None) != "device" or device.type != "cuda":
        raise CheckFailed(_("{call} on a machine with a CUDA GPU: expected {expected}").format(
            call="get_device()", expected="torch.device('cuda')"))
    # a constant answer is no choice: where torch reports no GPU, the same code says cpu
    device = student.call_with_fake_devices("get_device", cuda=False, mps=False)
    if getattr(device, "type_name", None) != "device" or device.type != "cpu":
        raise CheckFailed(_("{call} names the GPU even where no GPU is reported: look for "
                            "one, do not name it").format(call="get_device()"))


@pytest.mark.gpu
@pytest.mark.points(4)
@pytest.mark.deadline(180)
def test_training_on_cuda_matches_cpu_and_uses_the_gpu(student, rng):
    """train(device="cuda") gives the CPU results and really runs on the GPU"""
    split = mnist_split(seed=0)
    x, y = split.x_train[:2000], split.y_train[:2000]
    init, shuffle = int(rng.integers(2**31)), int(rng.integers(1000))
    runs = {}
    for device in ("cuda", "cpu"):       # cuda first, on the fresh worker: see the docstring
        student.reseed(init)
        model = student.MLP(784, [64], 10)
        model.watch_forward()
        what = f"train(MLP(784, [64], 10), X, y, epochs={EPOCHS}, device={device!r})"
        if device == "cuda":
            check_no_context_yet(student, what=what)
        history = student.train(model, x, y, epochs=EPOCHS, lr=1e-3, device=device, seed=shuffle)
        if device == "cuda":
            check_used_gpu(student, what=what)
            cuda_model = model
        log = model.forward_log()
        check_forward_log(log, what=what, device=device)
        logits = model.model_outputs(split.x_test)
        runs[device] = (np.asarray(history, dtype=np.float64),
                        float(np.mean(np.argmax(logits, axis=1) == split.y_test)), what)
    what = runs["cuda"][2]
    devices = {p.device.split(":")[0] for _name, p in cuda_model.model_state()["parameters"]}
    if devices != {"cuda"}:
        raise CheckFailed(_("{what}: after training the parameters are on {devices}").format(
            what=what, devices=sorted(devices)))
    (h_cpu, acc_cpu, _cpu), (h_gpu, acc_gpu, _gpu) = runs["cpu"], runs["cuda"]
    # evaluate and predict move what they are given (here a model on the CPU) to the device
    student.reseed(init)
    model = student.MLP(784, [64], 10)
    logits = model.model_outputs(split.x_test)
    want = logits.argmax(axis=1)
    for name, args in (("evaluate", (model, split.x_test, split.y_test)),
                       ("predict", (model, split.x_test))):
        what = _("{name}(model on the CPU, X, ..., device='cuda')").format(name=name)
        got = getattr(student, name)(*args, device="cuda")
        if name == "evaluate":
            got = check_python_float(got, what=what)
            if not close(got, float(np.mean(want == split.y_test)), atol=ACCURACY_ATOL):
                raise CheckFailed(_("{what}: accuracy {value}, not that of the model's "
                                    "logits").format(what=what, value=num(got, ".4f")))
        else:
            if not isinstance(got, np.ndarray) or got.shape != want.shape:
                raise CheckFailed(_("{what}: expected a numpy array of {n} labels (use "
                                    ".cpu().numpy())").format(what=what, n=len(want)))
            # the GPU's float rounding may flip a near-tie: allow a few rows in a thousand
            if np.mean(got != want) > 0.005:
                raise CheckFailed(_("{what}: {share} of the labels are not those of the "
                                    "largest logits").format(
                    what=what, share=num(float(np.mean(got != want)), ".1%")))
    if not close(h_gpu, h_cpu, rtol=LOSS_RTOL):
        raise CheckFailed(_("{what}: the losses per epoch differ from the CPU run by more than "
                            "{tolerance} (same seed and initial weights)").format(
            what=what, tolerance=num(LOSS_RTOL, ".0%")))
    if not close(acc_gpu, acc_cpu, atol=ACCURACY_ATOL):
        raise CheckFailed(_("{what}: test accuracy {gpu} on the GPU, {cpu} on the CPU: more "
                            "than {tolerance} apart").format(
            what=what, gpu=num(acc_gpu, ".4f"), cpu=num(acc_cpu, ".4f"),
            tolerance=num(ACCURACY_ATOL)))
