"""The sandbox around a worker: which isolation this machine gives (bubblewrap, namespaces
only, or none), the bubblewrap command with the worker's view of the file system
(SANDBOX.md), the worker's environment, and the processes a worker left (process_tree).
Cold workers and the zygote are started with it."""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from grader.gpu import devices as gpus
from grader.sandbox import view

HARNESS_DIR = Path(__file__).resolve().parent / "harness"
FORBIDDEN_MODULE = HARNESS_DIR / "forbidden.py"


UNSHARE = ["--pid", "--fork", "--kill-child", "--mount", "--net", "--ipc", "--uts",
           "--propagation", "private"]


NAMESPACES_NOTE = "namespaces and a sandbox uid (unshare)"


NO_NAMESPACES_NOTE = ("no namespaces: student code runs as this user and can read what this "
                      "user can read")


@functools.lru_cache(maxsize=1)
def isolation_mode() -> str:
    """'bubblewrap', or 'reduced isolation: <why>; <what is used instead>' when bubblewrap
    cannot be used here (or GRADER_ISOLATION=reduced asks for the reduced mode)."""
    why = _bubblewrap_problem()
    if why is None:
        return "bubblewrap"
    return f"reduced isolation: {why}; " + (NAMESPACES_NOTE if reduced_namespaces()
                                            else NO_NAMESPACES_NOTE)


def is_reduced(mode: str) -> bool:
    return mode.startswith("reduced isolation")


def _bubblewrap_problem() -> str | None:
    if os.environ.get("GRADER_ISOLATION", "") == "reduced":
        return "GRADER_ISOLATION=reduced"
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return "bubblewrap (bwrap) is not installed"
    probe = subprocess.run(
        [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr",
         "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
         "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "/usr/bin/true"],
        capture_output=True, timeout=20)
    if probe.returncode != 0:
        why = probe.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["failed"]
        return f"bubblewrap cannot create namespaces here ({why[0]})"
    return None


@functools.lru_cache(maxsize=1)
def reduced_namespaces() -> bool:
    """Whether the reduced mode can still give the worker its own namespaces, its own view
    of the file system and (as root) its own uid: `unshare` run as root."""
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or not unshare or not Path("/usr/bin/setpriv").exists():
        return False
    try:
        probe = subprocess.run([unshare, *UNSHARE, "/usr/bin/true"], capture_output=True,
                               timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def _ancestors(path: Path) -> list[Path]:
    return [p for p in reversed(path.parents) if p != Path("/")]


def sandbox_view(submission_dir: Path, tmp_size: int, gpu: gpus.GpuView | None,
                 forbidden: tuple[str, ...] = ()) -> list[tuple]:
    """The allow-list of SANDBOX.md section 3, as operations: nothing of the grader but the
    harness, and of the Python installation only what code needs to run (grader.sandbox.view).
    bubblewrap is given them as arguments (bwrap_args); the reduced mode's launcher applies
    them itself (grader/sandbox/launcher.py). Each is ("ro-bind", src, dst), ("dev-bind",
    src, dst), ("tmpfs", path, mode, size or None), ("dir", path, mode), ("symlink", target,
    path), ("proc", path) or ("dev", path); later ones go on top of earlier ones."""
    ops: list[tuple] = [("ro-bind", "/usr", "/usr"), ("symlink", "usr/lib", "/lib"),
                        ("symlink", "usr/lib64", "/lib64"), ("symlink", "usr/bin", "/bin"),
                        ("symlink", "usr/sbin", "/sbin")]
    if Path("/etc/ld.so.cache").exists():
        ops.append(("ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"))
    # The private /tmp comes before the Python trees: a venv under /tmp (a CI clone) must be
    # bound on top of it, not hidden by it.
    ops.append(("tmpfs", "/tmp", 0o1777, tmp_size))
    made = {Path("/tmp")}
    python_trees = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    for tree in sorted(python_trees):
        if str(tree).startswith("/usr/"):
            continue
        for parent in _ancestors(tree):
            if parent not in made:
                # bwrap copies a 0700 parent such as /root; the worker's uid must traverse it.
                ops.append(("dir", str(parent), 0o755))
                made.add(parent)
        ops.append(("ro-bind", str(tree), str(tree)))
    # Package folders: the worker's own as a farm of their code (no data sets), every other
    # one on the machine hidden; the grader package itself (a non-editable install would
    # carry the suites) and the assignment's forbidden libraries are not there at all.
    sites = view.worker_site_dirs()
    for other in view.other_site_dirs(sites):
        ops.append(("tmpfs", str(other), 0o755, None))
    for site_dir in sites:
        ops.append(("ro-bind", str(view.runtime_farm(site_dir)), str(site_dir)))
        if (site_dir / "grader").is_dir():
            ops.append(("tmpfs", str(site_dir / "grader"), 0o755, None))
        for path in view.forbidden_paths(site_dir, forbidden):
            # an empty folder would still import (as a namespace package): a module that
            # raises ImportError stands in its place
            if path.is_dir():
                ops += [("tmpfs", str(path), 0o755, None),
                        ("ro-bind", str(FORBIDDEN_MODULE), str(path / "__init__.py"))]
            else:
                ops.append(("ro-bind", str(FORBIDDEN_MODULE), str(path)))
    for farms in sorted({Path(sys.prefix) / view.FARM_DIR_NAME,
                         Path(sys.base_prefix) / view.FARM_DIR_NAME}):
        if farms.is_dir():          # the farms themselves: seen once, as site-packages
            ops.append(("tmpfs", str(farms), 0o755, None))
    ops += [("dir", "/opt", 0o755), ("ro-bind", str(HARNESS_DIR), "/opt/harness"),
            ("ro-bind", str(submission_dir), "/submission"), ("proc", "/proc"), ("dev", "/dev")]
    if gpu is not None:
        # the worker's own GPU and the control nodes (nvidiactl, nvidia-uvm, nvidia-caps/ for
        # MIG), and the driver's libraries where they live outside /usr
        for kind, paths in (("dev-bind", gpu.nodes), ("ro-bind", gpu.lib_dirs)):
            for path in paths:
                for parent in _ancestors(Path(path)):
                    # a driver folder below a 0700 parent (/root/...) must be traversable
                    if parent not in made and parent.parts[1] not in ("dev", "usr"):
                        ops.append(("dir", str(parent), 0o755))
                        made.add(parent)
                ops.append((kind, path, path))
    return ops


def bwrap_args(ops: list[tuple]) -> list[str]:
    """bubblewrap's arguments for the view's operations (sandbox_view)."""
    args = []
    for op, *rest in ops:
        if op == "tmpfs":
            path, mode, size = rest
            args += ["--perms", f"{mode:04o}"] + (["--size", str(size)] if size else [])
            args += ["--tmpfs", path]
        elif op == "dir":
            args += ["--perms", f"{rest[1]:04o}", "--dir", rest[0]]
        else:
            args += [f"--{op}", *map(str, rest)]
    return args


def bwrap_command(ops: list[tuple]) -> list[str]:
    """The whole bubblewrap command line up to the program: namespaces, then the view's
    operations (sandbox_view, and what a caller adds to it)."""
    return [shutil.which("bwrap") or "bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net",
            "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", "--new-session",
            *bwrap_args(ops), "--chdir", "/tmp"]


def sandbox_args(submission_dir: Path, tmp_size: int, gpu: gpus.GpuView | None,
                forbidden: tuple[str, ...] = ()) -> list[str]:
    return bwrap_command(sandbox_view(submission_dir, tmp_size, gpu, forbidden))


def process_tree(pid: int) -> set[int]:
    """pid and all its descendants, read from /proc (processes that exit meanwhile are
    skipped)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        if p not in found:
            found.add(p)
            todo.extend(children.get(p, []))
    return found


def keras_backend(preimport=()) -> str:
    """Keras runs on TensorFlow in a worker that imports TensorFlow first (the submission
    imports it, grader.plugin.worker_imports), on torch everywhere else."""
    return "tensorflow" if "tensorflow" in preimport else "torch"


def worker_environment(gpu: gpus.GpuView | None = None, preimport=()) -> dict[str, str]:
    env = {"HOME": "/tmp", "TMPDIR": "/tmp", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
           "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "KERAS_BACKEND": keras_backend(preimport),
           # TensorFlow's C++ start-up notes (CPU instructions, oneDNN) are not the student's
           "TF_CPP_MIN_LOG_LEVEL": "2",
           # deterministic cuBLAS for torch.use_deterministic_algorithms (CUDA only)
           "CUBLAS_WORKSPACE_CONFIG": ":4096:8"}
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        env[var] = "1"
    if gpu is not None:
        env.update(gpu.env)           # the worker's device (CUDA_VISIBLE_DEVICES by uuid)
        if "tensorflow" in preimport:
            # TensorFlow takes nearly all of a GPU's memory at its first op unless told to
            # grow (the device may be shared, and the worker's memory is polled); and its
            # matmuls round to TF32 on Ampere and later unless cuBLAS is told not to, which
            # the GPU tests' tolerances do not allow for
            env.update(TF_FORCE_GPU_ALLOW_GROWTH="true", NVIDIA_TF32_OVERRIDE="0")
    return env
