"""Calibrate RECALL_GAIN of test_imbalance.py from the reference solution.

    .venv/bin/python grader/suites/08_overfitting/calibrate.py [SEEDS]

Runs test_imbalance.py's own data generator and settings with the reference over seeds
0..SEEDS-1 (default 20) and prints the minority recall on the hidden test set without and
with class weights, and the gain, beside the threshold the suite uses. Record the output in
test_imbalance.py's docstring.
"""
import sys
from pathlib import Path

import numpy as np

from grader.checks.calibration import load_module as load

HERE = Path(__file__).resolve().parent
SOLUTION = HERE.parents[2] / "solutions" / HERE.name


def measure(seeds):
    """The reference's minority recall per seed, unweighted and class-weighted, from
    test_imbalance.py's own data and settings: (plain, weighted, the suite module)."""
    suite = load(HERE / "test_imbalance.py", "test_imbalance_08")
    ref = load(SOLUTION / "overfitting.py", "overfitting")
    plain, weighted = [], []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        X, y = suite.imbalanced(rng, 600)          # the same draws, in the same order
        X_test, y_test = suite.imbalanced(rng, 2000)
        for out, weights in ((plain, None), (weighted, ref.class_weights(y))):
            w = ref.train_logistic(X, y, weights)
            out.append(suite.recall(y_test, ref.predict_proba(w, X_test) >= 0.5))
    return plain, weighted, suite


def main(seeds=20):
    plain, weighted, suite = measure(range(seeds))
    gain = np.asarray(weighted) - np.asarray(plain)
    for name, values in (("unweighted", plain), ("class-weighted", weighted), ("gain", gain)):
        print(f"minority recall, {name}: mean {np.mean(values):.3f}, min {np.min(values):.3f}, "
              f"max {np.max(values):.3f}")
    print(f"RECALL_GAIN {suite.RECALL_GAIN:g}: margin below the smallest gain "
          f"{gain.min() - suite.RECALL_GAIN:.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
