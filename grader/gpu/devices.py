"""The GPU as the trusted side finds it: the device nodes and nvidia-smi's inventory, which
device a GPU worker gets (CUDA_VISIBLE_DEVICES honoured, one worker per device at a time, by
lock files), and what the sandbox of a GPU worker must see (device nodes, driver libraries).

Nothing here imports torch: the trusted process never needs CUDA itself.
"""
from __future__ import annotations

import fcntl
import functools
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from grader.i18n import N_

GPU_NODE = re.compile(r"nvidia(\d+)")          # /dev/nvidia0..: one per GPU; the rest are control nodes
SMI_SECONDS = 20           # nvidia-smi on a wedged GPU hangs: the grader must not
# cuInit plus the first context on a cold large GPU, with every -j worker starting at once,
# takes tens of seconds (seconds is the norm): a GPU worker's calls get this much more time
# until its CUDA context exists, and the probe gets it in full.
CONTEXT_SECONDS = 60.0
LOCK_DIR = Path(tempfile.gettempdir()) / "grader-gpu-locks"
LOCK_POLL_SECONDS = 0.2
NO_GPU = N_("no CUDA GPU on this grading machine")   # a skipped test's reason
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
