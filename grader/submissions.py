"""Discovering submissions: `SUBMISSIONS/<student>/<assignment>/` with .py files or a notebook.

The same shape as nbgrader's `submitted/`. Nothing here executes student code: imports are
read from the syntax tree and notebooks are turned into modules as data.

Which file is graded (Submission.resolve), as students really hand in:
- `forward.py` and `forward.ipynb` both there: the one that differs from the released stub
  is graded; if both differ, `forward.py` (a warning says so).
- neither there: one unambiguous candidate is graded, with a warning naming it: the same
  name in other letter case or with a copy suffix (`Forward.py`, `forward (1).py`,
  `forward-1.py`, `forward copy.py`), the file one folder deeper (as zips unpack), or the
  only .py or .ipynb handed in. Several candidates: ungradable, with what was found.
"""
from __future__ import annotations

import ast
import hashlib
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from grader.course import Assignment, CourseError, list_assignments
from grader.i18n import _, decimal

IGNORED = {"__pycache__", ".ipynb_checkpoints", ".git", ".DS_Store"}
MAX_FILE_BYTES = 20 << 20
# The code the worker gets, in all: ample for any solution, too small to carry a copy of a
# public data set that a hidden split is cut from (README, "What students may not do").
MAX_SOURCE_BYTES = 1 << 20


class UngradableSubmission(Exception):
    """This submission cannot be graded at all; the message says why (one line)."""


class UnreadableSource(Exception):
    """A submitted .py file that the syntax tree reader cannot read (one line)."""


# "forward (1)", "forward-1", "forward_2", "forward copy", "forward copy 2", "forward - Copy"
_COPY_SUFFIX = re.compile(r"(?:\s*\(\d+\)|[ _-]+\d+|\s*-?\s*copy(?:\s*\d+)?)$", re.IGNORECASE)
NOT_CANDIDATES = {"test_public.py", "setup.py", "conftest.py"}


def _known() -> frozenset:
    return frozenset(list_assignments())


def plain_stem(name: str) -> str:
    """A file name's stem without copy suffixes, in lower case: "Forward (1).py" -> "forward"."""
    stem = Path(name).stem
    previous = None
    while stem != previous:
        previous, stem = stem, _COPY_SUFFIX.sub("", stem)
    return stem.lower()


@dataclass
class Resolution:
    """What of a submission is graded: a .py file per module of the assignment (or, for
    the module the notebook holds, the notebook), the other .py files beside them, and what
    the student should be told about the choice."""
    modules: dict[str, Path] = field(default_factory=dict)
    notebook: Path | None = None
    helpers: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)       # as the feedback page says them
    check_notes: list[str] = field(default_factory=list)    # the same, as `grader check` does
    stub_untouched: bool = False      # the .py is the released stub: the notebook is used


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()
    except OSError:
        return False


@dataclass(frozen=True)
class Submission:
    student: str
    assignment: str
    path: Path

    def _walk(self) -> tuple[list[Path], list[Path]]:
        """(regular files, symbolic links) below the submission folder, sorted. Links are
        never followed, so nothing outside the submissions root is read (SANDBOX.md rule 7)."""
        files, links = [], []
        known = _known()
        for top, dirs, names in os.walk(self.path, followlinks=False):
            top = Path(top)
            kept = []
            for d in sorted(dirs):
                if d in IGNORED or d.startswith(".") or (top == self.path and d in known):
                    continue          # another assignment's folder beside files of this one
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

    def warnings(self, assignment: Assignment | None = None) -> list[str]:
        """What the student should know about how the folder was read (one line each):
        links not followed, and which file was graded where it was not the expected one."""
        found = [_("{file} is a symbolic link: it was not followed; hand in the file "
                   "itself").format(file=shown(p.relative_to(self.path)))
                 for p in self._walk()[1]]
        if assignment is not None:
            try:
                found += self.resolve(assignment).warnings
            except UngradableSubmission:
                pass
        return found

    def _rel(self, p: Path) -> str:
        return shown(p.relative_to(self.path))

    def resolve(self, assignment: Assignment) -> Resolution:
        """Which files are graded (the rules in this module's docstring); raises
        UngradableSubmission, naming what was found, when nothing or too much matches."""
        files = self.files()
        near = [p for p in files if len(p.relative_to(self.path).parts) <= 2
                and p.suffix in (".py", ".ipynb") and p.name not in NOT_CANDIDATES]
        top = {p.name: p for p in files if p.parent == self.path}
        res = Resolution()
        notebook_name = assignment.notebook or f"{assignment.notebook_module}.ipynb"
        for module in assignment.modules:
            expected = f"{module}.py"
            holds_notebook = module == assignment.notebook_module
            py = top.get(expected)
            nb = top.get(notebook_name) if holds_notebook else None
            if py and nb:
                py_stub = _same_bytes(py, assignment.stub_dir / expected)
                nb_stub = _same_bytes(nb, assignment.stub_dir / notebook_name)
                if py_stub and not nb_stub:
                    res.notebook = nb
                    res.warnings.append(_("{file} is the released stub, untouched: your "
                                          "notebook {notebook} was graded").format(
                        file=expected, notebook=notebook_name))
                    res.stub_untouched = True
                    continue
                if not py_stub and not nb_stub:
                    res.warnings.append(_("both {file} and {notebook} were handed in and both "
                                          "were changed: {file} was graded (the rule: the .py "
                                          "file wins); hand in one of them").format(
                        file=expected, notebook=notebook_name))
                    res.check_notes.append(_(
                        "both {file} and {notebook} were changed: {file} is tested (the rule: "
                        "the .py file wins); hand in one of them (grader check --notebook "
                        "tests the notebook)").format(file=expected, notebook=notebook_name))
                res.modules[module] = py
                continue
            if py or nb:
                if py:
                    res.modules[module] = py
                else:
                    res.notebook = nb
                continue
            wanted = {module.lower()} | ({Path(notebook_name).stem.lower()} if holds_notebook else set())
            similar = [p for p in near if plain_stem(p.name) in wanted
                       and (p.suffix == ".py" or holds_notebook)]
            others = {f"{m}.py" for m in assignment.modules}
            if not similar and module == assignment.main_module:
                similar = [p for p in near if p.name not in others and plain_stem(p.name)
                           not in {m.lower() for m in assignment.modules}]
                how = _("the only code file handed in")
            else:
                how = _("the nearest match of that name")
            if len(similar) > 1:
                names = ", ".join(self._rel(p) for p in similar[:10])
                raise UngradableSubmission(_(
                    "no {file} (or {notebook}) and several candidates: {names}; rename the one "
                    "to grade to {file}").format(file=expected, notebook=notebook_name,
                                                 names=names))
            if not similar:
                if module == assignment.main_module:
                    handed = ", ".join(self._rel(p) for p in files[:10]) or _("nothing")
                    raise UngradableSubmission(_("no {file} and no notebook; handed in: "
                                                 "{files}").format(file=expected, files=handed))
                continue          # another module missing: importing it fails, and says so
            chosen = similar[0]
            res.warnings.append(_("no {file} was handed in: {chosen} was graded in its place "
                                  "({how})").format(file=expected, chosen=self._rel(chosen),
                                                    how=how))
            res.check_notes.append(_("no {file} here: {chosen} is tested in its place "
                                     "({how})").format(file=expected, chosen=self._rel(chosen),
                                                       how=how))
            if chosen.suffix == ".ipynb":
                res.notebook = chosen
            else:
                res.modules[module] = chosen
        folders = {self.path} | {p.parent for p in res.modules.values()}
        if res.notebook is not None:
            folders.add(res.notebook.parent)
        used = set(res.modules.values())
        names = {f"{m}.py" for m in assignment.modules}
        res.helpers = [p for p in files if p.suffix == ".py" and p.parent in folders
                       and p not in used and p.name not in names]
        return res

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
        their notebook (chosen by `resolve`). Raises UngradableSubmission when there is
        nothing gradable."""
        res = self.resolve(assignment)
        dest.mkdir(parents=True, exist_ok=True)
        copies = [(p, p.name) for p in res.helpers] + [(p, f"{m}.py") for m, p in res.modules.items()]
        for path, name in copies:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise UngradableSubmission(_("{file} is larger than {mb} MB").format(
                    file=self._rel(path), mb=MAX_FILE_BYTES >> 20))
            shutil.copyfile(path, dest / name)
        if res.notebook is not None:
            from grader.notebooks import NotebookError, write_module_from_notebook
            try:
                write_module_from_notebook(res.notebook, dest, assignment.notebook_module)
            except NotebookError as exc:
                raise UngradableSubmission(_("invalid notebook: {problem}").format(
                    problem=exc)) from None
        total = sum(p.stat().st_size for p in dest.glob("*.py"))
        if total > MAX_SOURCE_BYTES:
            raise UngradableSubmission(_(
                "the code to grade is {size} MB; a submission may hold at most {mb} MB of "
                "source code (no data tables in the code)").format(
                    size=decimal(total / 2**20, 1), mb=MAX_SOURCE_BYTES >> 20))
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
                            "moodle-grades.csv", "csv-grades.csv", "similarity.json"})


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
        entries = _entries(student_dir, warnings)
        if assignments and len(assignments) == 1 and not any(
                e.name == assignments[0] for e in entries) and any(
                e.is_file() and e.suffix in (".py", ".ipynb") for e in entries):
            # files directly in the student's folder, the assignment named by -a
            found.append(Submission(name, assignments[0], student_dir))
            continue
        for adir in entries:
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
