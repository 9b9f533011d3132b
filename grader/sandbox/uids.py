"""One unprivileged uid per running sandbox, when the grader runs as root (SANDBOX.md rule 6).

RLIMIT_NPROC counts every process of a uid, so sandboxes sharing one uid share one process
limit: one student's threads would count against every other student's. Each worker gets a
uid of its own from a range no account uses, held with a lock file for the worker's life
(across grading processes on this machine), and given back when the worker stops.
"""
from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

FIRST_UID = 1_879_000_000      # far above any account; below 2**31 (setpriv, ext4 and NFS agree)
COUNT = 4096
LOCK_DIR = Path(tempfile.gettempdir()) / "nn-autograder-uids"


class NoFreeUid(Exception):
    """Every uid of the range is held by a running sandbox."""


class SandboxUid:
    """A held uid: `uid`, and `release()` (also on garbage collection)."""

    def __init__(self, uid: int, fd: int):
        self.uid, self._fd = uid, fd

    def release(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)        # closing the descriptor drops the lock
            finally:
                self._fd = None

    def __del__(self):
        self.release()


def _lock_dir() -> Path:
    LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
    st = LOCK_DIR.stat()
    if st.st_uid != os.geteuid() or st.st_mode & 0o077:
        raise NoFreeUid(f"{LOCK_DIR} is not this user's private folder; remove it")
    return LOCK_DIR


def acquire(start: int | None = None) -> SandboxUid:
    """The first free uid of the range, from `start` (a hint that spreads the search)."""
    folder = _lock_dir()
    first = (os.getpid() * 7 if start is None else start) % COUNT
    for i in range(COUNT):
        uid = FIRST_UID + (first + i) % COUNT
        fd = os.open(folder / f"{uid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return SandboxUid(uid, fd)
    raise NoFreeUid(f"all {COUNT} sandbox uids are in use")
