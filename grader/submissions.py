"""Discovering submissions: `SUBMISSIONS/<student>/<assignment>/` with .py files or a notebook.

The same shape as nbgrader's `submitted/`. Nothing here executes student code: imports are
read from the syntax tree and notebooks are turned into modules as data.
"""
from __future__ import annotations

import ast
import hashlib
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

    def files(self) -> list[Path]:
        out = []
        for p in sorted(self.path.rglob("*")):
            rel = p.relative_to(self.path)
            if any(part in IGNORED or part.startswith(".") for part in rel.parts):
                continue
            if p.is_file() and not p.is_symlink():
                out.append(p)
        return out

    def content_hash(self) -> str:
        h = hashlib.sha256()
        for p in self.files():
            h.update(str(p.relative_to(self.path)).encode() + b"\0")
            h.update(hashlib.sha256(p.read_bytes()).digest())
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


def discover(root: Path, assignments: list[str] | None = None,
             students: list[str] | None = None) -> tuple[list[Submission], list[str]]:
    """All submissions under root, and warnings about folders that are not submissions."""
    root = Path(root)
    if not root.is_dir():
        raise CourseError(f"submissions folder {root} does not exist")
    known = set(list_assignments())
    if assignments:
        unknown = [a for a in assignments if a not in known]
        if unknown:
            raise CourseError(f"unknown assignment {unknown[0]} (known: {', '.join(sorted(known))})")
    found, warnings = [], []
    for student_dir in sorted(p for p in root.iterdir() if p.is_dir() and p.name not in IGNORED
                              and not p.name.startswith(".")):
        if students and student_dir.name not in students:
            continue
        for adir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
            if adir.name not in known:
                if not adir.name.startswith("."):
                    warnings.append(f"{adir}: not a known assignment, skipped")
                continue
            if assignments and adir.name not in assignments:
                continue
            found.append(Submission(student_dir.name, adir.name, adir))
    if students:
        missing = sorted(set(students) - {s.student for s in found})
        warnings.extend(f"no submission found for student {s}" for s in missing)
    return found, warnings
