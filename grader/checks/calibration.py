"""Helpers for the suites' calibrate.py scripts, which run a suite's own functions on the
reference outside pytest (suites are loaded by path: they are not an importable package)."""
import importlib.util
import sys
from pathlib import Path


def load_module(path: Path, name: str, source: str | None = None):
    """The module at `path` under `name`; with `source`, that text compiled in its place
    (a mutant of the file, say)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module          # dataclasses and pickling look their module up
    if source is None:
        spec.loader.exec_module(module)
    else:
        exec(compile(source, str(path), "exec"), module.__dict__)
    return module
