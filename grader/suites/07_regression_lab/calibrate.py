"""Calibrate the thresholds of test_training.py from the reference solution.

    .venv/bin/python grader/suites/07_regression_lab/calibrate.py [SEEDS]

Runs test_training.py's own pipeline and settings on the reference, in this process, over
training seeds 0..SEEDS-1 (default 10), seeded as the worker seeds (random, numpy, torch;
one torch thread, as in the sandbox), and prints mean, min and max of each score beside
the thresholds the suite uses and their margin below the minimum. Record the output in the
comment block of test_training.py.
"""
import random
import sys
from pathlib import Path

import numpy as np
import torch

from grader.checks.calibration import load_module as load

HERE = Path(__file__).resolve().parent
SOLUTION = HERE.parents[2] / "solutions" / HERE.name


class LocalStudent:
    """The reference module behind the `student` proxy's interface (calls run here)."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        return getattr(self._module, name)

    def reseed(self, seed):
        random.seed(seed)
        np.random.seed(seed % 2**32)
        torch.manual_seed(seed)


def summary(name, values, thresholds):
    values = np.asarray(values)
    top = max(t for t, _ in thresholds)
    print(f"{name}: mean {values.mean():.3f}, min {values.min():.3f}, max {values.max():.3f}; "
          f"tiers {thresholds}: margin of the top tier below the min {values.min() - top:.3f}")


def measure(seeds):
    """The reference's scores per seed, from test_training.py's own pipeline and data:
    {"r2": [...], "outliers": {"mse": [...], "mae": [...], "huber": [...]}, "log": [...]}."""
    torch.set_num_threads(1)
    suite = load(HERE / "test_training.py", "test_training_07")
    student = LocalStudent(load(SOLUTION / "regression_lab.py", "regression_lab"))
    X_train, y_train, X_test, y_test = suite.diabetes()
    out = {"r2": [], "outliers": {"mse": [], "mae": [], "huber": []}, "log": []}
    for seed in seeds:
        pred = suite.fit_and_predict(student, X_train, y_train, X_test, loss="mse", seed=seed)
        out["r2"].append(suite.r2(y_test, pred))
        y_dirty = suite.with_outliers(y_train, np.random.default_rng(seed))
        for loss, values in out["outliers"].items():
            pred = suite.fit_and_predict(student, X_train, y_dirty, X_test, loss=loss, seed=seed)
            values.append(suite.r2(y_test, pred))
        lX_train, ly_train, lX_test, ly_test = suite.log_target_data(np.random.default_rng(seed))
        pred = suite.fit_and_predict(student, lX_train, ly_train, lX_test, loss="mse", seed=seed,
                                     log_target=True)
        out["log"].append(suite.r2(np.log(ly_test), np.log(pred)))
        print(f"seed {seed}: R² {out['r2'][-1]:.3f}; outliers "
              + ", ".join(f"{k} {v[-1]:.3f}" for k, v in out["outliers"].items())
              + f"; log target {out['log'][-1]:.3f}", flush=True)
    return out, suite


def main(seeds=20):
    out, suite = measure(range(seeds))
    summary("diabetes R² (MSE)", out["r2"], suite.R2_TIERS)
    robust = out["outliers"]
    for loss, values in robust.items():
        print(f"outliers, {loss}: mean {np.mean(values):.3f}, min {np.min(values):.3f}, "
              f"max {np.max(values):.3f}")
    for loss in ("mae", "huber"):
        gain = np.asarray(robust[loss]) - np.asarray(robust["mse"])
        print(f"outliers, gain of {loss} over mse: min {gain.min():.3f} "
              f"(required {suite.ROBUST_GAIN:g}, margin {gain.min() - suite.ROBUST_GAIN:.3f})")
    summary("log target, R² in log space", out["log"], suite.LOG_R2_TIERS)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
