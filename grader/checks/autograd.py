"""Checks for PyTorch code: tensors that came back over the wire, autograd really used (read
from the syntax tree), and the mode a model ran in (recorded by the worker's forward log: a
record kept inside the student's process, which can fail a test with advice but never be
the evidence that passes one).

Messages follow grader.checks: they name the function and the input, never hidden values.
"""
from __future__ import annotations

import ast

import numpy as np

from grader.checks.errors import CheckFailed, InvalidOutput
from grader.checks.numeric import check_array, describe_input
from grader.checks.values import kind_of, number, subject
from grader.i18n import _
from grader.sandbox.harness.wire import TensorData


# The array a tensor of each dtype arrives as (bfloat16 travels as float32: the grader
# cannot tell it from float32 by its bytes, so it is never asked for).
_BYTES_OF = {"torch.float32": np.float32, "torch.float64": np.float64,
             "torch.float16": np.float16, "torch.int64": np.int64, "torch.int32": np.int32,
             "torch.int16": np.int16, "torch.int8": np.int8, "torch.uint8": np.uint8,
             "torch.bool": np.bool_}
# TensorFlow's eager tensors cross the wire the same way, their dtype written "tf.<name>"
_BYTES_OF.update({f"tf.{name[len('torch.'):]}": np_type for name, np_type in list(_BYTES_OF.items())})


def check_tensor(got, expected, *, what: str, inputs: str | None = None,
                 dtype: str = "torch.float32", device: str | None = "cpu",
                 rtol: float = 1e-6, atol: float = 1e-8) -> np.ndarray:
    """A torch tensor (it crosses the wire as TensorData) of the given torch dtype, on the
    given device type ("cpu", "cuda"; None: any), with the expected values.

    The dtype is judged by the bytes that arrived (decoded here); the tensor's own dtype and
    device labels are written in the student's process, so they can only fail the check,
    never pass it on their own."""
    where = subject(what, inputs)
    if not isinstance(got, TensorData):
        raise InvalidOutput(_("{where}: expected a torch tensor, got {got}").format(
            where=where, got=kind_of(got)))
    if got.dtype != dtype or got.array.dtype != np.dtype(_BYTES_OF[dtype]):
        raise InvalidOutput(_("{where}: expected a tensor of dtype {dtype}, got {got}").format(
            where=where, dtype=dtype, got=got.dtype))
    if device is not None and got.device.split(":")[0] != device:
        raise CheckFailed(_("{where}: expected a tensor on the {device} device, got one on "
                            "{got}").format(where=where, device=device, got=got.device))
    return check_array(got.array, np.asarray(expected, dtype=got.array.dtype), what=what,
                       inputs=inputs, rtol=rtol, atol=atol)


def check_gradient_of_expression(got, x, *, framework: str, device: str | None) -> None:
    """05's gradient_of_expression(x), on the PyTorch and the TensorFlow track (`framework`
    "torch" or "tf"): a tensor of x's float dtype holding d/dx mean(sqrt(x**2 + 1)) =
    x / (N sqrt(x**2 + 1)), N = x.size, computed here in float64, within that dtype's
    rounding."""
    dtype = np.dtype(x.dtype)
    tol = dict(rtol=1e-10, atol=1e-14) if dtype == np.float64 else dict(rtol=2e-5, atol=1e-7)
    x64 = x.astype(np.float64)
    check_tensor(got, x64 / (x.size * np.sqrt(x64 ** 2 + 1)), what="gradient_of_expression(x)",
                 inputs=describe_input("x", x), dtype=f"{framework}.{dtype.name}",
                 device=device, **tol)


def check_python_float(value, *, what: str) -> float:
    """A plain Python float (not a tensor, not a numpy scalar), finite."""
    if type(value) is not float:
        hint = (_(" (use .item() or float(...))") if isinstance(value, (TensorData, np.ndarray))
                else "")
        raise InvalidOutput(_("{what}: expected a Python float, got {got}").format(
            what=what, got=kind_of(value)) + hint)
    return number(value, where=what)


# --- autograd used, read from the syntax tree ------------------------------------------------

def _functions(tree: ast.Module) -> dict[str, ast.AST]:
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.setdefault(node.name, node)
    return found


def _called_names(node: ast.AST) -> set[str]:
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
            names.add(sub.func.id)
    return names


def _is_autograd_call(call: ast.Call, grad_aliases: set[str]) -> bool:
    f = call.func
    if isinstance(f, ast.Attribute) and f.attr == "backward":
        return True                                     # loss.backward() / torch.autograd.backward
    if isinstance(f, ast.Attribute) and f.attr == "grad" and (
            (isinstance(f.value, ast.Name) and f.value.id == "autograd")
            or (isinstance(f.value, ast.Attribute) and f.value.attr == "autograd")):
        return True                                     # torch.autograd.grad(...)
    if isinstance(f, ast.Name) and f.id in grad_aliases:
        return True                                     # from torch.autograd import grad
    return False


def _calls_reach(source: str, function: str, predicate_for) -> bool | None:
    """Whether `function`, or a function of the module it calls (transitively), makes a call
    that `predicate_for(tree)` (the module's syntax tree) accepts; None when the source does
    not parse or the module has no such function."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    functions = _functions(tree)
    if function not in functions:
        return None
    is_wanted = predicate_for(tree)
    seen, todo = set(), [function]
    while todo:
        name = todo.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        body = functions[name]
        if any(isinstance(n, ast.Call) and is_wanted(n) for n in ast.walk(body)):
            return True
        todo.extend(_called_names(body))
    return False


def uses_gradient_tape(source: str, function: str) -> bool | None:
    """Whether `function` (or a function of the module it calls, transitively) asks a
    tape for a gradient (`tape.gradient(...)` or `tape.jacobian(...)`); None when the
    module has no such function."""
    return _calls_reach(source, function, lambda _tree: _is_tape_call)


def _is_tape_call(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr in ("gradient", "jacobian")


def check_uses_gradient_tape(source: str, function: str, *, what: str) -> None:
    """Fail unless the function takes its gradient from a tf.GradientTape."""
    used = uses_gradient_tape(source, function)
    if used is None:
        raise CheckFailed(_("{what}: no function `{function}` found in your module").format(
            what=what, function=function))
    if not used:
        raise CheckFailed(_("{what}: `{function}` never calls tape.gradient(...); the task is "
                            "to let tf.GradientTape compute the gradient, not to write the "
                            "derivative by hand").format(what=what, function=function))


def uses_autograd(source: str, function: str) -> bool | None:
    """Whether `function` (or a function of the module it calls, transitively) calls
    .backward() or torch.autograd.grad; None when the module has no such function."""
    def predicate_for(tree):
        grad_aliases = {alias.asname or alias.name for node in ast.walk(tree)
                        if isinstance(node, ast.ImportFrom) and node.module
                        and node.module.endswith("autograd")
                        for alias in node.names if alias.name in ("grad", "backward")}
        return lambda call: _is_autograd_call(call, grad_aliases)
    return _calls_reach(source, function, predicate_for)


def check_uses_autograd(source: str, function: str, *, what: str) -> None:
    """Fail unless the function computes its gradient with autograd (.backward() or
    torch.autograd.grad), read from the submission's syntax tree."""
    used = uses_autograd(source, function)
    if used is None:
        raise CheckFailed(_("{what}: no function `{function}` found in your module").format(
            what=what, function=function))
    if not used:
        raise CheckFailed(_("{what}: `{function}` never calls .backward() or "
                            "torch.autograd.grad; the task is to let autograd compute the "
                            "gradient, not to write the derivative by hand").format(
            what=what, function=function))


# --- the mode a model ran in (RemoteObject.watch_forward / forward_log) ---------------------

def check_forward_log(log, *, what: str, training: bool | None = None,
                      grad: bool | None = None, device: str | None = None,
                      samples: int | None = None, max_batch: int | None = None) -> dict:
    """The recorded forward calls of a model during one call of the student's code:
    all in training (True) or evaluation (False) mode, all with gradients on or off, all
    inputs on `device` (a device type), `samples` rows in all, batches of at most
    `max_batch` rows."""
    if not isinstance(log, dict) or not log.get("calls"):
        raise CheckFailed(_("{what}: the model's forward was never called (call the model, "
                            "model(x), rather than a part of it)").format(what=what))
    calls = log["calls"]
    if training is True and log["eval"]:
        raise CheckFailed(_("{what}: {n} of {calls} forward passes ran in evaluation mode; call "
                            "model.train() before training (evaluate may have left the model "
                            "in eval mode)").format(what=what, n=log["eval"], calls=calls))
    if training is False and log["training"]:
        raise CheckFailed(_("{what}: {n} of {calls} forward passes ran in training mode "
                            "(dropout on); call model.eval() first").format(
            what=what, n=log["training"], calls=calls))
    if grad is True and log["grad_disabled"]:
        raise CheckFailed(_("{what}: {n} of {calls} forward passes ran without gradients; "
                            "training needs them").format(what=what, n=log["grad_disabled"],
                                                          calls=calls))
    if grad is False and log["grad_enabled"]:
        raise CheckFailed(_("{what}: {n} of {calls} forward passes built an autograd graph; "
                            "wrap them in `with torch.no_grad():`").format(
            what=what, n=log["grad_enabled"], calls=calls))
    if device is not None:
        wrong = [d for d in log["devices"] if d.split(":")[0] != device]
        if wrong:
            raise CheckFailed(_("{what}: the model got inputs on {devices}, but the device "
                                "asked for was {device}; use the `device` argument").format(
                what=what, devices=", ".join(wrong), device=repr(device)))
    if samples is not None and log["samples"] != samples:
        raise CheckFailed(_("{what}: the forward passes saw {n} rows in all, expected "
                            "{expected} (every training row once per epoch, and no other "
                            "forward passes)").format(what=what, n=log["samples"],
                                                      expected=samples))
    if max_batch is not None and log["max_batch"] > max_batch:
        raise CheckFailed(_("{what}: a batch of {n} rows went through the model; batch_size "
                            "was {batch_size}").format(what=what, n=log["max_batch"],
                                                       batch_size=max_batch))
    return log
