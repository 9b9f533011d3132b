"""Cluster benchmark: `grader grade -j 2` against `grader grade --dask local:2`, in one run.

Two classes are graded both ways, the runs alternating: N copies (default 50) of the example
class's perfect 01_numpy_forward submission, and M copies (default 8) of the 05_pytorch_basics
reference. Figures are wall-clock seconds of the whole command (a subprocess), compared as
the ratio dask / pool measured side by side. The cluster's own start-up (a LocalCluster of two
worker processes, the fingerprint check) is timed apart, to say where the difference goes.

Target (the issue): the Dask path costs at most 1.15 times the process pool. A missed target
is reported, not an error; a wrong grade is an error (exit 1).

Results: a table on stdout and bench/out/cluster.json; work files in bench/out/cluster-work/.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TARGET = 1.15
CLASSES = {"01_numpy_forward": REPO / "examples" / "submissions" / "alice" / "01_numpy_forward",
           "05_pytorch_basics": REPO / "solutions" / "05_pytorch_basics"}


def make_class(root: Path, assignment: str, n: int) -> Path:
    for i in range(n):
        shutil.copytree(CLASSES[assignment], root / f"student{i:03d}" / assignment,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return root


def grade(subs: Path, assignment: str, out: Path, how: list[str], log: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [str(Path(sys.executable).parent / "grader"), "grade", str(subs), "-a", assignment,
           "--out", str(out), "--no-resume", *how]
    started = time.perf_counter()
    with open(log, "ab") as f:
        done = subprocess.run(cmd, stdout=f, stderr=f, env=dict(os.environ, GRADER_SECRET="bench"))
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd)} failed (exit {done.returncode}); see {log}")
    return seconds


def check_full_marks(out: Path, n: int) -> None:
    results = [json.loads(p.read_text()) for p in out.glob("*/*/results.json")]
    wrong = [r["extra_data"]["student"] for r in results if r["score"] != r["max_score"]]
    if len(results) != n or wrong:
        raise SystemExit(f"bench: {out}: {len(results)} results of {n}, not full marks: {wrong}")


def cluster_start_up() -> float:
    """Seconds to start a LocalCluster of two workers and check their grader."""
    from grader import cluster

    started = time.perf_counter()
    with cluster.connect("local:2") as client:
        cluster.check_workers(client, list(CLASSES))
        seconds = time.perf_counter() - started
    return seconds


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=50, help="copies of the 01 submission")
    p.add_argument("--torch-students", type=int, default=8, help="copies of the 05 reference")
    p.add_argument("--repeat", type=int, default=1, help="runs of each (the best is kept)")
    p.add_argument("--out", default=str(HERE / "out"))
    args = p.parse_args(argv)
    work = Path(args.out) / "cluster-work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    log = work / "commands.log"
    rows = []
    for assignment, n in (("01_numpy_forward", args.students),
                          ("05_pytorch_basics", args.torch_students)):
        subs = make_class(work / f"class-{assignment}", assignment, n)
        times = {"pool": [], "dask": []}
        for _ in range(args.repeat):
            for name, how in (("pool", ["-j", "2"]), ("dask", ["--dask", "local:2"])):
                out = work / f"out-{assignment}-{name}"
                times[name].append(grade(subs, assignment, out, how, log))
                check_full_marks(out, n)
                print(f"{assignment} x{n} {name}: {times[name][-1]:.1f} s", flush=True)
        pool, dask = min(times["pool"]), min(times["dask"])
        rows.append({"assignment": assignment, "students": n, "pool_seconds": round(pool, 2),
                     "dask_seconds": round(dask, 2), "ratio": round(dask / pool, 3),
                     "target": TARGET, "met": dask / pool <= TARGET})
    start_up = cluster_start_up()
    print(f"\n{'assignment':<20}{'N':>4}{'-j 2 (s)':>11}{'--dask local:2 (s)':>20}{'ratio':>8}")
    for r in rows:
        print(f"{r['assignment']:<20}{r['students']:>4}{r['pool_seconds']:>11.1f}"
              f"{r['dask_seconds']:>20.1f}{r['ratio']:>8.3f}  "
              f"{'met' if r['met'] else 'MISSED'} (<= {TARGET})")
    print(f"LocalCluster of 2 workers started and checked in {start_up:.1f} s (part of every "
          "--dask local:2 run)")
    (Path(args.out) / "cluster.json").write_text(json.dumps(
        {"rows": rows, "cluster_start_up_seconds": round(start_up, 2)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
