"""Discovering submissions: `SUBMISSIONS/<student>/<assignment>/` with .py files or a notebook.

The same shape as nbgrader's `submitted/`. Nothing here executes student code: imports are
read from the syntax tree and notebooks are turned into modules as data.
"""
from __future__ import annotations

import ast
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from grader.course import Assignment, CourseError, list_assignments

IGNORED = {"__pycache__", ".ipynb_checkpoints", ".git", ".DS_Store"}
MAX_FILE_BYTES = 20 << 20
# The code the worker gets, in all: ample for any solution, too small to carry a copy of a
# public data set that a hidden split is cut from (README, "What students may not do").
MAX_SOURCE_BYTES = 1 << 20


class UngradableSubmission(Exception):
    """This submission cannot be graded at all; the message says why (one line)."""


class UnreadableSource(Exception):
    """A submitted .py file that the syntax tree reader cannot read (one line)."""


@dataclass(frozen=True)
class Submission:
    student: str
    assignment: str
    path: Path

    def _walk(self) -> tuple[list[Path], list[Path]]:
        """(regular files, symbolic links) below the submission folder, sorted. Links are
        never followed, so nothing outside the submissions root is read (SANDBOX.md rule 7)."""
        files, links = [], []
        for top, dirs, names in os.walk(self.path, followlinks=False):
            top = Path(top)
            kept = []
            for d in sorted(dirs):
                if d in IGNORED or d.startswith("."):
                    continue
                if (top / d).is_symlink():
                    links.append(top / d)
                else:
                    kept.append(d)
            dirs[:] = kept
            for name in sorted(names):
                if name in IGNORED or name.startswith("."):
                    continue
                p = top / name
                if p.is_symlink():
                    links.append(p)
                elif p.is_file():
                    files.append(p)
        return sorted(files), sorted(links)

    def files(self) -> list[Path]:
        return self._walk()[0]

    def warnings(self) -> list[str]:
        """What the student should know about how the folder was read (one line each)."""
        return [f"{shown(p.relative_to(self.path))} is a symbolic link: it was not followed; "
                "hand in the file itself" for p in self._walk()[1]]

    def content_hash(self) -> str:
        """A digest of every file's name and content. Each file is read in blocks, at most
        MAX_FILE_BYTES of it (a larger one is ungradable anyway; its size still counts), so a
        huge or sparse file costs no more than that."""
        h = hashlib.sha256()
        for p in self.files():
            h.update(os.fsencode(p.relative_to(self.path)) + b"\0")
            try:
                size = p.stat().st_size
                with open(p, "rb") as f:
                    left = min(size, MAX_FILE_BYTES + 1)
                    while left > 0:
                        block = f.read(min(left, 1 << 20))
                        if not block:
                            break
                        h.update(block)
                        left -= len(block)
                h.update(f"\0{size}\n".encode())
            except OSError as exc:
                h.update(f"\0unreadable {exc.errno}\n".encode())
        return h.hexdigest()

    def prepare(self, assignment: Assignment, dest: Path) -> Path:
        """Build the folder the worker sees: the student's .py files, or modules made from
        their notebook. Raises UngradableSubmission when there is nothing gradable."""
        dest.mkdir(parents=True, exist_ok=True)
        files = self.files()
        for p in files:
            if p.suffix == ".py" and p.parent == self.path:
                if p.stat().st_size > MAX_FILE_BYTES:
                    raise UngradableSubmission(f"{p.name} is larger than {MAX_FILE_BYTES >> 20} MB")
                shutil.copyfile(p, dest / p.name)
        main = f"{assignment.main_module}.py"
        if not (dest / main).exists():
            notebooks = [p for p in files if p.suffix == ".ipynb" and p.parent == self.path]
            preferred = [p for p in notebooks if p.name == assignment.notebook]
            if not notebooks:
                raise UngradableSubmission(f"no {main} and no notebook in {self.path}")
            if len(notebooks) > 1 and not preferred:
                names = ", ".join(p.name for p in notebooks)
                raise UngradableSubmission(f"several notebooks ({names}) and none named "
                                           f"{assignment.notebook}: cannot tell which to grade")
            from grader.notebooks import NotebookError, write_module_from_notebook
            try:
                write_module_from_notebook((preferred or notebooks)[0], dest, assignment.main_module)
            except NotebookError as exc:
                raise UngradableSubmission(f"invalid notebook: {exc}") from None
        total = sum(p.stat().st_size for p in dest.glob("*.py"))
        if total > MAX_SOURCE_BYTES:
            raise UngradableSubmission(
                f"the code to grade is {total / 2**20:.1f} MB; a submission may hold at most "
                f"{MAX_SOURCE_BYTES >> 20} MB of source code (no data tables in the code)")
        return dest

    def imports(self, prepared: Path | None = None) -> set[str]:
        """Modules the code imports, read from the syntax tree. A file that cannot be read
        as Python (a syntax error, or nesting too deep for the parser) raises
        UnreadableSource: its imports are unknown, which is never "none"."""
        folder = prepared or self.path
        names: set[str] = set()
        for p in sorted(folder.glob("*.py")):
            try:
                tree = ast.parse(p.read_text(errors="replace"))
            except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
                raise UnreadableSource(f"{p.name} cannot be read as Python "
                                       f"({type(exc).__name__})") from None
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names.update(a.name for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module)
                    names.update(f"{node.module}.{a.name}" for a in node.names)
                elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__" \
                        and node.args and isinstance(node.args[0], ast.Constant):
                    names.add(str(node.args[0].value))
                elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module" \
                        and node.args and isinstance(node.args[0], ast.Constant):
                    names.add(str(node.args[0].value))
        return names


# Files that a grading run writes at the top of its output folder: a student folder of one
# of these names would collide with them.
RESERVED_NAMES = frozenset({"grades.csv", "report.html", "canvas-grades.csv",
                            "moodle-grades.csv", "csv-grades.csv"})


def student_name_problem(name: str) -> str | None:
    """Why a folder name cannot be a student id (None when it can)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "its name is not valid UTF-8; rename it"
    if name in RESERVED_NAMES:
        return f"a student named {name} would overwrite the run's own {name}; rename it"
    return None


def shown(path) -> str:
    """A path as text that can always be printed (undecodable bytes of a name as U+FFFD)."""
    return os.fsencode(str(path)).decode("utf-8", "replace")


def _entries(folder: Path, warnings: list[str]) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError as exc:
        warnings.append(f"{shown(folder)}: cannot be read ({exc.strerror}), skipped")
        return []


def discover(root: Path, assignments: list[str] | None = None,
             students: list[str] | None = None) -> tuple[list[Submission], list[str]]:
    """All submissions under root, and warnings about folders that are not submissions.
    Symbolic links are never followed: a linked folder could lead out of the root."""
    root = Path(root)
    if not root.is_dir():
        raise CourseError(f"submissions folder {root} does not exist")
    known = set(list_assignments())
    if assignments:
        unknown = [a for a in assignments if a not in known]
        if unknown:
            raise CourseError(f"unknown assignment {unknown[0]} (known: {', '.join(sorted(known))})")
    found, warnings = [], []
    for student_dir in _entries(root, warnings):
        name = student_dir.name
        if name in IGNORED or name.startswith("."):
            continue
        if student_dir.is_symlink():
            warnings.append(f"{shown(student_dir)}: a symbolic link, not followed; skipped")
            continue
        if not student_dir.is_dir() or (students and name not in students):
            continue
        problem = student_name_problem(name)
        if problem:
            warnings.append(f"{shown(student_dir)}: skipped: {problem}")
            continue
        for adir in _entries(student_dir, warnings):
            if adir.name.startswith("."):
                continue
            if adir.is_symlink():
                warnings.append(f"{shown(adir)}: a symbolic link, not followed; skipped")
                continue
            if not adir.is_dir():
                continue
            if adir.name not in known:
                warnings.append(f"{shown(adir)}: not a known assignment, skipped")
                continue
            if assignments and adir.name not in assignments:
                continue
            found.append(Submission(name, adir.name, adir))
    if students:
        missing = sorted(set(students) - {s.student for s in found})
        warnings.extend(f"no submission found for student {s}" for s in missing)
    return found, warnings
