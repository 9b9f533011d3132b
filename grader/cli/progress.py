"""The progress line of `grader grade` on a terminal: how far, the submission in progress and
how long it has run (a 60 s timeout is not a hang), and an ETA from the mean time per
finished submission of the same assignment (a class mixes 2 s numpy submissions with
minute-long training ones: one rate for all of them is wrong both ways).

A pool takes the submissions in order, so those in progress are the first `jobs` unfinished
ones; each is timed from the moment it entered that window.
"""
from __future__ import annotations

import sys
import time


class ClassProgress:
    """The state behind the line: `skipped` and `finished` are called as the run reports."""

    def __init__(self, todo: list[tuple[str, str]], jobs: int, clock=time.monotonic):
        self.order = list(todo)                    # (student, assignment), in grading order
        self.jobs = max(1, jobs)
        self.clock = clock
        self.pending = set(self.order)
        self.started: dict[tuple[str, str], float] = {}
        self.times: dict[str, list[float]] = {}    # assignment -> seconds per finished one

    def skipped(self, key: tuple[str, str]) -> None:
        self.pending.discard(key)

    def finished(self, key: tuple[str, str], seconds: float | None = None) -> None:
        """`seconds`: the grading time the run reported (else the time seen here)."""
        if key in self.pending:
            now = self.clock()
            if seconds is None:
                seconds = now - self.started.get(key, now)
            self.times.setdefault(key[1], []).append(float(seconds))
            self.pending.discard(key)
        self.running()                             # the next ones start now

    def running(self) -> list[tuple[tuple[str, str], float]]:
        """The submissions in progress and how long each has run, longest first."""
        now = self.clock()
        window = [k for k in self.order if k in self.pending][: self.jobs]
        for key in window:
            self.started.setdefault(key, now)
        return sorted(((k, now - self.started[k]) for k in window), key=lambda kv: -kv[1])

    def mean_time(self, assignment: str) -> float | None:
        own = self.times.get(assignment)
        if own:
            return sum(own) / len(own)
        every = [t for ts in self.times.values() for t in ts]
        return sum(every) / len(every) if every else None

    def eta(self) -> float | None:
        """Seconds left: each unfinished submission's expected time (its assignment's mean,
        less what it has run), shared by the processes; None before anything finished."""
        running = dict(self.running())
        left = 0.0
        for key in self.pending:
            mean = self.mean_time(key[1])
            if mean is None:
                return None
            left += max(mean - running.get(key, 0.0), 0.0)
        return left / min(self.jobs, max(len(self.pending), 1))

    def now_text(self, width: int = 34) -> str:
        """"alice/05_pytorch_basics 12 s" (+N more in progress), at most `width` characters."""
        running = self.running()
        if not running:
            return ""
        (student, assignment), seconds = running[0]
        more = f" +{len(running) - 1}" if len(running) > 1 else ""
        tail = f" {seconds:.0f} s{more}"
        name = f"{student}/{assignment}"
        room = max(width - len(tail), 4)
        if len(name) > room:
            name = name[: room - 1] + "…"
        return name + tail


def clock_text(seconds: float | None) -> str:
    if seconds is None:
        return "eta -:--"
    seconds = int(round(seconds))
    return f"eta {seconds // 60}:{seconds % 60:02d}"


def class_progress_bar(todo: list[tuple[str, str]], jobs: int):
    """(rich Progress, ClassProgress) on stderr when it is a terminal; (None, tracker)
    otherwise. The line fits 80 columns."""
    tracker = ClassProgress(todo, jobs)
    if not sys.stderr.isatty():
        return None, tracker
    return progress_for(tracker, console=None), tracker


def progress_for(tracker: ClassProgress, console=None):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn
    from rich.text import Text

    class Eta(ProgressColumn):
        def render(self, task):
            return Text(clock_text(tracker.eta()), style="progress.remaining")

    class Now(ProgressColumn):
        def render(self, task):
            return Text(tracker.now_text(), style="cyan")

    # On stderr, so that stdout holds only the command's output (one JSON document with --json).
    progress = Progress("grading", BarColumn(bar_width=16), MofNCompleteColumn(), Eta(), Now(),
                        console=console or Console(stderr=True), transient=True)
    progress.add_task("grading", total=len(tracker.order))
    return progress
