"""The one decision whether GPU tests run here: made once per process by a probe worker in
the exact sandbox of a GPU worker (grader.gpu.probe), confirmed from outside; a pool process
adopts its parent's.
"""
from __future__ import annotations

from grader.gpu import devices, probe
from grader.gpu.observation import Decision

__all__ = ["Decision", "decision", "known", "adopt", "decide"]

_decided: Decision | None = None


def decision() -> Decision:
    """The one answer to "do GPU tests run here", made once per process (a pool process
    adopts its parent's, see adopt)."""
    global _decided
    if _decided is None:
        _decided = decide()
    return _decided


def known() -> Decision | None:
    return _decided


def adopt(decided: Decision | None) -> None:
    """Take the decision made by the parent process (pool processes), or forget it (None)."""
    global _decided
    _decided = decided


def decide() -> Decision:
    if not devices.gpu_nodes():
        return Decision(False, devices.NO_GPU)
    try:
        candidates = devices.slots()
    except devices.GpuQueryError as exc:
        return Decision(False, str(exc))
    problem = devices.ensure_uvm()
    if problem:
        return Decision(False, problem)
    return probe.probe(candidates)
