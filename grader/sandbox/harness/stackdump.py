"""Where the student's code is stuck when the grader's deadline comes. Before any student
code runs, the worker has faulthandler write the Python stack of every thread to stderr on
SIGUSR2; at a deadline the grader sends that signal to the processes that catch it, waits a
moment, kills the worker and reads the dump back (grader/sandbox/stacks.py); a segmentation
fault or an abort leaves its stack the same way. Nothing costs anything per call. Feedback only: nothing written here is believed for points."""
import faulthandler
import signal

SIGNAL = signal.SIGUSR2


def install():
    try:
        faulthandler.register(SIGNAL, file=2, all_threads=True, chain=False)
        faulthandler.enable(file=2, all_threads=True)    # and where a fatal signal hit
    except Exception:  # noqa: BLE001  no stack at a timeout: the feedback says less, no more
        pass
