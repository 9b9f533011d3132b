"""What a student reads of the text their code and the grader produced: terminal codes
removed, the grading machine's paths left out, library warnings told apart from the
student's own output, and the student's function a failure happened in."""
from __future__ import annotations

import re

from grader.i18n import ngettext

# ESC [ ... final byte (colours, cursor moves), ESC ] ... BEL/ST (titles, links), and the
# two-byte escapes; Keras and tqdm progress bars are made of these and of carriage returns.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A path of the grading machine: an installed library's file, or any other absolute path of
# two parts or more (a temporary folder, the grader's own files). The submission's own
# folder, as the sandbox shows it, is cut to the file name.
_LIBRARY_PATH = re.compile(r"(?<![\w.])/(?:[^\s\"'/:]+/)+(?:site|dist)-packages/(?P<rest>[^\s\"':,]+)")
_SUBMISSION_PATH = re.compile(r"(?<![\w.])/submission/")
_HOST_PATH = re.compile(r"(?<![\w.<:/])/(?:[\w.+@-]+/)+(?P<name>[\w.+@-]+)")
# A progress bar's line (Keras, tqdm, rich; Lightning's bars are tqdm's or rich's): a bar of
# three or more bar glyphs (or tqdm's ASCII "|###  |") beside a "done/total" count or a
# percentage. What a training loop draws is not the student's output to read.
_BAR = re.compile(r"[━█▉▊▋▌▍▎▏╸╺─]{3,}|\|[#█ ]{3,}\|")
_COUNT = re.compile(r"\b\d+/\d+\b|\b\d{1,3}%")
# `warnings` module output: "path.py:12: UserWarning: message", then the source line indented
_WARNING = re.compile(r"^(?P<path>\S+\.py):\d+: (?P<category>\w*Warning): ")
# where a traceback or a stuck stack ends: `File "forward.py", line 12, in softmax` or
# `forward.ipynb, cell 7, line 3, in softmax`
_IN_FUNCTION = re.compile(r"line \d+, in (?P<func>[A-Za-z_]\w*)")


def plain(text: str) -> str:
    """`text` as a terminal would finally show it: escape codes removed, and of a line that a
    progress bar rewrote with carriage returns, only what was left on it."""
    text = _ANSI.sub("", str(text)).replace("\r\n", "\n")
    lines = [line.rsplit("\r", 1)[-1] if "\r" in line.rstrip("\r") else line.rstrip("\r")
             for line in text.split("\n")]
    return _CONTROL.sub("", "\n".join(lines))


def without_progress_bars(text: str) -> str:
    """`text` without the lines of progress bars; a run of them becomes one line that says
    how many were left out."""
    out: list[str] = []
    left_out = 0
    for line in text.split("\n"):
        if _BAR.search(line) and _COUNT.search(line):
            left_out += 1
            continue
        if left_out:
            out.append(_progress_note(left_out))
            left_out = 0
        out.append(line)
    if left_out:
        out.append(_progress_note(left_out))
    return "\n".join(out)


def _progress_note(n: int) -> str:
    return ngettext("[{n} progress-bar line left out]", "[{n} progress-bar lines left out]",
                    n).format(n=n)


def without_host_paths(text: str) -> str:
    """No path of the grading machine: library files as `package/module.py`, the
    submission's as the file name, anything else as `.../name`."""
    text = _LIBRARY_PATH.sub(lambda m: m["rest"], text)
    text = _SUBMISSION_PATH.sub("", text)
    return _HOST_PATH.sub(lambda m: f".../{m['name']}", text)


def shown(text: str) -> str:
    """Any text from a result, as a feedback page shows it."""
    return without_host_paths(without_progress_bars(plain(text)))


def split_warnings(stderr: str) -> tuple[str, str]:
    """(the student's own stderr, the warnings that libraries raised), both as shown. A
    warning belongs to a library when the file it names is not one of the submission's."""
    own: list[str] = []
    library: list[str] = []
    in_warning = False
    for line in without_progress_bars(plain(stderr)).split("\n"):
        match = _WARNING.match(line)
        if match:
            path = match["path"]
            in_warning = path.startswith("/") and not path.startswith("/submission/")
            (library if in_warning else own).append(line)
        elif in_warning and line.startswith((" ", "\t")) and line.strip():
            library.append(line)         # the warning's source line, indented below it
        else:
            in_warning = False
            own.append(line)
    return (without_host_paths("\n".join(own)).strip("\n"),
            without_host_paths("\n".join(library)).strip("\n"))


def failing_function(output: str) -> str:
    """The student's function a traceback or a stuck stack ends in ("" when none)."""
    found = _IN_FUNCTION.findall(output)
    return found[-1] if found else ""
