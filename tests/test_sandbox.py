"""The sandboxed worker and the student proxy: calls, handles, deadlines, crashes, limits."""
import os
import re
import subprocess
import threading
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import errors
from grader.sandbox.proxy import RemoteObject, Session
from grader.sandbox.bwrap import isolation_mode
from grader.sandbox.worker import Limits

FULL = isolation_mode() == "bubblewrap"
needs_bwrap = pytest.mark.skipif(not FULL, reason=f"needs bubblewrap ({isolation_mode()})")


@pytest.fixture(autouse=True, params=["forked", "cold"])
def worker_kind(request, monkeypatch):
    """Every property here holds for a worker forked by the zygote (where one is used:
    bubblewrap as root) and for a cold one."""
    if request.param == "cold":
        monkeypatch.setenv("GRADER_ZYGOTE", "0")
    return request.param


def make_session(tmp_path, code, **limits):
    sub = tmp_path / "sub"
    sub.mkdir(parents=True, exist_ok=True)
    (sub / "mod.py").write_text(textwrap.dedent(code))
    defaults = dict(memory_mb=1024, cpu_seconds=30, import_timeout=10, call_timeout=3)
    defaults.update(limits)
    session = Session(sub, ["mod"], Limits(**defaults), log_dir=tmp_path / "logs")
    return session, RemoteObject(session, None)


@pytest.fixture
def closing():
    sessions = []
    yield sessions.append
    for s in sessions:
        s.close()


def worker_processes(session):
    """PIDs of processes still running the harness for this test's submission."""
    out = subprocess.run(["pgrep", "-f", "harness/child.py"], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def test_calls_handles_attributes_and_argument_inspection(tmp_path, closing):
    session, student = make_session(tmp_path, """
        import numpy as np
        SCALE = 2.0
        def double(x):
            return x * SCALE
        def clobber(x):
            x[0] = 99.0
            return None
        class Counter:
            def __init__(self, start):
                self.n = start
            def add(self, k):
                self.n += k
                return self.n
    """)
    closing(session)
    x = np.arange(4.0)
    out = student.double(x)
    assert type(out) is np.ndarray and np.array_equal(out, 2 * x)
    assert student.SCALE == 2.0
    value, args = student.call_returning_args("clobber", x)
    assert value is None and args[0][0] == 99.0 and x[0] == 0.0     # the parent's copy is intact
    counter = student.Counter(5)
    assert counter.type_name == "Counter" and counter.add(3) == 8 and counter.n == 8
    counter.n = 100
    assert counter.add(1) == 101
    assert student.has("Counter") and not student.has("missing")
    with pytest.raises(errors.StudentException, match="defines no `missing`"):
        student.missing


def test_student_exception_carries_type_and_only_student_frames(tmp_path, closing):
    session, student = make_session(tmp_path, """
        def boom(x):
            raise ValueError("bad activation " + x)
        def todo():
            raise NotImplementedError()
    """)
    closing(session)
    with pytest.raises(errors.StudentException) as info:
        student.boom("swish")
    assert info.value.type_name == "ValueError" and "Exception" in info.value.mro
    assert "mod.py" in info.value.traceback and "child.py" not in info.value.traceback
    with pytest.raises(errors.StudentException, match="not implemented"):
        student.todo()


def test_timeout_kills_a_c_level_loop_and_the_next_call_gets_a_fresh_worker(tmp_path, closing):
    session, student = make_session(tmp_path, """
        import re
        def stuck():
            # catastrophic backtracking: the loop is inside the C regex engine
            return bool(re.match(r"(a+)+$", "a" * 64 + "b"))
        def ok():
            return 1
    """, call_timeout=1)
    closing(session)
    assert student.ok() == 1
    pid = session.worker.pid
    started = time.monotonic()
    with pytest.raises(errors.StudentTimeout) as stopped:
        student.stuck()
    assert time.monotonic() - started < 4
    assert not _alive(pid)
    assert student.ok() == 1 and session.starts == 2
    # where it was stuck, from the worker's stack dump at the deadline: the student's line,
    # read from the grader's copy; and the dump is not left in the student's stderr
    assert stopped.value.traceback.splitlines()[1:] == [
        '  File "mod.py", line 5, in stuck',
        '    return bool(re.match(r"(a+)+$", "a" * 64 + "b"))']
    assert "most recent call first" not in (tmp_path / "logs" / "stderr.txt").read_text()


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_segfault_is_contained_and_reported(tmp_path, closing):
    session, student = make_session(tmp_path, """
        import ctypes
        def crash():
            ctypes.string_at(0)
        def ok():
            return "fine"
    """)
    closing(session)
    with pytest.raises(errors.StudentCrashed, match="SIGSEGV") as crashed:
        student.crash()
    assert student.ok() == "fine"
    # the student's line, from faulthandler's stack of the fatal signal; none of it left in
    # the student's stderr
    assert crashed.value.traceback.splitlines()[1:] == [
        '  File "mod.py", line 4, in crash', "    ctypes.string_at(0)"]
    log = (tmp_path / "logs" / "stderr.txt").read_text()
    assert "Fatal Python error" not in log and "most recent call first" not in log


def test_exit_at_import_fails_every_call_without_retrying(tmp_path, closing):
    session, student = make_session(tmp_path, """
        import os
        os._exit(0)
        def f():
            return 1
    """)
    closing(session)
    for _ in range(3):
        with pytest.raises(errors.StudentCrashed, match="exit code 0"):
            student.f()
    assert session.starts == 1


def test_syntax_and_import_errors_are_their_own_verdicts(tmp_path, closing):
    session, student = make_session(tmp_path, "def f(:\n    pass\n")
    closing(session)
    with pytest.raises(errors.SyntaxFailed, match="line 1"):
        student.f()
    session2, student2 = make_session(tmp_path / "b", "import not_a_module_anywhere\n")
    closing(session2)
    with pytest.raises(errors.ImportFailed, match="not_a_module_anywhere"):
        student2.f()


def test_infinite_loop_at_import_hits_the_import_deadline(tmp_path, closing):
    session, student = make_session(tmp_path, "while True:\n    pass\n", import_timeout=1)
    closing(session)
    with pytest.raises(errors.StudentTimeout, match="importing") as stopped:
        student.f()
    assert re.search(r'File "mod.py", line [12], in <module>', stopped.value.traceback)


def test_memory_limit(tmp_path, closing):
    session, student = make_session(tmp_path, """
        import numpy as np
        def hog():
            return np.ones((4 << 30) // 8).sum()
    """, memory_mb=768)
    closing(session)
    with pytest.raises(errors.MemoryLimit):
        student.hog()


def test_cpu_limit(tmp_path, closing):
    # The call deadline is far away: what stops the loop must be the CPU limit, whatever
    # the load on the machine; measured as the CPU time the worker used, not wall time.
    session, student = make_session(tmp_path, """
        def spin():
            while True:
                pass
    """, cpu_seconds=1, call_timeout=600)
    closing(session)
    session.ensure_worker()
    processes = session.worker.host_pids()
    seen = {}
    done = threading.Event()

    def sample():           # the CPU time of the worker's processes, read from /proc
        tick = os.sysconf("SC_CLK_TCK")
        while not done.is_set():
            for pid in processes:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                seen[pid] = max(seen.get(pid, 0.0), (int(fields[11]) + int(fields[12])) / tick)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with pytest.raises(errors.CpuLimit):
            student.spin()
    finally:
        done.set()
        sampler.join()
    assert 0.8 <= max(seen.values()) < 30.0


def test_file_size_limit(tmp_path, closing):
    session, student = make_session(tmp_path, """
        def write_big():
            with open("big.bin", "wb") as f:
                f.write(b"x" * (64 << 20))
    """)
    closing(session)
    with pytest.raises(errors.OutputLimit):
        student.write_big()


def test_no_new_processes_and_no_network(tmp_path, closing):
    session, student = make_session(tmp_path, """
        import os, socket, subprocess
        def fork():
            return os.fork()
        def shell():
            return subprocess.run(["true"]).returncode
        def net():
            socket.create_connection(("127.0.0.1", 22), timeout=1)
    """)
    closing(session)
    for name in ("fork", "shell", "net"):
        with pytest.raises(errors.StudentException, match="PermissionError|Operation not permitted"):
            getattr(student, name)()


def test_environment_is_scrubbed(tmp_path, closing, monkeypatch):
    monkeypatch.setenv("GRADER_SECRET", "top-secret-value")
    session, student = make_session(tmp_path, """
        import os
        def env():
            return dict(os.environ)
    """)
    closing(session)
    env = student.env()
    assert "GRADER_SECRET" not in env and "top-secret-value" not in str(env)
    assert env["OMP_NUM_THREADS"] == "1"


@needs_bwrap
def test_only_the_allow_list_is_visible_and_nothing_is_writable(tmp_path, closing):
    secret = tmp_path / "hidden_answers.txt"
    secret.write_text("answers")
    session, student = make_session(tmp_path, f"""
        import os
        def look():
            return sorted(os.listdir("/")), os.getuid()
        def read_secret():
            return open({str(secret)!r}).read()
        def read_suite():
            return os.listdir({str(Path(__file__).resolve().parents[1] / 'grader' / 'suites')!r})
        def write_submission():
            open("/submission/mod.py", "w").write("x")
    """)
    closing(session)
    root, uid = student.look()
    assert "home" not in root and "submission" in root
    if os.geteuid() == 0:
        assert uid != 0
    for name in ("read_secret", "read_suite", "write_submission"):
        with pytest.raises(errors.StudentException):
            getattr(student, name)()


def test_no_worker_is_left_behind(tmp_path):
    session, student = make_session(tmp_path, "def f():\n    return 1\n")
    assert student.f() == 1
    processes = session.worker.host_pids()        # the wrapper and everything below it
    assert session.worker.pid in processes and len(processes) >= (3 if FULL else 1)
    if FULL:
        assert session.worker.sandbox_pid          # bwrap told us the sandbox's pid 1
    session.close()
    assert not [p for p in processes if _alive(p)]


def test_unsendable_return_values_arrive_as_handles(tmp_path, closing):
    session, student = make_session(tmp_path, """
        import numpy as np
        class AlwaysEqual:
            def __eq__(self, other):
                return True
        def liar():
            return AlwaysEqual()
        def objects():
            return np.array([1, "a"], dtype=object)
    """)
    closing(session)
    liar = student.liar()
    assert isinstance(liar, RemoteObject) and liar.type_name == "AlwaysEqual"
    assert not (liar == 1)       # the parent never calls the student's __eq__
    assert isinstance(student.objects(), RemoteObject)


def test_python_trees_under_tmp_are_bound_after_the_private_tmp(monkeypatch, tmp_path):
    """A CI clone's venv lives under /tmp: the private /tmp must not hide it."""
    from grader.sandbox import bwrap
    monkeypatch.setattr(bwrap.sys, "prefix", str(tmp_path / "venv"))
    args = bwrap.sandbox_args(tmp_path, 1 << 20, gpu=None)
    tmpfs = args.index("--tmpfs", 0)
    assert args[tmpfs + 1] == "/tmp"
    bind = args.index(str((tmp_path / "venv").resolve()))
    assert tmpfs < bind


def test_the_worker_cache_keeps_a_value_for_one_live_worker_only(tmp_path, closing):
    """A suite's expensive value (a model trained by the student's code) is made once per
    worker and made again after the worker restarts: it never outlives its process."""
    from grader.sandbox.proxy import WorkerCache

    session, student = make_session(tmp_path, """
        import os, time
        TOKEN = os.urandom(8).hex()          # one per process (pids repeat across namespaces)
        def token():
            return TOKEN
        def hang():
            time.sleep(30)
    """, call_timeout=1)
    closing(session)
    cache, made = WorkerCache(session), []

    def make():
        made.append(1)
        return student.token()

    first = cache.get("trained", make)
    assert cache.get("trained", make) == first and len(made) == 1
    with pytest.raises(errors.StudentTimeout):
        student.hang()                       # the worker is replaced
    assert cache.get("trained", make) != first and len(made) == 2
