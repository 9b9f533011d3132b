"""GPU support where no GPU is: the gpu settings of a worker apply only where CUDA device
nodes exist, the trusted side's GPU observation (nvidia-smi / NVML), and GPU tests that are
skipped with their reason and not counted. The last test runs only on a CUDA machine."""
import os
import stat
import subprocess
from pathlib import Path

import pytest

from grader.checks import CheckFailed
from grader.checks import gpu as gpu_checks
from grader.plugin import cuda_available
from grader.sandbox import errors, worker as worker_module
from grader.sandbox.worker import Limits, Worker

ROOT = Path(__file__).resolve().parents[1]
HAS_GPU, NO_GPU_REASON = cuda_available()


def fake_nodes(monkeypatch, names):
    monkeypatch.setattr(worker_module, "nvidia_device_nodes",
                        lambda: [Path("/dev") / n for n in names])


def test_gpu_settings_only_where_a_cuda_device_node_exists(monkeypatch, tmp_path):
    fake_nodes(monkeypatch, [])
    assert Worker(tmp_path, ["m"], Limits(), log_dir=tmp_path, gpu=True).gpu is False
    fake_nodes(monkeypatch, ["nvidiactl"])           # a driver without a GPU
    assert Worker(tmp_path, ["m"], Limits(), log_dir=tmp_path, gpu=True).gpu is False
    fake_nodes(monkeypatch, ["nvidia0", "nvidiactl", "nvidia-uvm"])
    assert Worker(tmp_path, ["m"], Limits(), log_dir=tmp_path, gpu=True).gpu is True
    assert Worker(tmp_path, ["m"], Limits(), log_dir=tmp_path, gpu=False).gpu is False


def test_gpu_workers_get_the_device_nodes(monkeypatch, tmp_path):
    fake_nodes(monkeypatch, ["nvidia0", "nvidiactl", "nvidia-uvm"])
    args = worker_module._bwrap_args(tmp_path, 1 << 20, gpu=True)
    binds = [args[i + 1] for i, a in enumerate(args) if a == "--dev-bind"]
    assert binds == ["/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-uvm"]
    assert "--dev-bind" not in worker_module._bwrap_args(tmp_path, 1 << 20, gpu=False)


@pytest.mark.parametrize("nodes, has_as", [([], True), (["nvidia0", "nvidiactl"], False)],
                         ids=["no GPU: address-space limit", "GPU: no address-space limit"])
def test_address_space_limit_is_dropped_only_on_gpu_workers(monkeypatch, tmp_path, nodes, has_as):
    fake_nodes(monkeypatch, nodes)
    seen = {}

    def popen(cmd, **kwargs):
        seen["cmd"] = cmd
        raise OSError("not started in this test")

    monkeypatch.setattr(subprocess, "Popen", popen)
    w = Worker(tmp_path, ["m"], Limits(memory_mb=512), log_dir=tmp_path / "logs", gpu=True)
    with pytest.raises(errors.SandboxFailure):
        w.start()
    assert any(a.startswith("--as=") for a in seen["cmd"]) is has_as
    assert any(a.startswith("--cpu=") for a in seen["cmd"])    # the other limits stay


def test_nvidia_smi_output_is_parsed():
    text = "1234, 503\n77, [N/A]\n1234, 10\nNo running processes found\n"
    assert gpu_checks.parse_compute_apps(text) == {1234: 513 << 20, 77: 1}


def test_gpu_processes_from_nvidia_smi(monkeypatch, tmp_path):
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\necho '4242, 300'\necho '99, 12'\n")
    smi.chmod(smi.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(gpu_checks, "_nvml_processes", lambda: None)
    assert gpu_checks.gpu_processes() == {4242: 300 << 20, 99: 12 << 20}
    smi.write_text("#!/bin/sh\necho 'driver not loaded' >&2\nexit 9\n")
    with pytest.raises(gpu_checks.GpuQueryError, match="driver not loaded"):
        gpu_checks.gpu_processes()


def test_used_gpu_is_matched_by_the_worker_pids():
    processes = {4242: 300 << 20, 99: 12 << 20}
    assert gpu_checks.check_used_gpu({1, 4242}, what="train", processes=processes) == 300 << 20
    with pytest.raises(CheckFailed, match="never used the GPU"):
        gpu_checks.check_used_gpu({1, 2, 3}, what="train", processes=processes)


def test_worker_host_pids_include_the_python_process(tmp_path):
    from grader.sandbox.proxy import RemoteObject, Session

    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "mod.py").write_text("import os\ndef ping():\n    return 1\n")
    session = Session(sub, ["mod"], Limits(memory_mb=1024, import_timeout=20),
                      log_dir=tmp_path / "logs")
    try:
        student = RemoteObject(session, None)
        assert student.ping() == 1
        pids = student.worker_host_pids()
        assert session.worker.proc.pid in pids
        cmdlines = [Path(f"/proc/{p}/cmdline").read_bytes() for p in pids
                    if Path(f"/proc/{p}/cmdline").exists()]
        assert any(b"child.py" in c for c in cmdlines)
    finally:
        session.close()


@pytest.mark.skipif(HAS_GPU, reason="this machine has a CUDA GPU: the GPU tests run there")
def test_without_a_gpu_the_gpu_tests_are_skipped_with_the_reason_and_not_counted(tmp_path):
    from grader.grading import grade_submission
    from grader.submissions import Submission

    result = grade_submission(Submission("reference", "05_pytorch_basics",
                                         ROOT / "solutions" / "05_pytorch_basics"), "secret")
    skipped = [t for t in result["tests"] if t["extra_data"]["verdict"] == "skipped"]
    assert len(skipped) == 3
    assert all(t["max_score"] == 0 and t["output"] == NO_GPU_REASON for t in skipped)
    assert {s["reason"] for s in result["extra_data"]["skipped"]} == {NO_GPU_REASON}
    assert result["score"] == result["max_score"] > 0


@pytest.mark.skipif(not HAS_GPU, reason=f"needs a CUDA GPU ({NO_GPU_REASON})")
def test_on_a_gpu_the_reference_passes_the_gpu_tests_and_device_ignored_fails_them(tmp_path):
    from grader.grading import grade_submission
    from grader.submissions import Submission

    import torch

    result = grade_submission(Submission("reference", "05_pytorch_basics",
                                         ROOT / "solutions" / "05_pytorch_basics"), "secret")
    gpu_tests = [t for t in result["tests"] if "05_pytorch_basics/test_gpu.py" in t["extra_data"]["nodeid"]]
    if not torch.cuda.is_available():
        # a GPU, but the grading environment's torch is the pinned CPU build: the GPU tests
        # skip with that reason and count in no maximum
        assert len(gpu_tests) == 3
        assert all(t["extra_data"]["verdict"] == "skipped" and "CPU-only" in t["output"]
                   and t["max_score"] == 0 for t in gpu_tests)
        assert result["score"] == result["max_score"] > 0
        return
    assert len(gpu_tests) == 3 and all(t["extra_data"]["verdict"] == "pass" for t in gpu_tests)
    assert result["score"] == result["max_score"]
    # a submission that trains on the CPU whatever device it is given fails the GPU test
    solution = ROOT / "solutions" / "05_pytorch_basics"
    cpu_only = (solution / "torch_basics.py").read_text().replace(
        "    device = torch.device(device) if device is not None else get_device()\n"
        "    X = torch.as_tensor(X, dtype=torch.float32)\n    y",
        "    device = torch.device('cpu')\n    X = torch.as_tensor(X, dtype=torch.float32)\n    y", 1)
    assert "torch.device('cpu')" in cpu_only
    sub = tmp_path / "cpu_only"
    sub.mkdir()
    (sub / "torch_basics.py").write_text(cpu_only)
    result = grade_submission(Submission("cpu-only", "05_pytorch_basics", sub), "secret")
    by_name = {t["extra_data"]["nodeid"].split("::")[-1]: t for t in result["tests"]}
    t = by_name["test_training_on_cuda_matches_cpu_and_uses_the_gpu"]
    assert t["score"] == 0 and t["extra_data"]["verdict"] == "wrong answer"


def test_a_gpu_worker_is_held_to_its_memory_limit_by_polling(monkeypatch, tmp_path):
    """Without RLIMIT_AS (GPU workers), resident memory over memory_mb stops the call."""
    from grader.sandbox.proxy import RemoteObject, Session

    # a GPU worker as on a CUDA machine (no RLIMIT_AS), but without binding device nodes
    # that do not exist here
    fake_nodes(monkeypatch, ["nvidia0"])
    bwrap_args = worker_module._bwrap_args
    monkeypatch.setattr(worker_module, "_bwrap_args",
                        lambda sub, size, gpu, forbidden=(): bwrap_args(sub, size, False, forbidden))
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "mod.py").write_text("import numpy as np, time\n"
                                "def hog():\n"
                                "    a = np.ones(600 << 20, dtype=np.uint8)\n"
                                "    time.sleep(5)\n"
                                "    return int(a[0])\n"
                                "def small():\n"
                                "    return 1\n")
    session = Session(sub, ["mod"], Limits(memory_mb=300, import_timeout=20, call_timeout=20),
                      log_dir=tmp_path / "logs", gpu=True)
    try:
        student = RemoteObject(session, None)
        assert student.small() == 1
        assert session.worker.gpu is True
        with pytest.raises(errors.MemoryLimit, match="more than 300 MiB"):
            student.hog()
        assert session.worker is None or not session.worker.alive
        assert student.small() == 1        # a fresh worker for the next call
    finally:
        session.close()
