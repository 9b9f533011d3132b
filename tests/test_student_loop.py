"""The student's own loop (issue 17): the check cell of every notebook, `grader check` on what
the student wrote, and the student bundle installed as a student installs it."""
import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from grader import notebooks
from grader.course import load_assignment
from grader.student import function_of

ROOT = Path(__file__).resolve().parents[1]
ID = "01_numpy_forward"


def grader(*args, cwd=None, python=sys.executable):
    return subprocess.run([python, "-m", "grader", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=600)


def filled_notebook(aid: str) -> str:
    """The release notebook with the reference's code in its cells."""
    a = load_assignment(aid)
    source = (a.solution_dir / f"{a.notebook_module}.py").read_text()
    return notebooks.dumps_notebook(notebooks.build_notebook(source, a.title, a.id))


def stub_folder(tmp_path, aid=ID) -> Path:
    work = tmp_path / aid
    shutil.copytree(ROOT / "assignments" / aid, work)
    return work


# --- the check cell -----------------------------------------------------------------------

def run_notebook(path: Path):
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def check_output(nb) -> tuple[str, str]:
    """(text, html) of the notebook's check cell."""
    cell = nb.cells[-1]
    assert "".join(cell.source) == "from grader.student import check\ncheck()"
    data = [o.get("data", {}) for o in cell.outputs if o.output_type == "execute_result"]
    assert data, cell.outputs
    return data[0]["text/plain"], data[0]["text/html"]


def test_the_check_cell_passes_the_reference_notebook_headless(tmp_path):
    work = stub_folder(tmp_path)
    (work / "forward.ipynb").write_text(filled_notebook(ID))
    text, page = check_output(run_notebook(work / "forward.ipynb"))
    assert "28 of 28 public tests passed." in text
    assert "FAIL" not in text and "failed" not in page
    # per function, in HTML: every function of the stub is listed as passed
    for function in ("sigmoid", "softmax", "mlp_forward", "standardize"):
        assert f"<code>{function}</code>" in page
    assert page.count("passed (") >= 15


def test_the_check_cell_shows_every_function_of_the_stub_not_implemented(tmp_path):
    work = stub_folder(tmp_path)
    text, page = check_output(run_notebook(work / "forward.ipynb"))
    assert "0 of 28 public tests passed." in text
    assert text.count("not implemented yet") == 28
    assert "passed (" not in page and page.count("not implemented yet") >= 15


def test_check_one_function_in_the_kernel(tmp_path, monkeypatch):
    """check("softmax") in the notebook's kernel: only that function's tests, run on the
    definitions of the kernel's namespace."""
    import types

    import grader.student as student

    a = load_assignment(ID)
    namespace = {"__name__": "__main__"}
    exec(compile((a.solution_dir / "forward.py").read_text(), "<cell>", "exec"), namespace)
    namespace["softmax"] = lambda z, axis=-1: z       # a wrong softmax defined in a cell
    main = types.ModuleType("__main__")
    main.__dict__.update(namespace)
    monkeypatch.setitem(sys.modules, "__main__", main)
    monkeypatch.chdir(stub_folder(tmp_path))
    report = student.check("softmax")
    assert report.rows and {r.function for r in report.rows} == {"softmax"}
    assert not any(r.passed for r in report.rows)
    assert student.check("sigmoid").ok


# --- grader check ---------------------------------------------------------------------------

def test_check_tests_the_notebook_beside_the_untouched_stub_and_says_so(tmp_path):
    work = stub_folder(tmp_path)
    (work / "forward.ipynb").write_text(filled_notebook(ID))
    proc = grader("check", ID, ".", cwd=work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first == "Checked forward.ipynb (your notebook: forward.py is the untouched stub)."
    assert "28 of 28 public tests passed." in proc.stdout
    # the old command tested the untouched .py: 28 failures, NotImplementedError
    assert "not implemented" not in proc.stdout


def test_check_tests_the_changed_py_unless_told_notebook(tmp_path):
    work = stub_folder(tmp_path)
    (work / "forward.ipynb").write_text(filled_notebook(ID))
    stub = (work / "forward.py").read_text()
    (work / "forward.py").write_text(stub + "\n# started here\n")
    proc = grader("check", ID, str(work))
    assert proc.returncode == 1 and proc.stdout.startswith("Checked forward.py.")
    assert "grader check --notebook" in proc.stdout
    told = grader("check", ID, str(work), "--notebook")
    assert told.returncode == 0 and told.stdout.startswith("Checked forward.ipynb")


def test_check_refuses_another_assignments_folder(tmp_path):
    work = stub_folder(tmp_path, "03_backprop")
    proc = grader("check", ID, str(work))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "holds the work of 03_backprop" in proc.stderr
    assert "grader check 03_backprop" in proc.stderr


def test_check_prints_a_line_per_test_and_the_hidden_suites_diagnostic(tmp_path):
    """A transposed dW: the public test's helper crashed with a broadcasting error in 288
    lines of pytest output; now one line per test, and the hidden suite's diagnostic."""
    work = stub_folder(tmp_path, "03_backprop")
    reference = (ROOT / "solutions" / "03_backprop" / "framework.py").read_text()
    assert "        self.dW = dz.T @ self.x\n" in reference
    (work / "framework.py").write_text(reference.replace("        self.dW = dz.T @ self.x\n",
                                                         "        self.dW = self.x.T @ dz\n"))
    proc = grader("check", "03_backprop", str(work))
    assert proc.returncode == 1
    out = proc.stdout
    assert "looks transposed" in out and "Traceback" not in out and "def " not in out
    tests = re.findall(r"^  (PASS|FAIL)  ", out, re.MULTILINE)
    assert len(tests) == 21 and tests.count("FAIL") >= 2
    assert len(out.splitlines()) < 2 * len(tests) + 10
    verbose = grader("check", "03_backprop", str(work), "-v")
    assert "Traceback" in verbose.stdout or "Error" in verbose.stdout


def test_check_names_the_syntax_error_once(tmp_path):
    work = stub_folder(tmp_path)
    source = (ROOT / "solutions" / ID / "forward.py").read_text()
    (work / "forward.py").write_text(source.replace("def relu(", "def relu(:", 1))
    proc = grader("check", ID, str(work))
    assert proc.returncode == 1
    assert proc.stdout.count("SyntaxError") == 1 and "forward.py, line" in proc.stdout
    assert "def relu(:" in proc.stdout


def test_function_of_a_test_name():
    functions = ["sigmoid", "relu", "leaky_relu", "softmax", "dense", "mlp_forward", "one_hot"]
    assert function_of("test_activation_keeps_float32[softmax]", functions) == "softmax"
    assert function_of("test_leaky_relu_default_and_alpha", functions) == "leaky_relu"
    assert function_of("test_mlp_two_layers", functions) == "mlp_forward"
    assert function_of("test_one_hot", functions) == "one_hot"
    assert function_of("test_something_else", functions) == ""


# --- the student bundle -------------------------------------------------------------------

def test_the_student_bundle_installs_in_a_fresh_venv_and_checks(tmp_path):
    """What a student does: unpack the bundle, `pip install .` in a fresh venv (no editable
    install, no course repository), then grader check inside an assignment folder."""
    bundle = tmp_path / "bundle"
    made = grader("release", "--student-bundle", str(bundle))
    assert made.returncode == 0, made.stderr
    readme = (bundle / "README.md").read_text()
    assert "make demo" not in readme and "pip install ." in readme and "check()" in readme
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q",
                              "--disable-pip-version-check", "."], cwd=bundle,
                             capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stdout + install.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADER_", "PYTHON"))}
    folder = bundle / "assignments" / ID

    def check(*args, cwd=folder):
        return subprocess.run([str(env_dir / "bin" / "grader"), "check", ID, *args],
                              capture_output=True, text=True, cwd=cwd, env=env, timeout=300)
    where = subprocess.run([str(python), "-c", "import grader; print(grader.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, env=env)
    assert str(env_dir) in where.stdout           # the installed copy, not this checkout
    stub = check(".")
    assert stub.returncode == 1, stub.stdout + stub.stderr
    assert stub.stdout.count("not implemented yet") == 28
    shutil.copyfile(ROOT / "solutions" / ID / "forward.py", folder / "forward.py")
    done = check(str(folder), cwd=tmp_path)       # from outside the bundle, by path
    assert done.returncode == 0, done.stdout + done.stderr
    assert "28 of 28 public tests passed." in done.stdout
    assert "solutions" not in json.dumps(sorted(p.name for p in bundle.rglob("*")))
