"""Assignments 02-04 beyond `grader validate`: one framework reference, reproducible
training scores, and the calibration recorded beside each accuracy threshold."""
import re
from pathlib import Path

from grader.grading import grade_submission
from grader.submissions import Submission

ROOT = Path(__file__).resolve().parents[1]
SUITES = ROOT / "grader" / "suites"


def test_the_lab_reference_framework_is_the_03_reference():
    # 04's submission holds the student's own framework.py; its reference is 03's, unchanged
    assert (ROOT / "solutions" / "04_mnist_own_framework" / "framework.py").read_text() == \
        (ROOT / "solutions" / "03_backprop" / "framework.py").read_text()


def test_training_scores_are_identical_when_graded_again():
    sub = Submission("alice", "04_mnist_own_framework",
                     ROOT / "examples" / "submissions" / "alice" / "04_mnist_own_framework")
    runs = [grade_submission(sub, "secret") for _ in range(2)]
    scores = [[(t["name"], t["score"], t["output"]) for t in r["tests"]] for r in runs]
    assert scores[0] == scores[1]
    assert any("accuracy" in output for _, _, output in scores[0])


def calibration(path: Path) -> list[tuple[float, float]]:
    """(reference minimum, full-points threshold) pairs, read from the calibration comment
    of a suite file: "min 0.811 ... Full points at 0.77", "min 0.877 -> full at 0.85"."""
    text = path.read_text()
    start = text.index("# Calibration (python calibrate.py")
    block = []
    for line in text[start:].splitlines():
        if not line.startswith("#"):
            break
        block.append(line.lstrip("# "))
    return [(float(m), float(f)) for m, f in re.findall(
        r"min (\d\.\d+)[^\n]*?(?:\n[^\n]*?)??[Ff]ull(?: points)? at (\d\.\d+)", "\n".join(block))]


def test_every_accuracy_threshold_records_its_calibration():
    from grader.checks.calibration import load_module

    for suite, name in (("02_perceptron", "test_one_vs_rest"), ("03_backprop", "test_training"),
                        ("04_mnist_own_framework", "test_training")):
        path = SUITES / suite / f"{name}.py"
        assert (SUITES / suite / "calibrate.py").is_file()
        pairs = calibration(path)
        assert pairs, f"{path}: no calibration recorded"
        # every full-points threshold lies below the reference's recorded minimum
        assert all(full < minimum for minimum, full in pairs), (path, pairs)
        # and the thresholds recorded are the ones the suite uses
        tiers = load_module(path, f"calibrated_{suite}").TIERS
        used = sorted({t[0][0] for t in tiers.values()} if isinstance(tiers, dict) else {tiers[0][0]})
        assert sorted({full for _, full in pairs}) == used, (path, pairs, used)


def test_the_02_reference_keeps_full_marks_on_its_worst_mnist_seeds():
    # Seeds 312 and 763 are the reference's lowest digit recall and accuracy over every
    # training seed the suite can draw (calibrate.py 0:1000); the 40-seed calibration had
    # missed them and the reference lost 2 points there (CI, one course secret).
    import numpy as np

    from grader.checks.calibration import load_module
    from grader.data import mnist_split, perturb_images

    suite = load_module(SUITES / "02_perceptron" / "test_one_vs_rest.py", "ovr_worst_seeds")
    reference = load_module(ROOT / "solutions" / "02_perceptron" / "perceptron.py",
                            "perceptron_worst_seeds")
    x_test = mnist_split(seed=0).x_test
    for seed in (312, 763):
        for perturbation in range(3):
            images = perturb_images(x_test, np.random.default_rng(perturbation))
            pred, y_test = suite.mnist_predictions(reference, seed, images)
            cm = suite.confusion(y_test, pred)
            assert np.mean(pred == y_test) >= suite.TIERS[0][0], (seed, perturbation)
            assert (np.diag(cm) / cm.sum(axis=1)).min() >= suite.MIN_RECALL, (seed, perturbation)


def test_the_03_reference_keeps_full_marks_where_one_training_fell_short():
    # Seeds 737 and 116 of the suite's rng: one training of the reference reached only 0.943
    # on the two moons (below full points, 0.95); the suite grades the better of two.
    import numpy as np

    from grader.checks.calibration import load_module

    suite = load_module(SUITES / "03_backprop" / "test_training.py", "moons_worst_seeds")
    reference = load_module(ROOT / "solutions" / "03_backprop" / "framework.py",
                            "framework_worst_seeds")
    reseed = lambda s: np.random.seed(s % 2**32)          # noqa: E731  as student.reseed
    for seed in (737, 116):
        # what one training gives there (the old grading): below full points
        assert suite.train_moons(reference, reseed, np.random.default_rng(seed)) < suite.TIERS[0][0]
        accuracy = suite.best_of_trials(reference, reseed, np.random.default_rng(seed))
        assert accuracy >= suite.TIERS[0][0], (seed, accuracy)
