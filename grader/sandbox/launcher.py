"""The sandbox's file-system view where bubblewrap cannot be used ("reduced isolation").

Usage: python -I launcher.py VIEW_JSON ROOT -- COMMAND...

It runs as root of fresh mount, pid, network, IPC and UTS namespaces (made by `unshare`),
before any student code: it builds in ROOT (an empty folder of the grader's) the same view
that bubblewrap is given (grader.sandbox.bwrap.sandbox_view: read-only binds of /usr, the
Python trees and the submission, a private /tmp, a fresh /proc, a minimal /dev), changes
root into it and executes COMMAND (setpriv, which drops to the sandbox's own uid, then the
harness). It imports nothing of the grader: it may run from any folder.
"""
import ctypes
import json
import os
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]


def mount(source, target, fstype, flags, data=None):
    def b(s):
        return None if s is None else os.fsencode(s)
    if _libc.mount(b(source), b(target), b(fstype), flags, b(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source} on {target}: {os.strerror(err)}")


def mountpoint(path, like):
    """An empty folder or file at `path` to mount `like` (a folder or a file) on."""
    if os.path.isdir(like):
        os.makedirs(path, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if not os.path.exists(path):
            open(path, "a").close()


def bind(source, target, readonly):
    mountpoint(target, source)
    mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_BIND | MS_REMOUNT | MS_NOSUID | (MS_RDONLY | MS_NODEV if readonly else 0)
    mount(None, target, None, flags)


def tmpfs(target, mode, size=None):
    os.makedirs(target, exist_ok=True)
    options = f"mode={mode:o}" + (f",size={size}" if size else "")
    mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, options)


def devices(target):
    tmpfs(target, 0o755)
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            bind(f"/dev/{name}", f"{target}/{name}", readonly=False)
    tmpfs(f"{target}/shm", 0o1777)
    for name, link in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                       ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(link, f"{target}/{name}")


def build(root, ops):
    """Apply the view's operations (see sandbox_view) under `root`."""
    tmpfs(root, 0o755)
    for op, *args in ops:
        if op == "ro-bind":
            bind(args[0], root + args[1], readonly=True)
        elif op == "dev-bind":
            bind(args[0], root + args[1], readonly=False)
        elif op == "tmpfs":
            tmpfs(root + args[0], args[1], args[2])
        elif op == "dir":
            os.makedirs(root + args[0], exist_ok=True)
            os.chmod(root + args[0], args[1])
        elif op == "symlink":
            os.symlink(args[0], root + args[1])
        elif op == "proc":
            os.makedirs(root + args[0], exist_ok=True)
            mount("proc", root + args[0], "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        elif op == "dev":
            devices(root + args[0])
        else:
            raise ValueError(f"unknown view operation {op!r}")


def main():
    view, root = json.loads(sys.argv[1]), sys.argv[2]
    command = sys.argv[sys.argv.index("--") + 1:]
    mount(None, "/", None, MS_REC | MS_PRIVATE)      # nothing we mount leaks to the host
    build(root, view["ops"])
    os.chroot(root)
    os.chdir(view["chdir"])
    os.execv(command[0], command)


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # noqa: BLE001  the grader reads this from the worker's stderr
        print(f"sandbox launcher: {exc}", file=sys.stderr)
        sys.exit(70)
