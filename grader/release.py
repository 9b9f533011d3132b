"""`grader release`: stubs and stub notebooks generated from the reference solutions, and the
student bundle (no solutions, no hidden suites).
"""
from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

from grader import course, i18n, notebooks

# Spelled in pieces so that this file itself can ship in the student bundle, which must
# not contain the markers verbatim.
BEGIN_SOLUTION = "BEGIN " + "SOLUTION"
END_SOLUTION = "END " + "SOLUTION"
LEAK_MARKERS = ("### " + BEGIN_SOLUTION, "BEGIN HIDDEN " + "TESTS")
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]  # nbgrader's Python stub


class ReleaseError(Exception):
    """A release that cannot be made (one readable line naming the file)."""


def clear_solutions(source: str, filename: str = "<source>") -> str:
    """nbgrader's ClearSolutions for Python: each region from a line holding BEGIN_SOLUTION
    to one holding END_SOLUTION becomes CODE_STUB at the BEGIN line's indentation; the rest
    is kept."""
    out: list[str] = []
    begin_line = 0
    for number, line in enumerate(source.split("\n"), 1):
        if BEGIN_SOLUTION in line:
            if begin_line:
                raise ReleaseError(f"{filename}:{number}: nested {BEGIN_SOLUTION} "
                                   f"(the region opened on line {begin_line} is not closed)")
            begin_line = number
            indent = re.match(r"\s*", line).group(0)
            out += [indent + stub for stub in CODE_STUB]
        elif END_SOLUTION in line:
            # nbgrader drops a stray END silently; here it is a mistake worth naming
            if not begin_line:
                raise ReleaseError(f"{filename}:{number}: {END_SOLUTION} without a "
                                   f"{BEGIN_SOLUTION} before it")
            begin_line = 0
        elif not begin_line:
            out.append(line)
    if begin_line:
        raise ReleaseError(f"{filename}:{begin_line}: {BEGIN_SOLUTION} without an "
                           f"{END_SOLUTION}")
    return "\n".join(out)


def stub_module(solution: Path, root: Path) -> str:
    """The stub of one solution module, checked to hide something and to compile."""
    name = solution.relative_to(root).as_posix()
    source = solution.read_text(encoding="utf-8")
    if BEGIN_SOLUTION not in source:
        raise ReleaseError(f"{name}: no {BEGIN_SOLUTION} region; its stub would be the "
                           "whole solution")
    stub = clear_solutions(source, name)
    try:
        compile(stub, name, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise ReleaseError(f"{name}: the stub does not compile (line {exc.lineno}: "
                           f"{exc.msg}); put the markers around whole statements") from None
    return stub


def stub_notebook(stub: str, assignment: course.Assignment, module: str, name: str) -> str:
    """The release notebook's JSON, checked to give back every def/class when graded."""
    nb = notebooks.build_notebook(stub, assignment.title, assignment.id)
    graded = notebooks.module_from_notebook(nb, assignment.notebook, module)
    wanted = {n.name for n in ast.parse(stub).body
              if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    got = {n.name for n in ast.parse(graded).body if hasattr(n, "name")}
    if wanted - got:
        raise ReleaseError(f"{name}: grading its notebook would lose "
                           f"{', '.join(sorted(wanted - got))}")
    return notebooks.dumps_notebook(nb)


def release_files(assignment: course.Assignment, root: Path) -> dict[Path, str]:
    """What release writes for one assignment: path -> text."""
    files: dict[Path, str] = {}
    stubs: dict[str, str] = {}
    settings = assignment.suite_dir / "assignment.toml"
    if settings.is_file():      # so `grader check` works in the student bundle
        files[assignment.stub_dir / "assignment.toml"] = settings.read_text(encoding="utf-8")
    for module in assignment.modules:
        solution = assignment.solution_dir / f"{module}.py"
        if solution.is_file():
            stubs[module] = stub_module(solution, root)
            files[assignment.stub_dir / f"{module}.py"] = stubs[module]
    if assignment.notebook:
        module = assignment.notebook_module
        if module in stubs:
            solution = assignment.solution_dir / f"{module}.py"
            files[assignment.stub_dir / assignment.notebook] = stub_notebook(
                stubs[module], assignment, module, solution.relative_to(root).as_posix())
    return files


def release(check: bool = False, root: Path | None = None,
            assignment_ids: list[str] | None = None) -> list[str]:
    """Regenerate the stubs and notebooks. Returns the files (relative to the course root)
    that differ from what release writes; with check=True nothing is written."""
    root = Path(root or course.course_root())
    changed = []
    for assignment_id in assignment_ids or course.list_assignments():
        try:
            assignment = course.load_assignment(assignment_id, root)
        except course.CourseError as exc:
            raise ReleaseError(str(exc)) from None
        for path, text in release_files(assignment, root).items():
            try:
                current = path.read_text(encoding="utf-8")
            except (FileNotFoundError, UnicodeDecodeError):
                current = None
            if current == text:
                continue
            changed.append(path.relative_to(root).as_posix())
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8", newline="\n")
    return changed


# ---------------------------------------------------------------------------------------
# Student bundle
# ---------------------------------------------------------------------------------------

def _ignore_build_files(directory: str, names: list[str]) -> set[str]:
    ignored = {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".pyo"))}
    if Path(directory).resolve() == course.PACKAGE_DIR:
        ignored.add("suites")  # the hidden suites, instructor only
    return ignored


def verify_bundle(dest: Path, assignment_ids: list[str]) -> None:
    """Refuse a bundle that holds a solution or a hidden suite."""
    for path in sorted(dest.rglob("*")):
        rel = path.relative_to(dest).as_posix()
        if "solutions" in rel or any(f"suites/{a}" in rel for a in assignment_ids):
            raise ReleaseError(f"{rel}: instructor-only path in the student bundle")
        if path.is_file():
            data = path.read_bytes()
            for marker in LEAK_MARKERS:
                if marker.encode() in data:
                    raise ReleaseError(f"{rel}: contains '{marker}'; the student bundle "
                                       "must not hold solutions or hidden tests")


def _in_language(assignments: Path, language: str) -> None:
    """Each assignment's README.md in the course's language (README.<lang>.md, written
    beside it in the repository); the English one stays as README.en.md."""
    if language == i18n.DEFAULT:
        return
    for translated in sorted(assignments.glob(f"*/README.{language}.md")):
        readme = translated.with_name("README.md")
        if readme.is_file():
            readme.replace(readme.with_name(f"README.{i18n.DEFAULT}.md"))
        translated.replace(readme)


def build_student_bundle(dest: Path, root: Path | None = None,
                         assignment_ids: list[str] | None = None) -> list[str]:
    """Copy what students get to `dest`: assignments/ (each README.md in the course's
    language), the students' README.md, pyproject.toml, the course's language (a course.toml
    holding only it) and the grader package without its suites (`pip install .` in it
    installs the grader). Returns the bundle's files, relative to dest."""
    root = Path(root or course.course_root())
    language = i18n.course_language(course.course_config(root))
    dest = Path(dest)
    assignment_ids = assignment_ids or course.list_assignments()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ReleaseError(f"{dest}: exists and is not empty; choose a new folder")
    if not (root / "assignments").is_dir():
        raise ReleaseError(f"{root / 'assignments'}: missing; run `grader release` first")
    stale = release(check=True, root=root, assignment_ids=assignment_ids)
    if stale:
        raise ReleaseError(f"{stale[0]}: out of date with solutions/; run `grader release` "
                           "first")
    dest.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copytree(root / "assignments", dest / "assignments", ignore=_ignore_build_files)
        # grader check in the bundle speaks the course's language (unless the student's
        # locale asks for another)
        i18n.write_course_language(dest, language)
        _in_language(dest / "assignments", language)
        shutil.copytree(course.PACKAGE_DIR, dest / "grader", ignore=_ignore_build_files)
        # the students' own README (install, work, check, hand in), not the instructors'
        readme = root / "docs" / "README.students.md"
        shutil.copy2(readme if readme.is_file() else root / "README.md", dest / "README.md")
        if (root / "pyproject.toml").is_file():
            shutil.copy2(root / "pyproject.toml", dest / "pyproject.toml")
        verify_bundle(dest, course.list_assignments())
    except ReleaseError as exc:
        shutil.rmtree(dest)  # it was empty before: a leaking bundle must not be left behind
        raise ReleaseError(f"{exc} (bundle removed)") from None
    return sorted(p.relative_to(dest).as_posix()
                  for p in dest.rglob("*") if p.is_file())
