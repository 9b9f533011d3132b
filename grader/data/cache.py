"""Where downloaded and converted data live, and the checksums that vouch for them."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

ENV_VAR = "GRADER_DATA_DIR"


class DataError(Exception):
    """A data file that is missing, corrupt or not what it claims (one readable line)."""


def data_dir(create: bool = False) -> Path:
    """The cache folder: $GRADER_DATA_DIR, else $XDG_CACHE_HOME/nn-autograder, else
    ~/.cache/nn-autograder."""
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        path = Path(base) / "nn-autograder"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_sha256(path: Path, expected: str) -> None:
    """Refuse a file whose SHA-256 is not `expected`."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: missing")
    got = sha256_file(path)
    if got != expected.lower():
        raise DataError(f"{path}: SHA-256 {got[:16]}... does not match the expected "
                        f"{expected[:16]}...; the file is corrupt or not the original: delete "
                        "it and download it again")
