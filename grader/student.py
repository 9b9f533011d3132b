"""The student's own loop: the public tests on the student's work, told in a few lines.

Two ways in, one report:
- `grader check ID [FOLDER]` (grader/cli/course_tools.py) runs `python -m grader.student`
  on the code it prepared (the .py, or the module made from the notebook), in a process of
  its own;
- `check()` in the last cell of every released notebook runs the same tests on the
  definitions of that notebook's kernel, and shows the result as HTML.
Per test one line; per failure the diagnostic (the assertion's message, a check's message
from grader.checks, "not implemented yet" for an untouched stub), never pytest's traceback.
This runs on the student's own machine with the student's own code: nothing here grades.
"""
from __future__ import annotations

import ast
import html
import os
import re
import sys
import tempfile
import types
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grader import i18n
from grader.i18n import N_, _, ngettext

NOT_IMPLEMENTED = N_("not implemented yet")
PER_TEST_SECONDS = 60          # pytest-timeout per public test: an endless loop costs one test


@dataclass
class Row:
    name: str                  # as a person reads it: "softmax last axis [2d]"
    function: str              # the student's function it tests ("" when none is named)
    passed: bool
    message: str = ""          # the diagnostic of a failure


@dataclass
class CheckReport:
    checked: str                                   # what was tested: "forward.ipynb"
    rows: list[Row] = field(default_factory=list)
    error: str = ""                                # the code could not be loaded: said once
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.rows)

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.rows) and self.passed == len(self.rows)

    def functions(self) -> dict[str, list[Row]]:
        groups: dict[str, list[Row]] = {}
        for r in self.rows:
            groups.setdefault(r.function or _("other tests"), []).append(r)
        return groups

    def text(self) -> str:
        lines = [_("Checked {what}.").format(what=self.checked)]
        lines += [_("note: {note}").format(note=n) for n in self.notes]
        if self.error:
            return "\n".join(lines + [_("Your code could not be loaded, so no test ran:"),
                                      _indent(self.error)])
        for r in self.rows:
            mark = _("PASS") if r.passed else _("FAIL")
            lines.append(f"  {mark}  {r.name}")
            if not r.passed and r.message:
                lines.append(_indent(r.message, 8))
        lines.append(self.summary())
        return "\n".join(lines)

    def summary(self) -> str:
        if not self.rows:
            return _("No public test ran.")
        failing = [f for f, rows in self.functions().items() if not all(r.passed for r in rows)]
        text = ngettext("{passed} of {n} public test passed.", "{passed} of {n} public tests "
                        "passed.", len(self.rows)).format(passed=self.passed, n=len(self.rows))
        if failing:
            text += " " + _("Failing: {functions}.").format(functions=", ".join(failing))
        return text

    def _repr_html_(self) -> str:
        esc = html.escape
        checked = esc(_("Checked {what}.").format(what=self.checked))
        parts = [f"<p><b>{checked}</b></p>"]
        parts += ["<p><i>" + esc(_("note: {note}").format(note=n)) + "</i></p>" for n in self.notes]
        if self.error:
            unloaded = esc(_("Your code could not be loaded, so no test ran:"))
            return "".join(parts) + (f"<p style='color:#cf222e'>{unloaded}</p>"
                                     f"<pre>{esc(self.error)}</pre>")
        function, result = esc(_("function")), esc(_("result"))
        parts.append(f"<table><thead><tr><th style='text-align:left'>{function}</th>"
                     f"<th style='text-align:left'>{result}</th></tr></thead><tbody>")
        for function, rows in self.functions().items():
            failed = [r for r in rows if not r.passed]
            if not failed:
                passed = ngettext("passed ({n} test)", "passed ({n} tests)",
                                  len(rows)).format(n=len(rows))
                cell = f"<span style='color:#1a7f37'>{esc(passed)}</span>"
            else:
                messages = []
                for r in failed:
                    if r.message not in messages:
                        messages.append(r.message)
                failed_text = _("{failed} of {n} failed").format(failed=len(failed), n=len(rows))
                cell = (f"<span style='color:#cf222e'>{esc(failed_text)}</span>"
                        + "".join(f"<pre style='margin:.2em 0'>{esc(m)}</pre>" for m in messages[:3]))
            parts.append(f"<tr><td style='text-align:left;vertical-align:top'><code>{esc(function)}"
                         f"</code></td><td style='text-align:left'>{cell}</td></tr>")
        parts.append(f"</tbody></table><p>{esc(self.summary())}</p>")
        return "".join(parts)

    def __repr__(self) -> str:
        return self.text()


def _indent(text: str, n: int = 4) -> str:
    return "\n".join(" " * n + line for line in str(text).splitlines())


# --- which function a test tests --------------------------------------------------------

def function_of(test_name: str, functions: list[str]) -> str:
    """The function a test is about, from its name: "test_activation_keeps_float32[softmax]"
    -> softmax, "test_mlp_two_layers" -> mlp_forward; "" when none fits."""
    name, _sep, param = test_name.removeprefix("test_").partition("[")
    tokens = [t.lower() for t in re.split(r"[\W_]+", name) if t]
    params = [t.lower() for t in re.split(r"[\W_]+", param) if t]

    def contains(words: list[str], parts: list[str]) -> bool:
        return any(words[i:i + len(parts)] == parts for i in range(len(words) - len(parts) + 1))
    best = ""
    for where in (params, tokens):
        for f in functions:
            parts = [p.lower() for p in re.split(r"_+", f) if p] or [f.lower()]
            if f.lower() in where or contains(where, parts):
                best = max(best, f, key=len) if best else f
        if best:
            return best
    for f in functions:          # "mlp two layers": the first word of mlp_forward
        if tokens and f.lower().split("_")[0] == tokens[0]:
            return f
    return ""


# --- the pytest plugin ------------------------------------------------------------------

def _shown_name(item) -> str:
    base = _(i18n.test_title(getattr(item, "originalname", item.name),
                             getattr(getattr(item, "function", None), "__doc__", None)))
    callspec = getattr(item, "callspec", None)
    return f"{base} [{callspec.id}]" if callspec else base


def diagnostic(excinfo, code_dir: str) -> str:
    """A failure in a few lines: what the test or check said, or the student's exception and
    the student's line it came from."""
    exc = excinfo.value
    if isinstance(exc, NotImplementedError):
        return _(NOT_IMPLEMENTED)
    if isinstance(exc, AssertionError):
        lines = str(exc).strip().splitlines()
        # pytest appends its own explanation ("assert 3 == 4", "+  where ...") after a message
        own = [line for line in lines[: next((i for i, line in enumerate(lines)
                                               if line.startswith("assert ")), len(lines))]]
        return "\n".join(own or lines[:3])[:1500]
    if type(exc).__name__ in ("CheckFailed", "InvalidOutput", "Failed"):
        return str(exc)[:1500]
    text = f"{type(exc).__name__}: {exc}".strip()[:1000]
    where = ""
    for entry in excinfo.traceback:
        path = str(entry.path)
        in_notebook = "ipykernel_" in path or path.startswith("<ipython-input")
        if (path.startswith(code_dir) or in_notebook) and \
                not os.path.basename(path).startswith("test_"):
            source = entry.statement.lines[0].strip() if entry.statement.lines else ""
            place = f"in {entry.name}" if in_notebook else \
                f"File \"{os.path.basename(path)}\", line {entry.lineno + 1}, in {entry.name}"
            where = f"\n  {place}" + (f"\n    {source}" if source else "")
    return text + where


class Compact:
    """Collects one row per test; pytest's own terminal output is switched off."""

    def __init__(self, code_dir: str, functions: list[str]):
        self.code_dir, self.functions = code_dir, functions
        self.rows: list[Row] = []
        self.errors: list[str] = []

    def pytest_collectreport(self, report):
        if report.failed:
            text = str(report.longrepr).strip().splitlines()
            self.errors.append("\n".join(line for line in text[-6:]
                                         if not line.startswith("Traceback")))

    def _row(self, item, passed: bool, message: str = "") -> Row:
        return Row(_shown_name(item), function_of(item.name, self.functions), passed, message)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.when == "call" or (report.when == "setup" and not report.passed):
            if report.skipped:
                return
            if report.passed:
                self.rows.append(self._row(item, True))
            else:
                message = diagnostic(call.excinfo, self.code_dir) if call.excinfo else \
                    str(report.longrepr).strip().splitlines()[-1]
                self.rows.append(self._row(item, False, message))


def run(test_file: Path, code_dir: Path, functions: list[str], checked: str,
        verbose: bool = False) -> CheckReport:
    """Run the public tests in this process, the student's module importable from code_dir
    (or already in sys.modules). verbose: pytest's own full report instead."""
    report = CheckReport(checked)
    plugin = Compact(str(code_dir), functions)
    args = [str(test_file), "-p", "no:cacheprovider", "--rootdir", str(test_file.parent),
            "--import-mode=importlib", f"--timeout={PER_TEST_SECONDS}"]
    args += ["-p", "no:terminal"] if not verbose else ["-q"]
    pytest.main(args, plugins=[plugin])
    if plugin.errors and not plugin.rows:
        report.error = plugin.errors[0]
    report.rows = plugin.rows
    return report


def needed_names(test_source: str, module: str) -> list[str]:
    """What the public tests import from the student's module."""
    try:
        tree = ast.parse(test_source)
    except SyntaxError:
        return []
    return [a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and node.module == module for a in node.names if a.name != "*"]


def _not_defined(name: str, where: str):
    def missing(*args, **kwargs):
        raise NameError(_("{file} defines no `{name}`").format(file=where, name=name))
    return missing


def load_student_module(module: str, code_dir: Path, checked: str, needed: list[str]):
    """(the student's module with a stand-in for each name the tests need and it lacks, or
    None; why it could not be loaded, in a few lines)."""
    import importlib

    path = code_dir / f"{module}.py"
    try:
        compile(path.read_text(encoding="utf-8"), path.name, "exec", dont_inherit=True)
    except SyntaxError as exc:
        line = (exc.text or "").strip()
        return None, f"SyntaxError: {exc.msg} ({path.name}, line {exc.lineno})" + \
            (f"\n    {line}" if line else "")
    except (OSError, ValueError) as exc:
        return None, f"{path.name}: {exc}"
    sys.path.insert(0, str(code_dir))
    try:
        loaded = importlib.import_module(module)
    except BaseException as exc:  # noqa: BLE001  the student's module may raise anything
        import traceback

        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if f.filename.startswith(str(code_dir))]
        where = "".join(f"\n  File \"{os.path.basename(f.filename)}\", line {f.lineno}, in "
                        f"{f.name}" + (f"\n    {f.line}" if f.line else "") for f in frames[-3:])
        return None, f"{type(exc).__name__}: {exc}{where}"
    for name in needed:
        if not hasattr(loaded, name):
            setattr(loaded, name, _not_defined(name, checked))
    return loaded, ""


def main(argv: list[str] | None = None) -> int:
    """`python -m grader.student CODE_DIR MODULE CHECKED [--note=...] [--lang=LL] [--verbose]`:
    what grader check runs in a process of its own; test_public.py lies in CODE_DIR beside
    the code."""
    argv = sys.argv[1:] if argv is None else argv
    code_dir, module, checked = Path(argv[0]).resolve(), argv[1], argv[2]
    verbose = "--verbose" in argv[3:]
    for a in argv[3:]:
        if a.startswith("--lang="):
            i18n.set_language(a.removeprefix("--lang="))
    notes = [a.removeprefix("--note=") for a in argv[3:] if a.startswith("--note=")]
    tests = code_dir / "test_public.py"
    needed = needed_names(tests.read_text(encoding="utf-8"), module)
    loaded, error = load_student_module(module, code_dir, checked.split(" ")[0], needed)
    if loaded is None:
        report = CheckReport(checked, error=error, notes=notes)
    else:
        report = run(tests, code_dir, needed, checked, verbose)
        report.notes = notes
    notebook = checked.split(" ")[0]
    if notebook.endswith(".ipynb"):     # lines of the module made from it, told as its cells
        from grader.notebooks import cite_cells

        source = (code_dir / f"{module}.py").read_text(encoding="utf-8")
        report.error = cite_cells(report.error, f"{module}.py", source, notebook)
        for row in report.rows:
            row.message = cite_cells(row.message, f"{module}.py", source, notebook)
    if not verbose or report.error:
        print(report.text())
    return 0 if report.ok else 1


# --- inside a notebook ------------------------------------------------------------------

def notebook_assignment(namespace: dict) -> str:
    """The assignment of the notebook whose kernel holds `namespace`: the folder it runs in
    when that is an assignment's (as released), else the assignment whose public tests need
    the most of the names the notebook defines."""
    from grader.course import CourseError, list_assignments, load_assignment

    known = list_assignments()
    if Path.cwd().name in known:
        return Path.cwd().name
    best, best_score = "", 0
    for aid in known:
        try:
            a = load_assignment(aid)
            tests = (a.stub_dir / "test_public.py").read_text(encoding="utf-8")
        except (CourseError, OSError):
            continue
        needed = needed_names(tests, a.notebook_module)
        score = sum(name in namespace for name in needed)
        if score > best_score:
            best, best_score = aid, score
    if not best:
        raise LookupError(_("check() cannot tell which assignment this notebook is; call "
                            "check(assignment=\"01_numpy_forward\") with its id"))
    return best


def check(*names: str, assignment: str | None = None, lang: str | None = None) -> CheckReport:
    """The public tests on the definitions of this notebook (run every cell above first).
    `check()` checks everything, `check("softmax")` one function. Shown as a table in Jupyter,
    in `lang`, else the language of the student's locale, else the course's."""
    from grader.course import load_assignment

    i18n.set_language(i18n.for_student(lang))
    main_ns = sys.modules["__main__"].__dict__
    a = load_assignment(assignment or notebook_assignment(main_ns))
    module_name = a.notebook_module
    tests = Path.cwd() / "test_public.py"
    if not tests.is_file():
        tests = a.stub_dir / "test_public.py"
    functions = needed_names(tests.read_text(encoding="utf-8"), module_name)
    module = types.ModuleType(module_name)
    module.__dict__.update({k: v for k, v in main_ns.items() if not k.startswith("__")})
    missing = [f for f in functions if f not in module.__dict__]

    def undefined(attr):      # a function whose cell has not run yet
        if attr.startswith("__"):
            raise AttributeError(attr)

        def not_run(*args, **kwargs):
            raise NameError(_("{name} is not defined: run its cell first").format(name=attr))
        return not_run
    module.__getattr__ = undefined
    saved = {n: sys.modules.pop(n, None) for n in (module_name, "test_public")}
    sys.modules[module_name] = module
    try:
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / "test_public.py"
            copy.write_text(tests.read_text(encoding="utf-8"), encoding="utf-8")
            (Path(folder) / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
            report = run(copy, Path(folder), functions, _("the definitions of this notebook"))
    finally:
        for n, m in saved.items():
            sys.modules.pop(n, None)
            if m is not None:
                sys.modules[n] = m
    if missing:
        report.notes.append(_("not defined yet (run their cells): {names}").format(
            names=", ".join(missing)))
    if names:
        report.rows = [r for r in report.rows if r.function in names]
        if not report.rows:
            report.notes.append(_("no public test of {names}").format(names=", ".join(names)))
    return report


if __name__ == "__main__":
    sys.exit(main())
