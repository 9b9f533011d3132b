"""Grading benchmark: our grader at -j1 and -j2 against `nbgrader autograde`, in one run.

A class of N copies (default 50) of the example class's perfect submission for
01_numpy_forward (examples/submissions/alice) is graded by

- `grader grade SUBS -a 01_numpy_forward --out OUT -jJ --no-resume`, J = 1 and 2;
- `nbgrader autograde 01_numpy_forward` on a real nbgrader course built here with the
  nbgrader CLI (bench/nbgrader_course.py: the reference solution as solution cells, and
  hidden-test grade cells doing the checks of our hidden suite, 90 points as ours: one cell
  per function by default, one per test with --nbgrader-cells test).

Every command is also timed on a class of one, so that

    marginal = (T(N) - T(1)) / (N - 1)      start-up = T(1) - marginal

T(1) is the best of --repeat-small runs (default 3), T(N) the best of --repeat-big runs
(default 1), each on a fresh output folder or a fresh course; our -j1 and -j2 runs alternate.
Figures are wall-clock seconds of the whole command (a subprocess, time.perf_counter) and are
compared as ratios measured side by side in this run.

Targets (the issue): marginal(ours) <= 1/3 of marginal(nbgrader), and T(N) at -j2 at least
1.7 times faster than at -j1. A missed target is reported, not an error; a wrong grade is an
error (exit 1): every student of every run must get full marks.

Results: a table on stdout and bench/out/results.json. Work files: bench/out/work/ (ignored by
git, replaced on every run).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import nbgrader_course  # noqa: E402  (bench/nbgrader_course.py)

ASSIGNMENT = "01_numpy_forward"
PERFECT = REPO / "examples" / "submissions" / "alice" / ASSIGNMENT
SOLUTION = REPO / "solutions" / ASSIGNMENT / "forward.py"
NOTEBOOK = "forward.ipynb"
TARGET_MARGINAL_RATIO = 1 / 3     # marginal(ours) / marginal(nbgrader) at most this
TARGET_SPEEDUP = 1.7              # T(N) at -j1 / T(N) at -j2 at least this
JOBS = (1, 2)


class BenchError(Exception):
    """A command failed or a grade came out wrong: the measurement is worthless."""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def student(i: int) -> str:
    return f"student{i:03d}"


def bin_dir() -> Path:
    """The virtual environment's scripts: this interpreter's folder (make bench runs
    .venv/bin/python), else the repository's .venv."""
    here = Path(sys.executable).parent
    if (here / "grader").exists():
        return here
    return REPO / ".venv" / "bin"


def environment() -> dict:
    env = dict(os.environ)
    # nbgrader runs `alembic` from PATH; the kernel is the venv's python3 kernelspec
    env["PATH"] = f"{bin_dir()}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("GRADER_SECRET", "bench-secret")   # no .grader-secret file is written
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def timed(cmd: list, cwd: Path, logfile: Path, env: dict | None = None) -> float:
    """Wall-clock seconds of one command (in `env`, else environment()); its output goes to
    logfile; BenchError on failure.

    Wall clock only: CPU time from getrusage would miss the sandboxed workers (killed inside
    their PID namespace, their CPU time never reaches a waiting parent), so it would flatter us."""
    with open(logfile, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env or environment(),
                              stdout=out,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        tail = logfile.read_text(errors="replace")[-1500:]
        raise BenchError(f"{' '.join(map(str, cmd))} exited {proc.returncode} "
                         f"(log {logfile}):\n{tail}")
    return elapsed


def summarise(small: list[float], tn: float, n: int, t1_of=min) -> dict:
    """The figures from the runs on a class of one (the best counts, as for T(N) here; a
    caller whose T(N) is a single run passes t1_of=statistics.median: the best of several
    runs is biased low against one run) and on a class of n."""
    t1 = t1_of(small)
    marginal = (tn - t1) / (n - 1)
    return {"t1": t1, "t1_best": min(small), "tn": tn, "marginal": marginal,
            "startup": t1 - marginal, "t1_runs": small}


# --------------------------------------------------------------------------------------
# Our grader
# --------------------------------------------------------------------------------------

def make_class(root: Path, n: int) -> Path:
    subs = root / f"subs{n}"
    for i in range(1, n + 1):
        shutil.copytree(PERFECT, subs / student(i) / ASSIGNMENT)
    return subs


def check_our_grades(out: Path, n: int) -> float:
    """All n students at full marks in OUT/grades.csv and in each results.json; the full mark."""
    with open(out / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    if len(rows) != n:
        raise BenchError(f"{out}/grades.csv has {len(rows)} students, expected {n}")
    full = {float(r["max_total"]) for r in rows}
    if len(full) != 1 or not full.pop() > 0:
        raise BenchError(f"{out}/grades.csv: unexpected max_total column")
    wrong = [f"{r['student']}: {r['total']} / {r['max_total']}" for r in rows
             if float(r["total"]) != float(r["max_total"])]
    if wrong:
        raise BenchError(f"wrong grades in {out}/grades.csv: " + "; ".join(wrong[:5]))
    for r in rows:
        res = json.loads((out / r["student"] / ASSIGNMENT / "results.json").read_text())
        if res["score"] != res["max_score"] or res["extra_data"]["verdict"] != "graded":
            raise BenchError(f"{r['student']}: results.json says {res['score']} / "
                             f"{res['max_score']} ({res['extra_data']['verdict']})")
    return float(rows[0]["max_total"])


def grading_times(out: Path) -> tuple[list[float], int]:
    """execution_time of every results.json (the grader's own time per submission), and the
    number of tests of a submission."""
    results = [json.loads(p.read_text()) for p in sorted(out.glob(f"*/{ASSIGNMENT}/results.json"))]
    return [r["execution_time"] for r in results], len(results[0]["tests"])


def run_ours(work: Path, subs: dict[int, Path], n: int, repeat_small: int,
             repeat_big: int) -> dict:
    """Our grader at every -j of JOBS, the runs of the different -j interleaved (j1, j2, j1,
    j2, ...) so that a change in the machine's load falls on both alike."""
    grader = str(bin_dir() / "grader")

    def once(jobs: int, size: int, tag: str) -> float:
        out = work / f"grades-j{jobs}-{tag}"
        shutil.rmtree(out, ignore_errors=True)
        cmd = [grader, "grade", str(subs[size]), "-a", ASSIGNMENT, "--out", str(out),
               f"-j{jobs}", "--no-resume"]
        t = timed(cmd, work, work / f"ours-j{jobs}-{tag}.log")
        full = check_our_grades(out, size)
        log(f"  ours -j{jobs}, {size:3d} students: {t:7.2f} s  (all {full:g}/{full:g})")
        return t

    small = {jobs: [] for jobs in JOBS}
    big = {jobs: [] for jobs in JOBS}
    for k in range(repeat_small):
        for jobs in JOBS:
            small[jobs].append(once(jobs, 1, f"1-{k}"))
    for k in range(repeat_big):
        for jobs in JOBS:
            big[jobs].append(once(jobs, n, f"{n}-{k}"))
    results = {}
    for jobs in JOBS:
        best = min(range(repeat_big), key=lambda k: big[jobs][k])
        out = work / f"grades-j{jobs}-{n}-{best}"
        inside, tests = grading_times(out)
        r = summarise(small[jobs], big[jobs][best], n)
        r.update(jobs=jobs, tn_runs=big[jobs], max_score=check_our_grades(out, n), tests=tests,
                 in_grader_mean=sum(inside) / len(inside))
        results[f"j{jobs}"] = r
    return results


# --------------------------------------------------------------------------------------
# nbgrader
# --------------------------------------------------------------------------------------

def nbgrader_base(work: Path, cells_per: str) -> tuple[Path, dict, float]:
    """A course with the assignment generated (nbgrader generate_assignment); its source
    notebook; the generate_assignment time."""
    base = work / "nbgrader-base"
    source = nbgrader_course.write_course(base, SOLUTION, ASSIGNMENT, cells_per)
    t = timed([str(bin_dir() / "nbgrader"), "generate_assignment", ASSIGNMENT, "--force"],
              base, work / "nbgrader-generate.log")
    if not (base / "release" / ASSIGNMENT / NOTEBOOK).exists():
        raise BenchError("nbgrader generate_assignment wrote no release notebook")
    return base, source, t


def nbgrader_course_with(work: Path, base: Path, source: dict, n: int, tag: str) -> Path:
    """A copy of the base course with n perfect submissions in submitted/."""
    course = work / f"nbgrader-{tag}"
    shutil.rmtree(course, ignore_errors=True)
    shutil.copytree(base, course)
    nbgrader_course.set_root(course)
    release = nbgrader_course.read_notebook(base / "release" / ASSIGNMENT / NOTEBOOK)
    submission = nbgrader_course.filled_in(release, source)
    for i in range(1, n + 1):
        folder = course / "submitted" / student(i) / ASSIGNMENT
        folder.mkdir(parents=True)
        nbgrader_course.write_notebook(folder / NOTEBOOK, submission)
    return course


def check_nbgrader_grades(course: Path, n: int, full: float, logfile: Path) -> None:
    """Every student at full marks, from `nbgrader export` (the gradebook)."""
    csv_path = course / "export.csv"
    timed([str(bin_dir() / "nbgrader"), "export", "--to", str(csv_path)], course, logfile)
    with open(csv_path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["assignment"] == ASSIGNMENT]
    if len(rows) != n:
        raise BenchError(f"nbgrader gradebook of {course} has {len(rows)} submissions, expected {n}")
    wrong = [f"{r['student_id']}: {r['score']} / {r['max_score']}" for r in rows
             if float(r["score"]) != full or float(r["max_score"]) != full]
    if wrong:
        raise BenchError(f"nbgrader gave wrong grades ({course}): " + "; ".join(wrong[:5]))


def run_nbgrader(work: Path, n: int, repeat_small: int, repeat_big: int, cells_per: str) -> dict:
    base, source, t_generate = nbgrader_base(work, cells_per)
    full = nbgrader_course.max_points(source)
    log(f"  nbgrader generate_assignment: {t_generate:.2f} s ({full:g} points)")
    nbgrader = str(bin_dir() / "nbgrader")

    def once(size: int, tag: str) -> float:
        course = nbgrader_course_with(work, base, source, size, tag)
        t = timed([nbgrader, "autograde", ASSIGNMENT], course, work / f"nbgrader-{tag}.log")
        check_nbgrader_grades(course, size, full, work / f"nbgrader-{tag}-export.log")
        log(f"  nbgrader autograde, {size:3d} students: {t:7.2f} s  (all {full:g}/{full:g})")
        return t

    small = [once(1, f"1-{k}") for k in range(repeat_small)]
    big = [once(n, f"{n}-{k}") for k in range(repeat_big)]
    r = summarise(small, min(big), n)
    r.update(tn_runs=big, max_score=full, generate_assignment=t_generate, cells_per=cells_per,
             grade_cells=sum(1 for c in source["cells"]
                             if c["metadata"].get("nbgrader", {}).get("grade")))
    return r


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(results: dict) -> str:
    n = results["students"]
    machine = results["machine"]
    rows = [("ours -j1", results["ours"]["j1"]), ("ours -j2", results["ours"]["j2"])]
    if results.get("nbgrader"):
        rows.append(("nbgrader autograde", results["nbgrader"]))
    lines = [f"Grading {n} copies of the perfect submission for {ASSIGNMENT}: {machine['cpus']} "
             f"CPUs, load average {machine['load_before']} before, {results['load_after']} after",
             "",
             f"{'wall clock, s':<20}{f'T({n})':>10}{'T(1)':>10}{'marginal/sub':>14}{'start-up':>10}"]
    for name, r in rows:
        lines.append(f"{name:<20}{r['tn']:>10.2f}{r['t1']:>10.2f}{r['marginal']:>14.3f}"
                     f"{r['startup']:>10.2f}")
    ratios, targets = results["ratios"], results["targets"]
    lines += ["", "targets (wall clock):",
              f"  T({n}) -j1 / T({n}) -j2 = {ratios['speedup_j2']:.2f}"
              f"    target >= {TARGET_SPEEDUP}: {verdict(targets['speedup_j2'])}"]
    if "marginal_j1_vs_nbgrader" in ratios:
        third = f"target <= {TARGET_MARGINAL_RATIO:.2f}"
        lines += [f"  marginal(ours -j1) / marginal(nbgrader) = "
                  f"{ratios['marginal_j1_vs_nbgrader']:.3f}    {third}: "
                  f"{verdict(targets['marginal_j1'])}",
                  f"  marginal(ours -j2) / marginal(nbgrader) = "
                  f"{ratios['marginal_j2_vs_nbgrader']:.3f}    {third}: "
                  f"{verdict(targets['marginal_j2'])}",
                  "other ratios:",
                  f"  T({n}) ours -j1 / nbgrader = {ratios['batch_j1_vs_nbgrader']:.3f};  "
                  f"T({n}) ours -j2 / nbgrader = {ratios['batch_j2_vs_nbgrader']:.3f}"]
    j1 = results["ours"]["j1"]
    lines += ["", f"ours: {j1['max_score']:g} points in {j1['tests']} tests; the grader's own time "
              f"per submission (results.json execution_time) {j1['in_grader_mean']:.3f} s at -j1, "
              f"{results['ours']['j2']['in_grader_mean']:.3f} s at -j2"]
    if results.get("nbgrader"):
        nb = results["nbgrader"]
        lines.append(f"nbgrader: {nb['max_score']:g} points in {nb['grade_cells']} hidden-test "
                     f"grade cells (one per {nb['cells_per']}); generate_assignment "
                     f"{nb['generate_assignment']:.2f} s (not counted)")
    lines.append(f"T(1) is the best of {results['repeat_small']} runs, T({n}) of "
                 f"{results['repeat_big']}; all grades full marks: yes")
    if results.get("busy"):
        lines.append(f"note: {results['busy']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--students", type=int, default=50, help="class size N (default 50)")
    p.add_argument("--skip-nbgrader", action="store_true", help="time our grader only")
    p.add_argument("--nbgrader-cells", choices=("function", "test"), default="function",
                   help="nbgrader grade cells: one per function (default) or one per test")
    p.add_argument("--repeat-small", type=int, default=3,
                   help="runs of the class of one; the best counts (default 3)")
    p.add_argument("--repeat-big", type=int, default=1,
                   help="runs of the class of N; the best counts (default 1)")
    p.add_argument("--out", default=str(HERE / "out"), help="results folder (default bench/out)")
    args = p.parse_args(argv)
    if args.students < 2:
        p.error("--students must be at least 2 (the marginal cost needs two class sizes)")
    if args.repeat_small < 1 or args.repeat_big < 1:
        p.error("--repeat-small and --repeat-big must be at least 1")
    if not (bin_dir() / "grader").exists():
        print(f"bench: no grader command in {bin_dir()}; run `make install` first", file=sys.stderr)
        return 2
    if not args.skip_nbgrader and not (bin_dir() / "nbgrader").exists():
        print("bench: nbgrader is not installed (pip install -e '.[bench]'); "
              "or run with --skip-nbgrader", file=sys.stderr)
        return 2

    out = Path(args.out).resolve()
    work = out / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    n = args.students
    load_before = os.getloadavg()
    results = {"students": n, "assignment": ASSIGNMENT, "repeat_small": args.repeat_small,
               "repeat_big": args.repeat_big,
               "machine": {"cpus": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)),
                           "load_before": " ".join(f"{x:.2f}" for x in load_before),
                           "python": platform.python_version(), "platform": platform.platform()},
               "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    try:
        subs = {1: make_class(work, 1), n: make_class(work, n)}
        log("our grader:")
        results["ours"] = run_ours(work, subs, n, args.repeat_small, args.repeat_big)
        if not args.skip_nbgrader:
            log("nbgrader:")
            results["nbgrader"] = run_nbgrader(work, n, args.repeat_small, args.repeat_big,
                                               args.nbgrader_cells)
    except BenchError as exc:
        print(f"bench: FAILED: {exc}", file=sys.stderr)
        results["error"] = str(exc)
        (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        return 1

    j1, j2 = results["ours"]["j1"], results["ours"]["j2"]
    ratios = {"speedup_j2": j1["tn"] / j2["tn"]}
    targets = {"speedup_j2": ratios["speedup_j2"] >= TARGET_SPEEDUP}
    nb = results.get("nbgrader")
    if nb:
        if nb["max_score"] != j1["max_score"]:
            log(f"note: full marks differ: ours {j1['max_score']:g}, nbgrader {nb['max_score']:g}")
        ratios.update(marginal_j1_vs_nbgrader=j1["marginal"] / nb["marginal"],
                      marginal_j2_vs_nbgrader=j2["marginal"] / nb["marginal"],
                      batch_j1_vs_nbgrader=j1["tn"] / nb["tn"],
                      batch_j2_vs_nbgrader=j2["tn"] / nb["tn"])
        targets.update(marginal_j1=ratios["marginal_j1_vs_nbgrader"] <= TARGET_MARGINAL_RATIO,
                       marginal_j2=ratios["marginal_j2_vs_nbgrader"] <= TARGET_MARGINAL_RATIO)
    results.update(ratios=ratios, targets=targets, grades_ok=True,
                   load_after=" ".join(f"{x:.2f}" for x in os.getloadavg()))
    cpus = results["machine"]["affinity"]
    if load_before[0] > 0.5 * cpus:       # before: the benchmark's own work raises it later
        results["busy"] = (f"the machine was busy with other work when the benchmark started "
                           f"(load average {load_before[0]:.2f} on {cpus} CPUs): the wall-clock "
                           "figures, the -j2 speed-up above all, are unreliable; compare with a "
                           "run on a quiet machine")
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(report(results))
    print(f"\nresults: {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
