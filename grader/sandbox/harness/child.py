"""The worker that runs student code: loads the submission, then answers calls over two pipes.

It runs inside the sandbox (bubblewrap where present) with only this directory, the
submission and the Python tree mounted. It never writes results: it only answers requests.
Usage: python -I -B child.py REQ_FD RESP_FD SUBMISSION_DIR --modules a,b [--preimport numpy]
       [--seccomp] [--seed N]
"""
import argparse
import errno
import inspect
import os
import random
import sys
import traceback
import warnings

if __package__:      # imported by the grader: the in-process worker (grader/sandbox/in_process.py)
    from . import stackdump, syscalls, wire
    from .devices import fake_devices
else:                # run as a script in the sandbox, beside wire.py and syscalls.py
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import stackdump  # noqa: E402
    from devices import fake_devices  # noqa: E402
    import syscalls  # noqa: E402
    import wire  # noqa: E402

MAX_TEXT = 4000


def short(text, limit=MAX_TEXT):
    text = str(text)
    return text if len(text) <= limit else text[: limit - 20] + " ...[truncated]"


class Objects:
    """Handles to student objects: the parent sees only ids, never the objects."""

    def __init__(self):
        self.by_id, self.ids, self.next_id = {}, {}, 1

    def handle(self, obj):
        key = id(obj)
        hid = self.ids.get(key)
        if hid is None or self.by_id.get(hid) is not obj:
            hid, self.next_id = self.next_id, self.next_id + 1
            self.by_id[hid], self.ids[key] = obj, hid
        return wire.Handle(hid, type(obj).__name__)

    def get(self, handle):
        try:
            return self.by_id[handle.id]
        except KeyError:
            raise LookupError(f"unknown handle {handle.id}") from None


def describe_exception(exc, submission_dir):
    """The student's exception as data, with only the student's own frames in the traceback."""
    frames = [fr for fr in traceback.extract_tb(exc.__traceback__)
              if fr.filename.startswith(submission_dir)]
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(exc), exc)
    return {
        "type": type(exc).__name__,
        "mro": [c.__name__ for c in type(exc).__mro__],
        "message": short(exc),
        "traceback": short("".join(lines)),
        "errno": getattr(exc, "errno", None) if isinstance(getattr(exc, "errno", None), int) else None,
    }


def classify(exc):
    if isinstance(exc, MemoryError):
        return "memory"
    names = {c.__name__ for c in type(exc).__mro__}
    if "OutOfMemoryError" in names:            # torch.cuda.OutOfMemoryError (not a MemoryError)
        return "cuda oom"
    if "AcceleratorError" in names or "CUDA error" in str(exc):
        return "cuda error"                    # the CUDA context is unusable from now on
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        return "output limit"
    return "exception"


class Worker:
    def __init__(self, req_fd, resp_fd, submission_dir, modules):
        self.req_fd, self.resp_fd = req_fd, resp_fd
        self.submission_dir = submission_dir
        self.module_names = modules
        self.modules = {}
        self.objects = Objects()
        self.pid = os.getpid()
        self.watches = {}        # id(model) -> (hook handle, forward log) of watch_forward

    def send(self, message):
        if os.getpid() != self.pid:
            os._exit(0)    # a process the student forked (where seccomp is absent) must stay quiet
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()     # the worker may be killed next: keep what the student printed
            except Exception:  # noqa: BLE001  the student may have replaced or closed it
                pass
        try:
            data = wire.encode(message, to_handle=self.objects.handle)
        except wire.WireError as exc:
            data = wire.encode({"error": {"kind": "wire", "message": str(exc)},
                                "id": message.get("id")})
        except BaseException as exc:  # noqa: BLE001  e.g. a CUDA error surfacing in .cpu()
            # Turning the result into data ran the student's objects' code (a tensor's copy
            # back from the GPU raises the CUDA error of an earlier kernel): their error, told
            # as such, never a dead worker that looks like exit().
            info = describe_exception(exc, self.submission_dir)
            info["kind"] = classify(exc)
            data = wire.encode({"error": info, "id": message.get("id")})
        wire.write_all(self.resp_fd, data)

    def load(self):
        sys.path.insert(0, self.submission_dir)
        for name in self.module_names:
            try:
                self.modules[name] = __import__(name)
            except SyntaxError as exc:
                where = f"{os.path.basename(exc.filename or name + '.py')}, line {exc.lineno}"
                return {"import_error": {"kind": "syntax error", "type": "SyntaxError",
                                         "message": f"{where}: {exc.msg}", "traceback": ""}}
            except BaseException as exc:  # noqa: BLE001  student code may raise anything
                info = describe_exception(exc, self.submission_dir)
                info["kind"] = "memory" if isinstance(exc, MemoryError) else "import error"
                if isinstance(exc, ModuleNotFoundError) and exc.name == name:
                    info["message"] = f"no {name}.py in the submission"
                return {"import_error": info}
        return {"ready": True}

    def resolve(self, target):
        if target is None:
            return self.modules[self.module_names[0]]
        if isinstance(target, str):
            if target not in self.modules:
                raise LookupError(f"no module {target}")
            return self.modules[target]
        return self.objects.get(target)

    def unwrap(self, value):
        """Replace handles that came back from the parent by the objects they stand for."""
        if isinstance(value, wire.Handle):
            return self.objects.get(value)
        if isinstance(value, list):
            return [self.unwrap(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.unwrap(v) for v in value)
        if isinstance(value, dict):
            return {k: self.unwrap(v) for k, v in value.items()}
        return value

    def handle_request(self, req):
        op = req.get("op")
        if op == "seed":
            seed_everything(req["seed"])
            return {"ok": None}
        target = self.resolve(req.get("target"))
        if op == "describe":
            return {"ok": describe(target)}
        if op == "model_forward":
            return self.run_student("call", model_forward,
                                    {"args": [target, req["x"], bool(req.get("training"))]})
        if op == "model_state":
            return self.run_student("call", model_state, {"args": [target]})
        if op == "load_state":
            return self.run_student("call", load_state, {"args": [target, req["state"]]})
        if op == "torch_model":
            return self.run_student("call", torch_model, {"args": [req["spec"]]})
        if op == "watch_forward":
            return self.run_student("call", self.watch_forward, {"args": [target]})
        if op == "forward_log":
            return self.run_student("call", self.forward_log, {"args": [target]})
        if op == "hasattr":
            return {"ok": hasattr(target, req["name"])}
        return self.run_student(op, target, req)

    def run_student(self, op, target, req):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                if op == "getattr":
                    value = getattr(target, req["name"])
                    out = {"ok": value}
                elif op == "setattr":
                    setattr(target, req["name"], self.unwrap(req["value"]))
                    out = {"ok": None}
                elif op == "call":
                    args = self.unwrap(list(req.get("args", [])))
                    kwargs = self.unwrap(dict(req.get("kwargs", {})))
                    with fake_devices(req.get("fake_devices")):
                        value = target(*args, **kwargs)
                    out = {"ok": value}
                    if req.get("return_args"):
                        out["args"] = tuple(args)
                        out["kwargs"] = kwargs
                else:
                    return {"error": {"kind": "request", "message": f"unknown op {op!r}"}}
            except BaseException as exc:  # noqa: BLE001  everything the student raises is data
                info = describe_exception(exc, self.submission_dir)
                info["kind"] = classify(exc)
                return {"error": info}
        out["warnings"] = [short(f"{w.category.__name__}: {w.message}", 300) for w in caught[:20]]
        return out

    def watch_forward(self, model):
        """Record the mode of every forward call of a torch model from now on (forward_log
        reads it): training flag, grad mode, the input's device and batch size."""
        torch = _torch_module(model)
        self.forward_log(model)
        log = {"calls": 0, "samples": 0, "max_batch": 0, "devices": [], "training": 0,
               "eval": 0, "grad_enabled": 0, "grad_disabled": 0}

        def hook(module, args):
            log["calls"] += 1
            log["training" if module.training else "eval"] += 1
            log["grad_enabled" if torch.is_grad_enabled() else "grad_disabled"] += 1
            first = next((a for a in args if isinstance(a, torch.Tensor)), None)
            if first is not None:
                if str(first.device) not in log["devices"]:
                    log["devices"].append(str(first.device))
                n = int(first.shape[0]) if first.dim() else 1
                log["samples"] += n
                log["max_batch"] = max(log["max_batch"], n)

        self.watches[id(model)] = (model.register_forward_pre_hook(hook), log)
        return None

    def forward_log(self, model):
        """What watch_forward recorded (None if nothing was watched); the watch ends."""
        handle, log = self.watches.pop(id(model), (None, None))
        if handle is not None:
            handle.remove()
        return log

    def serve(self):
        while True:
            try:
                req = wire.read_frame(self.req_fd)
            except EOFError:
                return
            try:
                resp = self.handle_request(req)
            except LookupError as exc:
                resp = {"error": {"kind": "request", "message": str(exc)}}
            resp["id"] = req.get("id")         # the parent refuses a reply to another request
            self.send(resp)


def describe(obj):
    try:
        signature = str(inspect.signature(obj)) if callable(obj) else None
    except (TypeError, ValueError):
        signature = None
    try:
        text = short(repr(obj), 200)
    except Exception:  # noqa: BLE001  a student __repr__ may raise
        text = f"<{type(obj).__name__}>"
    return {"type": type(obj).__name__, "module": str(getattr(type(obj), "__module__", "")),
            "mro": [c.__name__ for c in type(obj).__mro__], "callable": callable(obj),
            "signature": signature, "repr": text}


def model_forward(model, x, training=False):
    """Outputs of a trained model (torch module or Keras model) for inputs from the grader,
    in evaluation mode (training=True: a torch module in training mode, e.g. to see its
    dropout) and without gradients; the model's own mode is restored after."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):
        params = list(model.parameters())
        device = params[0].device if params else "cpu"
        was_training = model.training
        model.train(training)
        try:
            with torch.no_grad():
                out = model(torch.as_tensor(x, dtype=torch.float32, device=device))
        finally:
            model.train(was_training)
        return out.detach().cpu().numpy()
    if hasattr(model, "predict"):          # Keras 3 (any backend)
        import numpy as np
        return np.asarray(model.predict(x, verbose=0))
    raise TypeError(f"expected a torch.nn.Module or a Keras model, got {type(model).__name__}")


def _torch_module(model):
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(model, torch.nn.Module):
        raise TypeError(f"expected a torch.nn.Module, got {type(model).__name__}")
    return torch


def model_state(model):
    """A torch module as data: its parameters in registration order (name, tensor), their
    .grad (None where absent), its sub-modules (name, class) and its training flag."""
    _torch_module(model)
    params = list(model.named_parameters())
    return {"training": bool(model.training),
            "parameters": [(name, p) for name, p in params],
            "grads": [(name, p.grad) for name, p in params],
            "modules": [(name, type(m).__name__) for name, m in model.named_modules()]}


def load_state(model, state):
    """Set a torch module's parameters and buffers to arrays the grader chose (strict: every
    key, every shape), so that the grader knows the starting point of what comes next."""
    torch = _torch_module(model)
    model.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()}, strict=True)
    return None


def torch_model(spec):
    """A torch.nn.Sequential the grader describes layer by layer, e.g. [["Linear", 20, 16],
    ["BatchNorm1d", 16], ["ReLU"], ["Linear", 16, 4]]: a model of known architecture to pass
    to the student's training code, whose result the grader can reproduce."""
    import torch
    layers = []
    for name, *args in spec:
        if name not in ("Linear", "BatchNorm1d", "ReLU", "Tanh", "Dropout"):
            raise LookupError(f"unknown layer {name}")
        layers.append(getattr(torch.nn, name)(*args))
    return torch.nn.Sequential(*layers)


def exit_with_the_grader(req_fd):
    """End this process as soon as the grader is gone (its end of the request pipe closes),
    even while student code runs: a worker never outlives the run that started it."""
    import select
    import threading

    def watch():
        poller = select.poll()
        poller.register(req_fd, 0)            # POLLHUP and POLLERR are always reported
        while True:
            for _, event in poller.poll():
                if event & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
                    os._exit(0)

    threading.Thread(target=watch, name="grader-watch", daemon=True).start()


def seed_everything(seed):
    random.seed(seed)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed % (2**32))
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        torch.manual_seed(seed)
        # Reproducible training checks: deterministic kernels where torch has them (on
        # CUDA with CUBLAS_WORKSPACE_CONFIG from the worker's environment), a warning where not.
        torch.use_deterministic_algorithms(True, warn_only=True)
    # Not tf.random.set_seed: under it, Keras's traced shuffle repeats at every model.fit.


def main():
    p = argparse.ArgumentParser()
    p.add_argument("req_fd", type=int)
    p.add_argument("resp_fd", type=int)
    p.add_argument("submission_dir")
    p.add_argument("--modules", required=True)
    p.add_argument("--preimport", default="")
    p.add_argument("--seccomp", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--zygote", default="", help="CTL_R,CTL_W: fork a worker per submission")
    a = p.parse_args()
    if a.zygote:
        # the zygote itself never runs student code; each worker it forks does what a cold
        # worker does from here on (zygote.py)
        import zygote
        ctl_r, ctl_w = map(int, a.zygote.split(","))
        preimport(a)
        seed_everything(0)     # torch's lazy set-up of its generators (over 1 s), done once

        def forked(message):
            exit_with_the_grader(a.req_fd)
            run(a, int(message["seed"]), release=ctl_w)

        zygote.serve(ctl_r, ctl_w, a.req_fd, a.resp_fd, forked)
        return
    exit_with_the_grader(a.req_fd)
    preimport(a)
    run(a, a.seed)


def preimport(a):
    # No INFO log records, whatever handlers a library installs (Lightning's prints "GPU
    # available" and tips at every Trainer); warnings, errors and prints still show.
    import logging
    logging.disable(logging.INFO)
    for name in filter(None, a.preimport.split(",")):
        __import__(name)


def run(a, seed, release=None):
    """Seccomp, the seed, then the student's import and the request loop. `release`: a
    descriptor of the zygote's, kept for reporting until seccomp is on, closed before any
    student code runs."""
    seccomp = "off"
    if a.seccomp:
        try:
            syscalls.install_seccomp()
            seccomp = "on"
        except Exception as exc:  # noqa: BLE001  reported to the parent, which decides
            seccomp = f"unavailable: {exc}"
    if release is not None:
        os.close(release)
    seed_everything(seed)
    os.chdir(os.environ.get("TMPDIR", "/tmp"))
    stackdump.install()        # where the student's code is stuck at a deadline
    worker = Worker(a.req_fd, a.resp_fd, a.submission_dir, a.modules.split(","))
    hello = worker.load()
    hello["seccomp"] = seccomp
    worker.send(hello)
    if "ready" in hello:
        worker.serve()


if __name__ == "__main__":
    main()
