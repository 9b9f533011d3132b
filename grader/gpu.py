"""The GPU, from the trusted side: one decision whether GPU tests run here (made by a probe
worker in the exact sandbox of a GPU worker and confirmed from outside), which device a GPU
worker gets (CUDA_VISIBLE_DEVICES honoured, one worker per device at a time), and whether a
worker holds a CUDA context, observed without believing anything the worker says.

Nothing here imports torch: the trusted process never needs CUDA itself.
"""
from __future__ import annotations

import dataclasses
import fcntl
import functools
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

GPU_NODE = re.compile(r"nvidia(\d+)")          # /dev/nvidia0..: one per GPU; the rest are control nodes
SMI_SECONDS = 20           # nvidia-smi on a wedged GPU hangs: the grader must not
# cuInit plus the first context on a cold large GPU, with every -j worker starting at once,
# takes tens of seconds (seconds is the norm): a GPU worker's calls get this much more time
# until its CUDA context exists, and the probe gets it in full.
CONTEXT_SECONDS = 60.0
PROBE_SECONDS = 3 * CONTEXT_SECONDS
LOCK_DIR = Path(tempfile.gettempdir()) / "grader-gpu-locks"
LOCK_POLL_SECONDS = 0.2
NO_GPU = "no CUDA GPU on this grading machine"
UVM = Path("/dev/nvidia-uvm")


class GpuQueryError(Exception):
    """The grading machine's GPU could not be queried (a machine problem, never a student's)."""


# --- what the machine has --------------------------------------------------------------------
def device_nodes() -> list[Path]:
    """/dev/nvidia* (nvidia0.., nvidiactl, nvidia-uvm, nvidia-caps/): only where a driver is."""
    return sorted(Path("/dev").glob("nvidia*"))


def gpu_nodes() -> list[Path]:
    return [p for p in device_nodes() if GPU_NODE.fullmatch(p.name)]


def control_nodes() -> list[Path]:
    return [p for p in device_nodes() if not GPU_NODE.fullmatch(p.name)]


def nvidia_smi(*args: str) -> str | None:
    """nvidia-smi's output, None where it is not installed; GpuQueryError when it fails or
    hangs (SMI_SECONDS)."""
    smi = shutil.which("nvidia-smi")
    if not smi:
        return None
    try:
        proc = subprocess.run([smi, *args], capture_output=True, text=True, timeout=SMI_SECONDS)
    except subprocess.TimeoutExpired:
        raise GpuQueryError(f"nvidia-smi did not answer within {SMI_SECONDS} s "
                            "(a wedged GPU or driver)") from None
    except OSError as exc:
        raise GpuQueryError(f"nvidia-smi could not run ({exc})") from None
    if proc.returncode != 0:
        why = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-1:] or ["no output"]
        raise GpuQueryError(f"nvidia-smi finds no usable GPU ({why[0][:200]})")
    return proc.stdout


@dataclass(frozen=True)
class Gpu:
    index: int                # nvidia-smi's index: PCI bus order
    uuid: str                 # GPU-...
    minor: int                # /dev/nvidia<minor>
    migs: tuple[str, ...] = ()   # MIG-... uuids of its MIG devices


def parse_inventory(query: str, listing: str) -> list[Gpu]:
    """`nvidia-smi --query-gpu=index,uuid,minor_number --format=csv,noheader` and
    `nvidia-smi -L` (which names the MIG devices under their GPU) -> the GPUs."""
    migs: dict[str, list[str]] = {}
    current = None
    for line in listing.splitlines():
        gpu = re.match(r"\s*GPU \d+:.*\(UUID: (GPU-[^)\s]+)\)", line)
        mig = re.match(r"\s+MIG .*\(UUID: (MIG-[^)\s]+)\)", line)
        if gpu:
            current = gpu.group(1)
        elif mig and current:
            migs.setdefault(current, []).append(mig.group(1))
    gpus = []
    for line in query.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 3 and parts[0].isdigit() and parts[2].isdigit():
            gpus.append(Gpu(int(parts[0]), parts[1], int(parts[2]), tuple(migs.get(parts[1], ()))))
    return sorted(gpus, key=lambda g: g.index)


def inventory() -> list[Gpu] | None:
    """The GPUs as nvidia-smi lists them; None where nvidia-smi is not installed."""
    query = nvidia_smi("--query-gpu=index,uuid,minor_number", "--format=csv,noheader")
    if query is None:
        return None
    return parse_inventory(query, nvidia_smi("-L") or "")


# --- which device a worker gets ---------------------------------------------------------------
@dataclass(frozen=True)
class Slot:
    """One device a GPU worker may hold: the GPU device nodes it gets (besides the control
    nodes), the CUDA environment that names the device, and the name of its lock."""
    key: str
    nodes: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()


def slots(environ=None, nodes: list[Path] | None = None,
          gpus: list[Gpu] | None = None) -> list[Slot]:
    """The devices GPU workers may use, honouring CUDA_VISIBLE_DEVICES (integers in PCI bus
    order, GPU-/MIG- uuids or their unique prefixes). Each worker is then given its device by
    uuid, so the CUDA inside the sandbox cannot pick another one. Where nvidia-smi is missing
    (no uuids), all visible devices form one slot and the environment passes unchanged."""
    environ = os.environ if environ is None else environ
    nodes = gpu_nodes() if nodes is None else nodes
    gpus = inventory() if gpus is None else gpus
    wanted = environ.get("CUDA_VISIBLE_DEVICES")
    passed = tuple((k, environ[k]) for k in ("CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER")
                   if k in environ)
    if wanted is not None and wanted.strip() in ("", "-1", "NoDevFiles"):
        raise GpuQueryError(f"CUDA_VISIBLE_DEVICES={wanted!r} hides every GPU")
    if not gpus:
        if not nodes:
            raise GpuQueryError(NO_GPU)
        return [Slot("all", tuple(str(n) for n in nodes), passed)]
    order = (("CUDA_DEVICE_ORDER", "PCI_BUS_ID"),)
    if wanted is None:
        chosen = [(g, g.uuid) for g in gpus if Path(f"/dev/nvidia{g.minor}") in nodes
                  or not nodes]
    else:
        chosen = []
        for entry in (e.strip() for e in wanted.split(",")):
            if entry.isdigit():
                match = [(g, g.uuid) for g in gpus if g.index == int(entry)]
            elif entry.startswith("MIG-"):
                match = [(g, m) for g in gpus for m in g.migs if m.startswith(entry)]
            else:
                match = [(g, g.uuid) for g in gpus if g.uuid.startswith(entry)]
            if len(match) != 1:
                # CUDA stops at the first entry it cannot resolve; so do we
                if not chosen:
                    raise GpuQueryError(f"CUDA_VISIBLE_DEVICES={wanted!r}: {entry!r} names "
                                        f"{'no' if not match else 'more than one'} GPU here")
                break
            chosen.append(match[0])
    if not chosen:
        raise GpuQueryError(NO_GPU)
    return [Slot(name, (f"/dev/nvidia{g.minor}",),
                 (("CUDA_VISIBLE_DEVICES", name),) + order) for g, name in chosen]


class SlotLock:
    """A held device (Slot) and its lock: one GPU worker per device at a time, across the
    processes of a run and across runs on this machine (flock, released by the kernel when
    the holder dies)."""

    def __init__(self, slot: Slot, fd: int, waited: float):
        self.slot, self._fd, self.waited = slot, fd, waited

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _lock_file(key: str) -> int:
    if not LOCK_DIR.is_dir():
        LOCK_DIR.mkdir(exist_ok=True)
        try:
            LOCK_DIR.chmod(0o1777)       # graders of other users lock the same devices
        except OSError:
            pass
    path = LOCK_DIR / (re.sub(r"[^A-Za-z0-9_.-]", "_", key) + ".lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        os.fchmod(fd, 0o666)            # graders of other users share the device
    except OSError:
        pass
    return fd


def acquire(candidates: list[Slot]) -> SlotLock:
    """The first free device of `candidates`, waiting for one to become free."""
    if not candidates:
        raise GpuQueryError("no GPU to give this worker (no device passed the GPU decision)")
    started = time.monotonic()
    while True:
        for slot in candidates:
            fd = _lock_file(slot.key)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return SlotLock(slot, fd, time.monotonic() - started)
        time.sleep(LOCK_POLL_SECONDS)


# --- what the sandbox of a GPU worker needs ---------------------------------------------------
def ensure_uvm() -> str | None:
    """/dev/nvidia-uvm must exist before the sandbox starts: CUDA creates it on first use
    with the setuid nvidia-modprobe, which the sandbox forbids. None, or why it is missing."""
    if UVM.exists():
        return None
    modprobe = shutil.which("nvidia-modprobe")
    if modprobe:
        try:
            subprocess.run([modprobe, "-u", "-c=0"], capture_output=True, timeout=SMI_SECONDS)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if UVM.exists():
            return None
    return ("/dev/nvidia-uvm does not exist and could not be created (load the nvidia_uvm "
            "module or run `nvidia-modprobe -u -c=0` as root once after boot)")


def libcuda_dirs(environ=None, ldconfig: str | None = None) -> tuple[list[str], list[str]]:
    """Folders outside /usr that hold the driver's libcuda.so.1 (the sandbox binds /usr only):
    (from the linker cache, from LD_LIBRARY_PATH). The second must reach the worker as its
    LD_LIBRARY_PATH too."""
    environ = os.environ if environ is None else environ
    if ldconfig is None:
        try:
            ldconfig = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True,
                                      timeout=SMI_SECONDS).stdout
        except (OSError, subprocess.TimeoutExpired):
            ldconfig = ""
    cached = []
    for line in ldconfig.splitlines():
        found = re.match(r"\s*libcuda\.so\.1 .*=> (\S+)", line)
        if found:
            folder = str(Path(found.group(1)).parent)
            if not folder.startswith("/usr/") and folder not in cached:
                cached.append(folder)
    from_env = []
    for folder in environ.get("LD_LIBRARY_PATH", "").split(":"):
        if folder and not folder.startswith("/usr/") and (Path(folder) / "libcuda.so.1").exists() \
                and folder not in from_env:
            from_env.append(folder)
    return [f for f in cached if f not in from_env and Path(f).is_dir()], from_env


def node_groups(nodes) -> list[int]:
    """Groups (e.g. `video`) a worker must keep to open the device nodes when a root grader
    drops to an unprivileged uid: the owning group of each node others cannot open."""
    gids = set()
    for node in nodes:
        try:
            st = os.stat(node)
        except OSError:
            continue
        if st.st_mode & 0o006 != 0o006 and st.st_mode & 0o060 and st.st_gid != 0:
            gids.add(st.st_gid)
    return sorted(gids)


@dataclass(frozen=True)
class GpuView:
    """What a GPU worker's sandbox gets: device nodes, driver folders, environment, groups."""
    nodes: tuple[str, ...]
    lib_dirs: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    groups: tuple[int, ...] = ()


@functools.lru_cache(maxsize=1)
def _driver_dirs() -> tuple[list[str], list[str]]:
    """libcuda_dirs() of this machine, read once per process: the linker cache and the
    environment do not change during a run (ldconfig -p is not run at every worker start)."""
    return libcuda_dirs()


def view_for(slot: Slot) -> GpuView:
    nodes = [str(n) for n in control_nodes()] + list(slot.nodes)
    cached, from_env = _driver_dirs()
    env = dict(slot.env)
    if from_env:
        env["LD_LIBRARY_PATH"] = ":".join(from_env)
    return GpuView(tuple(nodes), tuple(cached + from_env), tuple(env.items()),
                   tuple(node_groups(nodes)))


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
    text = nvidia_smi("--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits")
    if text is None:
        raise GpuQueryError("neither the NVML bindings (nvidia-ml-py) nor nvidia-smi are "
                            "available to list the GPU's processes")
    return parse_compute_apps(text)


def observe(pids, nodes=None, per_process: bool = True) -> Observation:
    """The worker's GPU use now, seen from outside (pids: Worker.host_pids()); without
    `per_process`, the mappings only (cheap: no NVML, no nvidia-smi)."""
    pids = set(pids)
    nodes = device_nodes() if nodes is None else nodes
    lines = mapped_lines(pids, nodes)
    seen = Observation(mappings=len(lines), lines=lines)
    if not per_process:
        return seen
    try:
        processes = gpu_processes()
    except GpuQueryError as exc:
        seen.query_error = str(exc)
        return seen
    matched = [p for p in pids if p in processes]
    seen.listed = bool(matched)
    seen.memory = sum(processes[p] for p in matched)
    return seen


# --- the one decision -------------------------------------------------------------------------
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

    def holds_context(self, seen: Observation) -> bool:
        return seen.listed or seen.mappings > self.init_mappings


_decided: Decision | None = None


def decision() -> Decision:
    """The one answer to "do GPU tests run here", made once per process (a pool process
    adopts its parent's, see adopt)."""
    global _decided
    if _decided is None:
        _decided = decide()
    return _decided


def known() -> Decision | None:
    return _decided


def adopt(decided: Decision | None) -> None:
    """Take the decision made by the parent process (pool processes), or forget it (None)."""
    global _decided
    _decided = decided


def decide() -> Decision:
    if not gpu_nodes():
        return Decision(False, NO_GPU)
    try:
        candidates = slots()
    except GpuQueryError as exc:
        return Decision(False, str(exc))
    problem = ensure_uvm()
    if problem:
        return Decision(False, problem)
    return probe(candidates)


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


def probe(candidates: list[Slot]) -> Decision:
    """Start a GPU worker exactly as a submission's (sandbox, device, environment, lock),
    initialise CUDA and allocate inside it, and confirm from outside that it holds a context."""
    from grader.sandbox import errors
    from grader.sandbox.proxy import RemoteObject, Session
    from grader.sandbox.worker import Limits

    with tempfile.TemporaryDirectory(prefix="grader-gpu-probe-") as tmp:
        sub = Path(tmp) / "probe"
        sub.mkdir()
        (sub / "gpu_probe.py").write_text(PROBE_SOURCE)
        limits = Limits(memory_mb=0, cpu_seconds=int(PROBE_SECONDS), import_timeout=PROBE_SECONDS,
                        call_timeout=PROBE_SECONDS)
        session = Session(sub, ["gpu_probe"], limits, log_dir=Path(tmp) / "logs",
                          preimport=("numpy", "torch"), gpu=True, gpu_slots=candidates)
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
                                       "torch has no CUDA support (a CPU-only build)",
                                "\n".join(steps))
            if not init.get("available"):
                tail = _tail(Path(tmp) / "logs" / "stderr.txt")
                return Decision(False, "CUDA cannot be initialised inside the sandbox (torch "
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
