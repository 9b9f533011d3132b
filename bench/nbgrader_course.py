"""A real nbgrader course for assignment 01, for the grading benchmark.

Built independently of the grader package (plain JSON, no imports from `grader`), so that the
benchmark compares against nbgrader as an nbgrader course would really be set up:

- `source/01_numpy_forward/forward.ipynb`: an intro cell, a locked setup cell (imports), one
  solution cell per function of `solutions/01_numpy_forward/forward.py` (with its
  `### BEGIN SOLUTION` / `### END SOLUTION` region), then autograder test cells with points,
  schema_version 3 metadata throughout;
- the test cells do the work of our hidden suite `grader/suites/01_numpy_forward/`: every
  graded test there (65 tests, 90 points) has its equivalent check here, on the same shapes
  and dtypes (values against the reference on seeded random inputs, float32 kept, extreme
  inputs without warnings, inputs not mutated, ValueError raised, numpy only), with the same
  points. By default the checks of one function share one grade cell (19 grade cells, as an
  nbgrader author would write them); `cells_per="test"` gives one grade cell per test (65).
  The checks sit in `### BEGIN HIDDEN TESTS` regions, as hidden tests, and the reference they
  compare against is defined in the hidden region of the first test cell.

The point is comparable work per submission, not identical code: our suite draws its inputs
per student from the course secret and diagnoses failures in detail; these cells use fixed
seeds and numpy's assertions.
"""
from __future__ import annotations

import ast
import copy
import json
from pathlib import Path

from grader.nbgrader_export import split_module

SCHEMA = 3
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
FORBIDDEN = ["torch", "tensorflow", "jax", "keras", "scipy.special", "sklearn"]

CONFIG = '''\
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = {root!r}
c.Execute.timeout = 60            # seconds a cell may run
c.Execute.startup_timeout = 60    # seconds for the kernel to start
c.Execute.interrupt_on_timeout = True
c.Autograde.create_student = True
'''


# --------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------

def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _markdown(cell_id: str, text: str) -> dict:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": _lines(text)}


def _code(cell_id: str, text: str, *, grade: bool, solution: bool, points: float = 0) -> dict:
    meta = {"grade": grade, "grade_id": cell_id, "locked": not solution, "schema_version": SCHEMA,
            "solution": solution}
    if grade:
        meta["points"] = points
    return {"cell_type": "code", "execution_count": None, "id": cell_id,
            "metadata": {"nbgrader": meta}, "outputs": [], "source": _lines(text)}


def _hidden(visible_comment: str, body: str) -> str:
    return (f"# {visible_comment}\n### BEGIN HIDDEN TESTS\n{body.strip()}\n"
            "### END HIDDEN TESTS")


def _reference_source(solution: str) -> str:
    """The solution module without docstrings and comments (so without the solution markers),
    to embed in a hidden test region as the reference."""
    tree = ast.parse(solution)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree) + "\n"


# --------------------------------------------------------------------------------------
# The test cells: the checks of grader/suites/01_numpy_forward, one grade cell per test
# --------------------------------------------------------------------------------------

HELPERS = '''
import types as _types
import warnings as _warnings
_ns = {}
exec(compile(%(ref)r, "reference", "exec"), _ns)
_ref = _types.SimpleNamespace(**{k: v for k, v in _ns.items() if callable(v)})
_F64 = dict(rtol=1e-7, atol=1e-10)
_F32 = dict(rtol=1e-5, atol=1e-6)
_TOL = {np.float64: _F64, np.float32: _F32}
_SHAPES = [(7,), (4, 5), (2, 3, 4)]

def _rng(seed):
    return np.random.default_rng(seed)

def _check_array(got, expected, what, rtol=1e-7, atol=1e-10, sums_axis=None):
    expected = np.asarray(expected)
    assert isinstance(got, np.ndarray), f"{what}: expected an array, got {type(got).__name__}"
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape}"
    assert got.dtype == expected.dtype, f"{what}: dtype {got.dtype}, expected {expected.dtype}"
    if got.dtype.kind == "f":
        assert np.all(np.isfinite(got)), f"{what}: NaN or inf in the output"
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=what)
    if sums_axis is not None:
        np.testing.assert_allclose(got.sum(axis=sums_axis), 1.0, rtol=1e-5,
                                   err_msg=f"{what}: does not sum to 1")

def _check_scalar(got, expected, what, rtol=1e-7, atol=1e-10):
    assert np.ndim(got) == 0, f"{what}: expected a scalar, got shape {np.shape(got)}"
    got = float(got)
    assert np.isfinite(got), f"{what}: not finite"
    np.testing.assert_allclose(got, float(expected), rtol=rtol, atol=atol, err_msg=what)

def _no_warnings(fn, *args):
    with _warnings.catch_warnings():
        _warnings.simplefilter("error")
        return fn(*args)

def _not_mutated(fn, *args):
    before = [np.copy(a) for a in args]
    fn(*args)
    for b, a in zip(before, args):
        np.testing.assert_array_equal(a, b, err_msg=f"{fn.__name__} modified its input")

def _uniform(rng, shape, low=-6.0, high=6.0, dtype=np.float64):
    return rng.uniform(low, high, size=shape).astype(dtype)

def _elementwise(rng, fn, ref, dtype, **kw):
    for shape in _SHAPES:
        z = _uniform(rng, shape, dtype=dtype)
        _check_array(fn(z, **kw), ref(z, **kw), fn.__name__, **_TOL[dtype])

def _extreme(rng, dtype):
    z = rng.uniform(-1e4, 1e4, size=(6, 5)).astype(dtype)
    z[0, :] = [-1e4, -1000.0, 0.0, 1000.0, 1e4]
    return z

def _layer(rng, n_in, n_out, dtype=np.float64):
    return (rng.normal(0, 1, size=(n_out, n_in)).astype(dtype),
            rng.normal(0, 1, size=n_out).astype(dtype))

def _layers(rng, sizes, acts, dtype=np.float64):
    return [(*_layer(rng, a, b, dtype), act) for a, b, act in zip(sizes[:-1], sizes[1:], acts)]

def _probs(rng, N, C, dtype=np.float64):
    logits = rng.normal(0, 2, size=(N, C))
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(dtype)

def _features(rng, N, D, dtype=np.float64, loc=50.0):
    loc = rng.uniform(-loc, loc, size=D)
    scale = rng.uniform(0.1, 20, size=D)
    return (loc + scale * rng.normal(size=(N, D))).astype(dtype)

def _check_triple(got, expected, what, dtype=np.float64):
    assert isinstance(got, (tuple, list)) and len(got) == 3, f"{what}: expected 3 arrays"
    tol = _F64 if dtype == np.float64 else dict(rtol=1e-4, atol=1e-4)
    for name, g, e in zip(("X_std", "mean", "std"), got, expected):
        _check_array(g, e, f"{what}: {name}", **tol)
'''

# numpy only: the modules are not loaded in the kernel, and the functions are numpy code
NUMPY_ONLY = '''
import sys as _sys
_loaded = [m for m in %(forbidden)r if m in _sys.modules]
assert not _loaded, f"forbidden modules imported: {_loaded}"
_check_array(relu(np.array([[-1.0, 0.5, 2.0]])), _ref.relu(np.array([[-1.0, 0.5, 2.0]])), "relu")
'''


FUNCTIONS = ["sigmoid", "relu", "leaky_relu", "tanh", "softmax", "neuron", "dense", "mlp_forward",
             "one_hot", "mse", "mae", "binary_cross_entropy", "categorical_cross_entropy",
             "accuracy", "rmse", "r2_score", "confusion_matrix", "standardize"]


def _tests() -> list[tuple[str, str, float, str]]:
    """(test name, function tested, points, hidden check code) for every graded test of the
    suite but the numpy-only one."""
    t: list[tuple[str, str, float, str]] = []

    def add(name, points, code, func=None):
        # the function a test is about: the one its name starts with, else the longest one
        # its name contains ("activation_keeps_float32_leaky_relu")
        func = func or max((f for f in FUNCTIONS if f in name),
                           key=lambda f: (name.startswith(f), len(f)))
        t.append((name, func, points, f"_r = _rng({len(t) + 1})\n" + code.strip("\n")))

    # ----- activations (test_activations.py) -----
    add("sigmoid_values", 2, "_elementwise(_r, sigmoid, _ref.sigmoid, np.float64)")
    add("relu_values", 1, "_elementwise(_r, relu, _ref.relu, np.float64)")
    add("leaky_relu_default_alpha", 1, "_elementwise(_r, leaky_relu, _ref.leaky_relu, np.float64)")
    add("leaky_relu_given_alpha", 1, "for a in (0.2, 0.05):\n"
        "    _elementwise(_r, leaky_relu, _ref.leaky_relu, np.float64, alpha=a)")
    add("tanh_values", 1, "_elementwise(_r, tanh, _ref.tanh, np.float64)")
    for name in ("sigmoid", "relu", "leaky_relu", "tanh"):
        add(f"activation_keeps_float32_{name}", 1,
            f"_elementwise(_r, {name}, _ref.{name}, np.float32)")
    for dtype in ("float64", "float32"):
        add(f"sigmoid_extreme_inputs_{dtype}", 2, f"""
z = _extreme(_r, np.{dtype})
_check_array(_no_warnings(sigmoid, z), _ref.sigmoid(z), "sigmoid", **_TOL[np.{dtype}])""")
    add("tanh_extreme_inputs", 1, """
z = _extreme(_r, np.float64)
_check_array(_no_warnings(tanh, z), _ref.tanh(z), "tanh")""")
    for name in ("sigmoid", "relu", "leaky_relu", "tanh", "softmax"):
        add(f"activation_does_not_modify_input_{name}", 1,
            f"_not_mutated({name}, _uniform(_r, (5, 4)))")
    add("softmax_last_axis", 2, """
for shape in _SHAPES:
    z = _uniform(_r, shape, -5, 5)
    _check_array(softmax(z), _ref.softmax(z), "softmax", sums_axis=-1)""")
    for shape, axis in (((4, 5), 0), ((2, 3, 4), 0), ((2, 3, 4), 1), ((3, 4), 1)):
        add(f"softmax_given_axis_{len(shape)}d_axis{axis}", 2, f"""
z = _uniform(_r, {shape!r}, -5, 5)
_check_array(softmax(z, {axis}), _ref.softmax(z, {axis}), "softmax", sums_axis={axis})""")
    add("softmax_keeps_float32", 1, """
for shape in _SHAPES:
    z = _uniform(_r, shape, -5, 5, dtype=np.float32)
    _check_array(softmax(z), _ref.softmax(z), "softmax", sums_axis=-1, **_F32)""")
    for axis in (-1, 0):
        add(f"softmax_extreme_inputs_axis{axis}", 2, f"""
z = _extreme(_r, np.float64)
_check_array(_no_warnings(softmax, z, {axis}), _ref.softmax(z, {axis}), "softmax", sums_axis={axis})""")

    # ----- layers (test_layers.py) -----
    add("neuron_single_sample", 1, """
for n in (1, 3, 8):
    x, w, b = _r.normal(size=n), _r.normal(size=n), float(_r.normal())
    _check_scalar(neuron(x, w, b), _ref.neuron(x, w, b), "neuron")""")
    add("neuron_batch", 2, """
for N, n in ((5, 3), (1, 4), (12, 2)):
    x, w, b = _r.normal(size=(N, n)), _r.normal(size=n), float(_r.normal())
    _check_array(neuron(x, w, b), _ref.neuron(x, w, b), "neuron")""")
    add("neuron_keeps_float32", 1, """
x, w = _r.normal(size=(6, 4)).astype(np.float32), _r.normal(size=4).astype(np.float32)
b = float(_r.normal())
_check_array(neuron(x, w, b), _ref.neuron(x, w, b), "neuron", rtol=1e-5, atol=1e-5)""")
    for act in (None, "linear", "sigmoid", "relu", "leaky_relu", "tanh", "softmax"):
        add(f"dense_activation_{act}", 1, f"""
for N, n_in, n_out in ((6, 5, 3), (1, 2, 7), (4, 3, 3)):
    x = _r.normal(0, 2, size=(N, n_in))
    W, b = _layer(_r, n_in, n_out)
    _check_array(dense(x, W, b, {act!r}), _ref.dense(x, W, b, {act!r}), "dense")""")
    add("dense_default_activation_is_linear", 1, """
x = _r.normal(size=(4, 3))
W, b = _layer(_r, 3, 2)
_check_array(dense(x, W, b), _ref.dense(x, W, b), "dense")""")
    add("dense_unknown_activation_raises", 1, """
x = _r.normal(size=(4, 3))
W, b = _layer(_r, 3, 2)
for name in ("swish", "ReLu", "gelu"):
    try:
        dense(x, W, b, name)
    except ValueError:
        pass
    else:
        raise AssertionError(f"dense(..., activation={name!r}) did not raise ValueError")""")
    for act in (None, "sigmoid", "softmax"):
        add(f"dense_keeps_float32_{act}", 1, f"""
x = _r.normal(size=(5, 4)).astype(np.float32)
W, b = _layer(_r, 4, 3, np.float32)
_check_array(dense(x, W, b, {act!r}), _ref.dense(x, W, b, {act!r}), "dense", rtol=1e-5, atol=1e-5)""")
    add("dense_does_not_modify_inputs", 1, """
x = _r.normal(size=(4, 3))
W, b = _layer(_r, 3, 5)
_not_mutated(lambda x, W, b: dense(x, W, b, "relu"), x, W, b)""")
    add("mlp_two_layers", 2, """
for acts in (("relu", None), ("tanh", "softmax")):
    x = _r.normal(size=(6, 4))
    layers = _layers(_r, (4, 8, 3), acts)
    _check_array(mlp_forward(x, layers), _ref.mlp_forward(x, layers), "mlp_forward")""", "mlp_forward")
    add("mlp_three_layers", 2, """
for acts in (("sigmoid", "leaky_relu", "sigmoid"), ("relu", "relu", "softmax")):
    x = _r.normal(size=(5, 3))
    layers = _layers(_r, (3, 6, 4, 2), acts)
    _check_array(mlp_forward(x, layers), _ref.mlp_forward(x, layers), "mlp_forward")""", "mlp_forward")
    add("mlp_keeps_float32", 1, """
x = _r.normal(size=(5, 3)).astype(np.float32)
layers = _layers(_r, (3, 6, 2), ("relu", "softmax"), np.float32)
_check_array(mlp_forward(x, layers), _ref.mlp_forward(x, layers), "mlp_forward", rtol=1e-5, atol=1e-5)""", "mlp_forward")
    add("one_hot", 2, """
for N, C in ((10, 4), (1, 3), (25, 10)):
    labels = _r.integers(0, C, size=N)
    labels[0], labels[-1] = 0, C - 1
    _check_array(one_hot(labels, C), _ref.one_hot(labels, C), "one_hot", rtol=0, atol=0)""")

    # ----- losses and metrics (test_losses_metrics.py) -----
    for name in ("mse", "mae"):
        add(f"regression_loss_{name}", 2, f"""
for shape in ((9,), (6, 3)):
    y_true = _r.normal(2.0, 3.0, size=shape)
    y_pred = y_true + _r.normal(0.0, 1.5, size=shape)
    _check_scalar({name}(y_pred, y_true), _ref.{name}(y_pred, y_true), "{name}")""")
    for name in ("mse", "mae"):
        add(f"regression_loss_float32_{name}", 1, f"""
y_true = _r.normal(size=20).astype(np.float32)
y_pred = (y_true + _r.normal(size=20)).astype(np.float32)
_check_scalar({name}(y_pred, y_true), _ref.{name}(y_pred, y_true), "{name}", **_F32)""")
    add("binary_cross_entropy", 2, """
for shape in ((12,), (5, 2)):
    p = _r.uniform(0.01, 0.99, size=shape)
    y = _r.integers(0, 2, size=shape)
    _check_scalar(binary_cross_entropy(p, y), _ref.binary_cross_entropy(p, y), "bce")""")
    add("binary_cross_entropy_float32", 1, """
p = _r.uniform(0.01, 0.99, size=16).astype(np.float32)
y = _r.integers(0, 2, size=16).astype(np.float32)
_check_scalar(binary_cross_entropy(p, y), _ref.binary_cross_entropy(p, y), "bce", **_F32)""")
    add("binary_cross_entropy_clips_with_eps", 2, """
p = _r.uniform(0.05, 0.95, size=10)
y = _r.integers(0, 2, size=10)
p[:4] = [0.0, 1.0, 0.0, 1.0]
y[:4] = [1, 0, 0, 1]
_check_scalar(binary_cross_entropy(p, y), _ref.binary_cross_entropy(p, y), "bce", rtol=1e-4, atol=1e-8)
_check_scalar(binary_cross_entropy(p, y, 1e-3), _ref.binary_cross_entropy(p, y, 1e-3), "bce",
              rtol=1e-6, atol=1e-8)""")
    add("categorical_cross_entropy", 2, """
for N, C in ((8, 3), (1, 5), (20, 10)):
    p = _probs(_r, N, C)
    labels = _r.integers(0, C, size=N)
    _check_scalar(categorical_cross_entropy(p, labels), _ref.categorical_cross_entropy(p, labels), "cce")""")
    add("categorical_cross_entropy_float32", 1, """
p = _probs(_r, 10, 4, np.float32)
labels = _r.integers(0, 4, size=10)
_check_scalar(categorical_cross_entropy(p, labels), _ref.categorical_cross_entropy(p, labels), "cce",
              **_F32)""")
    add("categorical_cross_entropy_clips_with_eps", 2, """
p = _probs(_r, 6, 3)
labels = _r.integers(0, 3, size=6)
p[0] = np.eye(3)[(labels[0] + 1) % 3]
p[1] = np.eye(3)[labels[1]]
_check_scalar(categorical_cross_entropy(p, labels), _ref.categorical_cross_entropy(p, labels), "cce",
              rtol=1e-4, atol=1e-8)
_check_scalar(categorical_cross_entropy(p, labels, 1e-3),
              _ref.categorical_cross_entropy(p, labels, 1e-3), "cce", rtol=1e-6, atol=1e-8)""")
    add("accuracy", 2, """
for N, C, right in ((20, 4, 0.7), (7, 3, 0.3), (50, 10, 0.9)):
    y_true = _r.integers(0, C, size=N)
    y_pred = np.where(_r.random(N) < right, y_true, _r.integers(0, C, size=N))
    _check_scalar(accuracy(y_true, y_pred), _ref.accuracy(y_true, y_pred), "accuracy")""")
    add("rmse", 1, """
for shape in ((10,), (4, 3)):
    y_true = _r.normal(5.0, 2.0, size=shape)
    y_pred = y_true + _r.normal(0.0, 1.0, size=shape)
    _check_scalar(rmse(y_true, y_pred), _ref.rmse(y_true, y_pred), "rmse")""")
    add("r2_score", 2, """
for N, noise, scale in ((15, 0.5, 1.0), (40, 2.0, 1.5), (6, 1.0, 0.5)):
    y_true = _r.normal(10.0, 2.0, size=N)
    y_pred = 10.0 + scale * (y_true - 10.0) + _r.normal(0.0, noise, size=N)
    _check_scalar(r2_score(y_true, y_pred), _ref.r2_score(y_true, y_pred), "r2_score")""")
    add("confusion_matrix_rows_are_true_class", 2, """
for N, C in ((30, 3), (12, 5), (50, 2)):
    y_true = _r.integers(0, C, size=N)
    y_pred = np.where(_r.random(N) < 0.5, y_true, _r.integers(0, C, size=N))
    got = confusion_matrix(y_true, y_pred, C)
    expected = _ref.confusion_matrix(y_true, y_pred, C)
    if isinstance(got, np.ndarray) and got.dtype.kind in "iu":
        expected = expected.astype(got.dtype)
    _check_array(got, expected, "confusion_matrix", rtol=0, atol=0)""")

    # ----- standardize (test_standardize.py) -----
    add("standardize_fit", 2, """
for N, D in ((20, 3), (7, 1), (50, 6)):
    X = _features(_r, N, D)
    _check_triple(standardize(X), _ref.standardize(X), "standardize(X)")""")
    add("standardize_reuses_given_mean_and_std", 2, """
X_train = _features(_r, 30, 4)
_, mean, std = _ref.standardize(X_train)
X_test = X_train[:10] + _r.normal(0, 5, size=(10, 4))
_check_triple(standardize(X_test, mean, std), _ref.standardize(X_test, mean, std), "standardize")""")
    add("standardize_constant_column", 1, """
X = _features(_r, 12, 4)
X[:, 1] = float(_r.integers(-5, 6))
_check_triple(standardize(X), _ref.standardize(X), "standardize(X)")""")
    add("standardize_keeps_float32", 1, """
X = _features(_r, 16, 3, np.float32, loc=5.0)
_check_triple(standardize(X), _ref.standardize(X), "standardize(X)", np.float32)""")
    add("standardize_does_not_modify_inputs", 1, """
X = _features(_r, 10, 3)
_not_mutated(standardize, X)
_not_mutated(standardize, X, X.mean(axis=0), X.std(axis=0))""")
    return t


# --------------------------------------------------------------------------------------
# The course
# --------------------------------------------------------------------------------------

def build_source_notebook(solution: str, assignment_id: str, cells_per: str = "function") -> dict:
    """The source notebook. cells_per="function": one test cell per function with all of its
    checks (19 grade cells, as an nbgrader author would write them); "test": one test cell per
    graded test of our suite (65 grade cells)."""
    doc, setup, defs = split_module(solution)
    setup = "\n\n".join(setup)
    cells = [_markdown("intro", f"# {assignment_id}\n\n{doc}".rstrip())]
    if setup:
        cells.append(_code("setup", setup, grade=False, solution=False))
    cells += [_code(name, text, grade=False, solution=True) for name, text in defs]
    cells.append(_markdown("tests-intro", "## Tests\n\nThe cells below are graded."))
    helpers = HELPERS % {"ref": _reference_source(solution)}
    numpy_only = NUMPY_ONLY % {"forbidden": FORBIDDEN}
    cells.append(_code("test_numpy_only", _hidden("numpy only", helpers + numpy_only),
                       grade=True, solution=False, points=1))
    tests = _tests()
    if cells_per == "test":
        for name, _, points, code in tests:
            cells.append(_code(f"test_{name}", _hidden(name.replace("_", " "), code),
                               grade=True, solution=False, points=points))
    elif cells_per == "function":
        for func in FUNCTIONS:
            mine = [(name, points, code) for name, f, points, code in tests if f == func]
            body = "\n\n".join(f"# {name.replace('_', ' ')}\n{code}" for name, _, code in mine)
            cells.append(_code(f"test_{func}", _hidden(f"tests of {func}", body), grade=True,
                               solution=False, points=sum(points for _, points, _ in mine)))
    else:
        raise ValueError(f"cells_per must be 'function' or 'test', not {cells_per!r}")
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": dict(KERNELSPEC),
                         "language_info": {"name": "python"}}}


def max_points(nb: dict) -> float:
    return sum(c["metadata"].get("nbgrader", {}).get("points", 0) for c in nb["cells"]
               if c["metadata"].get("nbgrader", {}).get("grade"))


def write_course(root: Path, solution_path: Path, assignment_id: str, cells_per: str = "function",
                 course_id: str = "nn-bench", notebook_name: str = "forward.ipynb") -> dict:
    """nbgrader_config.py and source/<assignment>/<notebook> under root; the source notebook."""
    root = Path(root).resolve()
    (root / "source" / assignment_id).mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(CONFIG.format(course_id=course_id, root=str(root)))
    nb = build_source_notebook(Path(solution_path).read_text(), assignment_id, cells_per)
    write_notebook(root / "source" / assignment_id / notebook_name, nb)
    return nb


def set_root(course: Path) -> None:
    """Point a copied course's nbgrader_config.py at its new folder."""
    course = Path(course).resolve()
    cfg = course / "nbgrader_config.py"
    lines = [f"c.CourseDirectory.root = {str(course)!r}" if line.startswith("c.CourseDirectory.root")
             else line for line in cfg.read_text().splitlines()]
    cfg.write_text("\n".join(lines) + "\n")


def filled_in(release_nb: dict, source_nb: dict) -> dict:
    """A student's perfect submission: the release notebook with every solution cell holding
    the reference solution (what a student who solved everything hands in)."""
    solutions = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in source_nb["cells"]
                 if c["metadata"].get("nbgrader", {}).get("solution")}
    nb = copy.deepcopy(release_nb)
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            cell["source"] = solutions[meta["grade_id"]]
    return nb


def read_notebook(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def write_notebook(path: Path, nb: dict) -> None:
    Path(path).write_text(json.dumps(nb, indent=1, sort_keys=True) + "\n")
