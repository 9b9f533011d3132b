"""Where a course's pieces live: assignments, reference solutions and hidden suites.

The course root holds `assignments/`, `solutions/` and `examples/`; the hidden suites
ship inside the package (`grader/suites/<id>/`). A course root other than this checkout
is chosen with GRADER_COURSE_DIR, and suites kept elsewhere with GRADER_SUITES_DIR.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SUITES_DIR = PACKAGE_DIR / "suites"
TRACKS_DIR = "tracks"          # solutions/<id>/tracks/<track>/: the references of other tracks


def suites_dir() -> Path:
    """The hidden suites: the package's own, or GRADER_SUITES_DIR (a course kept elsewhere)."""
    env = os.environ.get("GRADER_SUITES_DIR")
    return Path(env).resolve() if env else SUITES_DIR


class CourseError(Exception):
    """A problem with the course layout that the user can fix (one readable line)."""


def _holds_course(folder: Path) -> bool:
    return any((folder / "assignments").glob("*/assignment.toml"))


def course_root() -> Path:
    """GRADER_COURSE_DIR; else the folder the package lives in (the course repository, an
    editable install); else, for a package installed from the student bundle into
    site-packages, the nearest folder at or above the current one that holds assignments/."""
    env = os.environ.get("GRADER_COURSE_DIR")
    if env:
        return Path(env).resolve()
    if _holds_course(PACKAGE_DIR.parent):
        return PACKAGE_DIR.parent
    here = Path.cwd()
    return next((p for p in (here, *here.parents) if _holds_course(p)), PACKAGE_DIR.parent)


def course_above(folder: Path, assignment_id: str) -> Path | None:
    """The course folder above `folder` that holds `assignment_id` (a student's bundle)."""
    folder = Path(folder).resolve()
    return next((p for p in (folder, *folder.parents)
                 if (p / "assignments" / assignment_id / "assignment.toml").is_file()), None)


@dataclass(frozen=True)
class Assignment:
    """One assignment: its id, its files and the settings from `assignment.toml`."""

    id: str
    title: str
    modules: tuple[str, ...]          # module names the student submits; the first is the main one
    notebook: str | None              # stub notebook name, e.g. "forward.ipynb"
    preimport: tuple[str, ...]        # imported in the worker before the student's code
    warm_imports: tuple[str, ...]     # imported once more by the zygote (grader.sandbox.zygote)
    forbidden_imports: tuple[str, ...]
    memory_mb: int
    cpu_seconds: int
    import_timeout: float
    call_timeout: float
    submission_timeout: float
    suite_dir: Path
    solution_dir: Path
    stub_dir: Path
    settings: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def main_module(self) -> str:
        return self.modules[0]

    @property
    def tracks(self) -> dict[str, Path]:
        """Other references, one per track of the assignment written with another framework
        (06: keras, lightning), each a folder of the same modules in solution_dir/tracks/;
        `grader validate` grades each and its own mutants (Mutant.track)."""
        folder = self.solution_dir / TRACKS_DIR
        if not folder.is_dir():
            return {}
        return {p.name: p for p in sorted(folder.iterdir()) if p.is_dir()
                and not p.name.startswith((".", "__"))}

    @property
    def gpu_framework(self) -> str:
        """The framework whose CUDA the GPU tests use ("torch" unless `gpu_framework` says
        "tensorflow"): GPU tests run only where a probe of that framework holds a context."""
        return str(self.settings.get("gpu_framework", "torch"))

    @property
    def notebook_module(self) -> str:
        """The module the notebook holds: the one it is named after, else the main module."""
        stem = Path(self.notebook or self.main_module).stem
        return stem if stem in self.modules else self.main_module

    def public_test_run(self, code_dir: Path, public: Path | None = None,
                        *pytest_args: str) -> tuple[list[str], dict]:
        """The command and environment that run the public tests (test_public.py, or
        `public`) on the code in `code_dir`, as a student runs them: plain pytest, with a copy
        of the tests put beside the code so that no stub next to the course's copy can
        shadow it."""
        import shutil
        import sys

        shutil.copyfile(public or self.stub_dir / "test_public.py", code_dir / "test_public.py")
        env = dict(os.environ, PYTHONPATH=str(code_dir), PYTHONDONTWRITEBYTECODE="1")
        return ([sys.executable, "-m", "pytest", "test_public.py", "-p", "no:cacheprovider",
                 "--rootdir", str(code_dir), "-q", "--no-header", *pytest_args], env)


def load_assignment(assignment_id: str, root: Path | None = None) -> Assignment:
    root = root or course_root()
    suite_dir = suites_dir() / assignment_id
    config_path = suite_dir / "assignment.toml"
    if not config_path.is_file():
        # The student bundle has no suites: release copies the settings beside the stubs.
        config_path = root / "assignments" / assignment_id / "assignment.toml"
    if not config_path.is_file():
        known = ", ".join(list_assignments()) or "none"
        raise CourseError(f"unknown assignment '{assignment_id}' (known: {known})")
    try:
        cfg = tomllib.loads(config_path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(f"{config_path}: invalid TOML: {exc}") from None
    return Assignment(
        id=assignment_id,
        title=cfg.get("title", assignment_id),
        modules=tuple(cfg["modules"]),
        notebook=cfg.get("notebook"),
        preimport=tuple(cfg.get("preimport", ["numpy"])),
        warm_imports=tuple(cfg.get("warm_imports", [])),
        forbidden_imports=tuple(cfg.get("forbidden_imports", [])),
        memory_mb=int(cfg.get("memory_mb", 2048)),
        cpu_seconds=int(cfg.get("cpu_seconds", 120)),
        import_timeout=float(cfg.get("import_timeout", 20)),
        call_timeout=float(cfg.get("call_timeout", 10)),
        submission_timeout=float(cfg.get("submission_timeout", 600)),
        suite_dir=suite_dir,
        solution_dir=root / "solutions" / assignment_id,
        stub_dir=root / "assignments" / assignment_id,
        settings=cfg,
    )


COURSE_CONFIG = "course.toml"


def course_config(root: Path | None = None) -> dict:
    """The course's own settings, `course.toml` at the course root (optional), e.g.

        [grading]
        allow_reduced_isolation = true    # grade where bubblewrap cannot run (README)
    """
    path = (root or course_root()) / COURSE_CONFIG
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CourseError(f"{path}: invalid TOML: {exc}") from None


def list_assignments() -> list[str]:
    found = {p.parent.name for p in suites_dir().glob("*/assignment.toml")}
    if not found:      # a student bundle
        found = {p.parent.name for p in (course_root() / "assignments").glob("*/assignment.toml")}
    return sorted(found)


def wants_gpu(assignment_id: str) -> str | None:
    """The framework of the assignment's GPU tests where it asks for GPU workers, else None."""
    try:
        a = load_assignment(assignment_id)
    except Exception:          # noqa: BLE001  an unknown assignment is graded as ungradable
        return None
    return a.gpu_framework if a.settings.get("gpu") else None
