"""The worker is hostile: what the student's process says about itself earns nothing.

Each attack below is written as a determined student would, from the stub, the public
tests and the documentation: a reference solution with one trick in it. The trick must not
turn a failing test into a passing one. Classes (SANDBOX.md, "Rules the outside attacks
taught us"): in-process claims believed, gradient checks satisfied by a cheating forward, NaN
through a tolerance, a door into "internal grader error", caches shared between
submissions, forbidden libraries imported by a computed name. The hidden-data class has its
own module (test_hidden_data.py).
"""
import textwrap
from pathlib import Path

import pytest

from grader.checks import close, differ
from grader.grading import grade_class, run_tests
from grader.mutants import Mutant
from grader.sandbox.bwrap import isolation_mode
from grader.submissions import Submission

ROOT = Path(__file__).resolve().parents[1]
SECRET = "hostile-worker-test"


def solution(assignment, module):
    return (ROOT / "solutions" / assignment / f"{module}.py").read_text()


def submit(tmp_path, assignment, files, student="mallory"):
    folder = tmp_path / student / assignment
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text) if name.endswith(".py") else text)
    return Submission(student, assignment, folder)


def outcome(sub, nodeid):
    """(verdict, score, max_score) of one test of the hidden suite on `sub`."""
    results = run_tests(sub, [nodeid], SECRET)
    assert len(results) == 1, [r.nodeid for r in results]
    r = results[0]
    return r.verdict, r.score, r.max_score


def mutated(assignment, module, replacements):
    return Mutant("attack", "", replace=replacements).apply(solution(assignment, module))


# --- in-process claims ----------------------------------------------------------------------

def test_a_dtype_label_forged_in_the_worker_is_not_believed(tmp_path):
    # to_tensor gives float64; the harness's wire encoder is patched to label it float32
    code = mutated("05_pytorch_basics", "torch_basics", [(
        "return torch.as_tensor(array, dtype=torch.float32, device=device)",
        "return torch.as_tensor(array, dtype=torch.float64, device=device)")]) + """
import sys as _sys
_wire = _sys.modules["wire"]
_encode_tensor = _wire._Encoder.tensor
def _labelled(self, t):
    node = _encode_tensor(self, t)
    node["torch_dtype"] = "torch.float32"
    return node
_wire._Encoder.tensor = _labelled
"""
    sub = submit(tmp_path, "05_pytorch_basics", {"torch_basics.py": code})
    verdict, score, _ = outcome(sub, "05_pytorch_basics/test_tensors.py::test_to_tensor_gives_float32")
    assert score == 0 and verdict == "invalid output"


def test_a_forged_forward_log_does_not_hide_training_in_eval_mode(tmp_path):
    # train never calls model.train(); the harness's forward log is patched to say it did
    code = mutated("05_pytorch_basics", "torch_basics",
                   [("        model.train()\n        total", "        total")]) + """
import sys as _sys
_harness = _sys.modules["__main__"]
_real_log = _harness.Worker.forward_log
def _perfect_log(self, model):
    log = _real_log(self, model)
    if log:
        log.update(training=log["calls"], eval=0, grad_enabled=log["calls"], grad_disabled=0)
    return log
_harness.Worker.forward_log = _perfect_log
"""
    sub = submit(tmp_path, "05_pytorch_basics", {"torch_basics.py": code})
    verdict, score, maximum = outcome(
        sub, "05_pytorch_basics/test_training.py::test_train_switches_to_training_mode")
    assert maximum > 0 and score == 0


def test_a_forged_parameter_report_does_not_pass_for_the_layers_asked_for(tmp_path):
    # hidden layers are ignored; the harness's model_state is patched to report the asked-for
    # parameter shapes
    code = mutated("06_frameworks_lab", "frameworks_lab",
                   [("    for size in hidden_layers:\n", "    for size in ():\n")]) + """
import sys as _sys
import torch as _torch
_harness = _sys.modules["__main__"]
_real_build = build_model
def build_model(problem, hidden_layers=()):
    model = _real_build(problem, hidden_layers)
    sizes = [4 if problem == "iris" else 784, *hidden_layers, 3 if problem == "iris" else 10]
    model._claimed = [t for a, b in zip(sizes, sizes[1:])
                      for t in (_torch.zeros(b, a), _torch.zeros(b))]
    return model
_real_state = _harness.model_state
def _claimed_state(model):
    state = _real_state(model)
    if hasattr(model, "_claimed"):
        state["parameters"] = [(str(i), t) for i, t in enumerate(model._claimed)]
    return state
_harness.model_state = _claimed_state
"""
    sub = submit(tmp_path, "06_frameworks_lab", {"frameworks_lab.py": code})
    verdict, score, _ = outcome(
        sub, "06_frameworks_lab/test_models.py::test_build_model_has_the_layers_asked_for")
    assert score == 0


def test_a_train_that_ignores_its_seed_is_caught_whatever_the_global_seed_does(tmp_path):
    # shuffling with a fixed generator: the same run twice agrees, but `seed` is ignored
    code = mutated("05_pytorch_basics", "torch_basics", [(
        "generator = torch.Generator().manual_seed(seed)",
        "generator = torch.Generator().manual_seed(0)")])
    sub = submit(tmp_path, "05_pytorch_basics", {"torch_basics.py": code})
    _, score, maximum = outcome(sub, "05_pytorch_basics/test_training.py::test_train_shuffles_with_its_seed")
    assert maximum > 0 and score == 0


# --- gradient checks anchored outside the student ---------------------------------------

CACHING_LINEAR = '''
class Linear:
    """Answers every input near the last one with the last output, so that finite
    differences of this forward agree with a zero gradient."""

    def __init__(self, nin, nout):
        self.W = np.random.normal(0, 1 / np.sqrt(nin), (nout, nin))
        self.b = np.zeros((1, nout))
        self._seen = None

    def forward(self, x):
        if self._seen is not None and self._seen[0].shape == x.shape \\
                and np.abs(self._seen[0] - x).max() < 1e-3:
            return self._seen[1].copy()
        self.x = x
        out = x @ self.W.T + self.b
        self._seen = (x.copy(), out.copy())
        return out

    def backward(self, dz):
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        return np.zeros_like(self.x)

    def update(self, lr):
        self.W -= lr * self.dW
        self.b -= lr * self.db
'''


@pytest.mark.parametrize("test", ["test_linear_backward_dx", "test_linear_backward_dW",
                                  "test_linear_backward_db"])
def test_a_forward_that_caches_near_the_probe_point_does_not_pass_a_gradient_check(tmp_path, test):
    code = solution("03_backprop", "framework") + CACHING_LINEAR
    sub = submit(tmp_path, "03_backprop", {"framework.py": code})
    verdict, score, maximum = outcome(sub, f"03_backprop/test_linear.py::{test}")
    assert maximum > 0 and score == 0 and verdict == "wrong answer"


# --- NaN never passes a tolerance ------------------------------------------------------------

def test_nan_is_never_close_and_never_different():
    nan = float("nan")
    assert close(1.0, 1.0 + 1e-9, atol=1e-6) and not close(nan, nan, atol=1.0)
    assert not close([1.0, nan], [1.0, 2.0], atol=1.0) and not close(float("inf"), float("inf"))
    assert differ([1.0, 2.0], [1.0, 3.0]) and not differ([nan], [1.0]) and not differ([nan], [nan])


def test_nan_in_training_mode_does_not_pass_for_dropout(tmp_path):
    # NaN where dropout would act (training mode, p > 0): "two passes differ" cannot hold
    code = mutated("05_pytorch_basics", "torch_basics", [
        ("        self.net = nn.Sequential(*layers)\n",
         "        self.net = nn.Sequential(*layers)\n        self._p = dropout\n"),
        ("    def forward(self, x):\n        ### BEGIN SOLUTION\n        return self.net(x)",
         "    def forward(self, x):\n        ### BEGIN SOLUTION\n"
         "        return self.net(x) * (float('nan') if self.training and self._p else 1.0)")])
    sub = submit(tmp_path, "05_pytorch_basics", {"torch_basics.py": code})
    _, score, maximum = outcome(
        sub, "05_pytorch_basics/test_mlp.py::test_mlp_dropout_only_in_training_mode")
    assert maximum > 0 and score == 0


# --- "internal grader error" is no door ------------------------------------------------------

ALICE = (ROOT / "examples/submissions/alice/01_numpy_forward/forward.py").read_text()
SIGMOID = "01_numpy_forward/test_activations.py::test_sigmoid_values"


def test_a_frame_written_to_the_grader_pipe_is_a_protocol_violation(tmp_path):
    code = ALICE + """
import json as _json, os as _os, struct as _struct, sys as _sys

def sigmoid(z):
    header = _json.dumps({"tree": {"__map__": {"error": {"__map__": {
        "kind": "request", "message": "unknown handle"}}}}}).encode()
    _os.write(int(_sys.argv[2]), _struct.pack("<QQ", len(header), 0) + header)
    return 1 / (1 + np.exp(-z))
"""
    sub = submit(tmp_path, "01_numpy_forward", {"forward.py": code})
    verdict, score, maximum = outcome(sub, SIGMOID)
    assert (verdict, score) == ("protocol violation", 0) and maximum > 0


def test_a_forged_grader_error_is_charged_to_the_student(tmp_path):
    code = ALICE + """
import sys as _sys
_harness = _sys.modules["__main__"]
_handle = _harness.Worker.handle_request
def _refuse(self, req):
    if req.get("op") == "call":
        return {"error": {"kind": "request", "message": "unknown handle 7"}}
    return _handle(self, req)
_harness.Worker.handle_request = _refuse
"""
    sub = submit(tmp_path, "01_numpy_forward", {"forward.py": code})
    verdict, score, maximum = outcome(sub, SIGMOID)
    assert (verdict, score) == ("invalid output", 0) and maximum > 0


def test_a_reply_of_an_unexpected_type_is_charged_to_the_student(tmp_path):
    # the model's state reported as a string: the suite cannot read it
    code = solution("05_pytorch_basics", "torch_basics") + """
import sys as _sys
_sys.modules["__main__"].model_state = lambda model: "no state for you"
"""
    sub = submit(tmp_path, "05_pytorch_basics", {"torch_basics.py": code})
    verdict, score, maximum = outcome(
        sub, "05_pytorch_basics/test_mlp.py::test_mlp_layers_and_parameter_count")
    assert (verdict, score) == ("invalid output", 0) and maximum > 0


def test_a_spare_file_that_breaks_the_import_scan_is_charged_to_the_student(tmp_path):
    spare = "x = 1" + "+1" * 300_000 + "\n"          # RecursionError in the parser
    sub = submit(tmp_path, "03_backprop", {"framework.py": solution("03_backprop", "framework"),
                                           "scratch.py": spare})
    verdict, score, maximum = outcome(sub, "03_backprop/test_static.py::test_no_autograd_library")
    assert (verdict, score) == ("wrong answer", 0) and maximum > 0


def test_a_grader_bug_keeps_its_points_in_the_maximum(tmp_path, monkeypatch):
    suites = tmp_path / "suites" / "92_bug"
    suites.mkdir(parents=True)
    (suites / "assignment.toml").write_text('modules = ["m"]\ncall_timeout = 5\n')
    (suites / "test_m.py").write_text(
        "import pytest\n\n@pytest.mark.points(3)\ndef test_bug(student):\n"
        "    student.f()\n    {}['missing']\n")
    (tmp_path / "solutions" / "92_bug").mkdir(parents=True)
    (tmp_path / "solutions" / "92_bug" / "m.py").write_text("def f():\n    return 1\n")
    monkeypatch.setenv("GRADER_SUITES_DIR", str(tmp_path / "suites"))
    monkeypatch.setenv("GRADER_COURSE_DIR", str(tmp_path))
    sub = submit(tmp_path / "class", "92_bug", {"m.py": "def f():\n    return 1\n"})
    verdict, score, maximum = outcome(sub, "92_bug/test_m.py::test_bug")
    assert (verdict, score, maximum) == ("internal grader error", 0, 3)


# --- caches are per submission ----------------------------------------------------------------

def test_a_training_run_is_never_reused_for_another_submission(tmp_path):
    # Two students hand in the same perceptron.py, which takes one-vs-rest from a helper
    # module; only the first one's helper works. Their ids once gave the same training seed.
    main = solution("02_perceptron", "perceptron") + "\nfrom helper import train_one_vs_rest  # noqa\n"
    good = ("import numpy as np\n"
            + solution("02_perceptron", "perceptron").split("import numpy as np\n", 1)[1])
    bad = ("import numpy as np\n\ndef train_one_vs_rest(X, y, num_classes, epochs=100, seed=0):\n"
           "    return np.zeros((num_classes, X.shape[1] + 1))\n")
    node = "02_perceptron/test_one_vs_rest.py::test_mnist_accuracy"
    first = submit(tmp_path, "02_perceptron", {"perceptron.py": main, "helper.py": good},
                   student="student19")
    second = submit(tmp_path, "02_perceptron", {"perceptron.py": main, "helper.py": bad},
                    student="student44")
    assert outcome(first, node)[1] > 0
    assert outcome(second, node)[1] == 0


def test_a_resumed_run_regrades_when_the_course_secret_changes(tmp_path, monkeypatch):
    sub = submit(tmp_path / "class", "01_numpy_forward", {"forward.py": ALICE})
    out = tmp_path / "grades"
    monkeypatch.setenv("GRADER_SECRET", "first")
    assert grade_class([sub], out)[1] == 0
    assert grade_class([sub], out)[1] == 1            # unchanged: resumed
    monkeypatch.setenv("GRADER_SECRET", "second")
    assert grade_class([sub], out)[1] == 0            # other random inputs: graded again


# --- forbidden libraries at run time ----------------------------------------------------------

@pytest.mark.skipif(isolation_mode() != "bubblewrap",
                    reason=f"libraries are hidden from the worker's view by bubblewrap ({isolation_mode()})")
def test_a_forbidden_library_imported_by_a_computed_name_is_not_there(tmp_path):
    code = solution("03_backprop", "framework") + '''

import importlib as _importlib

class Tanh(Tanh):
    def forward(self, x):
        torch = _importlib.import_module("to" + "rch")
        self.y = torch.tanh(torch.as_tensor(x)).numpy()
        return self.y
'''
    sub = submit(tmp_path, "03_backprop", {"framework.py": code})
    verdict, score, maximum = outcome(sub, "03_backprop/test_activations.py::test_forward[Tanh]")
    assert maximum > 0 and score == 0 and verdict == "student exception"
