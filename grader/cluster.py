"""Grading on Dask distributed: a running scheduler (`--dask tcp://host:8786`), a local
cluster started and stopped by the command (`--dask local:N`), or SLURM through
dask-jobqueue (`grader cluster slurm`).

One submission is one task. The client keeps the output folder: a task gets the
submission's files as bytes (no shared file system) and returns its result as data, which
the client writes, so workers need no access to it, and a task that a lost worker's
successor re-runs is written once. Workers grade with the hidden suites and references of
the grader installed on them; one whose grader differs from the client's is refused.

Dask is an optional extra (`pip install .[cluster]`); nothing else in the package imports
this module.
"""
from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
import threading
from pathlib import Path, PurePosixPath

from grader import i18n
from grader.course import CourseError, course_config

MAX_SUBMISSION_BYTES = 64 << 20      # a submission's files travel in one task message
WAIT_FOR_WORKERS = 120               # seconds: a starting cluster's first worker
WAIT_FOR_SLURM = 3600                # seconds: SLURM jobs may queue a while
CONNECT_SECONDS = 30                 # reaching a running scheduler
GPU = "GPU"                          # the worker resource a GPU task asks for (one per GPU)
INSTALL_HINT = "the cluster extra is not installed here: pip install '.[cluster]'"


class ClusterError(Exception):
    """A cluster problem an instructor can act on (one line)."""


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ClusterError(INSTALL_HINT) from None
    return distributed


# --- the client side --------------------------------------------------------------------------
@contextlib.contextmanager
def connect(spec: str):
    """A distributed.Client for `--dask SPEC`: `local:N` starts N worker processes on
    127.0.0.1 (stopped on exit); anything else is a scheduler's address."""
    distributed = _distributed()
    cluster = None
    if spec.startswith("slurm:"):
        cluster = _slurm_cluster(spec)
        address = cluster.scheduler_address
    elif spec.startswith("local:"):
        cluster = distributed.LocalCluster(
            n_workers=_count(spec, "workers"), threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None, worker_dashboard_address=None, silence_logs=50)
        address = cluster.scheduler_address
    else:
        address = spec
    try:
        try:
            client = distributed.Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"--dask {spec}: cannot reach the scheduler ({exc})") from None
        try:
            yield client
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def _count(spec: str, what: str) -> int:
    """N of `local:N` or `slurm:N`, at least 1."""
    kind, _, n = spec.partition(":")
    if not n.isdigit() or int(n) < 1:
        raise ClusterError(f"--dask {spec}: {kind}:N needs a number of {what} N >= 1")
    return int(n)


def submission_files(sub) -> dict[str, bytes]:
    """The submission's files as {relative posix path: bytes} (links are not followed)."""
    files, total = {}, 0
    for path in sub.files():
        data = path.read_bytes()
        total += len(data)
        if total > MAX_SUBMISSION_BYTES:
            raise ClusterError(f"{sub.path}: more than {MAX_SUBMISSION_BYTES >> 20} MiB of files")
        files[path.relative_to(sub.path).as_posix()] = data
    return files


def check_workers(client, assignment_ids, wait: float = WAIT_FOR_WORKERS) -> dict[str, str]:
    """Refuse a cluster where a worker's grader differs from this one (a stale install
    would grade with other suites): compare fingerprints of every assignment to grade.
    Returns each worker's isolation mode. (Every task checks its worker again: one that
    joins later is refused there.)"""
    from grader.grading import fingerprint

    ids = sorted(set(assignment_ids))
    ours = {a: fingerprint(a) for a in ids}
    try:
        client.wait_for_workers(1, timeout=wait)
    except (TimeoutError, OSError):
        raise ClusterError(f"the cluster has no workers (waited {wait:g} s)") from None
    theirs = client.run(worker_state, ids)
    stale = [f"{worker} ({_difference(ours, state.get('fingerprints'))})"
             for worker, state in sorted(theirs.items()) if state.get("fingerprints") != ours]
    if stale:
        raise ClusterError("refusing to grade: the grader installed on " + ", ".join(stale)
                           + " differs from this one; install the same version on the cluster")
    return {worker: state.get("isolation", "") for worker, state in theirs.items()}


def _difference(ours: dict, theirs) -> str:
    if not isinstance(theirs, dict):
        return str(theirs)
    for a in sorted(ours):
        if theirs.get(a) != ours[a]:
            return f"{a}: {theirs.get(a)} here {ours[a]}"
    return "differs"


def has_gpu_workers(client) -> bool:
    workers = client.scheduler_info(n_workers=-1).get("workers", {})
    return any(w.get("resources", {}).get(GPU, 0) >= 1 for w in workers.values())


def on_cluster(client):
    """grade_class's `run` on the Dask cluster behind `client` (its workers decide about
    their own GPUs; the client's machine is not theirs)."""
    return functools.partial(run_on_cluster, client)


def run_on_cluster(client, subs, out: Path, secret: str, on_done=None) -> list[dict]:
    """Grade `subs` as tasks and write each result here as it arrives; the summaries, in
    the order of `subs`. A task whose worker dies is re-run by Dask; it is written once."""
    from distributed import as_completed

    from grader import late
    from grader.grading import failed_result, fingerprint, wants_gpu, write_result

    if not subs:
        return []
    gpu_workers = has_gpu_workers(client)
    summaries: dict[tuple, dict] = {}
    pending = {}

    def record(sub, summary):
        summaries[sub.student, sub.assignment] = summary
        if on_done:
            on_done(summary)

    try:
        for sub in subs:
            try:
                files = submission_files(sub)
            except (OSError, ClusterError) as exc:
                record(sub, write_result(out, failed_result(sub, i18n._(
                    "its files could not be read ({error})").format(
                        error=f"{type(exc).__name__}: {exc}"))))
                continue
            on_gpu = gpu_workers and wants_gpu(sub.assignment)
            future = client.submit(grade_files, sub.student, sub.assignment, files, secret,
                                   fingerprint(sub.assignment), i18n.language(), pure=False,
                                   key=f"grade-{sub.student}-{sub.assignment}-{os.urandom(4).hex()}",
                                   resources={GPU: 1} if on_gpu else None)
            pending[future] = sub
        for future in as_completed(list(pending), loop=client.loop):
            sub = pending.pop(future)
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001  one task's failure must not stop the class
                result = failed_result(sub, i18n._(
                    "the grader failed on this submission on the cluster ({error})").format(
                        error=f"{type(exc).__name__}: {str(exc)[:300]}"))
            else:
                # the task's copy of the files has no dates: lateness is judged here
                result = late.apply(result, sub.assignment, sub.path)
            record(sub, write_result(out, result))
    except BaseException:
        for future in pending:
            future.cancel()
        raise
    return [summaries[s.student, s.assignment] for s in subs]


# --- the worker side --------------------------------------------------------------------------
def worker_state(assignment_ids) -> dict:
    """Run on every worker: its grader's fingerprint of each assignment, its isolation."""
    from grader.grading import fingerprint
    from grader.sandbox.bwrap import isolation_mode

    found = {}
    for a in assignment_ids:
        try:
            found[a] = fingerprint(a)
        except (CourseError, OSError) as exc:
            found[a] = f"unknown here ({exc})"
    return {"fingerprints": found, "isolation": isolation_mode()}


class StaleWorker(Exception):
    """This worker's grader differs from the client's: it must not grade."""


class _Runner:
    """A grading process of this Dask worker (`python -m grader.cluster`), reused from task
    to task: pytest and the signals it relies on need a main thread, which a task thread is
    not, and a Dask worker may be a daemonic process, which cannot have a multiprocessing
    pool. Requests and results travel as length-prefixed pickles between two processes of
    this same grader (never from a student's process)."""

    def __init__(self):
        import subprocess
        import sys

        self.proc = subprocess.Popen([sys.executable, "-m", "grader.cluster"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def grade(self, request: tuple) -> dict:
        import pickle

        _send(self.proc.stdin, pickle.dumps(request))
        data = _receive(self.proc.stdout)
        if data is None:
            raise RuntimeError(f"the grading process ended (exit code {self.proc.wait()})")
        return pickle.loads(data)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def _send(stream, data: bytes) -> None:
    stream.write(len(data).to_bytes(8, "little") + data)
    stream.flush()


def _receive(stream) -> bytes | None:
    head = stream.read(8)
    if len(head) < 8:
        return None
    data = stream.read(int.from_bytes(head, "little"))
    return data


_IDLE: list[_Runner] = []
_IDLE_LOCK = threading.Lock()


def _take_runner() -> _Runner:
    with _IDLE_LOCK:
        while _IDLE:
            runner = _IDLE.pop()
            if runner.proc.poll() is None:
                return runner
    return _Runner()


def _give_back(runner: _Runner) -> None:
    with _IDLE_LOCK:
        _IDLE.append(runner)


def grade_files(student: str, assignment: str, files: dict, secret: str,
                client_fingerprint: str, language: str = i18n.DEFAULT) -> dict:
    """A Dask task: grade one submission from its files' bytes, its feedback in the client's
    `language`; the result as data."""
    from grader.grading import fingerprint

    mine = fingerprint(assignment)
    if mine != client_fingerprint:
        raise StaleWorker(f"this worker's grader ({mine}) differs from the client's "
                          f"({client_fingerprint})")
    runner = _take_runner()
    try:
        result = runner.grade((student, assignment, files, secret, language))
    except BaseException:
        runner.close()            # its state is unknown: the next task starts a fresh one
        raise
    _give_back(runner)
    result["extra_data"]["graded_on"] = _worker_name()
    return result


def serve() -> None:
    """The grading process: requests on stdin, results on stdout, until stdin closes."""
    import pickle
    import signal
    import sys

    import pytest  # noqa: F401  paid once per grading process
    import grader.plugin  # noqa: F401

    # The protocol owns the real stdout; anything printed by accident goes to stderr. Ctrl-C
    # is the client's to handle.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_end_with_parent, args=(os.getppid(),), daemon=True).start()
    while True:
        data = _receive(sys.stdin.buffer)
        if data is None:
            return
        student, assignment, files, secret, language = pickle.loads(data)
        with i18n.use(language):
            _send(out, pickle.dumps(_grade_copy(student, assignment, files, secret)))


def _end_with_parent(parent: int) -> None:
    """A grading process whose Dask worker died (killed, or its cluster closed) ends at once,
    and its sandboxes with it (bubblewrap's --die-with-parent): no orphan keeps grading."""
    import time

    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _worker_name() -> str:
    try:
        from distributed import get_worker
        worker = get_worker()
        return str(worker.name if worker.name is not None else worker.address)
    except (ImportError, ValueError):
        return ""


def _grade_copy(student: str, assignment: str, files: dict, secret: str) -> dict:
    from grader.grading import failed_result, grade_submission
    from grader.submissions import Submission

    work = Path(tempfile.mkdtemp(prefix="grader-task-"))
    try:
        folder = work / "submissions" / student / assignment
        folder.mkdir(parents=True)
        for name, data in files.items():
            rel = PurePosixPath(name)
            if rel.is_absolute() or ".." in rel.parts or not rel.parts:
                raise ValueError(f"a file name that leaves the submission: {name!r}")
            path = folder.joinpath(*rel.parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        sub = Submission(student, assignment, folder)
        try:
            return grade_submission(sub, secret, apply_late=False)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001  recorded as a result the next run re-grades
            return failed_result(sub, i18n._("the grader failed on this submission ({error})")
                                 .format(error=f"{type(exc).__name__}: {str(exc)[:300]}"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- SLURM through dask-jobqueue --------------------------------------------------------------
SLURM_KEYS = {"queue", "account", "cores", "memory", "walltime", "gpus", "venv", "processes",
              "interface", "local_directory"}


def slurm_settings(config: dict | None = None) -> dict:
    """The `[cluster]` table of course.toml, checked: queue, cores, memory, walltime, gpus
    (per job), venv (activated by the job), account, processes, interface."""
    table = (course_config() if config is None else config).get("cluster") or {}
    unknown = sorted(set(table) - SLURM_KEYS)
    if unknown:
        raise ClusterError(f"course.toml [cluster]: unknown setting(s) {', '.join(unknown)} "
                           f"(known: {', '.join(sorted(SLURM_KEYS))})")
    for key in ("cores", "memory", "walltime"):
        if key not in table:
            raise ClusterError(f"course.toml [cluster]: `{key}` is required for SLURM")
    return table


def slurm_job_kwargs(table: dict) -> dict:
    """dask-jobqueue's SLURM job arguments for the course's [cluster] table: one Dask
    worker process per GPU with the `GPU` resource, the venv activated first."""
    gpus = int(table.get("gpus", 0))
    processes = gpus or int(table.get("processes", 1))
    kwargs = dict(cores=int(table["cores"]), memory=str(table["memory"]),
                  walltime=str(table["walltime"]), processes=processes,
                  job_name="grader-worker", job_extra_directives=[], worker_extra_args=[],
                  job_script_prologue=[])
    if table.get("queue"):
        kwargs["queue"] = str(table["queue"])
    if table.get("account"):
        kwargs["account"] = str(table["account"])
    if table.get("interface"):
        kwargs["interface"] = str(table["interface"])
    if table.get("local_directory"):
        kwargs["local_directory"] = str(table["local_directory"])
    if gpus:
        kwargs["job_extra_directives"].append(f"--gres=gpu:{gpus}")
        kwargs["worker_extra_args"] += ["--resources", f"{GPU}=1"]
    if table.get("venv"):
        kwargs["job_script_prologue"].append(f"source {table['venv']}/bin/activate")
        kwargs["python"] = "python"          # the venv's, once activated
    return kwargs


def _slurm_cluster(spec: str):
    """`--dask slurm:N`: a dask-jobqueue SLURMCluster of N jobs from course.toml [cluster]
    (its scheduler runs here, in the grading command; the jobs connect back to it)."""
    jobs = _count(spec, "jobs")
    try:
        from dask_jobqueue import SLURMCluster
    except ImportError:
        raise ClusterError(INSTALL_HINT) from None
    cluster = SLURMCluster(**slurm_job_kwargs(slurm_settings()))
    cluster.scale(jobs=jobs)
    return cluster


def slurm_job_script(table: dict, scheduler: str) -> str:
    """The job script SLURM would run for one job of workers connecting to `scheduler`."""
    try:
        from dask_jobqueue.slurm import SLURMJob
    except ImportError:
        raise ClusterError(INSTALL_HINT) from None
    job = SLURMJob(scheduler=scheduler, name="grader-worker", **slurm_job_kwargs(table))
    return job.job_script()


if __name__ == "__main__":
    serve()
