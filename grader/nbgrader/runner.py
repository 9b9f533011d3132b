"""What the hidden region of an exported test cell calls, in the notebook's kernel.

This module imports only the standard library, so that importing it cannot write to stderr
(nbgrader scores a test cell that wrote to stderr as failed); the grader is imported with
stderr sent to stdout.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings

@contextlib.contextmanager
def quiet_stderr():
    """Everything meant for stderr goes to stdout, Python warnings are recorded: nbgrader
    scores a test cell that wrote to stderr as failed, whatever wrote it."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = None
    # no INFO log records either: a library's own handler (Lightning's "GPU available" at
    # every Trainer) writes to the stream it saw at import, which no redirect reaches
    logs_off = logging.root.manager.disable
    logging.disable(max(logs_off, logging.INFO))
    with contextlib.suppress(OSError, ValueError):
        saved = os.dup(2)
        os.dup2(1, 2)          # C-level writes (torch, BLAS) as well
    try:
        with contextlib.redirect_stderr(sys.stdout), warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        logging.disable(logs_off)
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)


def run_hidden_tests(assignment_id: str, nodeids: list[str], namespace: dict) -> float:
    """What the hidden region of a test cell calls, in the kernel: the cell's hidden tests
    (grader.nbgrader.kernel.run_cell); the value is the points they award. This module
    imports only the standard library and small parts of the grader, so that importing it
    cannot write to stderr; the rest is imported with stderr sent to stdout."""
    with quiet_stderr():
        from grader.nbgrader.kernel import run_cell
        return run_cell(assignment_id, nodeids, namespace)
