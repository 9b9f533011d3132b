"""GPU checks, from the trusted side: whether the student's worker holds a CUDA context,
observed from outside it (grader.gpu.observe: its mappings of the GPU's device nodes, and
NVML or nvidia-smi where its pids match), never believed from what the worker says.

A GPU test runs on a fresh worker (the plugin restarts it), so the order is: nothing on the
GPU before the call that is given device="cuda" (check_no_context_yet), a context after it
(check_used_gpu). `framework`: the one whose decision (and so whose count of device mappings
after cuInit alone) the observation is judged against, as the assignment's `gpu_framework`.
"""
from __future__ import annotations

from grader.gpu.decision import decision
from grader.gpu.observation import Observation, observe
from grader.checks.errors import CheckFailed
from grader.i18n import _


def check_no_context_yet(student, *, what: str, observation: Observation | None = None,
                         framework: str = "torch") -> None:
    """Fail if the student's worker already holds a CUDA context before `what` is called.
    Where the worker is not a process the grader started for this test (nbgrader's kernel is
    the student's own process, whose earlier cells may have used the GPU), there is no
    "before" to observe and nothing is checked."""
    if not student.worker_is_fresh():
        return
    seen = observe(student.worker_host_pids()) if observation is None else observation
    if not decision(framework).holds_context(seen):
        return
    if framework == "tensorflow":
        raise CheckFailed(_("{what}: your module was already on the GPU when it had only been "
                            "imported; create tensors inside your functions, not at the top "
                            "level of the module").format(what=what))
    raise CheckFailed(_("{what}: your code was already on the GPU before it was asked to "
                        "be (at import, or while building the model on the CPU); create "
                        "tensors on a device only when a function is given one").format(
        what=what))


def check_used_gpu(student, *, what: str, observation: Observation | None = None,
                   framework: str = "torch") -> Observation:
    """Fail unless the student's worker holds a CUDA context now; returns what was seen."""
    seen = observe(student.worker_host_pids()) if observation is None else observation
    if decision(framework).holds_context(seen):
        return seen
    if framework == "tensorflow":
        raise CheckFailed(_("{what}: your process never used the GPU (it holds no CUDA "
                            "context); TensorFlow runs on the GPU by itself: do not pin your "
                            "code to the CPU with tf.device(\"/CPU:0\")").format(what=what))
    raise CheckFailed(_("{what}: your process never used the GPU (it holds no CUDA "
                        "context); put the model and the batches on the `device` you are "
                        "given").format(what=what))
