"""A worker in the grader's own process: the sandbox worker's interface, answered by the
harness's own request handler (grader/sandbox/harness/child.py) on modules given to it.

The nbgrader kernel uses it (nbgrader's trust model: the notebook's code already ran in that
process). It is a worker factory for `proxy.Session`, beside the default `sandboxed`; every
call still crosses the wire format both ways, so a check gets copies as plain data, exactly
as it would from the sandbox.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
import types

from grader.sandbox import errors, stacks
from grader.sandbox.harness import child, wire


class CallDeadline(BaseException):
    """Raised by SIGALRM in the student's code when a call runs past its deadline."""


@contextlib.contextmanager
def deadline(seconds: float | None):
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum, frame):
        raise CallDeadline()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _frame(data: bytes) -> tuple[bytes, bytes]:
    header_len, payload_len = wire.parse_prefix(data[:wire.PREFIX_SIZE])
    header = data[wire.PREFIX_SIZE:wire.PREFIX_SIZE + header_len]
    return header, data[wire.PREFIX_SIZE + header_len:wire.PREFIX_SIZE + header_len + payload_len]


def _across(message: dict, **encode) -> dict:
    """`message` encoded and decoded again: what crossing the pipe would leave of it."""
    return wire.decode(*_frame(wire.encode(message, **encode)))


class InProcessWorker:
    """The worker's contract (start, request, stop, alive, host_pids, isolation) in this
    process, with `main` as the student's main module and `others` beside it."""

    own_process = False       # the caller's process: no fresh process, no "before" on the GPU
    gpu = False               # never a GPU worker of its own (Session.request asks)

    def __init__(self, main: types.ModuleType, others: dict, seed: int, *, isolation: str,
                 source_prefix: str):
        # source_prefix: where the student's code comes from; tracebacks keep those frames
        self.server = child.Worker(-1, -1, source_prefix, [main.__name__, *others])
        self.server.modules = {main.__name__: main, **others}
        self.seed, self.isolation = seed, isolation
        self.alive = True

    def start(self) -> None:
        child.seed_everything(self.seed)

    def stop(self) -> None:
        self.alive = False

    def host_pids(self) -> set[int]:
        """This process is the student's (e.g. for the GPU checks)."""
        return {os.getpid()} if self.alive else set()

    def request(self, message: dict, timeout: float | None = None):
        try:
            request = _across(message)
        except wire.WireError as exc:
            raise errors.SandboxFailure(f"the grader tried to send an unsendable value: {exc}")
        try:
            with deadline(timeout):
                try:
                    response = self.server.handle_request(request)
                except LookupError as exc:
                    response = {"error": {"kind": "request", "message": str(exc)}}
        except CallDeadline:
            response = {"error": {"type": CallDeadline.__name__}}
        if response.get("error", {}).get("type") == CallDeadline.__name__:
            self.stop()      # as the sandbox replaces its worker; this one's state is suspect
            raise errors.StudentTimeout(stacks.deadline_message(timeout))
        try:
            return _across(response, to_handle=self.server.objects.handle)
        except wire.WireError as exc:
            return _across({"error": {"kind": "wire", "message": str(exc)}})


def in_process(main: types.ModuleType, others: dict, *, isolation: str, source_prefix: str):
    """A worker factory for `proxy.Session`: a fresh InProcessWorker on these modules."""
    def factory(session) -> InProcessWorker:
        worker = InProcessWorker(main, others, session.seed, isolation=isolation,
                                 source_prefix=source_prefix)
        worker.start()
        return worker
    return factory
