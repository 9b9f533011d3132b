"""The wire format between the trusted grader and the student's worker: no pickle, ever.

A frame is `u64 header_len | u64 payload_len | JSON header | raw array bytes`. The JSON tree
holds None, bool, int, float, str and the tagged forms below; arrays travel as raw bytes of
whitelisted dtypes and are decoded into fresh, owned, base-class ndarrays. This file is
mounted into the sandbox on its own (it imports only the standard library and numpy).
"""
from __future__ import annotations

import json
import math
import os
import struct

import numpy as np

ALLOWED_DTYPES = frozenset(
    ["|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f2", "<f4", "<f8"]
)
MAX_HEADER = 1 << 20          # 1 MiB of JSON
MAX_PAYLOAD = 512 << 20       # 512 MiB of array bytes per message
MAX_NDIM = 8
MAX_ARRAYS = 256
MAX_DEPTH = 32
_PREFIX = struct.Struct("<QQ")


class WireError(Exception):
    """A value or frame that the wire format refuses."""


class Handle:
    """An opaque reference to an object that stays in the worker process."""

    __slots__ = ("id", "type_name")

    def __init__(self, id: int, type_name: str = ""):
        self.id = int(id)
        self.type_name = str(type_name)

    def __repr__(self):
        return f"<handle {self.id}: {self.type_name}>"


class TensorData:
    """A torch or TensorFlow tensor as data: its values as an ndarray plus the dtype
    ("torch.float32", "tf.float32") and device it had, as the worker described them."""

    __slots__ = ("array", "dtype", "device", "requires_grad")

    def __init__(self, array: np.ndarray, dtype: str, device: str, requires_grad: bool = False):
        self.array, self.dtype, self.device, self.requires_grad = array, dtype, device, requires_grad

    def __repr__(self):
        return f"<tensor {self.dtype} {tuple(self.array.shape)} on {self.device}>"


def _reject_constant(name):
    raise WireError(f"non-standard JSON constant {name}")


# --- encoding ---------------------------------------------------------------------------

class _Encoder:
    def __init__(self, to_handle=None):
        self.arrays: list[np.ndarray] = []
        self.payload = 0
        self.to_handle = to_handle      # object -> Handle, for values that are not data

    def array(self, a: np.ndarray, extra: dict | None = None) -> dict:
        a = np.asarray(a).view(np.ndarray)
        if a.dtype.byteorder == ">":
            a = a.astype(a.dtype.newbyteorder("<"))
        if a.dtype.str not in ALLOWED_DTYPES:
            raise WireError(f"arrays of dtype {a.dtype} cannot be sent")
        if a.ndim > MAX_NDIM:
            raise WireError(f"arrays of more than {MAX_NDIM} dimensions cannot be sent")
        if len(self.arrays) >= MAX_ARRAYS:
            raise WireError(f"more than {MAX_ARRAYS} arrays in one message")
        a = np.ascontiguousarray(a)
        self.payload += a.nbytes
        if self.payload > MAX_PAYLOAD:
            raise WireError(f"more than {MAX_PAYLOAD >> 20} MiB of array data in one message")
        self.arrays.append(a)
        node = {"__nd__": len(self.arrays) - 1, "dtype": a.dtype.str, "shape": list(a.shape)}
        if extra:
            node.update(extra)
        return node

    def encode(self, v, depth=0):
        if depth > MAX_DEPTH:
            raise WireError(f"values nested deeper than {MAX_DEPTH} levels cannot be sent")
        t = type(v)
        if v is None or t is bool or t is str:
            return v
        if t is int:
            return v
        if t is float:
            if math.isfinite(v):
                return v
            return {"__float__": "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")}
        if t is np.ndarray or isinstance(v, np.ndarray):
            if v.dtype.str in ALLOWED_DTYPES or v.dtype.byteorder == ">" and v.dtype.newbyteorder("<").str in ALLOWED_DTYPES:
                return self.array(v)
        elif isinstance(v, np.generic) and not isinstance(v, (np.object_, np.void)):
            if np.dtype(type(v)).newbyteorder("<").str in ALLOWED_DTYPES:
                return self.array(np.asarray(v))
        elif t in (list, tuple):
            return {"__seq__": [self.encode(x, depth + 1) for x in v], "tuple": t is tuple}
        elif t is dict and all(type(k) is str for k in v):
            return {"__map__": {k: self.encode(x, depth + 1) for k, x in v.items()}}
        elif t is Handle:
            return {"__handle__": v.id}
        elif _is_torch_tensor(v):
            return self.tensor(v)
        elif _is_tf_tensor(v):
            return self.tf_tensor(v)
        if self.to_handle is None:
            raise WireError(f"values of type {t.__name__} cannot be sent")
        h = self.to_handle(v)
        return {"__handle__": h.id, "type": h.type_name}

    def tensor(self, t):
        dtype = str(t.dtype)
        data = t.detach()
        if data.is_complex() or dtype == "torch.bool":
            arr = data.cpu().numpy()
        else:
            if dtype in ("torch.bfloat16",):
                data = data.float()
            arr = data.cpu().numpy()
        return self.array(arr, {"tensor": True, "torch_dtype": dtype, "device": str(t.device),
                                "requires_grad": bool(t.requires_grad)})

    def tf_tensor(self, t):
        dtype = f"tf.{t.dtype.name}"
        arr = t.numpy()
        if dtype == "tf.bfloat16":
            arr = arr.astype(np.float32)
        return self.array(np.asarray(arr), {"tensor": True, "torch_dtype": dtype,
                                            "device": str(t.device)})


def _is_tf_tensor(v) -> bool:
    """An eager TensorFlow tensor (tf.constant, the result of an op; not a tf.Variable,
    which stays a handle like any other object)."""
    cls = type(v)
    return cls.__module__.startswith("tensorflow") and any(
        c.__name__ == "EagerTensor" for c in cls.__mro__)


def _is_torch_tensor(v) -> bool:
    cls = type(v)
    return cls.__module__.startswith("torch") and any(
        c.__name__ == "Tensor" and c.__module__ == "torch" for c in cls.__mro__)


def encode(message, to_handle=None) -> bytes:
    """Encode a message (a JSON-able tree with arrays) into one frame."""
    enc = _Encoder(to_handle)
    try:
        tree = enc.encode(message)
        header = json.dumps({"tree": tree}, allow_nan=False, separators=(",", ":")).encode()
    except RecursionError:
        raise WireError("value nested too deeply to send") from None
    if len(header) > MAX_HEADER:
        raise WireError(f"message header larger than {MAX_HEADER >> 20} MiB")
    parts = [_PREFIX.pack(len(header), enc.payload), header]
    parts.extend(a.reshape(-1).view(np.uint8) for a in enc.arrays)
    return b"".join(parts)


# --- decoding ---------------------------------------------------------------------------

def decode(header: bytes, payload: bytes, from_handle=None):
    """Decode a frame's header and payload into a message; refuses anything off the whitelist."""
    try:
        doc = json.loads(header, parse_constant=_reject_constant)
    except RecursionError:
        raise WireError("message nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise WireError(f"malformed message header: {exc}") from None
    if type(doc) is not dict or "tree" not in doc:
        raise WireError("malformed message header")
    state = {"offset": 0, "count": 0}
    view = memoryview(payload)

    def node(v, depth):
        if depth > MAX_DEPTH:
            raise WireError(f"message nested deeper than {MAX_DEPTH} levels")
        t = type(v)
        if v is None or t in (bool, int, float, str):
            return v
        if t is list:
            raise WireError("bare JSON lists are not part of the format")
        if t is not dict or len(v) == 0:
            raise WireError("malformed value")
        if "__nd__" in v:
            return array(v)
        if "__seq__" in v:
            items = v["__seq__"]
            if type(items) is not list:
                raise WireError("malformed sequence")
            out = [node(x, depth + 1) for x in items]
            return tuple(out) if v.get("tuple") is True else out
        if "__map__" in v:
            m = v["__map__"]
            if type(m) is not dict:
                raise WireError("malformed mapping")
            return {str(k): node(x, depth + 1) for k, x in m.items()}
        if "__float__" in v:
            return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[_choice(v["__float__"])]
        if "__handle__" in v:
            hid = v["__handle__"]
            if type(hid) is not int:
                raise WireError("malformed handle")
            h = Handle(hid, v.get("type", "") if type(v.get("type", "")) is str else "")
            return from_handle(h) if from_handle else h
        raise WireError("unknown tagged value")

    def array(v):
        dtype, shape = v.get("dtype"), v.get("shape")
        if dtype not in ALLOWED_DTYPES:
            raise WireError(f"dtype {dtype!r} is not allowed")
        if type(shape) is not list or len(shape) > MAX_NDIM or not all(
                type(n) is int and n >= 0 for n in shape):
            raise WireError("malformed array shape")
        state["count"] += 1
        if state["count"] > MAX_ARRAYS:
            raise WireError(f"more than {MAX_ARRAYS} arrays in one message")
        dt = np.dtype(dtype)
        nbytes = dt.itemsize * math.prod(shape)
        start = state["offset"]
        if v["__nd__"] != state["count"] - 1 or start + nbytes > len(view):
            raise WireError("array data does not match the header")
        state["offset"] = start + nbytes
        arr = np.frombuffer(view[start:start + nbytes], dtype=dt).reshape(shape)
        if view.readonly:
            arr = arr.copy()        # bytes: an array of its own, writable
        # else a frame read into a buffer of its own (read_frame): each array is a writable
        # view of its own part of it, with no copy of the training data in between
        if v.get("tensor") is True:
            return TensorData(arr, str(v.get("torch_dtype", "")), str(v.get("device", "cpu")),
                              bool(v.get("requires_grad", False)))
        return arr

    out = node(doc["tree"], 0)
    if state["offset"] != len(view):
        raise WireError("unused array data at the end of the message")
    return out


def _choice(s):
    if s not in ("nan", "inf", "-inf"):
        raise WireError("malformed float")
    return s


# --- frames over file descriptors ---------------------------------------------------------

def read_exact(fd: int, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        b = os.read(fd, min(n - got, 1 << 20))
        if not b:
            raise EOFError("connection closed")
        chunks.append(b)
        got += len(b)
    return b"".join(chunks)


def read_into(fd: int, n: int) -> bytearray:
    """n bytes read straight into a buffer of their own (one copy, the kernel's)."""
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = os.readv(fd, [view[got:]])
        if not k:
            raise EOFError("connection closed")
        got += k
    return buf


def read_frame(fd: int, from_handle=None):
    """Blocking read of one frame (used in the worker; the parent reads with deadlines)."""
    header_len, payload_len = parse_prefix(read_exact(fd, _PREFIX.size))
    header = read_exact(fd, header_len)
    payload = read_into(fd, payload_len)
    return decode(header, payload, from_handle)


def parse_prefix(prefix: bytes) -> tuple[int, int]:
    header_len, payload_len = _PREFIX.unpack(prefix)
    if header_len > MAX_HEADER:
        raise WireError(f"message header larger than {MAX_HEADER >> 20} MiB")
    if payload_len > MAX_PAYLOAD:
        raise WireError(f"more than {MAX_PAYLOAD >> 20} MiB of array data in one message")
    return header_len, payload_len


PREFIX_SIZE = _PREFIX.size


PIPE_SIZE = 1 << 20          # Linux's default pipe-max-size; a pipe holds 64 KiB otherwise


def widen(*fds: int) -> None:
    """Let each pipe hold PIPE_SIZE bytes (best effort): the training data of a call then
    crosses in 1 MiB steps instead of 64 KiB ones, 16 times fewer wake-ups on each side."""
    import fcntl
    for fd in fds:
        try:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        except (OSError, AttributeError):
            pass


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
