"""The GPU probe: a worker started exactly as a submission's GPU worker (sandbox, device,
environment, lock) initialises CUDA and allocates, and the trusted side confirms from outside
that it holds a context. Its outcome is the one decision (grader.gpu.decision): torch's, and
TensorFlow's for the assignments whose GPU tests use TensorFlow.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import re
import tempfile
from pathlib import Path

from grader.gpu.devices import CONTEXT_SECONDS, Slot
from grader.gpu.observation import Decision, observe
from grader.sandbox import errors
from grader.sandbox.proxy import RemoteObject, Session
from grader.sandbox.worker import Limits

PROBE_SECONDS = 3 * CONTEXT_SECONDS


PROBE_SOURCE = '''\
"""The grader's GPU probe: runs in the sandbox of a GPU worker, no student code."""
import torch


def initialise():
    """cuInit only, as torch.cuda.is_available() does it."""
    return {"cuda": torch.version.cuda, "available": bool(torch.cuda.is_available()),
            "count": int(torch.cuda.device_count()) if torch.cuda.is_available() else 0}


def allocate():
    """A context and one allocation on the worker's device."""
    x = torch.ones(1 << 20, device="cuda")
    torch.cuda.synchronize()
    return {"sum": float(x.sum().item()), "name": torch.cuda.get_device_name(0)}
'''

TENSORFLOW_PROBE_SOURCE = '''\
"""The grader's GPU probe for TensorFlow: runs in the sandbox of a GPU worker, no student code."""
import tensorflow as tf


def initialise():
    """cuInit and the list of devices, as tf.config.list_physical_devices("GPU") does it."""
    info = tf.sysconfig.get_build_info()
    found = tf.config.list_physical_devices("GPU")
    return {"cuda": info.get("cuda_version") if info.get("is_cuda_build") else None,
            "available": bool(found), "count": len(found)}


def allocate():
    """A context and one allocation on the worker's device."""
    with tf.device("/GPU:0"):
        total = float(tf.reduce_sum(tf.ones([1 << 20])))
    details = tf.config.experimental.get_device_details(tf.config.list_physical_devices("GPU")[0])
    return {"sum": total, "name": details.get("device_name", "GPU:0")}
'''


def sources() -> dict[str, str]:
    """The probe module of each framework (read when probing: tests replace them)."""
    return {"torch": PROBE_SOURCE, "tensorflow": TENSORFLOW_PROBE_SOURCE}


def build_problem(framework: str) -> str | None:
    """Why `framework` as installed here cannot use a GPU, seen without importing it (None:
    it may; the probe decides). TensorFlow says in its build_info.py whether it was built
    with CUDA: tensorflow-cpu, the package the course installs, is not."""
    if framework == "torch":
        return None                          # the probe itself asks torch (torch.version.cuda)
    if framework != "tensorflow":
        return f"no GPU probe for the framework {framework!r} (torch or tensorflow)"
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or not spec.submodule_search_locations:
        return "TensorFlow is not installed in the grading environment"
    info = Path(list(spec.submodule_search_locations)[0]) / "python" / "platform" / "build_info.py"
    try:
        text = info.read_text()
    except OSError:
        return None
    if re.search(r"'is_cuda_build', False", text):
        return ("this machine has a GPU, but the grading environment's TensorFlow has no CUDA "
                "support (a CPU-only build such as tensorflow-cpu; the GPU tests of a "
                "TensorFlow assignment need tensorflow[and-cuda] at the same version)")
    return None


def probe(candidates: list[Slot], framework: str = "torch") -> Decision:
    """Start a GPU worker exactly as a submission's (sandbox, device, environment, lock),
    initialise CUDA and allocate inside it with `framework`, and confirm from outside that it
    holds a context."""
    problem = build_problem(framework)
    if problem:
        return Decision(False, problem)
    name = "TensorFlow" if framework == "tensorflow" else framework
    with tempfile.TemporaryDirectory(prefix="grader-gpu-probe-") as tmp:
        sub = Path(tmp) / "probe"
        sub.mkdir()
        (sub / "gpu_probe.py").write_text(sources()[framework])
        limits = Limits(memory_mb=0, cpu_seconds=int(PROBE_SECONDS), import_timeout=PROBE_SECONDS,
                        call_timeout=PROBE_SECONDS)
        session = Session(sub, ["gpu_probe"], limits, log_dir=Path(tmp) / "logs",
                          preimport=("numpy", framework),
                          gpu=Decision(True, slots=tuple(candidates)))
        steps = []
        try:
            probe_module = RemoteObject(session, None)
            worker = session.ensure_worker()
            before = observe(worker.host_pids())
            init = probe_module.initialise()
            after_init = observe(worker.host_pids())
            steps.append(f"after import: {before.evidence()}")
            steps.append(f"after cuInit: {after_init.evidence()}")
            if not isinstance(init, dict) or init.get("cuda") is None:
                return Decision(False, "this machine has a GPU, but the grading environment's "
                                       f"{name} has no CUDA support (a CPU-only build)",
                                "\n".join(steps))
            if not init.get("available"):
                tail = _tail(Path(tmp) / "logs" / "stderr.txt")
                return Decision(False, f"CUDA cannot be initialised inside the sandbox ({name} "
                                       f"{init.get('cuda')}: no usable device){tail}",
                                "\n".join(steps))
            done = probe_module.allocate()
            after = observe(worker.host_pids())
            steps.append(f"after allocating on {done.get('name', '?')}: {after.evidence()}")
            steps += [f"  {line}" for line in after.lines[:8]]
        except errors.StudentError as exc:
            tail = _tail(Path(tmp) / "logs" / "stderr.txt")
            return Decision(False, f"CUDA does not work inside the sandbox: {exc.message}{tail}",
                            "\n".join(steps))
        finally:
            session.close()
        trial = Decision(True, init_mappings=after_init.mappings, slots=tuple(candidates))
        if not trial.holds_context(after):
            return Decision(False, "a CUDA context inside the sandbox cannot be observed from "
                                   "outside (no new mapping of the GPU's device nodes, no "
                                   "process listed by NVML or nvidia-smi): GPU use could not "
                                   "be confirmed", "\n".join(steps))
        return dataclasses.replace(trial, detail="\n".join(steps))


def _tail(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return f"; the worker said: {lines[-1][:300]}" if lines else ""
