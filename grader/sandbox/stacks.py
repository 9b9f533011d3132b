"""Where a student's call was stuck when its deadline came.

The worker arms faulthandler before each call (harness/child.py: `stack_after`), so a call
that is still running just before the grader's deadline writes the Python stack to the
worker's stderr. After the kill the grader takes that dump out of the log (it is the grader's,
not the student's output) and keeps the student's own frames for the timeout's feedback.
Everything here is feedback only: the dump comes from the student's process, so nothing in
it is believed for points.
"""
from __future__ import annotations

import re
from pathlib import Path

# faulthandler's format: "Timeout (0:00:01.800000)!", then per thread a header and frames
# ("  File "/submission/forward.py", line 12 in softmax"), most recent call first.
_DUMP = re.compile(r"^Timeout \(\d+:\d\d:\d\d(?:\.\d+)?\)!\n"
                   r"(?:(?:(?:Current thread|Thread) 0x[0-9a-f]+ \(most recent call first\):|"
                   r"  File \".*\", line \d+ in .*|  \.\.\.|  <no Python frame>|)\n)*",
                   re.MULTILINE)
_FRAME = re.compile(r'^  File "(?P<file>.*)", line (?P<line>\d+) in (?P<func>.*)$')
_THREAD = re.compile(r"^(?:Current thread|Thread) 0x")
SANDBOX_DIR = "/submission/"      # where the sandbox shows the submission (bwrap.py)


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


def stuck_at(dump: str, submission_dir: Path) -> str:
    """The student's stack where the call was stopped, as a traceback (innermost last) with
    the source lines read from the grader's own copy of the submission; "" when the dump
    has no frame of the student's."""
    frames = student_frames(dump, submission_dir)
    if not frames:
        return ""
    lines = ["Your code was still running here when it was stopped:"]
    for name, lineno, func in reversed(frames[:8]):
        lines.append(f'  File "{name}", line {lineno}, in {func}')
        source = source_line(submission_dir, name, lineno)
        if source:
            lines.append(f"    {source}")
    return "\n".join(lines)
