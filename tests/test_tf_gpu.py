"""The GPU tests of 05_tensorflow_basics where no GPU is: TensorFlow's own GPU decision
(tensorflow-cpu never passes it, and says so without being imported), and the hidden GPU
tests run end to end on a fake device (a file standing in for /dev/nvidia0, bound into the
sandbox; "a CUDA context" = a mapping of it) with the reference's real TensorFlow training
on the CPU, so that their numpy computation and tolerances are checked here too."""
import shutil
from pathlib import Path

import pytest

from grader.course import load_assignment
from grader.gpu import decision as gpu_decision, devices, observation, probe as gpu_probe
from grader.sandbox import bwrap
from test_gpu import fake_nodes, fresh_decision  # noqa: F401  (an autouse fixture)

ROOT = Path(__file__).resolve().parents[1]
ID = "05_tensorflow_basics"


def test_tensorflow_cpu_is_no_gpu_build_and_says_so_without_being_imported(monkeypatch):
    import sys

    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    problem = gpu_probe.build_problem("tensorflow")
    assert problem is not None and "no CUDA support" in problem and "tensorflow-cpu" in problem
    assert "tensorflow" not in sys.modules
    assert gpu_probe.build_problem("torch") is None
    assert "no GPU probe" in gpu_probe.build_problem("jax")


def test_tensorflow_decision_rests_on_torch_and_travels_with_it(monkeypatch):
    """On a machine whose torch probe passes, TensorFlow's decision is its own (here: the
    CPU-only build), made once and carried in the decision a pool process adopts."""
    from grader.plugin import gpu_decision_for, gpu_skip_reason

    slot = devices.Slot("fake", ())
    calls = []
    monkeypatch.setattr(gpu_probe, "probe", lambda c, framework="torch": calls.append(
        framework) or gpu_decision.Decision(False, gpu_probe.build_problem(framework)))
    gpu_decision.adopt(gpu_decision.Decision(True, slots=(slot,)))
    a = load_assignment(ID)
    assert a.gpu_framework == "tensorflow" and load_assignment("05_pytorch_basics").gpu_framework == "torch"
    why = gpu_skip_reason(a)
    assert why is not None and "TensorFlow has no CUDA support" in why
    assert gpu_skip_reason() is None                     # torch's GPU tests still run
    assert gpu_decision_for(a) is None                   # so 05_tensorflow_basics gets CPU workers
    assert gpu_skip_reason(a) == why and calls == ["tensorflow"]      # decided once
    carried = gpu_decision.known()
    gpu_decision.adopt(carried)                          # as a pool process does
    assert gpu_decision.decision("tensorflow").reason == why and calls == ["tensorflow"]


def test_a_tensorflow_gpu_worker_grows_its_memory_and_rounds_no_tf32():
    view = type("View", (), {"env": {"CUDA_VISIBLE_DEVICES": "GPU-x"}})()
    env = bwrap.worker_environment(view, preimport=("numpy", "tensorflow"))
    assert env["TF_FORCE_GPU_ALLOW_GROWTH"] == "true" and env["NVIDIA_TF32_OVERRIDE"] == "0"
    assert env["KERAS_BACKEND"] == "tensorflow"
    torch_env = bwrap.worker_environment(view, preimport=("numpy", "torch"))
    assert "TF_FORCE_GPU_ALLOW_GROWTH" not in torch_env
    assert "TF_FORCE_GPU_ALLOW_GROWTH" not in bwrap.worker_environment(None, ("tensorflow",))


WRAPPER = '''

# --- the test's fake GPU: a mapping of the file standing in for /dev/nvidia0 -------------
import mmap as _mmap
_held = []


def _context():
    f = open(NODE, "rb")
    _held.append(_mmap.mmap(f.fileno(), 0, prot=_mmap.PROT_READ))


if AT_IMPORT:
    _context()
_train = train


def train(*args, **kwargs):
    if TRAIN_USES_GPU:
        _context()
    return _train(*args, **kwargs)
'''


@pytest.mark.parametrize("flags, change, scores", [
    ({"TRAIN_USES_GPU": True, "AT_IMPORT": False}, None, 4),
    ({"TRAIN_USES_GPU": False, "AT_IMPORT": False}, None, 0),
    ({"TRAIN_USES_GPU": True, "AT_IMPORT": True}, None, 0),
    # the mistakes the numpy computation is there for: a learning rate off by a factor, and
    # plain SGD instead of Adam
    ({"TRAIN_USES_GPU": True, "AT_IMPORT": False},
     ("optimizer = keras.optimizers.Adam(learning_rate=lr)",
      "optimizer = keras.optimizers.Adam(learning_rate=lr * 2)"), 0),
    ({"TRAIN_USES_GPU": True, "AT_IMPORT": False},
     ("optimizer = keras.optimizers.Adam(learning_rate=lr)",
      "optimizer = keras.optimizers.SGD(learning_rate=lr)"), 0),
    # get_device naming the GPU without looking: passes the real list's check on this
    # machine only by the constant, and loses the point to the faked empty list
    ({"TRAIN_USES_GPU": True, "AT_IMPORT": False},
     ('return "/GPU:0" if tf.config.list_physical_devices("GPU") else "/CPU:0"',
      'return "/GPU:0"'), 4),
], ids=["trains on the GPU", "never on the GPU", "on the GPU at import", "lr doubled", "SGD",
        "get_device always names the GPU"])
def test_the_gpu_training_test_on_a_fake_device_end_to_end(monkeypatch, tmp_path, flags,
                                                           change, scores):
    from grader.grading import grade_submission
    from grader.submissions import Submission

    node = tmp_path / "dev" / "nvidia0"
    node.parent.mkdir()
    node.write_bytes(b"\0" * 4096)
    suites = tmp_path / "suites"
    (suites / ID).mkdir(parents=True)
    for name in ("assignment.toml", "test_gpu.py"):
        shutil.copy(ROOT / "grader" / "suites" / ID / name, suites / ID / name)
    monkeypatch.setenv("GRADER_SUITES_DIR", str(suites))
    fake_nodes(monkeypatch, ["nvidia0"], folder=node.parent)
    monkeypatch.setattr(devices, "LOCK_DIR", tmp_path / "locks")
    monkeypatch.setattr(observation, "_nvml_processes", lambda: None)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")         # no nvidia-smi: mappings only
    fake = gpu_decision.Decision(True, init_mappings=0,
                                 slots=(devices.Slot("fake-gpu", (str(node),)),))
    gpu_decision.adopt(gpu_decision.Decision(True, init_mappings=0, slots=fake.slots,
                                             frameworks=(("tensorflow", fake),)))
    source = (ROOT / "solutions" / ID / "tf_basics.py").read_text()
    if change:
        assert source.count(change[0]) == 1
        source = source.replace(*change)
    header = f"NODE = {str(node)!r}\n" + "".join(f"{k} = {v}\n" for k, v in flags.items())
    sub = tmp_path / "class" / "ann" / ID
    sub.mkdir(parents=True)
    (sub / "tf_basics.py").write_text(source + header + WRAPPER)
    result = grade_submission(Submission("ann", ID, sub), secret="s")
    got = {t["extra_data"]["nodeid"].split("::")[-1]: t for t in result["tests"]}
    training = got["test_training_on_the_gpu_gives_the_results_computed_here"]
    assert training["score"] == scores, (training["extra_data"]["verdict"], training["output"])
    # TensorFlow lists no GPU here, whatever the fake device: get_device says /CPU:0, and a
    # get_device that always says /GPU:0 is caught by the faked empty list
    device = got["test_get_device_finds_the_gpu"]
    assert device["score"] == 0
    if change and "/GPU:0\"" in change[1]:
        assert "even where no GPU is reported" in device["output"], device["output"]
    assert result["max_score"] == 5


def test_gpu_check_reports_tensorflows_decision_and_grades_its_reference(monkeypatch, capsys):
    from grader import gpu_check

    monkeypatch.setattr(gpu_check, "decision", lambda framework="torch": gpu_decision.Decision(
        False, "TensorFlow has no CUDA support here"))
    assert gpu_check.tensorflow_check() is True          # tensorflow-cpu is no failure
    assert "TensorFlow GPU decision: TensorFlow has no CUDA support here" in capsys.readouterr().out

    def graded(verdict):
        return {"score": 4, "max_score": 5, "tests": [
            {"name": "t", "output": "", "extra_data": {"nodeid": "s/test_gpu.py::t", "verdict": verdict}},
            {"name": "u", "output": "", "extra_data": {"nodeid": "s/test_training.py::u",
                                                       "verdict": "wrong answer"}}]}

    monkeypatch.setattr(gpu_check, "decision", lambda framework="torch": gpu_decision.Decision(True))
    seen = []
    monkeypatch.setattr(gpu_check, "grade", lambda name, folder, a: seen.append(a) or graded("pass"))
    assert gpu_check.tensorflow_check() is True and seen == [ID]
    monkeypatch.setattr(gpu_check, "grade", lambda name, folder, a: graded("wrong answer"))
    assert gpu_check.tensorflow_check() is False
