"""Calibration of the MNIST thresholds of test_one_vs_rest.py: the reference, 40 seeds (the
suite uses one per student), on test images perturbed as the suite perturbs them.

Run: .venv/bin/python grader/suites/02_perceptron/calibrate.py  (about two minutes). It prints
the accuracy and the lowest per-digit recall on the hidden split, and the margins.
"""
import sys
from pathlib import Path

import numpy as np

from grader.checks.calibration import load_module as load

HERE = Path(__file__).resolve().parent
SEEDS = range(40)


def main():
    suite = load(HERE / "test_one_vs_rest.py", "ovr_suite")
    reference = load(HERE.parents[2] / "solutions" / "02_perceptron" / "perceptron.py",
                     "perceptron")
    from grader.data import mnist_split, perturb_images

    accs, recalls = [], []
    x_test = mnist_split(seed=0).x_test
    for seed in SEEDS:
        # the suite perturbs the hidden test images with each student's own seed
        perturbed = perturb_images(x_test, np.random.default_rng(10_000 + seed))
        pred, y_test = suite.mnist_predictions(reference, seed, perturbed)
        cm = suite.confusion(y_test, pred)
        accs.append(np.mean(pred == y_test))
        recalls.append((np.diag(cm) / cm.sum(axis=1)).min())
        print(f"seed {seed}: accuracy {accs[-1]:.4f}, lowest digit recall {recalls[-1]:.3f}")
    accs, recalls = np.array(accs), np.array(recalls)
    print(f"accuracy: mean {accs.mean():.4f}, min {accs.min():.4f}")
    for threshold, fraction in suite.TIERS:
        print(f"  tier {threshold:.2f} ({fraction:.0%}): margin {accs.min() - threshold:+.4f}")
    print(f"lowest digit recall: mean {recalls.mean():.3f}, min {recalls.min():.3f}; "
          f"threshold {suite.MIN_RECALL:.2f}, margin {recalls.min() - suite.MIN_RECALL:+.3f}")
    return 0 if accs.min() > suite.TIERS[0][0] and recalls.min() > suite.MIN_RECALL else 1


if __name__ == "__main__":
    sys.exit(main())
