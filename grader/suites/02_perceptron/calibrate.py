"""Calibration of the MNIST thresholds of test_one_vs_rest.py: the reference on every training
seed the suite can draw, on test images perturbed as the suite perturbs them.

Run: .venv/bin/python grader/suites/02_perceptron/calibrate.py [FIRST:LAST] [-j N]
(default 0:1000, every seed the suite draws with rng.integers(1000); about 3 s a seed per
process). It prints the accuracy and the lowest per-digit recall on the hidden split, the
worst seeds, and the margins of the suite's thresholds below the minimum.
"""
import multiprocessing
import sys
from pathlib import Path

import numpy as np

from grader.checks.calibration import load_module as load

HERE = Path(__file__).resolve().parent


def modules():
    suite = load(HERE / "test_one_vs_rest.py", "ovr_suite")
    reference = load(HERE.parents[2] / "solutions" / "02_perceptron" / "perceptron.py",
                     "perceptron")
    return suite, reference


def one_seed(seed):
    """Accuracy and lowest digit recall of the reference trained with `seed`; the test images
    perturbed by a generator of its own (the suite uses each student's)."""
    from grader.data import mnist_split, perturb_images
    suite, reference = modules()
    perturbed = perturb_images(mnist_split(seed=0).x_test, np.random.default_rng(10_000 + seed))
    pred, y_test = suite.mnist_predictions(reference, seed, perturbed)
    cm = suite.confusion(y_test, pred)
    return seed, float(np.mean(pred == y_test)), float((np.diag(cm) / cm.sum(axis=1)).min())


def main(argv):
    jobs = int(argv[argv.index("-j") + 1]) if "-j" in argv else 1
    span = next((a for a in argv if ":" in a), "0:1000")
    first, last = (int(x) for x in span.split(":"))
    with multiprocessing.Pool(jobs) as pool:
        rows = sorted(pool.imap_unordered(one_seed, range(first, last)))
    seeds, accs, recalls = (np.array(c) for c in zip(*rows))
    suite, _ = modules()
    print(f"{len(seeds)} training seeds {first}..{last - 1}")
    print(f"accuracy: mean {accs.mean():.4f}, min {accs.min():.4f} (seed {seeds[accs.argmin()]})")
    for threshold, fraction in suite.TIERS:
        print(f"  tier {threshold:.2f} ({fraction:.0%}): margin {accs.min() - threshold:+.4f}")
    print(f"lowest digit recall: mean {recalls.mean():.3f}, min {recalls.min():.3f} "
          f"(seed {seeds[recalls.argmin()]}); quantiles 0.1% {np.quantile(recalls, 0.001):.3f}, "
          f"1% {np.quantile(recalls, 0.01):.3f}, 5% {np.quantile(recalls, 0.05):.3f}")
    print(f"  threshold {suite.MIN_RECALL:.2f}, margin {recalls.min() - suite.MIN_RECALL:+.3f}")
    worst = np.argsort(recalls)[:5]
    print("worst seeds by recall: " + ", ".join(f"{seeds[i]} ({recalls[i]:.3f}, acc {accs[i]:.3f})"
                                                for i in worst))
    return 0 if accs.min() > suite.TIERS[0][0] and recalls.min() > suite.MIN_RECALL else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
