"""How a grading run uses processes: one submission after another or a pool of processes,
stopped at once by Ctrl-C or SIGTERM, and one run per output folder."""
from __future__ import annotations

import concurrent.futures as cf
import contextlib
import fcntl
import multiprocessing
import os
import signal
import threading
from pathlib import Path


def _warm_up(gpu_decision=None, language=None) -> None:
    # A pool process dies with the process that started it (kill -9 of the grader included),
    # and leaves Ctrl-C to the grader, which stops the pool itself: it never saves half a
    # submission on its own.
    from grader.lifeline import die_with_parent
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import pytest  # noqa: F401  pay the imports once per pool process
    import grader.plugin  # noqa: F401
    from grader.gpu import decision as gpu
    gpu.adopt(gpu_decision)      # the parent's one GPU decision (None: not needed, or decide here)
    if language:
        from grader import i18n
        i18n.set_language(language)     # the run's language: a fresh process starts in English


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)))


def _kill_pool(pool) -> None:
    """End every process of a pool now; their workers die with them (bwrap's
    --die-with-parent, and the harness watches the grader's pipe)."""
    processes = list(getattr(pool, "_processes", {}).values())
    for process in processes:
        try:
            process.kill()
        except (OSError, ValueError, AttributeError):
            pass
    for process in processes:
        try:
            process.join(5)
        except (OSError, ValueError, AssertionError, AttributeError):
            pass


def run_many(tasks, jobs: int, fn, on_done=None) -> list:
    """Run fn(*task) for every task, in this process (jobs=1) or a pool of processes.
    KeyboardInterrupt (Ctrl-C, or SIGTERM under `stoppable`) stops the pool at once."""
    results = []
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            r = fn(*task)
            results.append(r)
            if on_done:
                on_done(r)
        return results
    ctx = multiprocessing.get_context("forkserver")
    # the forkserver, the pool processes' parent, dies with the grader too
    ctx.set_forkserver_preload(["grader.lifeline"])
    from grader import i18n
    from grader.gpu import decision as gpu
    pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_warm_up,
                                  initargs=(gpu.known(), i18n.language()))
    futures = []
    try:
        futures = [pool.submit(fn, *task) for task in tasks]
        for fut in cf.as_completed(futures):
            if on_done:
                on_done(fut.result())
        results = [fut.result() for fut in futures]     # in the order of the tasks
    except BaseException:
        for fut in futures:
            fut.cancel()
        _kill_pool(pool)
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return results


class Interrupted(Exception):
    """Ctrl-C or SIGTERM stopped a grading run; `signum` says which, `graded` what was kept."""

    def __init__(self, signum: int, graded: list[dict]):
        super().__init__(f"interrupted by signal {signum}")
        self.signum, self.graded = signum, graded


class OutputLocked(Exception):
    """Another grading run is writing to the same output folder."""


_stop_signal: int | None = None


def stop_signal() -> int | None:
    """The signal that stopped the last run under `stoppable` (None: not a signal)."""
    return _stop_signal


def _stop(signum, frame):
    global _stop_signal
    _stop_signal = signum
    raise KeyboardInterrupt


@contextlib.contextmanager
def stoppable():
    """While grading: SIGINT (Ctrl-C, or a signal to this pid alone) and SIGTERM (a cluster
    pre-empting the job) stop the run the same way, as KeyboardInterrupt here."""
    global _stop_signal
    _stop_signal = None
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def output_lock(out: Path):
    """One grading run per output folder: a second one is refused, not interleaved."""
    path = Path(out) / ".grader.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            raise OutputLocked(f"another grading run (pid {holder}) is writing to {out}; wait "
                               "for it to finish, or grade into another --out folder") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)
