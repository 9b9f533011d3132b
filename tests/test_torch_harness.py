"""The worker's torch-specific operations: model state, forward log, training-mode outputs,
faked device probes, seeding, and CUDA errors (which restart the worker)."""
import textwrap

import numpy as np
import pytest

from grader.sandbox import errors
from grader.sandbox.harness.wire import TensorData
from grader.sandbox.proxy import RemoteObject, Session
from grader.sandbox.worker import Limits


CODE = """
    import torch
    from torch import nn

    def model(dropout=0.0):
        return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout(dropout), nn.Linear(4, 2))

    def run(m, x, mode="train", grad=True):
        m.train(mode == "train")
        with torch.set_grad_enabled(grad):
            return m(torch.as_tensor(x, dtype=torch.float32)).sum().item()

    def backward(m, x):
        m(torch.as_tensor(x, dtype=torch.float32)).sum().backward()

    def probes():
        return (torch.cuda.is_available(), torch.cuda.device_count(),
                torch.backends.mps.is_available())

    def deterministic():
        return torch.are_deterministic_algorithms_enabled()

    def cuda_failure():
        raise RuntimeError("CUDA error: device-side assert triggered")

    def cuda_oom():
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
"""


@pytest.fixture(scope="module")
def torch_student(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("torch")
    sub = tmp / "sub"
    sub.mkdir()
    (sub / "mod.py").write_text(textwrap.dedent(CODE))
    session = Session(sub, ["mod"], Limits(memory_mb=8192, cpu_seconds=120, import_timeout=60,
                                           call_timeout=30),
                      log_dir=tmp / "logs", preimport=("numpy", "torch"))
    yield session, RemoteObject(session, None)
    session.close()


def test_model_state_gives_parameters_in_order_and_their_grads(torch_student):
    _, student = torch_student
    m = student.model()
    state = m.model_state()
    names = [name for name, _ in state["parameters"]]
    assert names == ["0.weight", "0.bias", "3.weight", "3.bias"]
    shapes = [p.array.shape for _, p in state["parameters"]]
    assert shapes == [(4, 3), (4,), (2, 4), (2,)]
    assert all(isinstance(p, TensorData) and p.requires_grad for _, p in state["parameters"])
    assert [g for _, g in state["grads"]] == [None] * 4
    assert state["training"] is True
    assert ("2", "Dropout") in [tuple(x) for x in state["modules"]]
    student.backward(m, np.ones((2, 3)))
    grads = [g for _, g in m.model_state()["grads"]]
    assert all(isinstance(g, TensorData) and g.array.shape == s for g, s in zip(grads, shapes))


def test_forward_log_records_mode_grad_device_and_batches(torch_student):
    _, student = torch_student
    m = student.model()
    assert m.forward_log() is None                  # nothing watched yet
    m.watch_forward()
    student.run(m, np.ones((5, 3)), "train", True)
    student.run(m, np.ones((7, 3)), "eval", False)
    log = m.forward_log()
    assert log == {"calls": 2, "samples": 12, "max_batch": 7, "devices": ["cpu"],
                   "training": 1, "eval": 1, "grad_enabled": 1, "grad_disabled": 1}
    student.run(m, np.ones((5, 3)))
    assert m.forward_log() is None                  # reading it ended the watch


def test_model_outputs_in_training_mode_show_dropout_and_restore_the_mode(torch_student):
    _, student = torch_student
    m = student.model(0.5)
    x = np.ones((64, 3), dtype=np.float32) * 3
    m.eval()
    train_a, train_b = m.model_outputs(x, training=True), m.model_outputs(x, training=True)
    assert not np.allclose(train_a, train_b)
    assert np.array_equal(m.model_outputs(x), m.model_outputs(x))
    assert m.model_state()["training"] is False     # restored to what it was


def test_device_probes_are_faked_for_one_call_only(torch_student):
    _, student = torch_student
    real = student.probes()
    assert student.call_with_fake_devices("probes", cuda=True, mps=False) == (True, 1, False)
    assert student.call_with_fake_devices("probes", cuda=False, mps=True) == (False, 0, True)
    assert student.probes() == real


def test_reseed_asks_for_deterministic_algorithms(torch_student):
    _, student = torch_student
    student.reseed(3)
    assert student.deterministic() is True


def test_a_cuda_error_restarts_the_worker(torch_student):
    session, student = torch_student
    student.probes()
    generation = session.generation
    with pytest.raises(errors.StudentException, match="CUDA error") as info:
        student.cuda_failure()
    assert info.value.verdict == "student exception" and "restarted" in info.value.message
    assert session.worker is None                    # stopped: the CUDA context is unusable
    student.probes()
    assert session.generation == generation + 1
    with pytest.raises(errors.MemoryLimit, match="GPU memory") as info:
        student.cuda_oom()
    assert info.value.verdict == "memory"
    assert session.worker is None
