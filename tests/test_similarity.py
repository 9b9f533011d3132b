"""`grader similarity`: a copy with renamed variables is flagged, two independent correct
solutions are not, the released stub's code matches nobody, and no grade changes."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("copydetect")

from grader.course import load_assignment  # noqa: E402
from grader.similarity import similar_pairs, stub_boilerplate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
A = load_assignment("01_numpy_forward")
STUB = (A.stub_dir / "forward.py").read_text()

VECTORISED = '''
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))

def softmax(z, axis=-1):
    shifted = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)

def mse(y_pred, y_true):
    diff = np.asarray(y_pred) - np.asarray(y_true)
    return np.mean(diff ** 2)

def one_hot(labels, num_classes):
    labels = np.asarray(labels)
    out = np.zeros((labels.shape[0], num_classes))
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out

def accuracy(y_true, y_pred):
    return np.mean(np.asarray(y_true) == np.asarray(y_pred))
'''

RENAMED = '''
def sigmoid(values):
    values = np.asarray(values, dtype=float)
    ex = np.exp(-np.abs(values))   # stable for large |z|
    return np.where(values >= 0, 1 / (1 + ex), ex / (1 + ex))

def softmax(logits, axis=-1):
    moved = logits - np.max(logits, axis=axis, keepdims=True)
    expd = np.exp(moved)
    return expd / expd.sum(axis=axis, keepdims=True)

def mse(pred, target):
    d = np.asarray(pred) - np.asarray(target)
    return np.mean(d ** 2)

def one_hot(ys, k):
    ys = np.asarray(ys)
    result = np.zeros((ys.shape[0], k))
    result[np.arange(ys.shape[0]), ys] = 1.0
    return result

def accuracy(truth, guess):
    return np.mean(np.asarray(truth) == np.asarray(guess))
'''

INDEPENDENT = '''
import math

def sigmoid(z):
    arr = np.array(z, dtype=float)
    flat = arr.reshape(-1)
    res = np.empty_like(flat)
    for i, v in enumerate(flat):
        res[i] = 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))
    return res.reshape(arr.shape)

def softmax(z, axis=-1):
    z = np.moveaxis(np.asarray(z, dtype=float), axis, -1)
    result = np.empty_like(z)
    for idx in np.ndindex(z.shape[:-1]):
        row = z[idx]
        m = max(row)
        exps = [math.exp(x - m) for x in row]
        total = sum(exps)
        result[idx] = [x / total for x in exps]
    return np.moveaxis(result, -1, axis)

def mse(y_pred, y_true):
    total, count = 0.0, 0
    for p, t in zip(np.ravel(y_pred), np.ravel(y_true)):
        total += (p - t) * (p - t)
        count += 1
    return total / count

def one_hot(labels, num_classes):
    rows = []
    for label in labels:
        row = [0.0] * num_classes
        row[int(label)] = 1.0
        rows.append(row)
    return np.array(rows)

def accuracy(y_true, y_pred):
    hits = sum(1 for a, b in zip(y_true, y_pred) if a == b)
    return hits / len(y_true)
'''


def test_a_renamed_copy_is_flagged_and_independent_solutions_are_not():
    codes = {"ann": STUB + VECTORISED, "ben": STUB + RENAMED, "cat": STUB + INDEPENDENT,
             "dan": STUB}                                       # handed in the stub untouched
    pairs = similar_pairs(codes, stub_boilerplate(A))
    assert [(p.a, p.b) for p in pairs] == [("ann", "ben")]
    assert min(pairs[0].similarity_a, pairs[0].similarity_b) > 0.8
    assert "<mark>" in pairs[0].code_a and "<mark>" in pairs[0].code_b
    # without the stub as boilerplate, the code every student was given would match
    assert len(similar_pairs(codes, (), threshold=0.3)) > 1


def test_the_command_lists_the_pair_writes_the_page_and_changes_no_grade(tmp_path):
    subs = tmp_path / "subs"
    for student, code in (("ann", VECTORISED), ("ben", RENAMED), ("cat", INDEPENDENT)):
        folder = subs / student / A.id
        folder.mkdir(parents=True)
        (folder / "forward.py").write_text(STUB + code)
    grades = tmp_path / "grades" / "ann" / A.id
    grades.mkdir(parents=True)
    (grades / "results.json").write_text(json.dumps({"score": 1}))
    before = (grades / "results.json").read_bytes()
    page = tmp_path / "similar.html"
    proc = subprocess.run([sys.executable, "-m", "grader", "similarity", str(subs), "-a", A.id,
                           "--out", str(page)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "ann" in proc.stdout and "ben" in proc.stdout and "cat" not in proc.stdout.split("\n", 3)[3]
    html = page.read_text()
    assert "ann and ben" in html and "<mark>" in html and "<script" not in html
    assert (grades / "results.json").read_bytes() == before


def test_bad_input_is_one_line_and_a_non_zero_exit(tmp_path):
    for args in (["similarity", str(tmp_path), "-a", "no_such"],
                 ["similarity", str(tmp_path / "missing"), "-a", A.id],
                 ["similarity", str(tmp_path), "-a", A.id, "--threshold", "2"]):
        proc = subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True,
                              text=True, cwd=ROOT)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, (args, proc.stderr)
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_grade_with_similarity_puts_the_pairs_in_the_report_and_keeps_the_scores(tmp_path):
    subs = tmp_path / "subs"
    for student, code in (("ann", VECTORISED), ("ben", RENAMED), ("cat", INDEPENDENT)):
        folder = subs / student / A.id
        folder.mkdir(parents=True)
        (folder / "forward.py").write_text(STUB + code)
    runs = {}
    for flag in ([], ["--similarity"]):
        out = tmp_path / ("with" if flag else "without")
        proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(subs), "--out", str(out),
                               "-j", "1", *flag], capture_output=True, text=True, cwd=ROOT)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        runs[bool(flag)] = {p.parent.parent.name: json.loads(p.read_text())["score"]
                            for p in out.glob("*/*/results.json")}
    assert runs[True] == runs[False]                 # flags for a person; no grade changes
    report = (tmp_path / "with" / "report.html").read_text()
    assert 'id="similarity"' in report and "ann and ben (100% / 100%)" in report
    assert (tmp_path / "with" / f"similarity-{A.id}.html").is_file()
    assert 'id="similarity"' not in (tmp_path / "without" / "report.html").read_text()
