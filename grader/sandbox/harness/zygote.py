"""The zygote: a worker with the heavy imports done that never runs student code; it forks one
fresh, isolated worker per submission (its other side: grader/sandbox/zygote.py).

It runs inside bubblewrap, as root of the sandbox's namespaces with its capabilities, and
never touches student code. For each submission it forks:

    zygote ── C0: new mount, pid, ipc, net and uts namespaces; waits for C1
               └── C1 = pid 1 of the new pid namespace: a fresh /proc, a fresh /tmp and
                   /dev/shm, the log files opened and /logs unmounted, every capability
                   dropped and the submission's own uid taken; waits for C2
                   └── C2: own session, logs as stdout/stderr, the rlimits, then child.py's
                       worker (seccomp before the student's import)

so each submission has what a cold worker has: its own /tmp, pid view, uid and processes,
and nothing any other submission did. When C1 dies the kernel ends its whole namespace.
Exit statuses travel up as 128+signal, as bubblewrap reports them.
"""
import ctypes
import os
import resource

import wire

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
MNT_DETACH = 2
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38
SETUP_FAILED = 121             # C0/C1/C2 could not build the sandbox (told on the control pipe)

_libc = ctypes.CDLL("libc.so.6", use_errno=True)


def _call(what, result):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source, target, fstype, flags, data=None):
    _call(f"mount {target}", _libc.mount(
        None if source is None else source.encode(), target.encode(),
        None if fstype is None else fstype.encode(), ctypes.c_ulong(flags),
        None if data is None else data.encode()))


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _clear_capabilities():
    """Every capability set empty (capset, version 3), then checked from /proc."""
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    _call("capset", _libc.capset(ctypes.byref(header), ctypes.byref(data)))
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:")) \
                    and int(line.split()[1], 16):
                raise OSError(f"a capability is left: {line.strip()}")


def _status_code(status):
    """A wait status as the exit code bubblewrap would give: the code, or 128 + signal."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1


def _wait_for(pid):
    """Reap children (a pid 1 reaps orphans too) until `pid` ends; its exit code."""
    while True:
        try:
            done, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 1
        except InterruptedError:
            continue
        if done == pid:
            return _status_code(status)


def _report(ctl_w, message):
    try:
        wire.write_all(ctl_w, wire.encode(message))
    except Exception:  # noqa: BLE001  the grader is gone
        pass


def _drain(fd):
    """Throw away what the grader wrote for a worker that has died (a request it never read)."""
    os.set_blocking(fd, False)
    try:
        while os.read(fd, 1 << 16):
            pass
    except (BlockingIOError, InterruptedError):
        pass
    finally:
        os.set_blocking(fd, True)


def serve(ctl_r, ctl_w, req_fd, resp_fd, run_worker):
    """The zygote's loop: one {"op": "fork"} at a time; answers {"exited": code} when the
    forked worker has ended. `run_worker(message)` runs in C2 and never returns."""
    _report(ctl_w, {"zygote": "ready"})
    while True:
        try:
            message = wire.read_frame(ctl_r)
        except Exception:  # noqa: BLE001  end of file: the grader has gone
            os._exit(0)
        if not isinstance(message, dict) or message.get("op") != "fork":
            os._exit(2)
        _drain(req_fd)
        pid = os.fork()
        if pid == 0:
            try:
                _first(message, ctl_r, ctl_w, req_fd, resp_fd, run_worker)
            except BaseException as exc:  # noqa: BLE001  told to the grader, never raised on
                _report(ctl_w, {"setup_error": f"{type(exc).__name__}: {exc}",
                        "id": message.get("id")})
            os._exit(SETUP_FAILED)
        _report(ctl_w, {"exited": _wait_for(pid), "id": message.get("id")})


def _first(message, ctl_r, ctl_w, req_fd, resp_fd, run_worker):
    """C0: fresh namespaces, then C1 in them."""
    os.close(ctl_r)
    _call("unshare", _libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET
                                   | CLONE_NEWUTS))
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    pid = os.fork()
    if pid:
        for fd in (ctl_w, req_fd, resp_fd):
            os.close(fd)
        os._exit(_wait_for(pid))
    try:
        _init(message, ctl_w, req_fd, resp_fd, run_worker)
    except BaseException as exc:  # noqa: BLE001
        _report(ctl_w, {"setup_error": f"{type(exc).__name__}: {exc}",
                        "id": message.get("id")})
    os._exit(SETUP_FAILED)


def _init(message, ctl_w, req_fd, resp_fd, run_worker):
    """C1, pid 1 of the submission's namespace: its file system, then its uid, then C2."""
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    # Python trees that live under /tmp (a venv in a CI clone) are carried over the fresh /tmp
    kept = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in message["keep"]]
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
           f"mode=1777,size={int(message['tmp_size'])}")
    for path, fd in kept:
        os.makedirs(path, mode=0o755, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        _mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)
    if os.path.isdir("/dev/shm"):
        _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
               "mode=1777,size=16m")
    out = os.open("/logs/stdout.txt", os.O_WRONLY | os.O_APPEND)
    err = os.open("/logs/stderr.txt", os.O_WRONLY | os.O_APPEND)
    _call("umount /logs", _libc.umount2(b"/logs", MNT_DETACH))
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break                          # EINVAL: past the last capability of this kernel
    uid = int(message["uid"])
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)            # from root to a uid: every capability is gone
    _call("no_new_privs", _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
    _clear_capabilities()                  # every set, checked (setresuid leaves some)
    if os.getuid() == 0 or os.geteuid() == 0:
        raise OSError("the worker is still root")
    pid = os.fork()
    if pid:
        for fd in (ctl_w, req_fd, resp_fd, out, err):
            os.close(fd)
        os._exit(_wait_for(pid))
    os.setsid()
    os.dup2(out, 1)
    os.dup2(err, 2)
    keep = {0, 1, 2, ctl_w, req_fd, resp_fd}
    for fd in sorted(int(n) for n in os.listdir("/proc/self/fd")):
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
    limits = message["limits"]
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["fsize"], limits["fsize"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["nofile"], limits["nofile"]))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["nproc"], limits["nproc"]))
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu"], limits["cpu"] + 5))
    if limits.get("as"):
        resource.setrlimit(resource.RLIMIT_AS, (limits["as"], limits["as"]))
    run_worker(message)            # installs seccomp, closes ctl_w, then the student's import
    os._exit(0)
