"""The `student` object a hidden suite sees: a proxy whose calls run in the sandboxed worker.

`Session` owns one submission's worker and replaces it after a timeout or crash, so one
hang costs one test. `RemoteObject` stands for a module, function or object in the worker.
"""
from __future__ import annotations

import time
from pathlib import Path

from grader.gpu import devices as gpus
from grader.gpu.observation import observe
from grader.i18n import _, decimal
from grader.sandbox import errors
from grader.sandbox import zygote as zygotes
from grader.sandbox.harness.wire import Handle
from grader.sandbox.worker import Limits, Worker


class Session:
    """One submission's sandbox as the suite uses it: lazily (re)started worker, verdicts."""

    def __init__(self, submission_dir: Path, modules, limits: Limits, *, log_dir: Path,
                 preimport=("numpy",), warm_imports=(), seed: int = 0, budget: float = 600.0,
                 gpu=None, forbidden: tuple[str, ...] = (), factory=None):
        # factory(session) -> a started worker: `sandboxed` (below) by default; the nbgrader
        # kernel's in-process worker is the other one (grader/sandbox/in_process.py)
        self.factory = factory or sandboxed
        self.submission_dir, self.modules = Path(submission_dir), list(modules)
        self.limits, self.log_dir, self.preimport = limits, Path(log_dir), tuple(preimport)
        # imported by the zygote only (once per grading process), never by a cold worker
        self.warm_imports = tuple(warm_imports)
        # gpu: None for CPU workers; else the GPU decision its workers run under (a
        # grader.gpu.Decision that says they do: its slots, and what counts as a context).
        # The caller decides (grader.plugin, the probe); the sandbox never asks.
        self.seed, self.budget, self.gpu = seed, budget, gpu
        self.forbidden = tuple(forbidden)      # libraries absent from the worker's view
        self.timeout = limits.call_timeout
        self.worker: Worker | None = None
        self.early: Worker | None = None     # forked by prestart(), not yet asked for
        self.generation = 0
        self.import_failure: errors.StudentError | None = None
        self.used = 0.0
        self.last_warnings: list[str] = []
        # the module-level names the current test asked for, in order: the first is the
        # function it tests (the grader's own requests, so trusted; feedback groups by it)
        self.touched: list[str] = []
        self.starts = 0
        self.module_handles: dict[tuple, "RemoteObject"] = {}
        # What a suite keeps between the tests of this one submission (e.g. a trained model),
        # with the generation of the worker it lives in: nothing outlives the submission.
        self.memo: dict = {}

    @property
    def isolation(self) -> str:
        return self.worker.isolation if self.worker else ""

    def ensure_worker(self) -> Worker:
        if self.import_failure is not None:
            # Deterministic, so never retried per test; a fresh exception each time, since
            # re-raising one object would grow its traceback test after test.
            failure = self.import_failure
            raise type(failure)(failure.message, traceback=failure.traceback)
        if self.worker is not None and self.worker.alive:
            return self.worker
        if self.worker is not None:
            self.worker.stop()        # died on its own: reap it and free its GPU
        self._charge_budget()
        self.starts += 1
        self.worker = self.factory(self)
        self.generation += 1
        self.module_handles.clear()       # handles name objects of the worker that died
        return self.worker

    def prestart(self) -> None:
        """Fork the submission's first worker now: it imports the submission while pytest
        sets up its session in this process (a grading process has a core for each), and
        the first call finds it ready. Only a sandboxed CPU worker the zygote forks; the
        import deadline and the budget still count from the fork."""
        if self.factory is not sandboxed or self.worker is not None or self.early is not None \
                or self.import_failure is not None or not zygotes.usable(self._gpu_ok()):
            return
        worker = self._new(zygotes.ForkedWorker, self.preimport + self.warm_imports)
        try:
            worker.launch()
        except (zygotes.ZygoteFailure, OSError):
            worker.stop()             # the first call starts a worker the usual way
            return
        self.early = worker

    def _gpu_ok(self) -> bool:
        return self.gpu is not None and self.gpu.ok

    def _new(self, kind, preimport, **gpu) -> Worker:
        return kind(self.submission_dir, self.modules, self.limits, preimport=preimport,
                    seed=self.seed, log_dir=self.log_dir, forbidden=self.forbidden, **gpu)

    def start(self, kind, preimport, **gpu) -> Worker | None:
        """A started worker of `kind` (a forked one; a cold one), or None where the zygote
        failed (the grader's problem: a cold worker is started instead)."""
        worker, self.early = self.early, None
        if worker is not None and (type(worker) is not kind or worker.preimport != list(preimport)):
            worker.stop()
            worker = None
        worker = worker or self._new(kind, preimport, **gpu)
        started = time.monotonic()
        try:
            worker.start()
        except zygotes.ZygoteFailure:
            worker.stop()
            return None
        except (errors.ImportFailed, errors.StudentTimeout, errors.MemoryLimit,
                errors.StudentCrashed, errors.CpuLimit, errors.ForbiddenSyscall) as exc:
            self.import_failure = exc
            raise
        finally:
            if worker.launched_at is not None:
                # forked: the student's import runs from the fork on (a prestarted one while
                # this process was busy with pytest); the zygote's start before is ours
                self.used += time.monotonic() - worker.launched_at
            else:
                # waiting for a free GPU is the grader's time
                waited = worker.gpu_lock.waited if worker.gpu_lock else worker.waited
                self.used += time.monotonic() - started - waited
        return worker

    def _charge_budget(self) -> None:
        if self.used > self.budget:
            raise errors.StudentTimeout(
                _("your code used up the submission's total time budget of {seconds} s").format(
                    seconds=decimal(self.budget)))

    def request(self, message: dict, timeout: float | None = None):
        worker = self.ensure_worker()
        self._charge_budget()
        started = time.monotonic()
        timeout = timeout or self.timeout
        watch_context = worker.gpu and not worker.context_seen
        if watch_context:
            # the call that creates the CUDA context gets the time context creation takes
            timeout += gpus.CONTEXT_SECONDS
        try:
            reply = worker.request(_to_wire(message, self.generation), timeout)
        finally:
            self.used += time.monotonic() - started
            if watch_context and worker.alive:
                seen = observe(worker.host_pids(), per_process=False)
                worker.context_seen = self.gpu.holds_context(seen)
        if "error" in reply:
            if reply["error"].get("kind") in ("cuda oom", "cuda error"):
                self.close()       # a CUDA context after an error is unusable: a fresh worker
            raise _student_error(reply["error"], message)
        self.last_warnings = list(reply.get("warnings", []))
        return reply

    def remembered(self, key, make):
        """make(), computed once per live worker of this submission (a suite's cache of
        expensive work, such as training a model, for the tests that share it)."""
        entry = self.memo.get(key)
        if entry is None or entry[0] != self.generation or self.worker is None \
                or not self.worker.alive:
            value = make()
            self.memo[key] = entry = (self.generation, value)
        return entry[1]

    def close(self) -> None:
        if self.early is not None:
            self.early.stop()
            self.early = None
        if self.worker is not None:
            self.worker.stop()
            self.worker = None

    def value(self, reply_value):
        return _from_wire(reply_value, self)


def sandboxed(session: Session) -> Worker:
    """The sandboxed worker of a submission: forked by the zygote where it can be, else
    started cold (a GPU worker, no bubblewrap, GRADER_ZYGOTE=0, a zygote that failed)."""
    gpu = session._gpu_ok()
    worker = None
    if zygotes.usable(gpu):
        worker = session.start(zygotes.ForkedWorker, session.preimport + session.warm_imports)
    if worker is None:
        worker = session.start(Worker, session.preimport, gpu=gpu,
                               gpu_slots=list(session.gpu.slots) if gpu else None)
    return worker


def _to_wire(value, generation):
    """RemoteObjects become handles; a handle from a dead worker is refused."""
    if isinstance(value, RemoteObject):
        target = object.__getattribute__(value, "_target")
        if isinstance(target, Handle):
            if object.__getattribute__(value, "_generation") != generation:
                raise errors.StudentError(_("an object from before the worker was restarted "
                                            "(after an earlier failure in this test) was reused"))
            return target
        raise errors.SandboxFailure("modules cannot be passed as arguments")
    if isinstance(value, dict):
        return {k: _to_wire(v, generation) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_wire(v, generation) for v in value]
    if isinstance(value, tuple):
        return tuple(_to_wire(v, generation) for v in value)
    return value


def _from_wire(value, session):
    if isinstance(value, Handle):
        return RemoteObject(session, value)
    if isinstance(value, list):
        return [_from_wire(v, session) for v in value]
    if isinstance(value, tuple):
        return tuple(_from_wire(v, session) for v in value)
    if isinstance(value, dict):
        return {k: _from_wire(v, session) for k, v in value.items()}
    return value


def _student_error(info: dict, request: dict) -> Exception:
    """The worker's report of a failure as the verdict's exception. Every field is read as
    the type it must have: the report was written in the student's process."""
    def text(key, default=""):
        value = info.get(key, default)
        return value if type(value) is str else default

    kind, message, tb = text("kind"), text("message"), text("traceback")
    mro = info.get("mro", ())
    mro = tuple(m for m in mro if type(m) is str) if type(mro) in (list, tuple) else ()
    if kind == "request":
        return errors.SandboxFailure(f"the worker refused a request: {message}")
    if kind == "wire":
        return errors.UnsendableValue(_("your code returned a value that cannot be graded: "
                                        "{reason}").format(reason=message))
    if kind == "memory":
        return errors.MemoryLimit(_("your code ran out of memory (MemoryError)"), traceback=tb)
    if kind == "cuda oom":
        return errors.MemoryLimit(_("your code ran out of GPU memory (CUDA OOM); the worker was "
                                    "restarted"), traceback=tb)
    if kind == "cuda error":
        return errors.StudentException(_("CUDA error: {error} (the worker was restarted)")
                                       .format(error=message),
                                       type_name=text("type", "RuntimeError"), mro=mro,
                                       traceback=tb)
    if kind == "output limit":
        return errors.OutputLimit(_("your code wrote more output than allowed (File too large)"),
                                  traceback=tb)
    type_name = text("type", "Exception")
    if type_name == "NotImplementedError":
        text_ = _("not implemented yet (raises NotImplementedError)")
    elif type_name == "AttributeError" and request.get("op") == "getattr" and (
            request.get("target") is None or isinstance(request.get("target"), str)):
        text_ = _("your module defines no `{name}`").format(name=request.get("name"))
    else:
        text_ = f"{type_name}: {message}"
    return errors.StudentException(text_, type_name=type_name, mro=mro, traceback=tb)


class WorkerCache:
    """The `worker_cache` fixture: values a suite computes once per live worker of the
    submission (a model trained by the student's code, say) for the tests that share them.
    Forgotten when the worker restarts (after a timeout or a crash, before a GPU test), so no
    value outlives the process that made it."""

    def __init__(self, session: Session):
        self._session = session

    def get(self, key, make):
        """make() for this worker, computed on the first request of `key`."""
        return self._session.remembered(key, make)


class RemoteObject:
    """A module, function, class or object living in the worker; reached only by requests."""

    __slots__ = ("_session", "_target", "_generation")

    def __init__(self, session: Session, target):
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_target", target)      # None/str: a module; Handle: an object
        object.__setattr__(self, "_generation", session.generation)

    def _request(self, op, **fields):
        session = object.__getattribute__(self, "_session")
        target = object.__getattribute__(self, "_target")
        if isinstance(target, Handle):
            target = self                  # _to_wire checks that it is from the live worker
        return session.request({"op": op, "target": target, **fields})

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)     # keep copy/pickle/numpy probes local
        session = object.__getattribute__(self, "_session")
        target = object.__getattribute__(self, "_target")
        module_level = not isinstance(target, Handle)
        key = (target, name)
        if module_level:
            session.touched.append(name)
        if module_level and session.worker is not None and session.worker.alive \
                and key in session.module_handles:
            return session.module_handles[key]
        value = session.value(self._request("getattr", name=name)["ok"])
        if module_level and isinstance(value, RemoteObject):
            # Functions and classes of a module: one round trip per call instead of two.
            session.module_handles[key] = value
        return value

    def __setattr__(self, name, value):
        self._request("setattr", name=name, value=value)

    def __call__(self, *args, **kwargs):
        reply = self._request("call", args=list(args), kwargs=kwargs)
        return object.__getattribute__(self, "_session").value(reply["ok"])

    def call_returning_args(self, name_or_args=None, *args, **kwargs):
        """`student.call_returning_args("softmax", x)` or `fn.call_returning_args(x)`:
        the value and the arguments as the student's code left them."""
        target = self
        if isinstance(name_or_args, str) and not isinstance(
                object.__getattribute__(self, "_target"), Handle):
            target = getattr(self, name_or_args)
        else:
            args = (name_or_args, *args)
        reply = target._request("call", args=list(args), kwargs=kwargs, return_args=True)
        value = object.__getattribute__(self, "_session").value
        return value(reply["ok"]), value(reply.get("args", ()))

    def module(self, name: str) -> "RemoteObject":
        """Another module of the submission (e.g. `framework` beside `mnist_lab`)."""
        return RemoteObject(object.__getattribute__(self, "_session"), name)

    def has(self, name: str) -> bool:
        return bool(self._request("hasattr", name=name)["ok"])

    def model_outputs(self, x, training: bool = False):
        """This handle is a trained torch/Keras model: its outputs (logits, predictions) for
        the inputs x, computed in eval mode without gradients, as a numpy array.
        training=True: a torch module's outputs in training mode (dropout on), still without
        gradients; its own mode is restored after either way."""
        reply = self._request("model_forward", x=x, training=bool(training))
        return object.__getattribute__(self, "_session").value(reply["ok"])

    def model_state(self) -> dict:
        """This handle is a torch module: {"training": bool, "parameters": [(name, TensorData)]
        in registration order, "grads": [(name, TensorData or None)], "modules": [(name,
        class name)]}."""
        return self._request("model_state")["ok"]

    def load_state(self, state: dict) -> None:
        """This handle is a torch module: set its parameters and buffers (strictly: every key
        of its state_dict, the same shapes) to the grader's arrays."""
        self._request("load_state", state=dict(state))

    def torch_model(self, spec) -> "RemoteObject":
        """A torch.nn.Sequential built in the worker from `spec` (see the harness's
        torch_model): a model of known architecture for the student's training code."""
        reply = self._request("torch_model", spec=[list(layer) for layer in spec])
        return object.__getattribute__(self, "_session").value(reply["ok"])

    def watch_forward(self) -> None:
        """Start recording every forward call of this torch module (see forward_log)."""
        self._request("watch_forward")

    def forward_log(self) -> dict | None:
        """What was recorded since watch_forward, and stop: {"calls", "samples", "max_batch",
        "devices", "training", "eval", "grad_enabled", "grad_disabled"}."""
        return self._request("forward_log")["ok"]

    def call_with_fake_devices(self, name: str, *args, cuda: bool = False, mps: bool = False,
                               **kwargs):
        """`student.call_with_fake_devices("get_device", cuda=False, mps=True)`: call the
        module's function while torch.cuda.is_available()/device_count() and
        torch.backends.mps.is_available() report the given devices (restored after)."""
        target = getattr(self, name)
        reply = target._request("call", args=list(args), kwargs=kwargs,
                                fake_devices={"cuda": bool(cuda), "mps": bool(mps)})
        return object.__getattribute__(self, "_session").value(reply["ok"])

    def worker_host_pids(self) -> set[int]:
        """Host pids of the worker's processes (for observing it from outside, e.g. on the GPU)."""
        worker = object.__getattribute__(self, "_session").ensure_worker()
        return worker.host_pids()

    def worker_is_fresh(self) -> bool:
        """Whether the worker is a process the grader started for this submission and
        restarts for a GPU test (False in nbgrader's kernel: the student's own process)."""
        worker = object.__getattribute__(self, "_session").ensure_worker()
        return worker.own_process

    def reseed(self, seed: int) -> None:
        """Seed random, numpy and torch in the worker (before every training check)."""
        object.__getattribute__(self, "_session").request({"op": "seed", "seed": int(seed)})

    def describe(self) -> dict:
        return self._request("describe")["ok"]

    @property
    def type_name(self) -> str:
        target = object.__getattribute__(self, "_target")
        return target.type_name if isinstance(target, Handle) else "module"

    @property
    def last_warnings(self) -> list[str]:
        return list(object.__getattribute__(self, "_session").last_warnings)

    def __repr__(self):
        target = object.__getattribute__(self, "_target")
        return f"<student {target!r}>" if isinstance(target, Handle) else f"<student module {target or ''}>"
