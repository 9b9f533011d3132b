"""Whether a worker holds a CUDA context, observed from outside without believing anything
the worker says: its mappings of the GPU's device nodes in /proc/<pid>/maps, and GPU memory
per process from NVML or nvidia-smi where its pids match; and `Decision`, the one answer to
"do GPU tests run here" that such an observation is judged against.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from grader.gpu import devices
from grader.gpu.devices import Slot

# --- observing a worker from outside ----------------------------------------------------------
@dataclass
class Observation:
    """A worker's GPU use as the trusted side sees it: mappings of the GPU's device nodes in
    /proc/<pid>/maps (matched by device and inode, so it works across pid and mount
    namespaces), and GPU memory per process from NVML or nvidia-smi where its pids match."""
    mappings: int = 0
    memory: int = 0
    listed: bool = False                      # NVML / nvidia-smi listed one of the pids
    lines: list[str] = field(default_factory=list)
    query_error: str = ""

    def evidence(self) -> str:
        said = [f"{self.mappings} mapping(s) of the GPU's device nodes"]
        if self.listed:
            said.append(f"{self.memory >> 20} MiB of GPU memory listed for its pid")
        elif self.query_error:
            said.append(f"per-process GPU memory unavailable ({self.query_error})")
        return "; ".join(said)


def _node_ids(nodes) -> set[tuple[int, int]]:
    ids = set()
    for node in nodes:
        try:
            st = os.stat(node)
        except OSError:
            continue
        ids.add((st.st_dev, st.st_ino))
    return ids


def mapped_lines(pids, nodes) -> list[str]:
    """The lines of the processes' /proc/<pid>/maps that map one of `nodes`."""
    ids = _node_ids(nodes)
    found = []
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/maps").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            parts = line.split(None, 5)
            if len(parts) < 5 or parts[4] == "0":
                continue
            major, _, minor = parts[3].partition(":")
            try:
                key = (os.makedev(int(major, 16), int(minor, 16)), int(parts[4]))
            except ValueError:
                continue
            if key in ids:
                found.append(f"{pid}: {line}")
    return found


def _nvml_processes() -> dict[int, int] | None:
    """{pid: bytes} from NVML over every GPU and MIG device; None where NVML cannot answer
    (not installed, no driver, an NVML error): nvidia-smi is tried then."""
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

        def add(handle):
            for getter in ("nvmlDeviceGetComputeRunningProcesses",
                           "nvmlDeviceGetGraphicsRunningProcesses"):
                for proc in getattr(pynvml, getter)(handle):
                    # usedGpuMemory is None where the driver hides it (containers): the
                    # process is on the GPU, its amount unknown (1 byte)
                    used[int(proc.pid)] = used.get(int(proc.pid), 0) + int(proc.usedGpuMemory or 1)

        for i in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(i)
            add(handle)
            try:
                mig_count = pynvml.nvmlDeviceGetMaxMigDeviceCount(handle)
            except Exception:    # noqa: BLE001  no MIG support on this GPU
                mig_count = 0
            for j in range(mig_count):
                try:
                    mig = pynvml.nvmlDeviceGetMigDeviceHandleByIndex(handle, j)
                except Exception:    # noqa: BLE001  an empty MIG slot
                    continue
                add(mig)
        return used
    except Exception:            # noqa: BLE001  an NVML error: nvidia-smi may still answer
        return None
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:        # noqa: BLE001
            pass


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
        used[int(parts[0])] = used.get(int(parts[0]), 0) + (mib or 1)
    return used


def gpu_processes() -> dict[int, int]:
    """{pid as the driver sees it: GPU memory in bytes} of every process with a CUDA context."""
    found = _nvml_processes()
    if found is not None:
        return found
    text = devices.nvidia_smi("--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits")
    if text is None:
        raise devices.GpuQueryError("neither the NVML bindings (nvidia-ml-py) nor nvidia-smi are "
                            "available to list the GPU's processes")
    return parse_compute_apps(text)


def observe(pids, nodes=None, per_process: bool = True) -> Observation:
    """The worker's GPU use now, seen from outside (pids: Worker.host_pids()); without
    `per_process`, the mappings only (cheap: no NVML, no nvidia-smi)."""
    pids = set(pids)
    nodes = devices.device_nodes() if nodes is None else nodes
    lines = mapped_lines(pids, nodes)
    seen = Observation(mappings=len(lines), lines=lines)
    if not per_process:
        return seen
    try:
        processes = gpu_processes()
    except devices.GpuQueryError as exc:
        seen.query_error = str(exc)
        return seen
    matched = [p for p in pids if p in processes]
    seen.listed = bool(matched)
    seen.memory = sum(processes[p] for p in matched)
    return seen


@dataclass(frozen=True)
class Decision:
    """Whether GPU tests run here. `reason` is the skip reason when they do not; `detail` is
    what the probe saw. `init_mappings`: device-node mappings a process has after cuInit alone
    (torch.cuda.is_available()), learned by the probe: a CUDA context shows as more."""
    ok: bool
    reason: str = ""
    detail: str = ""
    init_mappings: int = 0
    slots: tuple[Slot, ...] = ()        # the devices GPU workers take turns on
    # the decisions for other frameworks than torch's, made on top of this one (decision.py):
    # ((framework, Decision), ...), carried with it to the pool processes that adopt it
    frameworks: tuple = ()

    def holds_context(self, seen: Observation) -> bool:
        return seen.listed or seen.mappings > self.init_mappings
