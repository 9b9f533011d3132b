"""What the commands share: the user's errors (one line, a non-zero exit), the console, the
isolation a run may use, and reading a grades folder."""
from __future__ import annotations

import os
import sys
from pathlib import Path


EXIT_USAGE = 2


class UserError(Exception):
    """An error the user can fix; printed as one line."""


def console_for(stderr: bool = False):
    from rich.console import Console
    # A fixed width when piped (CI logs, files): rich would otherwise squeeze tables to 80.
    width = None if (sys.stderr if stderr else sys.stdout).isatty() else 160
    return Console(stderr=stderr, highlight=False, width=width)


INSTALL_BWRAP = ("install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), or pass "
                 "--allow-reduced-isolation (or set allow_reduced_isolation = true under "
                 "[grading] in course.toml) to grade with less isolation, stated in every result")


def reduced_allowed(asked: bool) -> bool:
    from grader.course import course_config

    return asked or os.environ.get("GRADER_ISOLATION") == "reduced" or bool(
        course_config().get("grading", {}).get("allow_reduced_isolation"))


def isolation_or_refuse(allowed: bool) -> str:
    """How student code will run; without a working bubblewrap only when asked for."""
    from grader.sandbox.bwrap import is_reduced, isolation_mode

    mode = isolation_mode()
    if is_reduced(mode) and not reduced_allowed(allowed):
        raise UserError(f"student code would run with {mode}: {INSTALL_BWRAP}")
    return mode


def grades_folder(path: str) -> Path:
    out = Path(path)
    if not out.is_dir():
        raise UserError(f"{out} is not a grades folder (give the --out folder of grader grade)")
    return out
