"""Warm workers: one sandboxed zygote per assignment and grading process, with numpy, torch
and the harness already imported, forks a fresh, isolated worker for each submission
(harness/zygote.py is the side inside the sandbox).

A cold worker pays the sandbox's start and `import torch` (about 2.5 s) for every submission
and again after every crash or timeout; a forked one starts in a few milliseconds. What
makes this safe (SANDBOX.md): the zygote never runs student code, so what a worker inherits
is a state no student has touched; each forked worker has its own mount, pid, ipc, net and
uts namespaces, a fresh /tmp and /dev/shm, a uid of its own (uids.acquire, as a cold
worker), its own rlimits and seccomp; only one forked worker per zygote lives at a time,
and the next is forked only after the previous one's whole namespace is gone.

Used where it can give all of that: bubblewrap run as root (the sandbox's namespaces belong
to the machine's root, so the zygote may mount and change uid), CPU workers only (GPU
workers hold a device and start cold), and not when GRADER_ZYGOTE=0. Elsewhere, and if a
zygote cannot start, workers start cold as before.
"""
from __future__ import annotations

import atexit
import multiprocessing.util
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import OrderedDict
from pathlib import Path

from grader.sandbox import errors, uids
from grader.sandbox.harness import wire
from grader.sandbox.bwrap import (bwrap_command, isolation_mode, process_tree, sandbox_view,
                                  worker_environment)
from grader.sandbox.worker import OUTPUT_LIMIT, TMPFS_SIZE, Worker

READY_SECONDS = 300.0        # the zygote's own start (imports on a busy machine): the grader's time
EXIT_SECONDS = 10.0          # a killed worker's namespace is gone within this
# zygotes per grading process, least recent ends: one per recipe, and 06 has four (torch,
# Keras, Lightning, Keras on TensorFlow); with two, a class whose tracks alternate started
# a zygote (3-11 s each) for most of its Keras, Lightning and TensorFlow submissions
KEEP = 4
SETUP_FAILED = 121           # harness/zygote.py: the forked worker could not build its sandbox
DIR_PREFIX = "grader-zygote-"   # then the grading process's pid


class ZygoteFailure(Exception):
    """The zygote could not start or fork: the grader's problem, answered with a cold worker."""


def usable(gpu: bool) -> bool:
    """Whether forked workers keep every property of a cold one here (see the module doc)."""
    return (not gpu and os.environ.get("GRADER_ZYGOTE", "1") != "0" and os.geteuid() == 0
            and isolation_mode() == "bubblewrap" and shutil.which("bwrap") is not None)


def _read_frame(fd: int, deadline: float):
    """One frame from the zygote's control pipe, or TimeoutError (nothing came before the
    deadline) / EOFError. A frame once begun is read whole: the zygote writes it at once."""
    state = {"deadline": deadline, "begun": False}

    def read(n):
        data = b""
        while len(data) < n:
            wait = max(0.0, state["deadline"] - time.monotonic())
            if not select.select([fd], [], [], wait)[0]:
                raise EOFError if state["begun"] else TimeoutError
            chunk = os.read(fd, n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
            state.update(begun=True, deadline=time.monotonic() + EXIT_SECONDS)
        return data

    header_len, payload_len = wire.parse_prefix(read(wire.PREFIX_SIZE))
    return wire.decode(read(header_len), read(payload_len))


class Zygote:
    """One sandboxed zygote process for one worker recipe: the student's modules, what is
    imported before them and the libraries hidden from them. Limits are each fork's own."""

    def __init__(self, modules, preimport, forbidden):
        self.modules = list(modules)
        self.preimport, self.forbidden = list(preimport), tuple(forbidden)
        self.proc: subprocess.Popen | None = None
        _remove_orphans()
        self.dir = Path(tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{os.getpid()}-"))
        self.staging = self.dir / "submission"      # the submission of the living worker
        self.logs = self.dir / "logs"
        self.staging.mkdir(mode=0o755)
        self.logs.mkdir(mode=0o700)
        # the cold worker's view, and the log folder that each fork opens, then unmounts
        self.ops = sandbox_view(self.staging, TMPFS_SIZE, None, self.forbidden) + [
            ("bind", str(self.logs), "/logs")]
        # Python trees bound under /tmp (a venv in a CI clone): the fresh /tmp carries them
        self.keep = [op[2] for op in self.ops if op[0] == "ro-bind" and op[2].startswith("/tmp/")]
        self.busy: "ForkedWorker | None" = None
        self.pid: int | None = None
        self._start()

    def _start(self) -> None:
        ctl_r, to_zygote = os.pipe()
        from_zygote, ctl_w = os.pipe()
        req_r, self.req_fd = os.pipe()
        self.resp_fd, resp_w = os.pipe()
        wire.widen(self.req_fd, resp_w)
        python = str(Path(sys.prefix) / "bin" / "python")
        cmd = bwrap_command(self.ops) + ["--clearenv"]
        for k, v in worker_environment(None, self.preimport).items():
            cmd += ["--setenv", k, v]
        cmd += [python, "-I", "-B", "/opt/harness/child.py", str(req_r), str(resp_w),
                "/submission", "--modules", ",".join(self.modules),
                "--preimport", ",".join(self.preimport), "--seccomp",
                "--zygote", f"{ctl_r},{ctl_w}"]
        err = open(self.dir / "zygote.log", "ab")
        try:
            self.proc = subprocess.Popen(
                ["prlimit", "--core=0", *cmd], stdin=subprocess.DEVNULL, stdout=err,
                stderr=err, pass_fds=(ctl_r, ctl_w, req_r, resp_w),
                start_new_session=True)
        except OSError as exc:
            raise ZygoteFailure(f"cannot start the zygote: {exc}") from None
        finally:
            err.close()
            for fd in (ctl_r, ctl_w, req_r, resp_w):
                os.close(fd)
        self.to_zygote, self.from_zygote = to_zygote, from_zygote
        try:
            hello = _read_frame(from_zygote, time.monotonic() + READY_SECONDS)
        except (TimeoutError, EOFError, wire.WireError) as exc:
            self.stop()
            raise ZygoteFailure(f"the zygote did not start ({type(exc).__name__}); "
                                f"see {self.dir / 'zygote.log'}") from None
        if hello != {"zygote": "ready"}:
            self.stop()
            raise ZygoteFailure("the zygote sent a malformed first message")
        self.pid = _python_below(self.proc.pid)
        if self.pid is None:
            self.stop()
            raise ZygoteFailure("the zygote's process was not found")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def fork(self, message: dict) -> int:
        """Ask for a worker; the id its end will be reported with."""
        fork_id = secrets.randbits(63)
        wire.write_all(self.to_zygote, wire.encode({"op": "fork", "id": fork_id, **message}))
        return fork_id

    def worker_pids(self) -> list[int]:
        """Host pids of the forked worker's processes (C0, C1, C2...), outermost first."""
        if not self.alive or self.pid is None:
            return []
        parents = {}
        for pid in process_tree(self.pid) - {self.pid}:
            parents[pid] = _parent(pid)
        depth = {}

        def level(pid):
            if pid not in depth:
                depth[pid] = 0 if parents.get(pid) not in parents else level(parents[pid]) + 1
            return depth[pid]
        return sorted(parents, key=lambda p: (level(p), p))

    def stage(self, submission_dir: Path) -> None:
        """The submission's files in the folder the zygote's sandbox sees as /submission
        (emptied, never replaced: the bind mount holds on to the folder itself)."""
        for entry in list(self.staging.iterdir()):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        shutil.copytree(submission_dir, self.staging, symlinks=True, dirs_exist_ok=True)

    def drain(self) -> None:
        """Bytes a dead worker left in the reply pipe are nobody's reply."""
        while select.select([self.resp_fd], [], [], 0)[0]:
            if not os.read(self.resp_fd, 1 << 16):
                break

    def stop(self) -> None:
        if self.busy is not None:
            self.busy.stop()
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            for pid in process_tree(self.proc.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
            for fd in (self.to_zygote, self.from_zygote, self.req_fd, self.resp_fd):
                try:
                    os.close(fd)
                except OSError:
                    pass
        shutil.rmtree(self.dir, ignore_errors=True)


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rfind(")") + 2:].split()[1])


def _python_below(root: int) -> int | None:
    """The zygote: the first Python process below bubblewrap's."""
    for pid in sorted(process_tree(root)):
        try:
            if "python" in Path(os.readlink(f"/proc/{pid}/exe")).name:
                return pid
        except OSError:
            continue
    return None


_zygotes: "OrderedDict[tuple, Zygote]" = OrderedDict()
_failed: set[tuple] = set()


def zygote_for(modules, preimport, forbidden) -> Zygote:
    """This process's zygote for the recipe, started on first use (ZygoteFailure if it
    cannot start: the recipe then uses cold workers for the rest of the run)."""
    key = (tuple(modules), tuple(preimport), tuple(forbidden))
    if key in _failed:
        raise ZygoteFailure("the zygote failed earlier in this run")
    zygote = _zygotes.get(key)
    if zygote is not None and not zygote.alive:
        zygote.stop()
        del _zygotes[key]
        zygote = None
    if zygote is None:
        try:
            zygote = Zygote(modules, preimport, forbidden)
        except ZygoteFailure:
            _failed.add(key)
            raise
        _zygotes[key] = zygote
        while len(_zygotes) > KEEP:
            _, old = _zygotes.popitem(last=False)
            old.stop()
    _zygotes.move_to_end(key)
    return zygote


def stop_all() -> None:
    while _zygotes:
        _zygotes.popitem()[1].stop()


# At the end of this process: on a normal exit, and in a pool process (which leaves through
# multiprocessing's exit, without atexit). A process killed outright leaves its folder to
# the next zygote of the machine (_remove_orphans); its zygote dies with it (bubblewrap's
# --die-with-parent).
atexit.register(stop_all)
multiprocessing.util.Finalize(None, stop_all, exitpriority=10)


def _remove_orphans() -> None:
    """Folders of zygotes whose grading process is gone (killed with -9)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{DIR_PREFIX}*-*"):
        owner = folder.name[len(DIR_PREFIX):].split("-", 1)[0]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            shutil.rmtree(folder, ignore_errors=True)


class ForkedWorker(Worker):
    """A worker forked by the recipe's zygote: the cold Worker's contract (start, request,
    stop, the death diagnosis), without the cold start."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.zygote: Zygote | None = None
        self.running = False              # forked and not yet seen to end
        self.exit_code: int | None = None
        self.setup_error: str | None = None
        self.zygote_lost = False
        self.fork_id: int | None = None
        self.outer_pid: int | None = None     # C0; sandbox_pid is C1

    def launch(self) -> None:
        """Fork the worker without waiting for it (Session.prestart); start() waits."""
        started = time.monotonic()
        try:
            zygote = zygote_for(self.modules, self.preimport, self.forbidden)
        finally:
            self.waited = time.monotonic() - started      # the zygote's start: the grader's time
        if zygote.busy is not None:
            zygote.busy.stop()
        zygote.drain()
        zygote.stage(self.submission_dir)
        for name in ("stdout.txt", "stderr.txt"):
            fd = os.open(zygote.logs / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.close(fd)
        self.zygote = zygote
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._uid = uids.acquire()
        lim = self.limits
        limits = {"fsize": OUTPUT_LIMIT, "nofile": lim.open_files, "nproc": lim.processes,
                  "cpu": lim.cpu_seconds, "as": (lim.memory_mb << 20) if lim.memory_mb else 0}
        self.req_fd, self.resp_fd, self.death_fd = zygote.req_fd, zygote.resp_fd, zygote.from_zygote
        self.running = True
        zygote.busy = self
        try:
            self.fork_id = zygote.fork({"uid": self._uid.uid, "seed": self.seed, "keep": zygote.keep,
                         "tmp_size": TMPFS_SIZE, "limits": limits})
        except OSError as exc:
            self.stop()
            raise ZygoteFailure(f"the zygote is gone: {exc}") from None
        self.launched_at = time.monotonic()

    def start(self) -> None:
        if self.fork_id is None:
            self.launch()
        zygote = self.zygote
        try:
            self._await_hello()
        except errors.StudentError:
            if self.setup_error:
                raise ZygoteFailure(f"a forked worker could not start: {self.setup_error}") \
                    from None
            raise
        pids = zygote.worker_pids()      # the worker answered: C0, C1 and C2 exist
        self.outer_pid = pids[0] if pids else None
        self.sandbox_pid = pids[1] if len(pids) > 1 else None    # C1: pid 1 of its namespace

    def _poll(self, timeout: float) -> None:
        """Read the zygote's news: the worker's end, or why it could not start."""
        deadline = time.monotonic() + timeout
        while self.exit_code is None:
            try:
                message = _read_frame(self.death_fd, deadline)
            except TimeoutError:
                return
            except (EOFError, wire.WireError):
                self.exit_code = 128 + signal.SIGKILL     # the zygote itself is gone
                self.zygote_lost = True
                self.zygote.stop()
                return
            if not isinstance(message, dict) or message.get("id") != self.fork_id:
                continue                   # news of an earlier worker, already dealt with
            if "setup_error" in message:
                self.setup_error = str(message["setup_error"])
            elif "exited" in message:
                code = message["exited"]
                self.exit_code = code if type(code) is int else 1
                if self.exit_code == SETUP_FAILED and self.setup_error is None:
                    self.setup_error = "the sandbox's set-up failed"

    def _death(self, during: str) -> Exception:
        error = super()._death(during)
        if self.zygote_lost:
            # the grader's process, not the student's: the test is an internal error
            return errors.WorkerUnavailable("the grader's zygote process ended while your "
                                            "code ran; this test must be re-graded")
        return error

    @property
    def alive(self) -> bool:
        if not self.running:
            return False
        self._poll(0)
        return self.exit_code is None

    @property
    def pid(self) -> int | None:
        return self.outer_pid if self.running else None

    def host_pids(self) -> set[int]:
        return set(self.zygote.worker_pids()) if self.alive else set()

    def stderr_log(self) -> Path:
        return self.zygote.logs / "stderr.txt"      # copied to log_dir when it stops

    def _exit_code(self) -> int | None:
        self._poll(5)
        return self.exit_code

    def stop(self) -> None:
        if not self.running:
            return
        self._poll(0)
        if self.exit_code is None:
            self.killed_by_us = True
            # C1, the pid 1 of the worker's namespace: the kernel kills everything in it, and
            # C1 is reaped (so C0 ends, so the zygote reports) only when all of it is gone.
            # C0 is killed only where there is no C1 yet: killed first, it would be reported
            # while its namespace still dies.
            pids = self.zygote.worker_pids()
            for pid in pids[1:2] or pids[:1]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self._poll(EXIT_SECONDS)
            if self.exit_code is None or self.zygote.worker_pids():
                self.zygote.stop()         # never fork beside a worker that may still run
                self.exit_code = self.exit_code or 128 + signal.SIGKILL
        self.running = False
        self.zygote.busy = None
        self.zygote.drain()
        for name in ("stdout.txt", "stderr.txt"):
            try:
                with open(self.zygote.logs / name, "rb") as src, \
                        open(self.log_dir / name, "ab") as dst:
                    shutil.copyfileobj(src, dst)
            except OSError:
                pass
        if self._uid is not None:
            self._uid.release()
            self._uid = None
