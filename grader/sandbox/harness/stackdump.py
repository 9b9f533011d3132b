"""Where the student's code is stuck when the grader's deadline comes: armed before each
request (`stack_after` seconds), faulthandler writes the Python stack to stderr just before
the deadline; the grader reads it back after the kill (grader/sandbox/stacks.py). Feedback
only: nothing written here is believed for points."""
import faulthandler


def arm(seconds):
    if type(seconds) not in (int, float) or not seconds > 0:
        return False
    try:
        faulthandler.dump_traceback_later(seconds, file=2)
        return True
    except Exception:  # noqa: BLE001  no thread left to start (the student's own threads)
        return False


def disarm(armed):
    if armed:
        faulthandler.cancel_dump_traceback_later()
