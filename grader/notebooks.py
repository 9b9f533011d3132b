"""Notebook transformations: a student's .ipynb to a gradable module, and a stub module to a
release notebook. Plain JSON dicts throughout; nbformat is not imported (it costs seconds).
"""
from __future__ import annotations

import ast
import builtins
import json
import re
from pathlib import Path

from grader.i18n import _

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024

# nbgrader cell metadata, schema 3 (what nbgrader's generate_assignment expects)
NBGRADER_SCHEMA = 3
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}

RULE = ("only imports, function and class definitions and assignments of constants are "
        "kept; other top-level code (training loops, prints, calls) is not run")


class NotebookError(Exception):
    """A notebook that cannot be graded (one readable line naming the file)."""


class NotebookSyntaxError(NotebookError):
    """A code cell that does not compile. `cell` counts every cell from the top, from 1."""

    def __init__(self, cell_index: int, lineno: int | None, msg: str, notebook: str = ""):
        self.cell_index, self.lineno, self.msg, self.notebook = cell_index, lineno, msg, notebook
        where = f"cell {cell_index}" + (f", line {lineno}" if lineno else "")
        super().__init__(f"{notebook + ': ' if notebook else ''}{where}: {msg}")


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------

def read_notebook(path: Path) -> dict:
    """The notebook's JSON, checked to be an nbformat 4 notebook with well-formed cells."""
    path = Path(path)
    name = path.name
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_NOTEBOOK_BYTES + 1)  # never read an unbounded file
    except OSError as exc:
        raise NotebookError(_("{name}: cannot be read ({error})").format(
            name=name, error=exc.strerror)) from None
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise NotebookError(_("{name}: larger than {mb} MB; clear the outputs and submit "
                              "again").format(name=name, mb=MAX_NOTEBOOK_BYTES // 2**20))
    try:
        nb = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise NotebookError(_("{name}: not a valid notebook (not JSON)").format(
            name=name)) from None
    check_notebook(nb, name)
    return nb


def check_notebook(nb: object, name: str) -> None:
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        raise NotebookError(_("{name}: not a valid notebook (nbformat 4 required)").format(
            name=name))
    for number, cell in enumerate(nb["cells"], 1):
        source = cell.get("source") if isinstance(cell, dict) else None
        if (not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str)
                or not (isinstance(source, str)
                        or isinstance(source, list) and all(isinstance(s, str) for s in source))):
            raise NotebookError(_("{name}: not a valid notebook (cell {number} is "
                                  "malformed)").format(name=name, number=number))


def code_cells(nb: dict) -> list[tuple[int, str]]:
    """(cell number counting every cell from 1, source) of each code cell; outputs ignored."""
    cells = []
    for number, cell in enumerate(nb["cells"], 1):
        if cell["cell_type"] == "code":
            source = cell["source"]
            source = "".join(source) if isinstance(source, list) else source
            # one line convention for ast line numbers and our slicing alike
            cells.append((number, source.replace("\r\n", "\n").replace("\r", "\n")))
    return cells


# ---------------------------------------------------------------------------------------
# IPython syntax
# ---------------------------------------------------------------------------------------

_IPYTHON_LINE = re.compile(
    r"""^\s*(?: [%!?]                               # %magic, !shell, ?help
              | [\w.]+(?:\s*,\s*[\w.]+)*\s*=\s*[%!]  # x = !ls, t = %timeit f()
              | [\w.*\[\]]+\?\??\s*$                 # obj? and obj.attr??
            )""", re.VERBOSE)


def strip_ipython(source: str) -> str | None:
    """The cell without IPython syntax, or None for a cell magic cell (%%time, %%bash...).

    A cell that is already valid Python is returned unchanged, so a docstring line that
    merely looks like IPython (ends in "?") is never touched. Otherwise each IPython line
    becomes `pass` at its indentation, which keeps blocks and line numbers intact.
    """
    lines = source.split("\n")
    first = next((line for line in lines if line.strip()), "")
    if first.lstrip().startswith("%%"):
        return None
    try:
        compile(source, "<cell>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        return source
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    return "\n".join(line[:len(line) - len(line.lstrip())] + "pass"
                     if _IPYTHON_LINE.match(line) else line for line in lines)


def compile_cell(number: int, source: str, notebook: str) -> ast.Module:
    """The cell's syntax tree; a syntax error names the cell and its line."""
    try:
        # a full compile (not only a parse) also catches `break` outside a loop and the
        # like; top-level await is allowed because Jupyter allows it
        compile(source, f"cell {number}", "exec",
                flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
        return ast.parse(source)
    except SyntaxError as exc:
        raise NotebookSyntaxError(number, exc.lineno, exc.msg, notebook) from None
    except ValueError as exc:  # e.g. a null byte in the source
        raise NotebookSyntaxError(number, None, str(exc), notebook) from None
    except (RecursionError, MemoryError):
        raise NotebookSyntaxError(number, None, "too deeply nested to compile",
                                  notebook) from None


# ---------------------------------------------------------------------------------------
# Rule (a): keep definitions, drop top-level work
# ---------------------------------------------------------------------------------------

def _target_names(target: ast.expr) -> list[str] | None:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        names = [_target_names(t) for t in target.elts]
        return None if None in names else [n for sub in names for n in sub]
    return None  # attribute or item assignment: a side effect on something else


def _is_constant(value: ast.expr, bound: set[str]) -> bool:
    """A literal, or a container of literals and of names already bound (`{"relu": relu}`,
    `np.pi`): evaluating it runs no code and cannot raise NameError."""
    try:
        ast.literal_eval(value)
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    if isinstance(value, (ast.Tuple, ast.List, ast.Set)):
        return all(_is_constant(e, bound) for e in value.elts)
    if isinstance(value, ast.Dict):
        return all(k is not None and _is_constant(k, bound) for k in value.keys) and \
            all(_is_constant(v, bound) for v in value.values)
    while isinstance(value, ast.Attribute):
        value = value.value
    return isinstance(value, ast.Name) and value.id in bound


def _imports_grader(node: ast.stmt) -> bool:
    """An import of the grader's own package (the check cell's `from grader.student import
    check`): a tool of the student's loop, never part of what is graded."""
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and (node.module or "").split(".")[0] == "grader"
    return isinstance(node, ast.Import) and any(a.name.split(".")[0] == "grader"
                                                for a in node.names)


def kept_names(node: ast.stmt, bound: set[str]) -> list[str] | None:
    """The names `node` binds if rule (a) keeps it, else None."""
    if _imports_grader(node):
        return None
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign) and _is_constant(node.value, bound):
        names = [_target_names(t) for t in node.targets]
        return None if None in names else [n for sub in names for n in sub]
    if isinstance(node, ast.AnnAssign) and node.value is not None \
            and _is_constant(node.value, bound):
        return _target_names(node.target)
    return None


def _node_lines(node: ast.stmt) -> tuple[int, int]:
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return first, node.end_lineno


def keep_definitions(tree: ast.Module, source: str, bound: set[str]) -> list[ast.stmt | tuple[int, str]]:
    """The kept statements as (first line in the cell, source text), in order; `bound` grows
    with the names they bind. `from __future__` imports come back as nodes, since they must
    go to the module's top."""
    lines = source.split("\n")
    spans = [_node_lines(n) for n in tree.body]
    kept: list[ast.stmt | tuple[int, str]] = []
    for i, node in enumerate(tree.body):
        names = kept_names(node, bound)
        if names is None:
            continue
        bound.update(names)
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            kept.append(node)
            continue
        first, last = spans[i]
        shares_a_line = (i > 0 and spans[i - 1][1] >= first) or \
            (i + 1 < len(spans) and spans[i + 1][0] <= last)
        # `import numpy as np; train()` on one line: take the statement alone
        kept.append((first, ast.unparse(node) if shares_a_line
                     else "\n".join(lines[first - 1:last])))
    return kept


def _placed(kept: list[tuple[int, str]]) -> str:
    """The kept statements, each at its own line of the cell (dropped lines left blank), so
    that line L of the chunk is line L of the cell: tracebacks can cite the cell."""
    out: list[str] = []
    for first, text in kept:
        out += [""] * max(0, first - 1 - len(out))
        out += text.split("\n")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------
# Notebook -> module
# ---------------------------------------------------------------------------------------

def _ranges(numbers: list[int]) -> str:
    """[2, 3, 4, 7] -> "2-4, 7"."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs) or "none"


def module_from_notebook(nb: dict, notebook: str, module_name: str) -> str:
    """The module source built from an already read notebook dict (see extract_code)."""
    check_notebook(nb, notebook)
    bound = set(dir(builtins))
    future: list[str] = []
    chunks: list[str] = []
    kept_cells: list[int] = []
    for number, source in code_cells(nb):
        source = strip_ipython(source)
        if source is None:
            continue
        texts = []
        for item in keep_definitions(compile_cell(number, source, notebook), source, bound):
            if isinstance(item, ast.stmt):
                if ast.unparse(item) not in future:
                    future.append(ast.unparse(item))
            else:
                texts.append(item)
        if texts:
            kept_cells.append(number)
            chunks.append(f"{CELL_MARK.format(number)}\n{_placed(texts)}")
    header = [f"# {module_name}.py: extracted from {notebook} by grader.notebooks "
              f"(code kept from cells {_ranges(kept_cells)}).",
              f"# Rule: {RULE}."]
    return "\n".join(header + future) + "\n\n" + "\n\n\n".join(chunks) + "\n"


CELL_MARK = "# --- cell {} ---"
_CELL_MARK = re.compile(r"^# --- cell (\d+) ---$")


def cell_of(module_source: str, lineno: int) -> tuple[int, int] | None:
    """(cell number, line in the cell) of line `lineno` of a module built from a notebook, or
    None for a line outside every cell (the header)."""
    lines = module_source.split("\n")
    for i in range(min(lineno, len(lines)) - 1, -1, -1):
        mark = _CELL_MARK.match(lines[i])
        if mark:
            return (int(mark[1]), lineno - 1 - i) if i < lineno - 1 else None
    return None


def cite_cells(text: str, module_file: str, module_source: str, notebook: str) -> str:
    """`text` (a traceback, a diagnostic) with every "forward.py, line 289" of the module made
    from the notebook told as the student wrote it: "forward.ipynb, cell 7, line 3"."""
    pattern = re.compile(r'(?:File )?"?(?:/[^\s"]*/)?' + re.escape(module_file) +
                         r'"?,? line (\d+)')

    def cite(match: re.Match) -> str:
        where = cell_of(module_source, int(match[1]))
        if where is None:
            return match[0]
        return f'{notebook}, cell {where[0]}, line {where[1]}'
    return pattern.sub(cite, text)


def extract_code(notebook_path: Path, module_name: str) -> str:
    """The source of `module_name` built from a student's notebook by rule (a) of SANDBOX.md.

    Raises NotebookError for an unreadable or invalid notebook, NotebookSyntaxError for a
    code cell that does not compile. Later cells override earlier definitions, as in Jupyter.
    """
    path = Path(notebook_path)
    return module_from_notebook(read_notebook(path), path.name, module_name)


def write_module_from_notebook(notebook_path: Path, dest_dir: Path, module_name: str) -> Path:
    dest = Path(dest_dir) / f"{module_name}.py"
    dest.write_text(extract_code(notebook_path, module_name), encoding="utf-8")
    return dest


# ---------------------------------------------------------------------------------------
# Stub module -> release notebook
# ---------------------------------------------------------------------------------------

CHECK_CELL = "from grader.student import check\ncheck()"


def _markdown_cell(cell_id: str, text: str) -> dict:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {},
            "source": text.splitlines(keepends=True)}


def _code_cell(cell_id: str, code: str, grade_id: str, solution: bool) -> dict:
    nbgrader = {"grade": False, "solution": solution, "locked": not solution,
                "grade_id": grade_id, "schema_version": NBGRADER_SCHEMA}
    return {"cell_type": "code", "execution_count": None, "id": cell_id,
            "metadata": {"nbgrader": nbgrader}, "outputs": [],
            "source": code.splitlines(keepends=True)}


def _is_main_guard(node: ast.stmt) -> bool:
    # `if __name__ == "__main__":` would run in Jupyter, where __name__ is "__main__"
    return isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)


def split_module(source: str) -> tuple[str, list[str], list[tuple[str, str]]]:
    """(module docstring, setup statements, [(def or class name, its text)]), each text with
    the comment lines above it; a function's trailing indented comments (the end marker of
    its solution region) stay with it."""
    tree = ast.parse(source)
    lines = source.split("\n")
    body = tree.body
    docstring = ast.get_docstring(tree) or ""
    if docstring:
        body = body[1:]
    setup, defs = [], []
    previous_end = tree.body[0].end_lineno if docstring else 0
    for i, node in enumerate(body):
        end = node.end_lineno
        j = end
        while j < len(lines) and (not lines[j].strip() or lines[j][:1] in (" ", "\t")):
            j += 1
            if lines[j - 1].strip():
                end = j
        last = len(lines) if i == len(body) - 1 else end
        text = "\n".join(lines[previous_end:last]).strip("\n")
        previous_end = end
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs.append((node.name, text))
        elif not _is_main_guard(node):
            setup.append(text)
    return docstring, setup, defs


def build_notebook(stub_source: str, title: str, assignment_id: str) -> dict:
    """The release notebook of a stub module: title and docstring, a locked setup cell
    (imports and constants), one solution cell per top-level def/class in file order, and
    a closing cell on running the public tests. Cell ids are fixed so the JSON is stable."""
    docstring, setup, defs = split_module(stub_source)
    cells = [_markdown_cell("cell-intro", f"# {title}\n\n{docstring}".rstrip())]
    if setup:
        cells.append(_code_cell("cell-setup", "\n\n".join(setup), "setup", solution=False))
    cells += [_code_cell(f"cell-{name}", text, name, solution=True) for name, text in defs]
    cells.append(_markdown_cell("cell-check", (
        "## Check your work\n\n"
        "Run the cells above, then the cell below: it runs the public tests on the functions "
        "of this notebook and shows, per function, whether it passed or what went wrong. "
        "`check(\"name\")` checks one function. From a terminal in this folder, "
        f"`grader check {assignment_id} .` runs the same tests.\n\n"
        "They check small fixed cases; the hidden tests check many more. When this notebook "
        f"is graded, {RULE}: keep everything a function needs inside the function "
        "or in the cells above. This cell is never graded.")))
    cells.append(_code_cell("cell-check-run", CHECK_CELL, "check", solution=False))
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": dict(KERNELSPEC),
                         "language_info": {"name": "python"}}}


def dumps_notebook(nb: dict) -> str:
    """Deterministic notebook JSON (Jupyter's own layout: indent 1, sorted keys)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
