"""The one decision whether GPU tests run here: made once per process by a probe worker in
the exact sandbox of a GPU worker (grader.gpu.probe), confirmed from outside; a pool process
adopts its parent's.

torch's probe makes the decision. An assignment whose GPU tests use another framework
(`gpu_framework = "tensorflow"`) gets that framework's own decision on top of it: the same
devices and the same outside observation, and a probe of its own (a CPU-only build of the
framework cannot pass it), made once and carried inside torch's decision.
"""
from __future__ import annotations

import dataclasses

from grader.gpu import devices, probe
from grader.gpu.observation import Decision

__all__ = ["Decision", "decision", "known", "adopt", "decide"]

_decided: Decision | None = None


def decision(framework: str = "torch") -> Decision:
    """The one answer to "do GPU tests run here" (for GPU tests that use `framework`), made
    once per process (a pool process adopts its parent's, see adopt)."""
    global _decided
    if _decided is None:
        _decided = decide()
    if framework == "torch" or not _decided.ok:
        return _decided
    made = dict(_decided.frameworks)
    if framework not in made:
        made[framework] = probe.probe(list(_decided.slots), framework=framework)
        _decided = dataclasses.replace(_decided, frameworks=tuple(sorted(made.items())))
    return made[framework]


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
