"""The GPU, from the trusted side, one module per job:

- devices.py: what the machine has, which device a GPU worker gets, what its sandbox needs;
- observation.py: whether a worker holds a CUDA context, seen from outside (and `Decision`);
- decision.py: the one decision whether GPU tests run here, made once per process;
- probe.py: the probe worker behind that decision (the only module here that uses the sandbox).

The sandbox imports devices and observation only: the decision reaches a session from its
caller (grader.plugin), so the sandbox never asks for it and nothing here forms a cycle.
"""
