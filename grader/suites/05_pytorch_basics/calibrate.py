"""Calibration of the MNIST accuracy tiers of test_training.py: the reference over 8 seeds,
with exactly the suite's settings (and, for the record, the "no zero_grad" mutant).

Run: .venv/bin/python grader/suites/05_pytorch_basics/calibrate.py  (about a minute). It
prints the mean, minimum and maximum accuracy and the margin of each tier below the minimum;
it exits non-zero when the full-points tier is not below the reference's minimum.
"""
import sys
from pathlib import Path

import numpy as np
import torch

from grader.checks.calibration import load_module as load

HERE = Path(__file__).resolve().parent
SEEDS = int(sys.argv[1]) if len(sys.argv) > 1 else 8   # [SEEDS] on the command line


def accuracy(module, suite, split, seed):
    """What test_trained_mlp_reaches_the_accuracy_threshold measures, for one seed (the test
    images perturbed as the suite perturbs them)."""
    from grader.data import perturb_images
    torch.manual_seed(seed)                         # student.reseed(seed) in the worker
    np.random.seed(seed % 2**32)
    model = module.MLP(784, suite.HIDDEN, 10, dropout=suite.DROPOUT)
    module.train(model, split.x_train, split.y_train, epochs=suite.EPOCHS, lr=suite.LR,
                 batch_size=suite.BATCH_SIZE, device="cpu", seed=seed % 1000)
    model.eval()
    with torch.no_grad():
        x_test = perturb_images(split.x_test, np.random.default_rng(10_000 + seed))
        logits = model(torch.as_tensor(x_test)).numpy()
    return float(np.mean(logits.argmax(axis=1) == split.y_test))


def main():
    torch.set_num_threads(1)                        # as in the worker
    sys.path.insert(0, str(HERE.parents[2]))
    from grader.data import mnist_split

    suite = load(HERE / "test_training.py", "training_suite")
    solution = HERE.parents[2] / "solutions" / "05_pytorch_basics" / "torch_basics.py"
    reference = load(solution, "torch_basics")
    mutants = load(HERE / "mutants.py", "mutants_05")
    no_zero_grad = next(m for m in mutants.MUTANTS if m.name == "no zero_grad")
    mutant = load(solution, "no_zero_grad", no_zero_grad.apply(solution.read_text()))
    split = mnist_split(seed=suite.SPLIT_SEED)
    rng = np.random.default_rng(2024)
    seeds = [int(s) for s in rng.integers(2**31, size=SEEDS)]
    accs = np.array([accuracy(reference, suite, split, s) for s in seeds])
    print(f"reference, {SEEDS} seeds: mean {accs.mean():.4f}, sd {accs.std():.4f}, min {accs.min():.4f}, "
          f"max {accs.max():.4f}")
    for threshold, fraction in suite.TIERS:
        print(f"  tier {threshold:.2f} ({fraction:.0%}): margin {accs.min() - threshold:+.4f}")
    wrong = np.array([accuracy(mutant, suite, split, s) for s in seeds[:3]])
    print(f"mutant 'no zero_grad', 3 seeds: mean {wrong.mean():.4f}, max {wrong.max():.4f}")
    return 0 if accs.min() > suite.TIERS[0][0] and wrong.max() < suite.TIERS[-1][0] else 1


if __name__ == "__main__":
    sys.exit(main())
