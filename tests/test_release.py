"""grader.release: stubs from solutions, release notebooks, the student bundle."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from grader import course, notebooks, release
from grader.release import ReleaseError, clear_solutions

ASSIGNMENT = "01_numpy_forward"  # a real suite id: suites are always read from the package

FAKE_SOLUTION = '''"""A tiny stand-in for forward.py."""
import numpy as np

SCALE = 2.0


def relu(z):
    """relu(z) = max(z, 0), elementwise.

    - z: (N,) float -> (N,) float
    """
    ### BEGIN SOLUTION
    return np.maximum(z, 0)
    ### END SOLUTION


class Doubler:
    """Multiplies by SCALE."""

    def __call__(self, x):
        ### BEGIN SOLUTION
        return SCALE * x
        ### END SOLUTION
'''


@pytest.fixture
def course_dir(tmp_path):
    root = tmp_path / "course"
    (root / "solutions" / ASSIGNMENT).mkdir(parents=True)
    (root / "solutions" / ASSIGNMENT / "forward.py").write_text(FAKE_SOLUTION)
    (root / "assignments" / ASSIGNMENT).mkdir(parents=True)
    (root / "assignments" / ASSIGNMENT / "README.md").write_text("# Forward\n")
    (root / "README.md").write_text("# Course\n")
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    return root


def run_release(root, check=False):
    return release.release(check=check, root=root, assignment_ids=[ASSIGNMENT])


# ---------------------------------------------------------------------------------------
# clear_solutions
# ---------------------------------------------------------------------------------------

def test_clear_solutions_keeps_indentation_and_text_outside():
    source = ('def f(x):\n    """Shapes: x (N, D) -> (N,)."""\n    ### BEGIN SOLUTION\n'
              '    y = x.sum(1)\n    return y\n    ### END SOLUTION\n\n'
              'class C:\n    def g(self):\n        if True:\n'
              '            ### BEGIN SOLUTION\n            return 1\n'
              '            ### END SOLUTION\n        return 0\n')
    assert clear_solutions(source) == (
        'def f(x):\n    """Shapes: x (N, D) -> (N,)."""\n'
        '    # YOUR CODE HERE\n    raise NotImplementedError()\n\n'
        'class C:\n    def g(self):\n        if True:\n'
        '            # YOUR CODE HERE\n            raise NotImplementedError()\n'
        '        return 0\n')


def test_clear_solutions_without_regions_is_identity():
    assert clear_solutions("x = 1\n\n# a comment\n") == "x = 1\n\n# a comment\n"


def test_clear_solutions_matches_nbgrader():
    nbformat = pytest.importorskip("nbformat")
    clearsolutions = pytest.importorskip("nbgrader.preprocessors.clearsolutions")
    cell = nbformat.v4.new_code_cell(FAKE_SOLUTION)
    clearsolutions.ClearSolutions()._replace_solution_region(cell, "python")
    assert clear_solutions(FAKE_SOLUTION) == cell.source


def test_nested_begin_is_an_error():
    source = "def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    ### END SOLUTION\n"
    with pytest.raises(ReleaseError, match=r"^f\.py:3: nested BEGIN SOLUTION.*line 2"):
        clear_solutions(source, "f.py")


def test_missing_end_is_an_error():
    with pytest.raises(ReleaseError, match=r"^f\.py:2: BEGIN SOLUTION without an END"):
        clear_solutions("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "f.py")


def test_stray_end_is_an_error():
    with pytest.raises(ReleaseError, match=r"^f\.py:2: END SOLUTION without"):
        clear_solutions("def f():\n    ### END SOLUTION\n", "f.py")


# ---------------------------------------------------------------------------------------
# release
# ---------------------------------------------------------------------------------------

def test_release_writes_stub_and_notebook_then_is_stable(course_dir):
    stub_dir = course_dir / "assignments" / ASSIGNMENT
    assert run_release(course_dir) == [f"assignments/{ASSIGNMENT}/assignment.toml",
                                       f"assignments/{ASSIGNMENT}/forward.py",
                                       f"assignments/{ASSIGNMENT}/forward.ipynb"]
    assert (stub_dir / "forward.py").read_text() == clear_solutions(FAKE_SOLUTION)
    # the settings travel beside the stubs, so `grader check` works in the student bundle
    assert 'modules = ["forward"]' in (stub_dir / "assignment.toml").read_text()
    assert "return np.maximum" not in (stub_dir / "forward.ipynb").read_text()
    assert run_release(course_dir) == [] and run_release(course_dir, check=True) == []
    assert (stub_dir / "README.md").read_text() == "# Forward\n"  # hand-written, untouched


def test_check_writes_nothing(course_dir):
    assert len(run_release(course_dir, check=True)) == 3
    assert not (course_dir / "assignments" / ASSIGNMENT / "forward.py").exists()


def test_check_detects_a_changed_stub(course_dir):
    run_release(course_dir)
    stub = course_dir / "assignments" / ASSIGNMENT / "forward.py"
    stub.write_text(stub.read_text().replace("max(z, 0)", "max(z, 1)"))
    assert run_release(course_dir, check=True) == [f"assignments/{ASSIGNMENT}/forward.py"]
    assert "max(z, 1)" in stub.read_text()
    assert run_release(course_dir) == [f"assignments/{ASSIGNMENT}/forward.py"]
    assert run_release(course_dir, check=True) == []


def test_check_detects_a_changed_solution_and_missing_notebook(course_dir):
    run_release(course_dir)
    solution = course_dir / "solutions" / ASSIGNMENT / "forward.py"
    solution.write_text(solution.read_text().replace("(N,) float", "(N, D) float"))
    (course_dir / "assignments" / ASSIGNMENT / "forward.ipynb").unlink()
    assert sorted(run_release(course_dir, check=True)) == [
        f"assignments/{ASSIGNMENT}/forward.ipynb", f"assignments/{ASSIGNMENT}/forward.py"]


def test_course_dir_from_environment(course_dir, monkeypatch):
    monkeypatch.setenv("GRADER_COURSE_DIR", str(course_dir))
    assert release.release(check=True, assignment_ids=[ASSIGNMENT]) == [
        f"assignments/{ASSIGNMENT}/assignment.toml", f"assignments/{ASSIGNMENT}/forward.py",
        f"assignments/{ASSIGNMENT}/forward.ipynb"]


def test_solution_without_region_refused(course_dir):
    (course_dir / "solutions" / ASSIGNMENT / "forward.py").write_text("def f():\n    return 1\n")
    with pytest.raises(ReleaseError, match=f"solutions/{ASSIGNMENT}/forward.py: no BEGIN"):
        run_release(course_dir)


def test_stub_that_does_not_compile_refused(course_dir):
    (course_dir / "solutions" / ASSIGNMENT / "forward.py").write_text(
        "x = [\n    ### BEGIN SOLUTION\n    1,\n    ### END SOLUTION\n]\n")
    with pytest.raises(ReleaseError, match="the stub does not compile"):
        run_release(course_dir)


def test_unknown_assignment_is_a_release_error(course_dir):
    with pytest.raises(ReleaseError, match="unknown assignment"):
        release.release(root=course_dir, assignment_ids=["99_nope"])


def test_release_notebook_round_trip(course_dir, tmp_path):
    run_release(course_dir)
    path = course_dir / "assignments" / ASSIGNMENT / "forward.ipynb"
    nb = json.loads(path.read_text())
    assert [c["id"] for c in nb["cells"]] == [
        "cell-intro", "cell-setup", "cell-relu", "cell-Doubler", "cell-check", "cell-check-run"]
    assert "".join(nb["cells"][1]["source"]) == "import numpy as np\n\nSCALE = 2.0"
    code = notebooks.extract_code(path, "forward")
    ns = {}
    exec(compile(code, "forward", "exec"), ns)
    assert callable(ns["relu"]) and ns["SCALE"] == 2.0
    with pytest.raises(NotImplementedError):
        ns["Doubler"]()(3)


def test_release_refuses_a_notebook_that_grading_would_empty(course_dir, monkeypatch):
    # guards the round trip if the extraction rule ever changes
    monkeypatch.setattr(notebooks, "keep_definitions", lambda tree, source, bound: [])
    with pytest.raises(ReleaseError, match="grading its notebook would lose Doubler, relu"):
        run_release(course_dir)


def test_release_notebook_is_valid_for_nbformat_and_nbgrader(course_dir):
    nbformat = pytest.importorskip("nbformat")
    run_release(course_dir)
    nb = nbformat.read(course_dir / "assignments" / ASSIGNMENT / "forward.ipynb", as_version=4)
    nbformat.validate(nb)
    nbgraderformat = pytest.importorskip("nbgrader.nbgraderformat")
    nbgraderformat.MetadataValidator().validate_nb(nb)


def test_committed_stubs_match_release():
    # one source, no drift: assignments/ must be what `grader release` writes
    root = course.course_root()
    if not (root / "solutions").is_dir():
        pytest.skip("no solutions/ in this checkout")
    assert release.release(check=True, root=root) == []


# ---------------------------------------------------------------------------------------
# student bundle
# ---------------------------------------------------------------------------------------

def build_bundle(course_dir, dest):
    return release.build_student_bundle(dest, root=course_dir, assignment_ids=[ASSIGNMENT])


def test_student_bundle_has_no_solutions_or_suites(course_dir, tmp_path):
    run_release(course_dir)
    dest = tmp_path / "bundle"
    files = build_bundle(course_dir, dest)
    assert f"assignments/{ASSIGNMENT}/forward.py" in files
    assert f"assignments/{ASSIGNMENT}/forward.ipynb" in files
    assert {"README.md", "pyproject.toml", "grader/release.py", "grader/course.py"} <= set(files)
    assert not any("solutions" in f or f.startswith("grader/suites") or "__pycache__" in f
                   for f in files)
    assert not (dest / "grader" / "suites").exists()
    for path in dest.rglob("*"):
        if path.is_file():
            assert b"### BEGIN SOLUTION" not in path.read_bytes(), path
            if "assignments" in path.parts:
                assert b"SOLUTION" not in path.read_bytes(), path


def test_student_bundle_refuses_nonempty_dest(course_dir, tmp_path):
    run_release(course_dir)
    dest = tmp_path / "bundle"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    with pytest.raises(ReleaseError, match="not empty"):
        build_bundle(course_dir, dest)
    assert (dest / "keep.txt").read_text() == "mine"


def test_student_bundle_refuses_a_leak_and_removes_itself(course_dir, tmp_path):
    run_release(course_dir)
    leak = course_dir / "assignments" / ASSIGNMENT / "notes.py"
    leak.write_text("def f():\n    ### BEGIN SOLUTION\n    return 1\n")
    dest = tmp_path / "bundle"
    with pytest.raises(ReleaseError, match=f"assignments/{ASSIGNMENT}/notes.py: contains"):
        build_bundle(course_dir, dest)
    assert not dest.exists()


def test_student_bundle_refuses_a_solutions_path(course_dir, tmp_path):
    run_release(course_dir)
    (course_dir / "assignments" / ASSIGNMENT / "solutions.md").write_text("hints\n")
    with pytest.raises(ReleaseError, match="instructor-only path"):
        build_bundle(course_dir, tmp_path / "bundle")


def test_student_bundle_refuses_stale_stubs(course_dir, tmp_path):
    with pytest.raises(ReleaseError, match="run `grader release` first"):
        build_bundle(course_dir, tmp_path / "bundle")
    assert not (tmp_path / "bundle").exists()


def test_verify_bundle_finds_hidden_tests_and_suites(tmp_path):
    (tmp_path / "a.ipynb").write_text('{"source": ["### BEGIN HIDDEN TESTS\\n"]}')
    with pytest.raises(ReleaseError, match="a.ipynb: contains 'BEGIN HIDDEN TESTS'"):
        release.verify_bundle(tmp_path, [ASSIGNMENT])
    (tmp_path / "a.ipynb").unlink()
    (tmp_path / "grader" / "suites" / ASSIGNMENT).mkdir(parents=True)
    with pytest.raises(ReleaseError, match=f"grader/suites/{ASSIGNMENT}: instructor-only"):
        release.verify_bundle(tmp_path, [ASSIGNMENT])


def test_the_real_repository_bundle_is_complete_and_checks_work(tmp_path):
    """The bundle of this repository: every assignment, nothing hidden, and `grader check`
    run from inside it passes on the reference and fails on the untouched stub."""
    dest = tmp_path / "bundle"
    files = set(release.build_student_bundle(dest))
    for aid in course.list_assignments():
        a = course.load_assignment(aid)
        assert f"assignments/{aid}/{a.main_module}.py" in files
        assert f"assignments/{aid}/test_public.py" in files
        assert f"assignments/{aid}/assignment.toml" in files
    assert not any(f.startswith(("solutions/", "grader/suites/", "examples/")) for f in files)
    # the grader's own catalogues travel with it (check speaks the student's language); the
    # suites' (hidden titles and messages) do not
    assert {f"grader/locale/{lang}/LC_MESSAGES/grader.mo" for lang in ("da", "sv", "de")} <= files

    a = course.load_assignment(ASSIGNMENT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    env["PYTHONPATH"] = str(dest)

    def check(work):
        cmd = [sys.executable, "-m", "grader", "check", ASSIGNMENT, str(work)]
        return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300)

    done = check(dest / "assignments" / ASSIGNMENT)
    assert done.returncode != 0 and "not implemented yet" in done.stdout, done.stdout[-2000:]
    mine = tmp_path / "mine"
    shutil.copytree(dest / "assignments" / ASSIGNMENT, mine)
    shutil.copy2(a.solution_dir / f"{a.main_module}.py", mine / f"{a.main_module}.py")
    done = check(mine)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "grader/suites" not in done.stdout


def test_the_04_framework_solution_is_the_03_one():
    """04's framework.py is a stated copy of 03's (its assignment.toml says why): never two
    references that drift apart."""
    from grader.course import load_assignment

    ours = load_assignment("04_mnist_own_framework").solution_dir / "framework.py"
    theirs = load_assignment("03_backprop").solution_dir / "framework.py"
    assert ours.read_bytes() == theirs.read_bytes()
    assert "03_backprop/framework.py" in (load_assignment("04_mnist_own_framework").suite_dir
                                          / "assignment.toml").read_text()
