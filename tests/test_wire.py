"""The wire format: round trips of every allowed value, refusal of everything else."""
import json
import math
import struct

import numpy as np
import pytest

from grader.sandbox.harness import wire
from grader.sandbox.harness.wire import Handle, WireError


def roundtrip(value, to_handle=None):
    frame = wire.encode(value, to_handle=to_handle)
    header_len, payload_len = struct.unpack("<QQ", frame[:16])
    header = frame[16:16 + header_len]
    payload = frame[16 + header_len:]
    assert len(payload) == payload_len
    return wire.decode(header, payload)


def frame_parts(doc: dict, payload: bytes = b""):
    return json.dumps(doc).encode(), payload


@pytest.mark.parametrize("dtype", sorted(wire.ALLOWED_DTYPES))
def test_arrays_of_every_allowed_dtype_round_trip(dtype):
    a = (np.arange(24) % 7).astype(dtype).reshape(2, 3, 4)
    b = roundtrip(a)
    assert type(b) is np.ndarray and b.dtype == a.dtype and b.shape == a.shape
    assert np.array_equal(a, b)
    assert b.flags.c_contiguous and b.flags.writeable and b.flags.owndata


def test_scalars_containers_and_special_floats_round_trip():
    value = {"a": [None, True, 3, -2.5, "x", (1, 2)], "b": (), "nan": math.nan,
             "inf": math.inf, "ninf": -math.inf, "big": 2**70}
    out = roundtrip(value)
    assert out["a"] == [None, True, 3, -2.5, "x", (1, 2)]
    assert type(out["a"][5]) is tuple and type(out["a"]) is list and out["b"] == ()
    assert math.isnan(out["nan"]) and out["inf"] == math.inf and out["ninf"] == -math.inf
    assert out["big"] == 2**70


def test_zero_d_empty_noncontiguous_and_big_endian_arrays():
    assert roundtrip(np.float32(1.5)).dtype == np.float32        # numpy scalars keep dtype, 0-d
    assert roundtrip(np.zeros((0, 3))).shape == (0, 3)
    a = np.arange(12.0).reshape(3, 4).T
    assert np.array_equal(roundtrip(a), a)
    be = np.arange(5, dtype=">f8")
    out = roundtrip(be)
    assert out.dtype == np.dtype("<f8") and np.array_equal(out, be)


def test_ndarray_subclass_arrives_as_a_plain_ndarray():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return True

    liar = np.arange(3.0).view(Liar)
    out = roundtrip(liar)
    assert type(out) is np.ndarray
    assert not (out == np.array([9.0, 9.0, 9.0])).any()


@pytest.mark.parametrize("bad", [
    np.array([object()], dtype=object),
    np.zeros(2, dtype=[("a", "<f8")]),
    np.array(["2020-01-01"], dtype="datetime64[D]"),
    np.zeros(2, dtype=np.complex128),
    np.zeros((1,) * 9),
    {1: "non-string key"},
    object(),
])
def test_values_outside_the_format_are_refused(bad):
    with pytest.raises(WireError):
        wire.encode(bad)


def test_unsendable_values_become_handles_when_allowed():
    made = []

    def to_handle(obj):
        made.append(obj)
        return Handle(len(made), type(obj).__name__)

    out = roundtrip([object(), np.array([None], dtype=object)], to_handle)
    assert all(isinstance(h, Handle) for h in out)
    assert out[1].type_name == "ndarray"


def test_too_many_arrays_and_too_deep_nesting_are_refused():
    with pytest.raises(WireError):
        wire.encode([np.zeros(1)] * (wire.MAX_ARRAYS + 1))
    deep = []
    for _ in range(wire.MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(WireError):
        wire.encode(deep)


@pytest.mark.parametrize("doc,payload", [
    ({"tree": {"__nd__": 0, "dtype": "|O", "shape": [1]}}, b"\0" * 8),
    ({"tree": {"__nd__": 0, "dtype": ">f8", "shape": [1]}}, b"\0" * 8),
    ({"tree": {"__nd__": 0, "dtype": "<f8", "shape": [2]}}, b"\0" * 8),        # short payload
    ({"tree": {"__nd__": 0, "dtype": "<f8", "shape": [1]}}, b"\0" * 16),       # extra bytes
    ({"tree": {"__nd__": 0, "dtype": "<f8", "shape": [-1]}}, b""),
    ({"tree": {"__nd__": 0, "dtype": "<f8", "shape": [1] * 9}}, b"\0" * 8),
    ({"tree": [1, 2]}, b""),
    ({"tree": {"__pickle__": "x"}}, b""),
    ({"tree": {"__float__": "1e999"}}, b""),
    ({"tree": {"__handle__": "1"}}, b""),
    ({"nottree": 1}, b""),
])
def test_malformed_frames_are_refused(doc, payload):
    header, payload = frame_parts(doc, payload)
    with pytest.raises((WireError, KeyError)):
        wire.decode(header, payload)


def test_json_constants_and_oversized_prefixes_are_refused():
    with pytest.raises(WireError):
        wire.decode(b'{"tree": NaN}', b"")
    with pytest.raises(WireError):
        wire.parse_prefix(struct.pack("<QQ", wire.MAX_HEADER + 1, 0))
    with pytest.raises(WireError):
        wire.parse_prefix(struct.pack("<QQ", 10, wire.MAX_PAYLOAD + 1))


def test_deeply_nested_json_is_refused_without_crashing():
    header = b'{"tree": ' + b"[" * 100000 + b"]" * 100000 + b"}"
    with pytest.raises(WireError):
        wire.decode(header, b"")


def test_a_frame_read_from_a_pipe_gives_writable_arrays_of_their_own():
    """read_frame reads the payload into a buffer of its own and hands out views of it (no
    second copy of the training data): each array must still be writable and independent,
    and decode() of immutable bytes must still copy."""
    import os
    import threading

    a = np.arange(300_000, dtype=np.float32).reshape(1000, 300)
    b = np.arange(12, dtype=np.int64)
    data = wire.encode({"x": a, "y": b, "z": [a[:2]]})
    r, w = os.pipe()
    wire.widen(r, w)
    writer = threading.Thread(target=wire.write_all, args=(w, data))
    writer.start()
    got = wire.read_frame(r)
    writer.join()
    os.close(r)
    os.close(w)
    x, y, z = got["x"], got["y"], got["z"][0]
    np.testing.assert_array_equal(x, a)
    np.testing.assert_array_equal(y, b)
    np.testing.assert_array_equal(z, a[:2])
    for arr in (x, y, z):
        assert arr.flags.writeable
    x[:] = -1
    y[:] = -1
    np.testing.assert_array_equal(z, a[:2])          # its own part of the buffer
    from_bytes = wire.decode(*_split(data))
    assert from_bytes["x"].flags.writeable
    from_bytes["x"][0, 0] = 7.0                      # a copy, not the caller's bytes


def _split(frame: bytes):
    header_len, payload_len = wire.parse_prefix(frame[:wire.PREFIX_SIZE])
    header = frame[wire.PREFIX_SIZE:wire.PREFIX_SIZE + header_len]
    return header, frame[wire.PREFIX_SIZE + header_len:]


def test_eager_tensorflow_tensors_cross_as_data_and_variables_as_handles():
    tf = pytest.importorskip("tensorflow", reason="needs TensorFlow (make install installs "
                             "the tensorflow extra)")
    got = roundtrip({"f": tf.constant([[1.0, 2.0]]), "i": tf.constant([1, 2], dtype=tf.int64)})
    assert got["f"].dtype == "tf.float32" and got["f"].array.dtype == np.float32
    assert got["f"].array.tolist() == [[1.0, 2.0]]
    assert got["i"].dtype == "tf.int64" and got["i"].array.tolist() == [1, 2]
    with pytest.raises(WireError):
        roundtrip(tf.Variable(1.0))
