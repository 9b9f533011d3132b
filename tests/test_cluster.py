"""Grading on Dask distributed, with real `dask scheduler` and `dask worker` processes on
127.0.0.1, started and stopped here: the same grades as -j 1, a worker killed mid-task, a
stale worker refused, GPU tasks routed to a worker with the GPU resource, the SLURM job
script, and plain `grader grade` never importing Dask."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed", reason="needs the cluster extra (.[cluster])")

from grader import cluster  # noqa: E402
from grader.grading import grade_class  # noqa: E402
from grader.submissions import Submission, discover  # noqa: E402
from test_stopping import (check_kill_9_leaves_nothing, check_stopped,  # noqa: E402,F401
                           in_the_middle, klass, start)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "submissions"
BIN = Path(sys.executable).parent


class Cluster:
    """A scheduler and named workers as separate processes, all on 127.0.0.1."""

    def __init__(self, tmp: Path):
        self.tmp, self.workers = tmp, {}
        self.file = tmp / "scheduler.json"
        self.scheduler = self._start("scheduler", [
            "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
            "--scheduler-file", str(self.file)])
        deadline = time.monotonic() + 60
        while not self.file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.address = json.loads(self.file.read_text())["address"]

    def _start(self, name, args, env=None):
        log = open(self.tmp / f"{name}.log", "wb")
        return subprocess.Popen([str(BIN / "dask"), *args], stdout=log, stderr=log,
                                env={**os.environ, **(env or {})}, start_new_session=True)

    def add_worker(self, name, *extra, env=None):
        self.workers[name] = self._start(name, [
            "worker", "--scheduler-file", str(self.file), "--host", "127.0.0.1",
            "--no-dashboard", "--no-nanny", "--nthreads", "1", "--name", name, *extra], env)

    def client(self, n_workers):
        client = distributed.Client(self.address, timeout=30, set_as_default=False)
        client.wait_for_workers(n_workers, timeout=120)
        return client

    def kill(self, name):
        os.killpg(self.workers[name].pid, signal.SIGKILL)
        self.workers[name].wait()

    def stop(self):
        for proc in [*self.workers.values(), self.scheduler]:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in [*self.workers.values(), self.scheduler]:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def dask_cluster(tmp_path):
    made = Cluster(tmp_path)
    yield made
    made.stop()


def scores(out: Path) -> dict:
    found = {}
    for path in sorted(out.glob("*/*/results.json")):
        result = json.loads(path.read_text())
        found[path.parent.parent.name, path.parent.name] = (
            result["score"], [t["score"] for t in result["tests"]])
    return found


def test_a_class_graded_on_the_cluster_gets_the_grades_of_one_process(dask_cluster, tmp_path):
    dask_cluster.add_worker("w1")
    dask_cluster.add_worker("w2")
    subs, _ = discover(EXAMPLES, ["01_numpy_forward"], None)
    grade_class(subs, tmp_path / "local", jobs=1)
    done = []
    with dask_cluster.client(2) as client:
        modes = cluster.check_workers(client, ["01_numpy_forward"])
        assert sorted(modes) == sorted(w for w in client.scheduler_info()["workers"])
        summaries, skipped = grade_class(subs, tmp_path / "dask", run=cluster.on_cluster(client),
                                         on_done=done.append)
        assert skipped == 0 and len(summaries) == len(subs) == len(done)
        # resume, as with -j: nothing changed, nothing graded again
        again, skipped = grade_class(subs, tmp_path / "dask", run=cluster.on_cluster(client))
        assert again == [] and skipped == len(subs)
    assert scores(tmp_path / "dask") == scores(tmp_path / "local")
    places = {json.loads(p.read_text())["extra_data"]["graded_on"]
              for p in (tmp_path / "dask").glob("*/*/results.json")}
    assert places <= {"w1", "w2"} and places


def _slow_submissions(tmp_path: Path, n: int) -> list[Submission]:
    """Copies of the 01 reference that take a few seconds to import (a task long enough
    to kill its worker in the middle of it)."""
    source = (ROOT / "solutions" / "01_numpy_forward" / "forward.py").read_text()
    subs = []
    for i in range(n):
        folder = tmp_path / "class" / f"s{i}" / "01_numpy_forward"
        folder.mkdir(parents=True)
        (folder / "forward.py").write_text("import time\ntime.sleep(3)\n" + source)
        subs.append(Submission(f"s{i}", "01_numpy_forward", folder))
    return subs


def test_a_worker_killed_mid_task_has_its_task_graded_elsewhere_and_written_once(
        dask_cluster, tmp_path):
    dask_cluster.add_worker("doomed")
    dask_cluster.add_worker("survivor")
    subs = _slow_submissions(tmp_path, 4)
    done = []
    killed = []
    with dask_cluster.client(2) as client:
        def watch(summary):
            done.append(summary)

        import threading

        def killer():
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not killed:
                processing = client.processing()
                doomed = [w for w, info in client.scheduler_info()["workers"].items()
                          if info.get("name") == "doomed"]
                if doomed and processing.get(doomed[0]):
                    time.sleep(1.0)           # inside the task: the submission is importing
                    dask_cluster.kill("doomed")
                    killed.append(processing[doomed[0]])
                    return
                time.sleep(0.1)

        thread = threading.Thread(target=killer)
        thread.start()
        summaries, _ = grade_class(subs, tmp_path / "out", run=cluster.on_cluster(client), on_done=watch)
        thread.join()
    assert killed, "the doomed worker never ran a task"
    keys = [(s["student"], s["assignment"]) for s in done]
    assert sorted(keys) == sorted((s.student, "01_numpy_forward") for s in subs)  # once each
    assert all(s["score"] == s["max_score"] > 0 for s in summaries)
    graded_on = {json.loads(p.read_text())["extra_data"]["graded_on"]
                 for p in (tmp_path / "out").glob("*/*/results.json")}
    assert "survivor" in graded_on


def test_a_worker_with_another_grader_is_refused(dask_cluster, tmp_path):
    preload = tmp_path / "stale_grader.py"
    preload.write_text("import grader.grading\n"
                       "grader.grading.fingerprint = lambda assignment: '0.0+stale'\n")
    dask_cluster.add_worker("stale", "--preload", str(preload))
    with dask_cluster.client(1) as client:
        with pytest.raises(cluster.ClusterError, match="stale.*differs from this one"):
            cluster.check_workers(client, ["01_numpy_forward"])
        # a task that reaches such a worker anyway refuses to grade: no result from it
        subs, _ = discover(EXAMPLES, ["01_numpy_forward"], ["alice"])
        [summary], _ = grade_class(subs, tmp_path / "out", run=cluster.on_cluster(client))
    assert summary["internal_errors"] and "StaleWorker" in summary["reason"]


def test_the_command_refuses_a_stale_cluster_in_one_line(dask_cluster, tmp_path):
    preload = tmp_path / "stale_grader.py"
    preload.write_text("import grader.grading\n"
                       "grader.grading.fingerprint = lambda assignment: '0.0+stale'\n")
    dask_cluster.add_worker("stale", "--preload", str(preload))
    dask_cluster.client(1).close()
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(EXAMPLES), "-a",
                           "01_numpy_forward", "--dask", dask_cluster.address, "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0 and "refusing to grade" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list((tmp_path / "out").glob("*/*/results.json"))


def test_gpu_tasks_go_to_a_worker_with_the_gpu_resource_and_skip_without_a_gpu(
        dask_cluster, tmp_path):
    from grader.plugin import gpu_skip_reason

    dask_cluster.add_worker("cpu-only")
    dask_cluster.add_worker("gpu-worker", "--resources", "GPU=1")
    subs = [Submission("reference", "05_pytorch_basics",
                       ROOT / "solutions" / "05_pytorch_basics")]
    subs += discover(EXAMPLES, ["01_numpy_forward"], ["alice", "bob"])[0]
    with dask_cluster.client(2) as client:
        assert cluster.has_gpu_workers(client)
        grade_class(subs, tmp_path / "out", run=cluster.on_cluster(client))
    result = json.loads((tmp_path / "out" / "reference" / "05_pytorch_basics" /
                         "results.json").read_text())
    assert result["extra_data"]["graded_on"] == "gpu-worker"
    skipped = [t for t in result["tests"] if t["extra_data"]["verdict"] == "skipped"]
    assert len(skipped) == 3 and {t["output"] for t in skipped} == {gpu_skip_reason()}
    assert result["score"] == result["max_score"] > 0


def test_local_cluster_is_started_and_stopped_by_the_command(tmp_path):
    with cluster.connect("local:1") as client:
        [worker] = client.scheduler_info()["workers"]
        assert worker.startswith("tcp://127.0.0.1:")
        address = client.scheduler.address
    with pytest.raises(OSError):
        distributed.Client(address, timeout=2, set_as_default=False)
    with pytest.raises(cluster.ClusterError, match="local:N needs"):
        with cluster.connect("local:zero"):
            pass


def test_an_unreachable_scheduler_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 2)
    with pytest.raises(cluster.ClusterError, match="cannot reach the scheduler"):
        with cluster.connect("tcp://127.0.0.1:1"):
            pass


SLURM_TABLE = {"queue": "gpu", "account": "nn101", "cores": 8, "memory": "32GB",
               "walltime": "02:00:00", "gpus": 2, "venv": "/home/course/venv"}


def test_the_slurm_job_script_matches_the_golden_file(tmp_path):
    (tmp_path / "course.toml").write_text(
        "[cluster]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in SLURM_TABLE.items()))
    proc = subprocess.run([sys.executable, "-m", "grader", "cluster", "slurm",
                           "--print-job-script", "--scheduler", "tcp://login-node:8786"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "GRADER_COURSE_DIR": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (ROOT / "tests" / "golden" / "slurm_job.sh").read_text()


def test_a_bad_cluster_table_is_one_clear_line():
    with pytest.raises(cluster.ClusterError, match="`walltime` is required"):
        cluster.slurm_settings({"cluster": {"cores": 4, "memory": "8GB"}})
    with pytest.raises(cluster.ClusterError, match="unknown setting"):
        cluster.slurm_settings({"cluster": {**SLURM_TABLE, "gpu": 1}})


def test_plain_grading_never_imports_dask(tmp_path):
    code = ("import sys\nfrom grader import cli\n"
            f"code = cli.main(['grade', {str(EXAMPLES)!r}, '-a', '01_numpy_forward', '-s', "
            f"'alice', '-j', '1', '--out', {str(tmp_path / 'out')!r}])\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('dask', 'distributed', 'dask_jobqueue')))\n"
            "sys.exit(code)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_kill_9_of_a_cluster_run_leaves_no_process(klass, tmp_path):
    out = tmp_path / "grades"
    check_kill_9_leaves_nothing(start(klass, out, 0, dask="local:2"), out)


def test_an_interrupted_cluster_run_keeps_what_was_graded_and_leaves_nothing(klass, tmp_path):
    """SIGTERM in the middle, as with -j: exit 143, the finished results kept and in the
    gradebook, no half-graded one, and every process of the run (the local cluster's
    workers, their grading processes, the sandboxes) gone."""
    out = tmp_path / "grades"
    proc = start(klass, out, 0, dask="local:2")
    try:
        processes = in_the_middle(proc, out)
        signalled_at = time.monotonic()
        os.kill(proc.pid, signal.SIGTERM)
        check_stopped(proc, out, processes, signalled_at, 143)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
