"""Correct work in styles other than the reference's scores full marks: loops instead of
vectorised numpy (01), an nn.ModuleList with the functional API instead of nn.Sequential
(05), the Keras functional API with logits instead of heidi's Sequential with softmax (06).
Each variant is the reference (or an example student's complete work) with one part
rewritten, so a check that only accepts one way of writing it shows up here. (07's two
styles, torch.randperm batches and a DataLoader, are the reference and alice's work.)
"""
from pathlib import Path

import pytest

from grader.course import load_assignment
from grader.grading import grade_submission, run_many
from grader.submissions import Submission

ROOT = Path(__file__).resolve().parents[1]

SOFTMAX_LOOP = '''
    z = np.asarray(z)
    moved = np.moveaxis(z, axis, -1)
    out = np.empty_like(moved)
    for index in np.ndindex(moved.shape[:-1]):
        row = moved[index]
        e = np.exp(row - row.max())
        out[index] = e / e.sum()
    return np.moveaxis(out, -1, axis)
'''
DENSE_LOOP = '''
    z = np.asarray(x) @ np.asarray(W).T + b
'''
DENSE_LOOP_NEW = '''
    x, W = np.asarray(x), np.asarray(W)
    z = np.empty(x.shape[:-1] + (W.shape[0],), dtype=np.result_type(x, W, b))
    for j in range(W.shape[0]):                   # one output unit at a time
        z[..., j] = (x * W[j]).sum(axis=-1) + np.asarray(b).reshape(-1)[j]
'''
MLP_MODULELIST = '''
        import torch.nn.functional as F
        functions = {"relu": F.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
                     "leaky_relu": F.leaky_relu}
        if activation not in functions:
            raise ValueError(f"unknown activation {activation!r}")
        sizes = [in_features, *hidden_sizes]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.out = nn.Linear(sizes[-1], out_features)
        self.activation, self.p = functions[activation], dropout
'''
MLP_FORWARD = '''
        for layer in self.hidden:
            x = self.activation(layer(x))
            if self.p > 0:
                x = nn.functional.dropout(x, self.p, training=self.training)
        return self.out(x)
'''
KERAS_FUNCTIONAL = '''
def build_model(problem, hidden_layers=()):
    if problem not in PROBLEMS:
        raise ValueError(f"unknown problem {problem!r}")
    n_in, n_out = PROBLEMS[problem]
    inputs = keras.Input(shape=(n_in,))
    h = inputs
    for units in hidden_layers:
        h = keras.layers.Dense(units, activation="relu")(h)
    logits = keras.layers.Dense(n_out)(h)              # logits: the loss is told so
    return keras.Model(inputs, logits)


def fit(model, X, y, epochs, lr):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(np.asarray(X, dtype="float32"), np.asarray(y), epochs=epochs,
                        batch_size=BATCH_SIZE, shuffle=True, verbose=0)
    return list(map(float, history.history["loss"]))


def predict(model, X):
    return np.argmax(model(np.asarray(X, dtype="float32")).cpu().detach().numpy(), axis=1)
'''


def body(source: str, function: str, new: str) -> str:
    """`source` with the solution region of `function` (the first after its def) replaced."""
    start = source.index(f"def {function}" + ("" if "(" in function else "("))
    begin = source.index("### BEGIN SOLUTION\n", start) + len("### BEGIN SOLUTION\n")
    end = source.rindex("\n", begin, source.index("### END SOLUTION", begin)) + 1
    return source[:begin] + new.lstrip("\n") + source[end:]


def variants(tmp: Path) -> list[tuple[str, str, str]]:
    out = []

    def write(name, assignment, files):
        folder = tmp / name
        folder.mkdir()
        for filename, text in files.items():
            (folder / filename).write_text(text)
        out.append((name, assignment, str(folder)))

    a = load_assignment("01_numpy_forward")
    src = (a.solution_dir / "forward.py").read_text()
    src = body(src, "softmax", SOFTMAX_LOOP)
    assert DENSE_LOOP.strip() in src
    # the solution's line sits at an indentation of 4, like the replacement's lines
    src = src.replace("    " + DENSE_LOOP.strip(), DENSE_LOOP_NEW.strip("\n"))
    assert "for j in range(W.shape[0])" in src and "np.ndindex" in src
    write("01 loops", "01_numpy_forward", {"forward.py": src})

    a = load_assignment("05_pytorch_basics")
    src = (a.solution_dir / "torch_basics.py").read_text()
    src = body(src, "__init__(self, in_features", MLP_MODULELIST)
    src = body(src, "forward(self, x", MLP_FORWARD)
    assert "nn.ModuleList" in src and "nn.Sequential(*layers)" not in src
    write("05 ModuleList and functional", "05_pytorch_basics", {"torch_basics.py": src})

    heidi = ROOT / "examples" / "submissions" / "heidi" / "06_frameworks_lab" / "frameworks_lab.py"
    src = heidi.read_text()
    src = src[:src.index("def build_model(")] + KERAS_FUNCTIONAL.lstrip("\n")
    write("06 Keras functional", "06_frameworks_lab", {"frameworks_lab.py": src})
    return out


def _grade(name, assignment, folder):
    result = grade_submission(Submission(name.replace(" ", "-"), assignment, Path(folder)),
                              "styles-secret")
    lost = [f"{t['name']}: {t['output'][:300]}" for t in result["tests"]
            if t["score"] < t["max_score"]]
    return name, result["score"], result["max_score"], lost


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return {name: rest for name, *rest in
            run_many(variants(tmp_path_factory.mktemp("styles")), 2, _grade)}


@pytest.mark.parametrize("name", ["01 loops", "05 ModuleList and functional",
                                  "06 Keras functional"])
def test_another_correct_style_scores_full_marks(graded, name):
    score, maximum, lost = graded[name]
    assert score == maximum > 0, "\n".join(lost)
