"""Calibration of the accuracy tiers of test_training.py: the reference over 10 seeds for each
of the four networks, with exactly the suite's settings (and the "no zero_grad" mutant).

Run: .venv/bin/python grader/suites/06_frameworks_lab/calibrate.py  (a few minutes). It prints
mean, minimum and maximum accuracy per network and the margin of each tier below the
minimum; it exits non-zero when a full-points tier is not below the reference's minimum.
"""
import sys
from pathlib import Path

import numpy as np
import torch

from grader.checks.calibration import load_module as load
from grader.data import perturb_images

HERE = Path(__file__).resolve().parent
SEEDS = int(sys.argv[1]) if len(sys.argv) > 1 else 10   # [SEEDS] on the command line


def accuracy(module, suite, name, seed):
    """What test_accuracy_on_the_hidden_test_split measures for one run and seed."""
    problem, hidden, epochs, lr, _ = suite.RUNS[name]
    split = suite.split_of(problem)
    torch.manual_seed(seed)                        # student.reseed(seed) in the worker
    np.random.seed(seed % 2**32)
    model = module.build_model(problem, hidden)
    module.fit(model, split.x_train, split.y_train, epochs, lr)
    x_test = split.x_test
    if problem == "mnist":     # perturbed as the suite perturbs each student's test images
        x_test = perturb_images(x_test, np.random.default_rng(10_000 + seed))
    model.eval()
    with torch.no_grad():
        out = model(torch.as_tensor(x_test)).numpy()
    return float(np.mean(out.argmax(axis=1) == split.y_test))


def main():
    torch.set_num_threads(1)                       # as in the worker
    sys.path.insert(0, str(HERE.parents[2]))
    suite = load(HERE / "test_training.py", "frameworks_suite")
    solution = HERE.parents[2] / "solutions" / "06_frameworks_lab" / "frameworks_lab.py"
    reference = load(solution, "frameworks_lab")
    mutants = load(HERE / "mutants.py", "mutants_06")
    no_zero_grad = next(m for m in mutants.MUTANTS if m.name == "no zero_grad")
    mutant = load(solution, "no_zero_grad", no_zero_grad.apply(solution.read_text()))
    seeds = [int(s) for s in np.random.default_rng(2024).integers(2**31, size=SEEDS)]
    ok = True
    for name, (*_, tiers) in suite.RUNS.items():
        accs = np.array([accuracy(reference, suite, name, s) for s in seeds])
        wrong = np.array([accuracy(mutant, suite, name, s) for s in seeds[:3]])
        print(f"{name}, {SEEDS} seeds: mean {accs.mean():.4f}, sd {accs.std():.4f}, min {accs.min():.4f}, "
              f"max {accs.max():.4f}; no zero_grad: {wrong.min():.4f}-{wrong.max():.4f}")
        for threshold, fraction in tiers:
            print(f"  tier {threshold:.2f} ({fraction:.0%}): margin {accs.min() - threshold:+.4f}")
        ok = ok and accs.min() > tiers[0][0]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
