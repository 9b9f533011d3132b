"""Importing this module ties the importing process's life to its parent's (Linux
PR_SET_PDEATHSIG): the grader's forkserver imports it at start (a forkserver preload), so
that a grader killed with SIGKILL takes its pool of grading processes and their sandboxes
with it (SANDBOX.md rule 8)."""
import ctypes
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """From now on, SIGKILL this process when its parent dies (elsewhere than Linux: nothing)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


die_with_parent()
