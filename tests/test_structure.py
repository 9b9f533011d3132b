"""The package's shape (docs/architecture.md): no import cycle, even through a lazy import;
no module over 450 lines outside the suites; no private name imported across modules."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "grader"
MAX_LINES = 450


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent)
        if "suites" in rel.parts or "__pycache__" in rel.parts:
            continue
        name = ".".join(rel.with_suffix("").parts)
        found[name[: -len(".__init__")] if name.endswith(".__init__") else name] = path
    return found


def imports_of(name: str, path: Path, known: dict) -> set[str]:
    """The package's modules that `name` imports anywhere in its body (a function's lazy
    import included), and the packages whose __init__ that import runs."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            targets.update(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                           for a in node.names)
    found = set()
    for target in targets:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if not target.startswith("grader"):
            continue
        parts = target.split(".")
        for i in range(2, len(parts) + 1):          # the packages on the way run first
            step = ".".join(parts[:i])
            if step in known and step != name and not name.startswith(step + "."):
                found.add(step)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_lazy_cycle():
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_the_package():
    known = modules()
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    assert cycles(graph) == []


def test_no_module_outside_the_suites_is_over_450_lines():
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


# gettext's `_` is public by convention: it is the name every extractor (pybabel) looks for
GETTEXT = "_"


def test_no_private_name_is_imported_across_modules():
    private = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("grader"):
                private += [f"{name}: from {node.module} import {a.name}" for a in node.names
                            if a.name.startswith("_") and not a.name.startswith("__")
                            and not (node.module == "grader.i18n" and a.name == GETTEXT)]
    assert private == []


def test_no_module_that_translates_binds_the_gettext_name_itself():
    """`_, x = f()` or `for _ in ...` in a module that imports gettext's `_` makes the next
    `_("...")` of that function call whatever was bound (a TypeError in a student's
    feedback): throwaway names there are spelled out."""
    bound = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        imports_gettext = any(isinstance(node, ast.ImportFrom) and node.module == "grader.i18n"
                              and any(a.name == GETTEXT for a in node.names)
                              for node in ast.walk(tree))
        if imports_gettext:
            bound += [f"{path.relative_to(PACKAGE.parent)}:{node.lineno}" for node in ast.walk(tree)
                      if isinstance(node, ast.Name) and node.id == GETTEXT
                      and isinstance(node.ctx, ast.Store)]
    assert bound == []
