"""Calibration of the two-moons thresholds of test_training.py: the reference over 40 seeds.

Run: .venv/bin/python grader/suites/03_backprop/calibrate.py  (about a minute). It prints
the mean and minimum accuracy and the margin of each tier below that minimum.
"""
import sys
from pathlib import Path

import numpy as np

from grader.checks.calibration import load_module as load

HERE = Path(__file__).resolve().parent
SEEDS = 40


def main():
    suite = load(HERE / "test_training.py", "moons_suite")
    reference = load(HERE.parents[2] / "solutions" / "03_backprop" / "framework.py", "framework")
    accs = np.array([suite.train_moons(reference, lambda s: np.random.seed(s % 2**32),
                                       np.random.default_rng(seed)) for seed in range(SEEDS)])
    print(f"two moons, {SEEDS} seeds: mean {accs.mean():.4f}, min {accs.min():.4f}, "
          f"max {accs.max():.4f}")
    for threshold, fraction in suite.TIERS:
        print(f"  tier {threshold:.2f} ({fraction:.0%}): margin {accs.min() - threshold:+.4f}")
    return 0 if accs.min() > suite.TIERS[0][0] else 1


if __name__ == "__main__":
    sys.exit(main())
