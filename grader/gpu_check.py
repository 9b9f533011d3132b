"""`make gpu-check`: the GPU path on a real GPU, in one run a person can read in under five
minutes. It prints the one GPU decision with the probe's evidence, grades the 05 reference
(its GPU tests must pass) and a mutant that trains on the CPU whatever device it is given
(it must lose the GPU training test); then TensorFlow's decision, and where it holds, the
05_tensorflow_basics reference (its GPU tests must pass; with tensorflow-cpu, the course's
default, it says why they skip and that is no failure). Where no GPU is, it ends with a
"no GPU here" line.

With --install-torch, a GPU machine whose environment has the CPU build of the pinned torch
gets the CUDA build of the same version from the index that matches its driver first.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.gpu import devices
from grader.gpu.decision import decision

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "05_pytorch_basics"
TRAINING_TEST = "test_training_on_cuda_matches_cpu_and_uses_the_gpu"
# PyTorch's wheel indexes by CUDA version, newest first; a driver runs wheels of its own
# CUDA version and older ones.
CUDA_INDEXES = ("13.0", "12.9", "12.8", "12.6", "12.4", "12.1", "11.8")
DEVICE_LINE = ("    device = torch.device(device) if device is not None else get_device()\n"
               "    X = torch.as_tensor(X, dtype=torch.float32)\n    y")


def device_ignoring_mutant(source: str) -> str:
    """The 05 reference with train() on the CPU whatever device it is given."""
    if DEVICE_LINE not in source:
        raise SystemExit("gpu-check: the line the mutant changes is no longer in the 05 "
                         "reference; update grader/gpu_check.py")
    return source.replace(DEVICE_LINE, DEVICE_LINE.replace(
        "torch.device(device) if device is not None else get_device()", "torch.device('cpu')"), 1)


def pinned_torch() -> str:
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if re.match(r"\s*torch==", line):
            return line.split("#")[0].strip()
    return "torch"


def driver_cuda() -> tuple[int, int] | None:
    """The newest CUDA version the driver runs (nvidia-smi's header)."""
    try:
        text = devices.nvidia_smi() or ""
    except devices.GpuQueryError:
        return None
    found = re.search(r"CUDA Version:\s*(\d+)\.(\d+)", text)
    return (int(found.group(1)), int(found.group(2))) if found else None


def install_cuda_torch() -> bool:
    """pip install the pinned torch from the newest index the driver can run."""
    version = driver_cuda()
    if version is None:
        print("gpu-check: nvidia-smi does not say which CUDA version the driver runs")
        return False
    for index in CUDA_INDEXES:
        major, minor = map(int, index.split("."))
        if (major, minor) > version:
            continue
        url = f"https://download.pytorch.org/whl/cu{major}{minor}"
        print(f"gpu-check: pip install {pinned_torch()} --index-url {url}", flush=True)
        done = subprocess.run([sys.executable, "-m", "pip", "install", "--force-reinstall",
                               "--no-deps", pinned_torch(), "--index-url", url])
        if done.returncode == 0:
            return True
    return False


def grade(name: str, folder: Path, assignment: str = ASSIGNMENT) -> dict:
    from grader.grading import grade_submission
    from grader.submissions import Submission

    return grade_submission(Submission(name, assignment, folder), "gpu-check")


def tensorflow_check() -> bool:
    """TensorFlow's GPU decision; where it holds, the TensorFlow reference's GPU tests pass."""
    decided = decision("tensorflow")
    print(f"TensorFlow GPU decision: {'GPU tests run here' if decided.ok else decided.reason}")
    if not decided.ok:
        return True
    assignment = "05_tensorflow_basics"
    reference = grade("tensorflow-reference", ROOT / "solutions" / assignment, assignment)
    print(f"TensorFlow reference: {reference['score']:g}/{reference['max_score']:g}")
    rows = gpu_rows(reference)
    for t in rows:
        print(f"  {t['extra_data']['verdict']:>12}  {t['name']}  {t['output'][:200]}")
    return bool(rows) and all(t["extra_data"]["verdict"] == "pass" for t in rows)


def gpu_rows(result: dict) -> list[dict]:
    return [t for t in result["tests"] if "/test_gpu.py::" in t["extra_data"]["nodeid"]]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="gpu-check", description=__doc__.splitlines()[0])
    parser.add_argument("--install-torch", action="store_true",
                        help="on a GPU machine with the CPU build of torch, install the CUDA "
                             "build of the pinned version first")
    args = parser.parse_args(argv)
    decided = decision()
    print(f"GPU decision: {'GPU tests run here' if decided.ok else decided.reason}")
    for line in decided.detail.splitlines():
        print(f"  probe: {line}")
    if not devices.gpu_nodes():
        print(f"no GPU here: {decided.reason}; the GPU tests skip with that reason")
        return 0
    if not decided.ok and "CPU-only" in decided.reason:
        if not args.install_torch:
            print("gpu-check: run `make gpu-check` (it installs the CUDA build of the pinned "
                  "torch) or pass --install-torch")
            return 2
        if not install_cuda_torch():
            return 2
        # a fresh interpreter: the decision and torch's build are those of the new install
        return subprocess.run([sys.executable, "-m", "grader.gpu_check"]).returncode
    if not decided.ok:
        print("gpu-check: FAILED: a GPU is here but GPU tests would be skipped")
        return 1
    solution = ROOT / "solutions" / ASSIGNMENT
    reference = grade("reference", solution)
    ok = reference["score"] == reference["max_score"]
    print(f"reference: {reference['score']:g}/{reference['max_score']:g}")
    for t in gpu_rows(reference):
        print(f"  {t['extra_data']['verdict']:>12}  {t['name']}  {t['output'][:200]}")
        ok &= t["extra_data"]["verdict"] == "pass"
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        (Path(tmp) / "torch_basics.py").write_text(
            device_ignoring_mutant((solution / "torch_basics.py").read_text()))
        mutant = grade("device-ignoring-mutant", Path(tmp))
    training = [t for t in gpu_rows(mutant) if t["extra_data"]["nodeid"].endswith(TRAINING_TEST)]
    print(f"device-ignoring mutant: {mutant['score']:g}/{mutant['max_score']:g}")
    for t in training:
        print(f"  {t['extra_data']['verdict']:>12}  {t['name']}  {t['output'][:200]}")
    ok &= len(training) == 1 and training[0]["score"] == 0
    ok &= tensorflow_check()
    print(f"gpu-check: {'passed' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
