"""The shape of what the worker sends: anything else is a protocol violation (SANDBOX.md).

The worker is hostile: a message is believed only after these checks, and a malformed one
stops the worker (`worker` below is a grader.sandbox.worker.Worker).
"""
from __future__ import annotations

from grader.sandbox import errors


def _violation(worker, what: str) -> errors.ProtocolViolation:
    worker.stop()
    return errors.ProtocolViolation(f"the worker sent {what}; do not write to the grader's "
                                    "pipes or replace the harness")


def text_or_empty(value) -> str:
    return value if type(value) is str else ""


def checked_hello(hello, worker) -> dict:
    """The worker's first message: {"ready": True} or {"import_error": {...}}, with "seccomp"."""
    if type(hello) is not dict or not ("ready" in hello or type(hello.get("import_error")) is dict):
        raise _violation(worker, "a malformed first message")
    if type(hello.get("seccomp", "off")) is not str:
        raise _violation(worker, "a malformed first message")
    return hello


def checked_reply(reply, request_id: int, worker) -> dict:
    """A reply to request `request_id`: {"id", "ok": value} or {"id", "error": {...}}."""
    if type(reply) is not dict or reply.get("id") != request_id:
        raise _violation(worker, "a message that does not answer the grader's request")
    if ("ok" in reply) == ("error" in reply):
        raise _violation(worker, "a reply with neither a value nor an error")
    if "error" in reply:
        error = reply["error"]
        if type(error) is not dict or type(error.get("kind", "")) is not str:
            raise _violation(worker, "a malformed error report")
    warnings = reply.get("warnings", [])
    if type(warnings) is not list or not all(type(w) is str for w in warnings):
        raise _violation(worker, "malformed warnings")
    return reply
