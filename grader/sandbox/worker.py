"""Start, talk to and kill the sandboxed worker process that holds one submission's code.

The parent enforces every deadline (select on the pipes, then SIGKILL); nothing relies on
signals inside the student's process. See SANDBOX.md for the threat model.
"""
from __future__ import annotations

import json
import secrets
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from grader.gpu import devices as gpus
from grader.i18n import _, decimal
from grader.sandbox import errors, stacks, uids
from grader.sandbox.replies import checked_hello, checked_reply, text_or_empty
from grader.sandbox.bwrap import (HARNESS_DIR, NAMESPACES_NOTE, UNSHARE, isolation_mode,
                                  process_tree, sandbox_args, sandbox_view, worker_environment)
from grader.sandbox.harness import wire

LAUNCHER = Path(__file__).resolve().parent / "launcher.py"
OUTPUT_LIMIT = 16 << 20           # RLIMIT_FSIZE: stdout/stderr files and anything in /tmp
TMPFS_SIZE = 256 << 20
RSS_POLL_SECONDS = 0.25           # how often a GPU worker's resident memory is checked


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 2048            # RLIMIT_AS; 0 = none (GPU workers)
    cpu_seconds: int = 120
    import_timeout: float = 20.0
    call_timeout: float = 10.0
    open_files: int = 256
    processes: int = 512             # counts threads too; only enforced for a non-root uid


def _missing_hint(info: dict) -> str:
    """What to write instead, for a library the lessons use that this machine lacks."""
    if info.get("type") == "ModuleNotFoundError" and \
            text_or_empty(info.get("message")).startswith(("No module named 'tensorflow'",
                                                           "No module named 'tensorflow.")):
        return "; " + _("TensorFlow is not installed on the grading machine: write `import "
                        "keras` (Keras 3, which runs here on the torch backend) instead of "
                        "`from tensorflow import keras`, and use only keras's own API")
    return ""


class Worker:
    """One sandboxed process holding one submission. Dead after a timeout or crash."""

    own_process = True        # started by the grader for this submission (see KernelWorker)
    waited = 0.0              # seconds of start() that were the grader's (ForkedWorker)
    launched_at: float | None = None   # when a ForkedWorker was forked: its import began

    def __init__(self, submission_dir: Path, modules: list[str], limits: Limits, *,
                 preimport=("numpy",), seed: int = 0, log_dir: Path, gpu: bool = False,
                 forbidden: tuple[str, ...] = (), gpu_slots: list[gpus.Slot] | None = None):
        self.submission_dir = Path(submission_dir)
        self.forbidden = tuple(forbidden)
        self.modules, self.limits, self.preimport = list(modules), limits, list(preimport)
        # GPU settings (a device, no RLIMIT_AS) only where a CUDA GPU really is; elsewhere a
        # `gpu = true` assignment keeps the normal limits. `gpu_slots`: the devices it may
        # take (the session's gpu.Decision.slots; the probe passes its own).
        self.seed, self.gpu = seed, bool(gpu and gpus.gpu_nodes())
        self.gpu_slots = gpu_slots
        self.gpu_lock: gpus.SlotLock | None = None
        self.gpu_view: gpus.GpuView | None = None
        self.context_seen = False          # a CUDA context observed from outside (gpu.observe)
        self.log_dir = Path(log_dir)
        self.isolation = isolation_mode()
        self.proc: subprocess.Popen | None = None
        self.sandbox_pid: int | None = None
        self._private_dir: Path | None = None
        self._uid: uids.SandboxUid | None = None
        self.killed_by_us = False
        self.seccomp = "off"
        self.death_fd: int | None = None    # readable when the worker has ended (ForkedWorker)

    # --- life cycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker and wait for it to import the submission (import deadline)."""
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        wire.widen(req_w, resp_w)
        info_r = info_w = None
        self.log_dir.mkdir(parents=True, exist_ok=True)
        out = open(self.log_dir / "stdout.txt", "ab")
        err = open(self.log_dir / "stderr.txt", "ab")
        lim = self.limits
        prlimit = [shutil.which("prlimit") or "prlimit", f"--cpu={lim.cpu_seconds}:{lim.cpu_seconds + 5}",
                   f"--fsize={OUTPUT_LIMIT}", f"--nofile={lim.open_files}", "--core=0"]
        if lim.memory_mb and not self.gpu:
            prlimit.append(f"--as={lim.memory_mb << 20}")
        as_root = os.geteuid() == 0
        namespaces = self.isolation == "bubblewrap" or self.isolation.endswith(NAMESPACES_NOTE)
        drop = []
        if as_root and namespaces:
            # Root outside: a real unprivileged uid of this worker's own inside (SANDBOX.md
            # rule 6), taken after the mounts exist; RLIMIT_NPROC then counts this worker only.
            self._uid = uids.acquire()
            prlimit.append(f"--nproc={lim.processes}")
            drop = ["/usr/bin/setpriv", f"--reuid={self._uid.uid}", f"--regid={self._uid.uid}",
                    "--clear-groups", "--no-new-privs", "--inh-caps=-all",
                    "--bounding-set=-all", "--"]
        if self.gpu:
            # one GPU worker per device at a time: wait for a free one (the wait is the
            # grader's, not the student's: Session does not charge it)
            candidates = self.gpu_slots or ()
            try:
                self.gpu_lock = gpus.acquire(list(candidates))
            except gpus.GpuQueryError as exc:
                raise errors.WorkerUnavailable(f"cannot start a GPU worker: {exc}") from None
            self.gpu_view = gpus.view_for(self.gpu_lock.slot)
            if drop:
                # keep the groups (e.g. video) that may open the device nodes
                groups = ",".join(map(str, self.gpu_view.groups))
                drop[drop.index("--clear-groups")] = f"--groups={groups}" if groups else "--clear-groups"
        child_args = [f"{req_r}", f"{resp_w}"]
        opts = ["--modules", ",".join(self.modules), "--preimport", ",".join(self.preimport),
                "--seed", str(self.seed), "--seccomp"]
        python = str(Path(sys.prefix) / "bin" / "python")
        env, cwd = worker_environment(self.gpu_view, self.preimport), None
        if self.isolation == "bubblewrap":
            info_r, info_w = os.pipe()
            cmd = prlimit + sandbox_args(self.submission_dir, TMPFS_SIZE, self.gpu_view,
                                        self.forbidden)
            cmd += [] if as_root else ["--unshare-user", "--disable-userns", "--cap-drop", "ALL"]
            cmd += ["--info-fd", str(info_w), "--clearenv"]
            for k, v in env.items():
                cmd += ["--setenv", k, v]
            cmd += drop + [python, "-I", "-B", "/opt/harness/child.py", *child_args,
                           "/submission", *opts]
            pass_fds = (req_r, resp_w, info_w)
        elif namespaces:
            # Reduced isolation with namespaces: the launcher builds the same view in fresh
            # namespaces (as root), then drops to the worker's uid.
            self._private_dir = Path(tempfile.mkdtemp(prefix="grader-worker-"))
            (self._private_dir / "root").mkdir()
            spec = json.dumps({"ops": sandbox_view(self.submission_dir, TMPFS_SIZE,
                                                   self.gpu_view, self.forbidden),
                               "chdir": "/tmp"})
            cmd = prlimit + [shutil.which("unshare"), *UNSHARE, python, "-I", "-B",
                             str(LAUNCHER), spec, str(self._private_dir / "root"), "--",
                             *drop, python, "-I", "-B", "/opt/harness/child.py", *child_args,
                             "/submission", *opts]
            pass_fds = (req_r, resp_w)
        else:
            # Reduced isolation without namespaces: a private copy of the submission as the
            # working directory; file secrecy rests on the file permissions alone.
            self._private_dir = Path(tempfile.mkdtemp(prefix="grader-worker-"))
            shutil.copytree(self.submission_dir, self._private_dir / "submission")
            (self._private_dir / "tmp").mkdir()
            env |= {"HOME": str(self._private_dir / "tmp"), "TMPDIR": str(self._private_dir / "tmp")}
            cmd = prlimit + [python, "-I", "-B", str(HARNESS_DIR / "child.py"), *child_args,
                             str(self._private_dir / "submission"), *opts]
            cwd, pass_fds = str(self._private_dir / "tmp"), (req_r, resp_w)
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                         pass_fds=pass_fds, env=env, cwd=cwd,
                                         start_new_session=True)
        except OSError as exc:
            self._release_gpu()
            raise errors.WorkerUnavailable(f"cannot start the worker: {exc}") from None
        finally:
            out.close()
            err.close()
            for fd in (req_r, resp_w, info_w):
                if fd is not None:
                    os.close(fd)
        self.req_fd, self.resp_fd = req_w, resp_r
        if info_r is not None:
            self.sandbox_pid = self._read_info(info_r)
        self._await_hello()

    def _await_hello(self) -> None:
        """The worker's first message, under the import deadline: ready, or why not."""
        lim = self.limits
        # from the fork where there is one (a prestarted worker imports while the grader sets
        # up pytest: a reply already there is read at once, never a timeout)
        began = self.launched_at if self.launched_at is not None else time.monotonic()
        try:
            hello = self._receive(began + lim.import_timeout, during="import")
        except errors.StudentTimeout as exc:
            raise errors.StudentTimeout(
                _("importing the submission took longer than {seconds} s (is there a loop or "
                  "heavy work at the top level of your module?)").format(
                    seconds=decimal(lim.import_timeout)),
                traceback=exc.traceback) from None
        hello = checked_hello(hello, self)
        self.seccomp = hello.get("seccomp", "off")
        if "import_error" in hello:
            info = hello["import_error"]
            self.stop()
            cls = {"syntax error": errors.SyntaxFailed, "memory": errors.MemoryLimit}.get(
                info.get("kind"), errors.ImportFailed)
            message = text_or_empty(info.get("message"))   # a syntax error: its line, quoted
            traceback = (text_or_empty(info.get("traceback"))
                         or stacks.quoted_line(message, self.submission_dir))
            raise cls(_("could not import your code: {error}").format(
                error=f"{info.get('type')}: {info.get('message')}") + _missing_hint(info),
                traceback=traceback)
        if self.seccomp != "on" and self.isolation != "bubblewrap":
            self.isolation += f"; seccomp {self.seccomp}"

    def _read_info(self, fd: int) -> int | None:
        """bwrap's --info-fd gives the sandbox's pid 1: killing it ends the whole pid namespace."""
        data = b""
        deadline = time.monotonic() + 10
        try:
            while time.monotonic() < deadline:
                ready, _w, _x = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    break
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                data += chunk
                try:
                    return int(json.loads(data)["child-pid"])
                except (ValueError, KeyError):
                    continue
        finally:
            os.close(fd)
        return None

    def host_pids(self) -> set[int]:
        """Pids (in the grader's pid namespace) of every process of this worker: the outer
        wrapper and all its descendants, read from /proc. NVML and nvidia-smi report these."""
        if not self.alive:
            return set()
        return process_tree(self.proc.pid)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The host pid of the worker's outermost process (its wrapper)."""
        return self.proc.pid if self.proc is not None else None

    def stop(self) -> None:
        """Kill the worker and everything it started, then wait: teardown is complete on return."""
        if self.proc is None:
            self._release_gpu()
            return
        if self.proc.poll() is None:
            self.killed_by_us = True
            if self.sandbox_pid:
                # The outer bwrap reaps its pid 1 and exits: wait() then means all is gone.
                try:
                    os.kill(self.sandbox_pid, signal.SIGKILL)
                    self.proc.wait(timeout=2)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for fd in (self.req_fd, self.resp_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        if self._private_dir:
            shutil.rmtree(self._private_dir, ignore_errors=True)
            self._private_dir = None
        if self._uid is not None:
            self._uid.release()
            self._uid = None
        self.proc = None
        self._release_gpu()        # only now: the process that held the device is gone

    def _release_gpu(self) -> None:
        if self.gpu_lock is not None:
            self.gpu_lock.release()
            self.gpu_lock = None

    # --- requests --------------------------------------------------------------------------
    def request(self, message: dict, timeout: float | None = None) -> dict:
        """Send one request and wait for its answer; any failure kills the worker.

        Every request carries a fresh id that its reply must repeat, and a reply must have
        the reply's shape: a frame the student's code wrote to the pipe itself, or a reply
        that answers another request, is a protocol violation (the student's), never a
        grader error."""
        if not self.alive:
            raise errors.SandboxFailure("the worker is not running")
        timeout = self.limits.call_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        request_id = secrets.randbits(63)
        try:
            data = wire.encode({**message, "id": request_id})
        except wire.WireError as exc:
            raise errors.SandboxFailure(f"the grader tried to send an unsendable value: {exc}")
        try:
            self._send(data, deadline)
            reply = self._receive(deadline, during="call", timeout=timeout)
            return checked_reply(reply, request_id, self)
        except BaseException:
            if self.alive:
                self.stop()
            raise

    def _send(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            watch = [self.death_fd] if self.death_fd is not None else []
            ended, ready, _x = select.select(watch, [self.req_fd], [], max(0.0, remaining))
            if not ready:
                if ended:
                    raise self._death("call")
                self._fail_timeout("call", None)
            try:
                n = os.write(self.req_fd, view[: wire.PIPE_SIZE])
            except BrokenPipeError:
                raise self._death("call") from None
            view = view[n:]

    def _read(self, n: int, deadline: float, during: str, timeout) -> bytes:
        chunks, got = [], 0
        while got < n:
            remaining = max(0.0, deadline - time.monotonic())
            rss_limit = self._rss_limit()
            wait = min(remaining, RSS_POLL_SECONDS) if rss_limit else remaining
            watch = [self.death_fd] if self.death_fd is not None else []
            ready, _w, _x = select.select([self.resp_fd] + watch, [], [], wait)
            if ready and self.resp_fd not in ready:
                raise self._death(during)       # the worker ended and left nothing to read
            if not ready:
                if rss_limit:
                    self._check_rss(rss_limit, during)
                    if deadline - time.monotonic() > 0:
                        continue
                self._fail_timeout(during, timeout)
            chunk = os.read(self.resp_fd, min(n - got, 1 << 20))
            if not chunk:
                raise self._death(during)
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _receive(self, deadline: float, during: str, timeout=None):
        try:
            header_len, payload_len = wire.parse_prefix(
                self._read(wire.PREFIX_SIZE, deadline, during, timeout))
            header = self._read(header_len, deadline, during, timeout)
            payload = self._read(payload_len, deadline, during, timeout)
            return wire.decode(header, payload)
        except wire.WireError as exc:
            self.stop()
            raise errors.ProtocolViolation(f"the worker sent a malformed message: {exc}") from None

    def _rss_limit(self) -> int:
        """GPU workers have no RLIMIT_AS (CUDA reserves huge address ranges): their resident
        memory is polled instead while a call runs (SANDBOX.md section 8)."""
        return (self.limits.memory_mb << 20) if self.gpu and self.limits.memory_mb else 0

    def _check_rss(self, limit: int, during: str) -> None:
        rss = 0
        for pid in self.host_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1]) << 10
            except (OSError, ValueError, IndexError):
                continue
        if rss > limit:
            self.stop()
            when = _("while importing your code") if during == "import" else _("during the call")
            raise errors.MemoryLimit(_("your code used more than {mib} MiB of memory {when} and "
                                       "was stopped").format(mib=limit >> 20, when=when))

    def _exit_code(self) -> int | None:
        """The ended worker's exit status (negative: the signal), waiting a little for it."""
        try:
            return self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.stop()
            return None

    def stderr_log(self) -> Path:      # where the running worker's stderr goes
        return self.log_dir / "stderr.txt"

    def _fail_timeout(self, during: str, timeout) -> None:
        stacks.request_dump(self.host_pids(), self.stderr_log())
        self.stop()
        where = stacks.stuck_at(stacks.take_dump(self.log_dir / "stderr.txt"), self.submission_dir)
        if during == "import":
            raise errors.StudentTimeout("import deadline", traceback=where)
        raise errors.StudentTimeout(stacks.deadline_message(timeout), traceback=where)

    def _death(self, during: str) -> errors.StudentError:
        """Explain why the worker disappeared, from its exit status."""
        code = self._exit_code()
        self.stop()
        sig = -code if code is not None and code < 0 else (code - 128 if code and code > 128 else None)
        when = _("while importing your code") if during == "import" else _("during the call")
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and not self.killed_by_us):
            return errors.CpuLimit(_("your code used more than {seconds} s of CPU time and was "
                                     "stopped {when}").format(seconds=self.limits.cpu_seconds,
                                                              when=when))
        if sig == signal.SIGSYS:
            return errors.ForbiddenSyscall(_("your code made a forbidden system call {when}")
                                           .format(when=when))
        if sig == signal.SIGXFSZ:
            return errors.OutputLimit(_("your code wrote more than {mib} MiB {when}").format(
                mib=OUTPUT_LIMIT >> 20, when=when))
        if sig:
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else sig
            # faulthandler wrote the stack of a fatal signal (harness/stackdump.py)
            where = stacks.stuck_at(stacks.take_dump(self.log_dir / "stderr.txt"),
                                    self.submission_dir, _("Your code was here when it crashed:"))
            return errors.StudentCrashed(_("the Python process crashed with {signal} {when} (a "
                                           "segmentation fault or abort in native code)").format(
                signal=name, when=when), traceback=where)
        return errors.StudentCrashed(_("the Python process exited (exit code {code}) {when}; do "
                                       "not call exit() or os._exit() in your code").format(
            code=code, when=when))

    def __del__(self):  # last resort: never leave a worker behind
        try:
            self.stop()
        except Exception:
            pass
