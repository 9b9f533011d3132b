"""GPU checks, from the trusted side: which processes hold GPU memory (NVML, or nvidia-smi
where the NVML bindings are not installed), so a suite can confirm that the student's worker
really used the GPU instead of believing what the worker says.
"""
from __future__ import annotations

import shutil
import subprocess

from grader.checks.errors import CheckFailed


class GpuQueryError(Exception):
    """Neither NVML nor nvidia-smi could list the GPU's processes (a grader problem)."""


def _nvml_processes() -> dict[int, int] | None:
    try:
        import pynvml            # nvidia-ml-py: optional
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except Exception:            # noqa: BLE001  no driver: let nvidia-smi try
        return None
    try:
        used: dict[int, int] = {}
        for i in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(i)
            for proc in pynvml.nvmlDeviceGetComputeRunningProcesses(handle):
                used[int(proc.pid)] = used.get(int(proc.pid), 0) + int(proc.usedGpuMemory or 0)
        return used
    finally:
        pynvml.nvmlShutdown()


def parse_compute_apps(text: str) -> dict[int, int]:
    """`nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits`
    output -> {pid: bytes}. Memory shown as "[N/A]" (some containers) counts as 1 byte:
    the process is on the GPU, its amount unknown."""
    used: dict[int, int] = {}
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 2 or not parts[0].isdigit():
            continue
        mib = int(parts[1]) << 20 if parts[1].isdigit() else 1
        used[int(parts[0])] = used.get(int(parts[0]), 0) + mib
    return used


def gpu_processes() -> dict[int, int]:
    """{host pid: GPU memory in bytes} of every process that holds a CUDA context now."""
    found = _nvml_processes()
    if found is not None:
        return found
    smi = shutil.which("nvidia-smi")
    if not smi:
        raise GpuQueryError("neither the NVML bindings (nvidia-ml-py) nor nvidia-smi are "
                            "available to observe the GPU")
    proc = subprocess.run([smi, "--query-compute-apps=pid,used_memory",
                           "--format=csv,noheader,nounits"],
                          capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        raise GpuQueryError(f"nvidia-smi failed: {proc.stderr.strip()[:200]}")
    return parse_compute_apps(proc.stdout)


def check_used_gpu(worker_pids, *, what: str, processes: dict[int, int] | None = None) -> int:
    """Fail unless one of the worker's processes holds GPU memory; returns the bytes held.
    `processes` (from gpu_processes()) may be given, e.g. by a test."""
    processes = gpu_processes() if processes is None else processes
    held = sum(processes.get(pid, 0) for pid in worker_pids)
    if held <= 0:
        raise CheckFailed(f"{what}: your process never used the GPU (it holds no GPU memory); "
                          "put the model and the batches on the `device` you are given")
    return held
