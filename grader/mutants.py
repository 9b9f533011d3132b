"""Mutants: realistic mistakes applied to a reference solution; each must lose points."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from grader.course import TRACKS_DIR


class MutantError(Exception):
    """A mutant that no longer applies to the reference (its text is gone or ambiguous)."""


@dataclass(frozen=True)
class Mutant:
    name: str
    description: str
    replace: list = field(default_factory=list)     # [(old, new), ...] on the module's source
    file: str | None = None                         # the module file; default the main module
    # A mistake that leaves no trace outside the student's process (e.g. gradients built
    # but never used): it can only be caught by an advice test (points 0), never cost
    # points (ARCHITECTURE.md, the trust rule). The text says why.
    advice_only: str = ""
    track: str = ""                                 # a mutant of that track's reference

    def label(self) -> str:
        return f"{self.track}: {self.name}" if self.track else self.name

    def apply(self, source: str) -> str:
        for old, new in self.replace:
            count = source.count(old)
            if count != 1:
                raise MutantError(f"mutant '{self.name}': {old!r} occurs {count} times in the "
                                  "reference (it must occur exactly once)")
            source = source.replace(old, new)
        return source

    def write(self, solution_dir: Path, dest: Path, main_module: str) -> Path:
        """Copy the reference to `dest` with this mistake in it."""
        shutil.copytree(solution_dir, dest, ignore=shutil.ignore_patterns("__pycache__",
                                                                          TRACKS_DIR))
        target = dest / (self.file or f"{main_module}.py")
        target.write_text(self.apply(target.read_text()))
        return dest
