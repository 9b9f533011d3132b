"""Warm workers (grader/sandbox/zygote.py): forked from a zygote, yet each submission's
worker is as isolated as a cold one, and nothing one submission does reaches the next."""
import os
import textwrap
from pathlib import Path

import pytest

from grader.sandbox import errors, zygote
from grader.sandbox.proxy import RemoteObject, Session
from grader.sandbox.worker import Limits, Worker, isolation_mode

pytestmark = pytest.mark.skipif(
    not zygote.usable(False), reason="forked workers need bubblewrap run as root "
    f"(here: {isolation_mode()}, uid {os.geteuid()})")

LIMITS = Limits(memory_mb=2048, cpu_seconds=60, import_timeout=30, call_timeout=10)

# Submission A leaves behind everything a process can leave behind.
LITTERING = """
import os, sys, threading, time, random
import numpy as np
open("/tmp/left-by-a", "w").write("a")
os.makedirs("/tmp/a-dir", exist_ok=True)
if os.path.isdir("/dev/shm"):
    open("/dev/shm/left-by-a", "w").write("a")
threading.Thread(target=time.sleep, args=(3600,), name="a-thread", daemon=True).start()
np.allclose = lambda *a, **k: True           # a monkeypatch of a shared library
np.left_by_a = "a"                            # module state
sys.modules["planted_by_a"] = sys
os.environ["LEFT_BY_A"] = "a"
sys.path.insert(0, "/tmp/a-dir")
random.seed(1234); np.random.seed(1234)
print("output of a")

def who():
    return os.getuid(), os.getpid()
"""

# Submission B reports what it can see of A.
LOOKING = """
import os, sys, threading, random
import numpy as np

def who():
    return os.getuid(), os.getpid()

def seen():
    found = []
    for path in ("/tmp/left-by-a", "/tmp/a-dir", "/dev/shm/left-by-a"):
        if os.path.exists(path):
            found.append(path)
    if any(t.name == "a-thread" for t in threading.enumerate()):
        found.append("thread")
    if np.allclose(np.zeros(1), np.ones(1)):
        found.append("monkeypatch")
    if hasattr(np, "left_by_a"):
        found.append("module state")
    if "planted_by_a" in sys.modules:
        found.append("sys.modules")
    if "LEFT_BY_A" in os.environ or "/tmp/a-dir" in sys.path:
        found.append("environment")
    if sorted(os.listdir("/submission")) != ["mod.py"]:
        found.append("files: " + ",".join(sorted(os.listdir("/submission"))))
    pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    if pids != [1, os.getpid()]:
        found.append(f"processes {pids}")
    return found

def draws():
    return random.random(), float(np.random.random())
"""


def session_for(tmp_path, name, code, seed=7):
    sub = tmp_path / name
    sub.mkdir()
    (sub / "mod.py").write_text(textwrap.dedent(code))
    session = Session(sub, ["mod"], LIMITS, log_dir=tmp_path / f"{name}-logs", seed=seed)
    return session, RemoteObject(session, None)


@pytest.fixture
def sessions():
    made = []
    yield made
    for s in made:
        s.close()


def test_a_submission_leaves_nothing_the_next_one_can_see(tmp_path, sessions):
    a, student_a = session_for(tmp_path, "a", LITTERING)
    b, student_b = session_for(tmp_path, "b", LOOKING)
    fresh, student_fresh = session_for(tmp_path, "fresh", LOOKING)
    sessions += [a, b, fresh]
    uid_a, pid_a = student_a.who()
    assert isinstance(a.worker, zygote.ForkedWorker)
    a.close()
    uid_b, pid_b = student_b.who()
    assert isinstance(b.worker, zygote.ForkedWorker)
    assert b.worker.zygote is a.worker.zygote if a.worker else True
    assert student_b.seen() == []
    # the seeds are the submission's own: the same as a worker that never followed A's
    b_draws = student_b.draws()
    b.close()
    assert student_fresh.draws() == b_draws
    assert uid_b != 0 and uid_a != 0
    assert "output of a" in (tmp_path / "a-logs" / "stdout.txt").read_text()
    assert not (tmp_path / "b-logs" / "stdout.txt").exists() or \
        "output of a" not in (tmp_path / "b-logs" / "stdout.txt").read_text()


def test_each_submission_gets_its_own_fresh_worker_and_restarts_are_forked_too(tmp_path,
                                                                                sessions):
    s, student = session_for(tmp_path, "s", """
        import os
        def pid_1():
            return open("/proc/1/cmdline", "rb").read()
        def crash():
            import ctypes
            ctypes.string_at(0)
        def ok():
            return 1
    """)
    sessions.append(s)
    assert student.ok() == 1
    first = s.worker
    assert isinstance(first, zygote.ForkedWorker) and first.sandbox_pid
    with pytest.raises(errors.StudentCrashed, match="SIGSEGV"):
        student.crash()
    assert student.ok() == 1 and s.starts == 2
    assert isinstance(s.worker, zygote.ForkedWorker) and s.worker is not first
    assert s.worker.zygote is first.zygote                # the same zygote, a new fork


def test_the_zygote_is_never_the_students_process(tmp_path, sessions):
    s, student = session_for(tmp_path, "s", "import os\ndef me():\n    return os.getpid()\n")
    sessions.append(s)
    student.me()
    worker = s.worker
    assert worker.zygote.pid not in worker.host_pids()
    # the student's process is the innermost one, in its own namespace, below the zygote's
    assert worker.host_pids() and worker.sandbox_pid in worker.host_pids()
    status = Path(f"/proc/{max(worker.host_pids(), key=_depth)}/status").read_text()
    ns_pids = [line.split()[1:] for line in status.splitlines() if line.startswith("NSpid:")][0]
    assert len(ns_pids) >= 3                  # host, the zygote's sandbox, the worker's own


def _depth(pid):
    depth = 0
    while pid > 1:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        pid = int(stat[stat.rfind(")") + 2:].split()[1])
        depth += 1
    return depth


def test_a_zygote_that_cannot_start_means_cold_workers(tmp_path, sessions, monkeypatch):
    def broken(self):
        raise zygote.ZygoteFailure("no zygote today")
    monkeypatch.setattr(zygote.Zygote, "_start", broken)
    monkeypatch.setattr(zygote, "_zygotes", type(zygote._zygotes)())
    monkeypatch.setattr(zygote, "_failed", set())
    s, student = session_for(tmp_path, "s", "def f():\n    return 2\n")
    sessions.append(s)
    assert student.f() == 2
    assert type(s.worker) is Worker


def test_grader_zygote_0_turns_forking_off(tmp_path, sessions, monkeypatch):
    monkeypatch.setenv("GRADER_ZYGOTE", "0")
    s, student = session_for(tmp_path, "s", "def f():\n    return 3\n")
    sessions.append(s)
    assert student.f() == 3
    assert type(s.worker) is Worker


def test_the_import_deadline_and_the_budget_count_the_students_time_only(tmp_path, sessions):
    sub = tmp_path / "s"
    sub.mkdir()
    (sub / "mod.py").write_text("import time\ntime.sleep(0.5)\ndef f():\n    return 1\n")
    zygote.stop_all()           # this session's worker starts a zygote of its own
    s = Session(sub, ["mod"], Limits(memory_mb=2048, cpu_seconds=59, import_timeout=30),
                log_dir=tmp_path / "logs", preimport=("numpy", "torch"))
    student = RemoteObject(s, None)
    sessions.append(s)
    assert student.f() == 1
    assert s.worker.waited > 0.5           # the zygote's start, with torch imported
    # the zygote's own start (imports) is the grader's: only the student's import is charged
    assert 0.5 <= s.used < 0.5 + 1.5


def test_a_zygote_lost_during_a_call_is_the_graders_error_and_the_next_call_works(
        tmp_path, sessions):
    s, student = session_for(tmp_path, "s", """
        import time
        def slow():
            time.sleep(30)
        def ok():
            return 4
    """)
    sessions.append(s)
    assert student.ok() == 4
    lost = s.worker.zygote
    import threading
    import signal
    threading.Timer(0.5, lambda: os.killpg(lost.proc.pid, signal.SIGKILL)).start()
    with pytest.raises(errors.SandboxFailure, match="zygote"):
        student.slow()
    assert student.ok() == 4                      # a new zygote, a new worker
    assert s.worker.zygote is not lost and s.worker.zygote.alive


def test_the_forked_worker_has_no_capability_no_new_privileges_and_seccomp(tmp_path, sessions):
    s, student = session_for(tmp_path, "s", """
        def status():
            return {k: v.strip() for k, v in (line.split(":", 1) for line in
                    open("/proc/self/status")) if k.startswith(("Cap", "NoNewPrivs", "Seccomp"))}
    """)
    sessions.append(s)
    status = student.status()
    assert {k: int(v, 16) for k, v in status.items() if k.startswith("Cap")} == {
        "CapInh": 0, "CapPrm": 0, "CapEff": 0, "CapBnd": 0, "CapAmb": 0}
    assert status["NoNewPrivs"] == "1" and status["Seccomp"] == "2"


SLOW_IMPORT = "import time\ntime.sleep({seconds})\ndef f():\n    return 1\n"


def test_a_prestarted_worker_imports_while_the_grader_is_busy(tmp_path, sessions):
    """Session.prestart forks the first worker at once: the submission's import runs while
    the grading process sets up pytest, and the first call finds it ready."""
    import time
    s, student = session_for(tmp_path, "s", SLOW_IMPORT.format(seconds=0.8))
    lazy, lazy_student = session_for(tmp_path, "lazy", SLOW_IMPORT.format(seconds=0.8))
    sessions += [s, lazy]
    assert lazy_student.f() == 1           # the zygote is started (its start is not timed)
    lazy.close()
    s.prestart()
    assert isinstance(s.early, zygote.ForkedWorker) and s.worker is None
    time.sleep(1.0)                        # pytest's set-up, in the grading process
    started = time.monotonic()
    assert student.f() == 1
    assert time.monotonic() - started < 0.5          # the import was already done
    assert s.early is None and s.starts == 1
    assert 0.8 <= s.used < 0.8 + 1.5       # the student's import is charged from the fork


def test_a_prestarted_workers_import_deadline_counts_from_the_fork(tmp_path, sessions):
    import time
    sub = tmp_path / "s"
    sub.mkdir()
    (sub / "mod.py").write_text(SLOW_IMPORT.format(seconds=30))
    s = Session(sub, ["mod"], Limits(memory_mb=2048, cpu_seconds=60, import_timeout=1.5),
                log_dir=tmp_path / "logs")
    sessions.append(s)
    s.prestart()
    forked = time.monotonic()
    time.sleep(1.0)
    with pytest.raises(errors.StudentTimeout, match="importing the submission took longer"):
        RemoteObject(s, None).f()
    assert time.monotonic() - forked < 1.5 + 0.8     # not 1.0 + 1.5: no free second


def test_a_prestarted_worker_never_asked_for_is_stopped_with_its_session(tmp_path, sessions):
    s, _ = session_for(tmp_path, "s", SLOW_IMPORT.format(seconds=0))
    sessions.append(s)
    import time
    s.prestart()
    worker = s.early
    deadline = time.monotonic() + 5
    while not worker.zygote.worker_pids() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker.zygote.worker_pids()          # forked: C0, C1, C2 run
    s.close()
    assert s.early is None and not worker.alive and worker.zygote.worker_pids() == []
    assert worker.zygote.busy is None


def test_a_submission_prestarted_after_another_sees_nothing_of_it(tmp_path, sessions):
    a, student_a = session_for(tmp_path, "a", LITTERING)
    b, student_b = session_for(tmp_path, "b", LOOKING)
    sessions += [a, b]
    a.prestart()
    student_a.who()
    b.prestart()                  # forked while A's worker still runs: A's is stopped first
    assert not a.worker.alive
    assert student_b.seen() == []


def test_the_pipes_to_a_worker_hold_a_mebibyte(tmp_path, sessions):
    """Training data crosses in 1 MiB steps, not 64 KiB ones (16 times fewer wake-ups)."""
    import fcntl

    from grader.sandbox.harness import wire
    s, student = session_for(tmp_path, "s", SLOW_IMPORT.format(seconds=0))
    sessions.append(s)
    assert student.f() == 1
    for fd in (s.worker.req_fd, s.worker.resp_fd):
        assert fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ) == wire.PIPE_SIZE == 1 << 20
