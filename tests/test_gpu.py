"""GPU support where no GPU is: one GPU decision made by a probe worker, device selection,
the trusted side's observation of a worker's GPU use (mappings of the device nodes, NVML,
nvidia-smi), GPU workers' settings, and GPU tests that are skipped with their reason and not
counted. Everything a GPU machine would give is faked at the boundary (device nodes, a fake
nvidia-smi or NVML, a file standing in for a device node); the last test runs only on a
CUDA machine."""
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
import types
from pathlib import Path

import pytest

from grader.gpu import decision as gpu_decision, devices, observation, probe as gpu_probe
from grader.checks import CheckFailed
from grader.checks import gpu as gpu_checks
from grader.plugin import gpu_skip_reason
from grader.sandbox import bwrap, errors, worker as worker_module
from grader.sandbox.worker import Limits, Worker

ROOT = Path(__file__).resolve().parents[1]
NO_GPU_REASON = gpu_skip_reason()
HAS_GPU = NO_GPU_REASON is None
FAKE_SLOT = devices.Slot("test-fake-device", ())       # a device with no node to bind


@pytest.fixture(autouse=True)
def fresh_decision():
    """Every test starts and ends with no GPU decision made (the next one decides anew)."""
    from grader.grading import max_score

    gpu_decision.adopt(None)
    max_score.cache_clear()
    yield
    gpu_decision.adopt(None)
    max_score.cache_clear()


def fake_nodes(monkeypatch, names, folder=Path("/dev")):
    monkeypatch.setattr(devices, "device_nodes", lambda: [Path(folder) / n for n in names])


def fake_smi(monkeypatch, tmp_path, script):
    smi = tmp_path / "bin" / "nvidia-smi"
    smi.parent.mkdir(exist_ok=True)
    smi.write_text("#!/bin/sh\n" + script)
    smi.chmod(smi.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{smi.parent}{os.pathsep}{os.environ['PATH']}")
    return smi


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
    view = devices.GpuView(("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia1"),
                       lib_dirs=("/opt/driver/lib",))
    args = bwrap.sandbox_args(tmp_path, 1 << 20, gpu=view)
    binds = [args[i + 1] for i, a in enumerate(args) if a == "--dev-bind"]
    assert binds == ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia1"]
    assert args[args.index("/opt/driver/lib") - 1] == "--ro-bind"
    assert "--dev-bind" not in bwrap.sandbox_args(tmp_path, 1 << 20, gpu=None)


@pytest.mark.parametrize("nodes, has_as", [([], True), (["nvidia0", "nvidiactl"], False)],
                         ids=["no GPU: address-space limit", "GPU: no address-space limit"])
def test_address_space_limit_is_dropped_only_on_gpu_workers(monkeypatch, tmp_path, nodes, has_as):
    fake_nodes(monkeypatch, nodes)
    monkeypatch.setattr(devices, "_driver_dirs", lambda: ([], []))
    seen = {}

    def popen(cmd, **kwargs):
        seen["cmd"] = cmd
        raise OSError("not started in this test")

    monkeypatch.setattr(subprocess, "Popen", popen)
    w = Worker(tmp_path, ["m"], Limits(memory_mb=512), log_dir=tmp_path / "logs", gpu=True,
               gpu_slots=[FAKE_SLOT])
    with pytest.raises(errors.SandboxFailure):
        w.start()
    assert any(a.startswith("--as=") for a in seen["cmd"]) is has_as
    assert any(a.startswith("--cpu=") for a in seen["cmd"])    # the other limits stay


def test_nvidia_smi_output_is_parsed():
    text = "1234, 503\n77, [N/A]\n1234, 10\nNo running processes found\n"
    assert observation.parse_compute_apps(text) == {1234: 513 << 20, 77: 1}


def test_gpu_processes_from_nvidia_smi(monkeypatch, tmp_path):
    smi = fake_smi(monkeypatch, tmp_path, "echo '4242, 300'\necho '99, 12'\n")
    monkeypatch.setattr(observation, "_nvml_processes", lambda: None)
    assert observation.gpu_processes() == {4242: 300 << 20, 99: 12 << 20}
    smi.write_text("#!/bin/sh\necho 'driver not loaded' >&2\nexit 9\n")
    with pytest.raises(devices.GpuQueryError, match="driver not loaded"):
        observation.gpu_processes()


def test_a_hanging_nvidia_smi_is_a_machine_problem_within_its_timeout(monkeypatch, tmp_path):
    fake_smi(monkeypatch, tmp_path, "sleep 30\n")
    fake_nodes(monkeypatch, ["nvidia0", "nvidiactl", "nvidia-uvm"])
    monkeypatch.setattr(devices, "SMI_SECONDS", 1)
    started = time.monotonic()
    decided = gpu_decision.decide()
    assert time.monotonic() - started < 10
    assert not decided.ok and "did not answer within 1 s" in decided.reason


def _fake_pynvml(monkeypatch, devices, migs=None, fail_on=None):
    """A stand-in for nvidia-ml-py: devices = [[(pid, bytes or None), ...], ...]."""
    nvml = types.ModuleType("pynvml")
    proc = lambda pid, used: types.SimpleNamespace(pid=pid, usedGpuMemory=used)  # noqa: E731

    def check(name):
        if name == fail_on:
            raise RuntimeError("NVML_ERROR_UNKNOWN")

    nvml.nvmlInit = lambda: check("init")
    nvml.nvmlShutdown = lambda: None
    nvml.nvmlDeviceGetCount = lambda: len(devices)
    nvml.nvmlDeviceGetHandleByIndex = lambda i: ("gpu", i)
    nvml.nvmlDeviceGetMaxMigDeviceCount = lambda h: len((migs or {}).get(h[1], []))
    nvml.nvmlDeviceGetMigDeviceHandleByIndex = lambda h, j: ("mig", h[1], j)

    def processes(handle):
        check("processes")
        if handle[0] == "mig":
            return [proc(*p) for p in migs[handle[1]][handle[2]]]
        return [proc(*p) for p in devices[handle[1]]]

    nvml.nvmlDeviceGetComputeRunningProcesses = processes
    nvml.nvmlDeviceGetGraphicsRunningProcesses = lambda h: []
    monkeypatch.setitem(sys.modules, "pynvml", nvml)


def test_nvml_counts_hidden_memory_as_present_and_sees_mig_devices(monkeypatch):
    _fake_pynvml(monkeypatch, [[(10, None), (11, 5 << 20)]], migs={0: [[(12, None)], [(13, 7)]]})
    assert observation.gpu_processes() == {10: 1, 11: 5 << 20, 12: 1, 13: 7}


def test_an_nvml_error_falls_back_to_nvidia_smi(monkeypatch, tmp_path):
    _fake_pynvml(monkeypatch, [[(10, 1)]], fail_on="processes")
    fake_smi(monkeypatch, tmp_path, "echo '4242, 300'\n")
    assert observation.gpu_processes() == {4242: 300 << 20}


SMI_LIST = """GPU 0: NVIDIA A100 (UUID: GPU-aaaa-0000)
GPU 1: NVIDIA A100 (UUID: GPU-bbbb-1111)
  MIG 1g.10gb     Device  0: (UUID: MIG-cccc-2222)
  MIG 1g.10gb     Device  1: (UUID: MIG-dddd-3333)
"""
SMI_QUERY = "0, GPU-aaaa-0000, 3\n1, GPU-bbbb-1111, 1\n"


@pytest.mark.parametrize("visible, want", [
    (None, [("GPU-aaaa-0000", "/dev/nvidia3"), ("GPU-bbbb-1111", "/dev/nvidia1")]),
    ("1", [("GPU-bbbb-1111", "/dev/nvidia1")]),                  # integers in PCI bus order
    ("GPU-aaaa", [("GPU-aaaa-0000", "/dev/nvidia3")]),           # a unique uuid prefix
    ("MIG-dddd-3333", [("MIG-dddd-3333", "/dev/nvidia1")]),      # a MIG slice: its GPU's node
    ("1,0", [("GPU-bbbb-1111", "/dev/nvidia1"), ("GPU-aaaa-0000", "/dev/nvidia3")]),
    ("0,7", [("GPU-aaaa-0000", "/dev/nvidia3")]),                # CUDA stops at what it cannot find
], ids=["all", "index", "uuid prefix", "mig", "two", "stops at unknown"])
def test_cuda_visible_devices_chooses_the_devices_and_names_them_by_uuid(visible, want):
    gpus = devices.parse_inventory(SMI_QUERY, SMI_LIST)
    environ = {} if visible is None else {"CUDA_VISIBLE_DEVICES": visible}
    nodes = [Path("/dev/nvidia1"), Path("/dev/nvidia3")]
    slots = devices.slots(environ, nodes, gpus)
    assert [(s.key, s.nodes[0]) for s in slots] == want
    for s in slots:
        assert dict(s.env) == {"CUDA_VISIBLE_DEVICES": s.key, "CUDA_DEVICE_ORDER": "PCI_BUS_ID"}
        assert len(s.nodes) == 1             # only that GPU's node is bound


@pytest.mark.parametrize("visible, message", [("", "hides every GPU"), ("-1", "hides every GPU"),
                                              ("7", "names no GPU"), ("GPU-", "more than one")])
def test_cuda_visible_devices_that_choose_nothing_are_the_reason(visible, message):
    gpus = devices.parse_inventory(SMI_QUERY, SMI_LIST)
    with pytest.raises(devices.GpuQueryError, match=message):
        devices.slots({"CUDA_VISIBLE_DEVICES": visible}, [Path("/dev/nvidia1")], gpus)


def test_without_nvidia_smi_all_devices_are_one_slot_and_the_environment_passes():
    environ = {"CUDA_VISIBLE_DEVICES": "1", "CUDA_DEVICE_ORDER": "PCI_BUS_ID"}
    [slot] = devices.slots(environ, [Path("/dev/nvidia0"), Path("/dev/nvidia1")], [])
    assert slot.nodes == ("/dev/nvidia0", "/dev/nvidia1")
    assert dict(slot.env) == environ


def test_a_missing_nvidia_uvm_is_the_reason_not_a_student_failure(monkeypatch, tmp_path):
    fake_nodes(monkeypatch, ["nvidia0", "nvidiactl"])
    monkeypatch.setattr(devices, "inventory", lambda: None)
    monkeypatch.setattr(devices, "UVM", tmp_path / "nvidia-uvm")   # missing
    monkeypatch.setenv("PATH", "/nonexistent")            # no nvidia-modprobe to create it
    decided = gpu_decision.decide()
    assert not decided.ok and "/dev/nvidia-uvm does not exist" in decided.reason


def test_node_groups_keep_the_group_that_may_open_a_device(tmp_path):
    open_to_all, group_only, root_group = (tmp_path / n for n in ("a", "b", "c"))
    for path, mode, gid in ((open_to_all, 0o666, 44), (group_only, 0o660, 44),
                            (root_group, 0o660, 0)):
        path.touch()
        os.chown(path, 0, gid) if os.geteuid() == 0 else None
        path.chmod(mode)
    if os.geteuid() != 0:
        pytest.skip("needs root to give a file another group")  # pragma: no cover
    assert devices.node_groups([open_to_all]) == []
    assert devices.node_groups([open_to_all, group_only, root_group]) == [44]


def test_a_root_grader_keeps_the_video_group_when_dropping_to_the_worker_uid(monkeypatch, tmp_path):
    if os.geteuid() != 0 or not bwrap.isolation_mode() == "bubblewrap":
        pytest.skip("the uid drop happens only for a root grader with namespaces")  # pragma: no cover
    fake_nodes(monkeypatch, ["nvidia0"])
    monkeypatch.setattr(devices, "LOCK_DIR", tmp_path / "locks")
    monkeypatch.setattr(devices, "view_for", lambda slot: devices.GpuView((), groups=(44,)))
    seen = {}

    def popen(cmd, **kwargs):
        seen["cmd"] = cmd
        raise OSError("not started in this test")

    monkeypatch.setattr(subprocess, "Popen", popen)
    w = Worker(tmp_path, ["m"], Limits(), log_dir=tmp_path / "logs", gpu=True,
               gpu_slots=[FAKE_SLOT])
    with pytest.raises(errors.SandboxFailure):
        w.start()
    assert "--groups=44" in seen["cmd"] and "--clear-groups" not in seen["cmd"]
    assert w.gpu_lock is None                   # a failed start frees the device


def test_libcuda_outside_usr_is_bound_and_found(tmp_path):
    driver = tmp_path / "driver"
    driver.mkdir()
    (driver / "libcuda.so.1").touch()
    ldconfig = "\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1\n"
    assert devices.libcuda_dirs({}, ldconfig) == ([], [])
    ldconfig += f"\tlibcuda.so.1 (libc6,x86-64) => {tmp_path}/cache/libcuda.so.1\n"
    (tmp_path / "cache").mkdir()
    assert devices.libcuda_dirs({"LD_LIBRARY_PATH": f"/usr/lib:{driver}"}, ldconfig) == (
        [f"{tmp_path}/cache"], [str(driver)])


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
        assert session.worker.pid in pids
        cmdlines = [Path(f"/proc/{p}/cmdline").read_bytes() for p in pids
                    if Path(f"/proc/{p}/cmdline").exists()]
        assert any(b"child.py" in c for c in cmdlines)
    finally:
        session.close()


def _mapping_module(sub: Path) -> None:
    """A submission that maps a file standing in for a GPU device node, as CUDA maps
    /dev/nvidia0 when it creates a context."""
    (sub / "nvidia0").write_bytes(b"\0" * 4096)
    (sub / "mod.py").write_text(textwrap.dedent("""\
        import mmap, time
        held = []
        def touch_gpu():
            f = open("/submission/nvidia0", "rb")
            held.append(mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ))
            return 1
        def slow():
            time.sleep(2)
            return 2
        """))


def _gpu_session(sub, tmp_path, **limits):
    from grader.sandbox.proxy import RemoteObject, Session

    session = Session(sub, ["mod"], Limits(import_timeout=20, **limits), log_dir=tmp_path / "logs",
                      gpu=gpu_decision.Decision(True, slots=(FAKE_SLOT,)))
    return session, RemoteObject(session, None)


def test_a_context_is_seen_from_outside_even_where_nvidia_smi_lists_foreign_pids(monkeypatch, tmp_path):
    """A grader in a container sees other pids in nvidia-smi than its own: the worker's
    mappings of the device nodes (matched by device and inode) still show its context."""
    sub = tmp_path / "sub"
    sub.mkdir()
    _mapping_module(sub)
    fake_nodes(monkeypatch, ["nvidia0"], folder=sub)
    monkeypatch.setattr(observation, "_nvml_processes", lambda: None)
    fake_smi(monkeypatch, tmp_path, "echo '4242, 300'\n")        # not a pid of ours
    gpu_decision.adopt(gpu_decision.Decision(True, init_mappings=0, slots=(FAKE_SLOT,)))
    session, student = _gpu_session(sub, tmp_path)
    try:
        gpu_checks.check_no_context_yet(student, what="train")
        with pytest.raises(CheckFailed, match="never used the GPU"):
            gpu_checks.check_used_gpu(student, what="train")
        assert student.touch_gpu() == 1
        seen = gpu_checks.check_used_gpu(student, what="train")
        assert seen.mappings == 1 and not seen.listed
        with pytest.raises(CheckFailed, match="already on the GPU"):
            gpu_checks.check_no_context_yet(student, what="train")
    finally:
        session.close()


def test_a_context_is_what_goes_beyond_what_cuinit_alone_maps():
    decided = gpu_decision.Decision(True, init_mappings=2)
    assert not decided.holds_context(observation.Observation(mappings=2))
    assert decided.holds_context(observation.Observation(mappings=3))
    assert decided.holds_context(observation.Observation(mappings=0, listed=True, memory=1))


def test_the_call_that_creates_the_context_gets_the_context_deadline(monkeypatch, tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    _mapping_module(sub)
    fake_nodes(monkeypatch, ["nvidia0"], folder=sub)
    monkeypatch.setattr(devices, "CONTEXT_SECONDS", 4.0)
    gpu_decision.adopt(gpu_decision.Decision(True, init_mappings=0, slots=(FAKE_SLOT,)))
    session, student = _gpu_session(sub, tmp_path, call_timeout=1)
    try:
        assert student.slow() == 2         # 2 s > 1 s: no context yet, 1 + 4 s allowed
        assert student.touch_gpu() == 1
        assert session.worker.context_seen
        with pytest.raises(errors.StudentTimeout, match="within 1 s"):
            student.slow()                 # the context exists: the call deadline again
    finally:
        session.close()


def test_a_gpu_test_starts_on_a_fresh_worker(monkeypatch):
    from grader.course import load_assignment
    from grader.plugin import GradingContext, GradingPlugin
    from grader.submissions import Submission

    sub = Submission("ann", "05_pytorch_basics", ROOT / "solutions" / "05_pytorch_basics")
    plugin = GradingPlugin(GradingContext(sub, load_assignment("05_pytorch_basics"),
                                          sub.path, Path("/nonexistent"), "s"))
    closed = []
    monkeypatch.setattr(plugin.session, "close", lambda: closed.append(1))

    def item(*markers):
        return types.SimpleNamespace(
            get_closest_marker=lambda name: object() if name in markers else None)

    plugin.pytest_runtest_setup(item("points"))
    assert closed == []
    plugin.pytest_runtest_setup(item("points", "gpu"))
    assert closed == [1]


def test_one_gpu_worker_per_device_at_a_time(monkeypatch, tmp_path):
    monkeypatch.setattr(devices, "LOCK_DIR", tmp_path / "locks")
    a, b = devices.Slot("dev-a", ()), devices.Slot("dev-b", ())
    held = devices.acquire([a])
    assert devices.acquire([a, b]).slot == b           # another device is free: no wait
    got = []
    waiter = threading.Thread(target=lambda: got.append(devices.acquire([a])))
    waiter.start()
    time.sleep(0.6)
    assert got == []                               # device a is busy: it waits
    held.release()
    waiter.join(5)
    assert got and got[0].slot == a and got[0].waited >= 0.5


def test_a_gpu_worker_holds_its_device_until_it_is_stopped(monkeypatch, tmp_path):
    import fcntl

    monkeypatch.setattr(devices, "LOCK_DIR", tmp_path / "locks")
    sub = tmp_path / "sub"
    sub.mkdir()
    _mapping_module(sub)
    fake_nodes(monkeypatch, ["nvidia0"], folder=sub)
    session, student = _gpu_session(sub, tmp_path)

    def busy():
        fd = devices._lock_file(FAKE_SLOT.key)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)

    try:
        assert student.touch_gpu() == 1
        assert busy()
    finally:
        session.close()
    assert not busy()


def test_a_cuda_error_while_sending_the_result_is_the_student_s_cuda_error(tmp_path):
    """A CUDA error of an earlier kernel surfaces when the result is copied back (.cpu()):
    the student's CUDA error and a fresh worker, not "do not call exit()"."""
    from grader.sandbox.proxy import RemoteObject, Session

    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "mod.py").write_text(textwrap.dedent("""\
        import torch
        class Result(torch.Tensor):
            def cpu(self):
                raise RuntimeError("CUDA error: an illegal memory access was encountered")
        Result.__module__ = "torch.cuda_result"
        def result():
            return torch.zeros(3).as_subclass(Result)
        def fine():
            return 1
        """))
    session = Session(sub, ["mod"], Limits(import_timeout=60, call_timeout=20),
                      log_dir=tmp_path / "logs", preimport=("numpy", "torch"))
    student = RemoteObject(session, None)
    try:
        with pytest.raises(errors.StudentException, match="CUDA error: an illegal memory") as info:
            student.result()
        assert "exit()" not in str(info.value) and "restarted" in str(info.value)
        assert student.fine() == 1
    finally:
        session.close()


def test_the_probe_finds_a_cpu_only_torch_and_every_maximum_leaves_the_gpu_tests_out(
        monkeypatch, tmp_path):
    """A GPU machine (faked: a device node) whose grading environment has the CPU build of
    torch: the probe, a real sandboxed worker, says so; the GPU tests skip with its reason,
    and the maxima of the result, of max_score and of the nbgrader export agree."""
    from grader.course import load_assignment
    from grader.grading import grade_submission, max_score
    from grader.nbgrader_export import hidden_tests
    from grader.submissions import Submission

    (tmp_path / "nvidia0").touch()
    fake_nodes(monkeypatch, ["nvidia0"], folder=tmp_path)
    monkeypatch.setattr(devices, "inventory", lambda: None)
    monkeypatch.setattr(devices, "ensure_uvm", lambda: None)
    monkeypatch.setattr(devices, "LOCK_DIR", tmp_path / "locks")
    decided = gpu_decision.decision()
    assert not decided.ok and "CPU-only build" in decided.reason, decided
    assert "after cuInit" in decided.detail
    result = grade_submission(Submission("reference", "05_pytorch_basics",
                                         ROOT / "solutions" / "05_pytorch_basics"), "secret")
    skipped = [t for t in result["tests"] if t["extra_data"]["verdict"] == "skipped"]
    assert len(skipped) == 3
    assert all(t["max_score"] == 0 and t["output"] == decided.reason for t in skipped)
    assert result["score"] == result["max_score"] == max_score("05_pytorch_basics") > 0
    exported = hidden_tests(load_assignment("05_pytorch_basics"))
    assert not any(t.gpu for t in exported)
    assert sum(t.points for t in exported) == result["max_score"]


@pytest.mark.skipif(not HAS_GPU, reason=f"needs a CUDA GPU ({NO_GPU_REASON})")
def test_on_a_gpu_the_reference_passes_the_gpu_tests_and_device_ignored_fails_them(capsys):
    from grader import gpu_check

    assert gpu_check.main([]) == 0, capsys.readouterr().out


def test_gpu_check_ends_with_no_gpu_here_on_a_machine_without_one(capsys):
    from grader import gpu_check

    if devices.gpu_nodes():
        pytest.skip("this machine has a CUDA GPU: the GPU tests run there")  # pragma: no cover
    assert gpu_check.main([]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("no GPU here: ") and NO_GPU_REASON in lines[-1]


def test_the_device_ignoring_mutant_of_gpu_check_still_applies():
    from grader import gpu_check

    source = (ROOT / "solutions" / "05_pytorch_basics" / "torch_basics.py").read_text()
    assert "torch.device('cpu')" in gpu_check.device_ignoring_mutant(source)


def test_a_gpu_worker_is_held_to_its_memory_limit_by_polling(monkeypatch, tmp_path):
    """Without RLIMIT_AS (GPU workers), resident memory over memory_mb stops the call."""
    from grader.sandbox.proxy import RemoteObject, Session

    # a GPU worker as on a CUDA machine (no RLIMIT_AS), on a device with no node to bind
    fake_nodes(monkeypatch, ["nvidia0"])
    monkeypatch.setattr(devices, "LOCK_DIR", tmp_path / "locks")
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
                      log_dir=tmp_path / "logs", gpu=gpu_decision.Decision(True, slots=(FAKE_SLOT,)))
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


def test_an_assignment_asks_for_gpu_workers_exactly_when_it_has_gpu_tests():
    from grader.course import load_assignment

    for suite in sorted((ROOT / "grader" / "suites").iterdir()):
        if not (suite / "assignment.toml").exists():
            continue
        marked = any("pytest.mark.gpu" in f.read_text() for f in suite.glob("test_*.py"))
        wanted = bool(load_assignment(suite.name).settings.get("gpu"))
        assert marked == wanted, f"{suite.name}: gpu = {wanted} but GPU tests: {marked}"


FAKE_GPU_SUITE = '''
import pytest
from grader.checks.gpu import check_no_context_yet, check_used_gpu

@pytest.mark.gpu
@pytest.mark.points(2)
def test_train_uses_the_device(student):
    what = 'train(device="cuda")'
    check_no_context_yet(student, what=what)
    student.train("cuda")
    check_used_gpu(student, what=what)

@pytest.mark.gpu
@pytest.mark.points(1)
def test_predict_uses_the_device(student):
    what = 'predict(device="cuda")'
    check_no_context_yet(student, what=what)
    student.predict("cuda")
    check_used_gpu(student, what=what)
'''

FAKE_GPU_CODE = '''
import mmap
held = []
def _context():
    f = open(NODE, "rb")
    held.append(mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ))
def train(device):
    if device == "cuda" and TRAIN:
        _context()
def predict(device):
    if device == "cuda" and PREDICT:
        _context()
if AT_IMPORT:
    _context()
'''


@pytest.mark.parametrize("flags, scores", [
    ({"TRAIN": True, "PREDICT": True, "AT_IMPORT": False}, {"train": 2, "predict": 1}),
    ({"TRAIN": False, "PREDICT": True, "AT_IMPORT": False}, {"train": 0, "predict": 1}),
    # train's context must not stand in for predict's: each GPU test has a fresh worker
    ({"TRAIN": True, "PREDICT": False, "AT_IMPORT": False}, {"train": 2, "predict": 0}),
    ({"TRAIN": True, "PREDICT": True, "AT_IMPORT": True}, {"train": 0, "predict": 0}),
], ids=["uses the device", "train ignores it", "predict ignores it", "on the GPU at import"])
def test_gpu_tests_on_a_fake_device_end_to_end(monkeypatch, tmp_path, flags, scores):
    """A whole grading run on a fake GPU (a file standing in for /dev/nvidia0, bound into
    the sandbox as a GPU worker's device node; "a CUDA context" = a mapping of it): a GPU
    test passes only when the call given the device creates the context itself."""
    from grader.grading import grade_submission
    from grader.submissions import Submission

    node = tmp_path / "dev" / "nvidia0"
    node.parent.mkdir()
    node.write_bytes(b"\0" * 4096)
    suites = tmp_path / "suites"
    (suites / "92_fakegpu").mkdir(parents=True)
    (suites / "92_fakegpu" / "assignment.toml").write_text(
        'modules = ["fake"]\ngpu = true\ncall_timeout = 5\nimport_timeout = 20\n')
    (suites / "92_fakegpu" / "test_fake_gpu.py").write_text(FAKE_GPU_SUITE)
    monkeypatch.setenv("GRADER_SUITES_DIR", str(suites))
    monkeypatch.setenv("GRADER_COURSE_DIR", str(tmp_path))
    fake_nodes(monkeypatch, ["nvidia0"], folder=node.parent)
    monkeypatch.setattr(devices, "LOCK_DIR", tmp_path / "locks")
    monkeypatch.setattr(observation, "_nvml_processes", lambda: None)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")         # no nvidia-smi: mappings only
    gpu_decision.adopt(gpu_decision.Decision(True, init_mappings=0,
                           slots=(devices.Slot("fake-gpu", (str(node),)),)))
    sub = tmp_path / "class" / "ann" / "92_fakegpu"
    sub.mkdir(parents=True)
    header = f"NODE = {str(node)!r}\n" + "".join(f"{k} = {v}\n" for k, v in flags.items())
    (sub / "fake.py").write_text(header + FAKE_GPU_CODE)
    result = grade_submission(Submission("ann", "92_fakegpu", sub), secret="s")
    got = {t["extra_data"]["nodeid"].split("::")[-1].split("_")[1]: t["score"]
           for t in result["tests"]}
    assert got == scores, [(t["extra_data"]["verdict"], t["output"]) for t in result["tests"]]
    assert result["max_score"] == 3


def test_a_probe_whose_cuda_fails_inside_the_sandbox_is_the_skip_reason(monkeypatch, tmp_path):
    (tmp_path / "nvidia0").touch()
    fake_nodes(monkeypatch, ["nvidia0"], folder=tmp_path)
    monkeypatch.setattr(devices, "inventory", lambda: None)
    monkeypatch.setattr(devices, "ensure_uvm", lambda: None)
    monkeypatch.setattr(devices, "LOCK_DIR", tmp_path / "locks")
    monkeypatch.setattr(gpu_probe, "PROBE_SOURCE", "raise RuntimeError('CUDA driver initialization "
                                             "failed, you might not have a CUDA gpu')\n")
    decided = gpu_decision.decision()
    assert not decided.ok
    assert decided.reason.startswith("CUDA does not work inside the sandbox")
    assert "CUDA driver initialization failed" in decided.reason
    assert gpu_skip_reason() == decided.reason
