"""Where a student's call was stuck when its deadline came.

The worker has faulthandler dump its Python stack to stderr on SIGUSR2 (harness/stackdump.py,
set up before any student code runs). At a deadline the grader sends that signal to the
worker's processes that catch it, waits a moment for the dump, kills the worker, then takes
the dump out of the log (it is the grader's, not the student's output) and keeps the
student's own frames for the timeout's feedback. Everything here is feedback only: the dump
comes from the student's process, so nothing in it is believed for points.
"""
from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

from grader.i18n import _, decimal

SIGNAL = signal.SIGUSR2           # harness/stackdump.py registers the same
DUMP_WAIT = 0.5                   # seconds the grader waits for the dump at most
# faulthandler's format: per thread a header and frames, most recent call first
# ("  File "/submission/forward.py", line 12 in softmax"); a timer's dump starts "Timeout (...)!".
_DUMP = re.compile(r"^(?:Timeout \(\d+:\d\d:\d\d(?:\.\d+)?\)!\n|Fatal Python error: .*\n\n)?"
                   r"(?:Current thread|Thread) 0x[0-9a-f]+ \(most recent call first\):\n"
                   r"(?:(?:(?:Current thread|Thread) 0x[0-9a-f]+ \(most recent call first\):|"
                   r"  File \".*\", line \d+ in .*|  \.\.\.|  <no Python frame>|)\n)*"
                   r"(?:Extension modules: .*\n)?", re.MULTILINE)
_FRAME = re.compile(r'^  File "(?P<file>.*)", line (?P<line>\d+) in (?P<func>.*)$')
_THREAD = re.compile(r"^(?:Current thread|Thread) 0x")
SANDBOX_DIR = "/submission/"      # where the sandbox shows the submission (bwrap.py)


def catches(pid: int, sig: int = SIGNAL) -> bool:
    """Whether process `pid` has a handler for `sig` (its SigCgt mask in /proc)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) >> (sig - 1) & 1)
    except (OSError, ValueError, IndexError):
        pass
    return False


def request_dump(pids, log: Path, wait: float = DUMP_WAIT) -> None:
    """Signal the worker's processes that catch SIGNAL (the one running student code; never
    the sandbox's wrappers, whom the signal would kill) and wait until the log has a dump."""
    try:
        before = log.stat().st_size
    except OSError:
        return
    sent = False
    for pid in pids:
        if catches(pid):
            try:
                os.kill(pid, SIGNAL)
                sent = True
            except OSError:
                pass
    deadline = time.monotonic() + wait
    while sent and time.monotonic() < deadline:
        time.sleep(0.02)
        try:
            if log.stat().st_size > before:
                time.sleep(0.05)        # the rest of the dump (it is written frame by frame)
                return
        except OSError:
            return


def strip_dumps(text: str) -> str:
    """`text` without the grader's stack dumps."""
    return _DUMP.sub("", text)


def take_dump(log: Path) -> str:
    """The last stack dump in the worker's stderr log, removed from the log with any other."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    dumps = [m.group(0) for m in _DUMP.finditer(text)]
    if not dumps:
        return ""
    try:
        log.write_text(strip_dumps(text), encoding="utf-8")
    except OSError:
        pass
    return dumps[-1]


def student_frames(dump: str, submission_dir: Path) -> list[tuple[str, int, str]]:
    """(file name, line, function) of the student's frames in the first thread of the dump
    that has any, innermost first."""
    host = str(submission_dir).rstrip("/") + "/"
    threads: list[list[tuple[str, int, str]]] = []
    for line in dump.splitlines():
        if _THREAD.match(line):
            threads.append([])
            continue
        frame = _FRAME.match(line)
        if frame is None or not threads:
            continue
        path = frame["file"]
        for prefix in (SANDBOX_DIR, host):
            if path.startswith(prefix) and "/" not in path[len(prefix):]:
                threads[-1].append((path[len(prefix):], int(frame["line"]), frame["func"]))
    return next((frames for frames in threads if frames), [])


def source_line(submission_dir: Path, name: str, lineno: int) -> str:
    """Line `lineno` of the grader's own copy of the submission's file `name` ("" if none)."""
    if "/" in name or name.startswith("."):
        return ""
    try:
        return (Path(submission_dir) / name).read_text(
            encoding="utf-8", errors="replace").splitlines()[lineno - 1].strip()[:200]
    except (OSError, IndexError):
        return ""


def quoted_line(message: str, submission_dir: Path) -> str:
    """The source line a "forward.py, line 46: ..." message points at, indented ("" if none)."""
    found = re.match(r"([\w.-]+\.py), line (\d+)", message)
    line = source_line(submission_dir, found[1], int(found[2])) if found else ""
    return f"    {line}" if line else ""


def deadline_message(timeout: float) -> str:
    """Why a call was stopped at its deadline, for the student."""
    return _("did not return within {seconds} s (deadline of one call); look for an endless "
             "loop or far too much work").format(seconds=decimal(timeout))


def stuck_at(dump: str, submission_dir: Path, header: str | None = None) -> str:
    """The student's stack where the call was stopped, as a traceback (innermost last) with
    the source lines read from the grader's own copy of the submission; "" when the dump
    has no frame of the student's."""
    frames = student_frames(dump, submission_dir)
    if not frames:
        return ""
    lines = [header or _("Your code was still running here when it was stopped:")]
    for name, lineno, func in reversed(frames[:8]):
        lines.append(f'  File "{name}", line {lineno}, in {func}')
        source = source_line(submission_dir, name, lineno)
        if source:
            lines.append(f"    {source}")
    return "\n".join(lines)
