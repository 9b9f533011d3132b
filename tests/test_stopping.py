"""A grading run stops cleanly and leaves nothing behind (SANDBOX.md rules 7 and 8).

Real `grader grade` processes are started on a small class, signalled in the middle of a
submission, and the process table is read afterwards: every process the run started (the
pool, the sandboxes) must be gone, the half-graded submission must have no result, the
finished ones must be kept and in the gradebook.
"""
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.sandbox.bwrap import process_tree

ROOT = Path(__file__).resolve().parents[1]
ALICE = (ROOT / "examples/submissions/alice/01_numpy_forward/forward.py").read_text()
ID = "01_numpy_forward"
# every sigmoid test call sleeps: the submission is in the middle of its tests for a while
SLOW = ALICE + "\nimport time as _time\n_sigmoid = sigmoid\n\ndef sigmoid(z):\n" \
               "    _time.sleep(2)\n    return _sigmoid(z)\n"


@pytest.fixture
def klass(tmp_path):
    root = tmp_path / "class"
    for student, code in (("a1", ALICE), ("s1", SLOW), ("s2", SLOW), ("s3", SLOW)):
        folder = root / student / ID
        folder.mkdir(parents=True)
        (folder / "forward.py").write_text(code)
    return root


def start(klass, out, jobs, dask=None):
    """`grader grade` on the class with `jobs` processes, or on Dask (`dask`: --dask SPEC)."""
    env = dict(os.environ, GRADER_SECRET="stopping-test", PYTHONUNBUFFERED="1")
    how = ["--dask", dask] if dask else ["-j", str(jobs)]
    return subprocess.Popen([sys.executable, "-m", "grader", "grade", str(klass), "--out",
                             str(out), *how], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def descendants(pid: int) -> set[int]:
    return process_tree(pid) - {pid}


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def in_the_middle(proc, out):
    """Wait until the first submission is graded and a sandbox is busy with the next one;
    every process of the run at that moment."""
    wait_for(lambda: (out / "a1" / ID / "results.json").exists(), 300, "the first result")
    wait_for(lambda: any(b"child.py" in _cmdline(p) for p in descendants(proc.pid)), 120,
             "a sandbox at work")
    time.sleep(1.0)
    return descendants(proc.pid)


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def check_stopped(proc, out, started_processes, signalled_at, code):
    stdout, stderr = proc.communicate(timeout=60)
    stopped_after = time.monotonic() - signalled_at
    assert proc.returncode == code, stdout + stderr
    assert "interrupted:" in stdout and "run the same command again to resume" in stdout
    wait_for(lambda: not any(alive(p) for p in started_processes), 10,
             "every process of the run to end")
    graded = {p.parent.parent.name for p in out.glob(f"*/{ID}/results.json")}
    assert "a1" in graded and graded != {"a1", "s1", "s2", "s3"}
    for student in graded:                     # a kept result is a whole one
        result = json.loads((out / student / ID / "results.json").read_text())
        assert result["extra_data"]["internal_errors"] == 0
        assert result["max_score"] > 0
    rows = {r["student"] for r in csv.DictReader(open(out / "grades.csv"))}
    assert rows == graded
    return stopped_after


@pytest.mark.parametrize("jobs, sig, to_group, code", [
    (1, signal.SIGINT, True, 130), (1, signal.SIGINT, False, 130),
    (2, signal.SIGINT, True, 130), (1, signal.SIGTERM, False, 143),
    (2, signal.SIGTERM, False, 143)],
    ids=["j1-ctrl-c", "j1-sigint-to-the-grader", "j2-ctrl-c", "j1-sigterm", "j2-sigterm"])
def test_a_signal_stops_the_run_keeps_what_was_graded_and_leaves_nothing(
        klass, tmp_path, jobs, sig, to_group, code):
    out = tmp_path / "grades"
    proc = start(klass, out, jobs)
    try:
        processes = in_the_middle(proc, out)
        signalled_at = time.monotonic()
        if to_group:
            os.killpg(proc.pid, sig)           # Ctrl-C in a terminal reaches the whole group
        else:
            os.kill(proc.pid, sig)
        seconds = check_stopped(proc, out, processes, signalled_at, code)
        print(f"stopped {seconds:.1f} s after the signal")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def check_kill_9_leaves_nothing(proc, out):
    """SIGKILL the run in the middle of a submission: every process it started dies with it."""
    try:
        processes = in_the_middle(proc, out)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        wait_for(lambda: not any(alive(p) for p in processes), 20,
                 "the pool and its sandboxes to die with the grader")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_kill_9_of_a_parallel_run_leaves_no_process(klass, tmp_path):
    out = tmp_path / "grades"
    check_kill_9_leaves_nothing(start(klass, out, 2), out)


def test_a_second_run_on_the_same_output_folder_is_refused(klass, tmp_path):
    out = tmp_path / "grades"
    proc = start(klass, out, 1)
    try:
        in_the_middle(proc, out)
        second = subprocess.run([sys.executable, "-m", "grader", "grade", str(klass), "--out",
                                 str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert second.returncode == 2
        assert f"another grading run (pid {proc.pid}) is writing to {out}" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def test_without_bubblewrap_grading_is_refused_unless_asked_for(klass, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "GRADER_ISOLATION"}
    env["PATH"] = str(tmp_path / "empty")           # no bwrap to be found
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(klass), "--out",
                           str(tmp_path / "grades")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert "bubblewrap (bwrap) is not installed" in proc.stderr
    assert "apt-get install bubblewrap" in proc.stderr and "--allow-reduced-isolation" in proc.stderr
    assert not (tmp_path / "grades" / "a1").exists()
