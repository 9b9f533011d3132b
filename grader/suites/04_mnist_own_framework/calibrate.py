"""Calibration of the MNIST tiers of test_training.py: the reference, 10 seeds per depth, on
test images perturbed as the suite perturbs them.

Run: .venv/bin/python grader/suites/04_mnist_own_framework/calibrate.py (a minute or
two). The worker runs numpy with one thread; so does this script.
"""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

from grader.checks.calibration import load_module as load  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
SOLUTION = HERE.parents[2] / "solutions" / "04_mnist_own_framework"
SEEDS = range(int(sys.argv[1]) if len(sys.argv) > 1 else 10)   # [SEEDS] on the command line


def main():
    suite = load(HERE / "test_training.py", "mnist_suite")
    sys.path.insert(0, str(SOLUTION))
    reference = load(SOLUTION / "mnist_lab.py", "mnist_lab")
    ok = True
    for depth in (1, 2, 3):
        accs = []
        for seed in SEEDS:
            pred, y_test, _ = suite.train_and_predict(reference, lambda s: np.random.seed(s % 2**32),
                                                      seed, depth,
                                                      np.random.default_rng(10_000 + seed))
            accs.append(np.mean(pred == y_test))
        accs = np.array(accs)
        print(f"{depth} layer(s): mean {accs.mean():.4f}, sd {accs.std():.4f}, min {accs.min():.4f}, "
              f"max {accs.max():.4f}")
        for threshold, fraction in suite.TIERS[depth]:
            print(f"  tier {threshold:.2f} ({fraction:.0%}): margin {accs.min() - threshold:+.4f}")
        ok = ok and accs.min() > suite.TIERS[depth][0][0]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
