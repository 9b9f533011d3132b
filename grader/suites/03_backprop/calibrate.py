"""Calibration of the two-moons thresholds of test_training.py: the reference through the
suite's own `best_of_trials` (and, for comparison, one training alone) over SEEDS seeds.

Run: .venv/bin/python grader/suites/03_backprop/calibrate.py [SEEDS]  (default 2000, about
five minutes on two cores). It prints the mean and minimum accuracy, how many seeds fall
below each tier, and the margin of each tier below the minimum.
"""
import multiprocessing
import sys
from pathlib import Path

import numpy as np

from grader.checks.calibration import load_module as load

HERE = Path(__file__).resolve().parent
SEEDS = int(sys.argv[1]) if len(sys.argv) > 1 else 2000   # [SEEDS] on the command line


def modules():
    suite = load(HERE / "test_training.py", "moons_suite")
    reference = load(HERE.parents[2] / "solutions" / "03_backprop" / "framework.py", "framework")
    return suite, reference


def one_seed(seed):
    """(one training, the suite's best of TRIALS) for the suite's rng seeded `seed`."""
    suite, reference = modules()
    reseed = lambda s: np.random.seed(s % 2**32)          # noqa: E731  as student.reseed
    single = suite.train_moons(reference, reseed, np.random.default_rng(seed))
    return single, suite.best_of_trials(reference, reseed, np.random.default_rng(seed))


def main():
    suite, _ = modules()
    with multiprocessing.Pool(2) as pool:
        rows = np.array(pool.map(one_seed, range(SEEDS), chunksize=20))
    for label, accs in (("one training", rows[:, 0]),
                        (f"best of {suite.TRIALS} (graded)", rows[:, 1])):
        print(f"two moons, {label}, {SEEDS} seeds: mean {accs.mean():.4f}, sd {accs.std():.4f}, "
              f"min {accs.min():.4f}, max {accs.max():.4f}")
        for threshold, fraction in suite.TIERS:
            print(f"  tier {threshold:.2f} ({fraction:.0%}): {int((accs < threshold).sum())} "
                  f"seeds below, margin {accs.min() - threshold:+.4f}")
    return 0 if rows[:, 1].min() > suite.TIERS[0][0] else 1


if __name__ == "__main__":
    sys.exit(main())
