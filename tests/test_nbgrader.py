"""`grader nbgrader`: the nbgrader course end to end with the real nbgrader CLI, and its
agreement with `grader grade` on the same submitted notebooks.

One course of every assignment is written by `grader nbgrader`, released by `nbgrader
generate_assignment`, handed in by a fake class of three (the reference solution, the untouched
release, a known-buggy notebook made from a mutant of the assignment), graded by `nbgrader
autograde` and exported by `nbgrader export`; then `grader grade` grades the same submitted/
folder. The kernel is the venv's Python, from a kernelspec in a temporary Jupyter path.
"""
import copy
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grader import course, nbgrader_export as ne
from grader.grading import max_score
from grader.release import BEGIN_SOLUTION, END_SOLUTION, LEAK_MARKERS
from grader.validate import load_mutants

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SECRET = "nbgrader-e2e-secret"
ASSIGNMENTS = course.list_assignments()
STUDENTS = ("reference", "stub", "buggy")


def track_students(aid: str) -> tuple[str, ...]:
    """A student per other track of the assignment (06: keras, lightning), who hands in
    that track's reference in the notebook."""
    return tuple(f"track-{t}" for t in course.load_assignment(aid).tracks)


def students_of(aid: str) -> tuple[str, ...]:
    return STUDENTS + track_students(aid)
TIMES: dict[str, float] = {}


def jupyter_env(tmp: Path, **extra) -> dict:
    """An environment whose Jupyter finds only a kernelspec for this Python (no user
    configuration or kernels), with the venv's scripts first on PATH (nbgrader runs alembic)."""
    spec = tmp / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python"}))
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               JUPYTER_PATH=str(tmp / "jupyter"), JUPYTER_CONFIG_DIR=str(tmp / "config"),
               JUPYTER_DATA_DIR=str(tmp / "data"), JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
               IPYTHONDIR=str(tmp / "ipython"), GRADER_SECRET=SECRET,
               PYTHONDONTWRITEBYTECODE="1", JUPYTER_PLATFORM_DIRS="1")
    env.update(extra)
    return env


def run(cmd, cwd: Path, env: dict, label: str, timeout=900) -> subprocess.CompletedProcess:
    """Run a command; its stdout and stderr interleaved in `.stdout`."""
    started = time.monotonic()
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=dict(env, PYTHONUNBUFFERED="1"),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout)
    TIMES[label] = TIMES.get(label, 0.0) + time.monotonic() - started
    assert proc.returncode == 0, f"{label} exited {proc.returncode}:\n{proc.stdout[-6000:]}"
    return proc


def nbgrader(*args):
    return [BIN / "nbgrader", *args]


def solved(source: str) -> dict[str, str]:
    """{def or class name: its code} of a solution module, the marker lines left out: what
    a student who solved it writes into the solution cells."""
    return {name: "\n".join(line for line in text.split("\n")
                            if BEGIN_SOLUTION not in line and END_SOLUTION not in line)
            for name, text in ne.split_module(source)[2]}


def handed_in(release: dict, code: dict[str, str]) -> dict:
    """The release notebook with the given code in its solution cells."""
    nb = copy.deepcopy(release)
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution") and cell["cell_type"] == "code" and meta["grade_id"] in code:
            cell["source"] = code[meta["grade_id"]].splitlines(keepends=True)
    return nb


def track_cells(release: dict, source: str) -> dict[str, str]:
    """A track's reference as its student writes it into the release notebook: the setup
    cell is locked, so the track's imports, constants and classes go at the top of the
    first solution cell, each function into its own cell."""
    _doc, setup, defs = ne.split_module(source)
    cells = [c["metadata"]["nbgrader"]["grade_id"] for c in release["cells"]
             if c["metadata"].get("nbgrader", {}).get("solution") and c["cell_type"] == "code"]
    code = {name: text for name, text in defs if name in cells}
    extra = [text for name, text in defs if name not in cells]
    first = next(c for c in cells if c in code)
    code[first] = "\n\n".join(setup + extra + [code[first]])
    return code


def first_mutant(assignment):
    """The known bug of the buggy student: the assignment's first mutant of the notebook's
    module (`grader validate` proves that it loses points)."""
    module = assignment.notebook_module
    mutants = [m for m in load_mutants(assignment.id) if m.file in (None, f"{module}.py")]
    assert mutants, f"{assignment.id}: no mutant of {module}.py in its mutants.py"
    return mutants[0]


def hand_in(course_dir: Path, buggy_py: Path, aid: str) -> None:
    """The fake class of one assignment, from nbgrader's release: submitted/<student>/<aid>/
    with the notebook and the assignment's other modules; and the buggy solution as .py
    files in buggy_py/buggy/<aid>/, whose `grader grade` score is the one to expect."""
    assignment = course.load_assignment(aid)
    name, module = ne.notebook_name(assignment), assignment.notebook_module
    release_dir = course_dir / "release" / aid
    release = json.loads((release_dir / name).read_text())
    solution = (assignment.solution_dir / f"{module}.py").read_text()
    mutant = first_mutant(assignment)
    mutant.write(assignment.solution_dir, buggy_py / "buggy" / aid, assignment.main_module)
    notebooks = {"reference": handed_in(release, solved(solution)), "stub": release,
                 "buggy": handed_in(release, solved(mutant.apply(solution)))}
    for track, folder in assignment.tracks.items():
        notebooks[f"track-{track}"] = handed_in(
            release, track_cells(release, (folder / f"{module}.py").read_text()))
    for student, nb in notebooks.items():
        folder = course_dir / "submitted" / student / aid
        folder.mkdir(parents=True)
        (folder / name).write_text(json.dumps(nb, indent=1))
        for other in assignment.modules:
            if other != module:     # e.g. the student's framework.py beside the lab notebook
                source = release_dir if student == "stub" else assignment.solution_dir
                shutil.copyfile(source / f"{other}.py", folder / f"{other}.py")


def pipeline(course_dir: Path, assignments: list[str], env: dict, tmp: Path) -> None:
    """One nbgrader course through the whole workflow, then `grader grade` on its submitted/."""
    run([sys.executable, "-m", "grader", "nbgrader", course_dir,
         *[arg for aid in assignments for arg in ("-a", aid)]], ROOT, env, "grader nbgrader")
    for aid in assignments:
        run(nbgrader("generate_assignment", aid, "--force"), course_dir, env,
            "nbgrader generate_assignment")
        hand_in(course_dir, tmp / "buggy-py" / course_dir.name, aid)
    # the student's view: the public tests pass on the solved notebooks (nbgrader's Validate)
    solved_notebooks = [course_dir / "submitted" / "reference" / aid /
                        ne.notebook_name(course.load_assignment(aid)) for aid in assignments]
    validated = run(nbgrader("validate", *solved_notebooks), course_dir, env, "nbgrader validate")
    (course_dir / "validate.txt").write_text(validated.stdout)
    # the gradebook as generate_assignment left it, before nbgrader's autograde wrote to it
    shutil.copyfile(course_dir / "gradebook.db", course_dir / "gradebook-before-autograde.db")
    for aid in assignments:
        run(nbgrader("autograde", aid), course_dir, env, f"nbgrader autograde {aid}")
    run(nbgrader("export", "--to", course_dir / "nbgrader.csv"), course_dir, env,
        "nbgrader export")
    # the same notebooks through the sandbox, the scores also into the gradebook copy
    run([sys.executable, "-m", "grader", "grade", course_dir / "submitted", "--out",
         course_dir / "grades", "-j", "1", "--nbgrader-db",
         course_dir / "gradebook-before-autograde.db"], ROOT, env, "grader grade")
    # the expected score of the buggy notebook: the same mistake handed in as .py files
    run([sys.executable, "-m", "grader", "grade", tmp / "buggy-py" / course_dir.name, "--out",
         tmp / "expected" / course_dir.name, "-j", "1"], ROOT, env,
        "grader grade of the buggy .py files")


@pytest.fixture(scope="module")
def e2e(tmp_path_factory):
    """The whole flow, once. The assignments are split over two courses that run side by
    side (one per core of a CI machine; separate gradebooks, as SQLite wants them)."""
    tmp = tmp_path_factory.mktemp("nbgrader")
    env = jupyter_env(tmp)
    started = time.monotonic()
    halves = {tmp / "course-a": ASSIGNMENTS[0::2], tmp / "course-b": ASSIGNMENTS[1::2]}
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(pipeline, c, ids, env, tmp) for c, ids in halves.items() if ids]
        for future in futures:
            future.result()
    TIMES["end to end"] = time.monotonic() - started
    state = {"course": {}, "export": [], "sources": {}, "cells": {}, "cells_written": {},
             "expected": {}}
    for course_dir, ids in halves.items():
        state["export"] += list(csv.DictReader(open(course_dir / "nbgrader.csv")))
        state["sources"].update(ne.read_source_notebooks(course_dir))
        state["cells"].update(cell_grades(course_dir / "gradebook.db", ids))
        state["cells_written"].update(
            cell_grades(course_dir / "gradebook-before-autograde.db", ids))
        for aid in ids:
            state["course"][aid] = course_dir
            expected = tmp / "expected" / course_dir.name / "buggy" / aid / "results.json"
            result = json.loads(expected.read_text())
            state["expected"][aid] = result["score"]
    yield state
    print("\nnbgrader end to end: " + ", ".join(f"{k} {v:.1f} s" for k, v in TIMES.items()))


def cell_grades(db: Path, assignments: list[str]) -> dict:
    """{(assignment, student): {grade_id: score}} from an nbgrader gradebook, via its API."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{db}") as gb:
        for aid in assignments:
            notebook = Path(ne.notebook_name(course.load_assignment(aid))).stem
            for student in students_of(aid):
                submission = gb.find_submission_notebook(notebook, aid, student)
                out[aid, student] = {g.name: g.score for g in submission.grades}
    return out


def exported(e2e, aid, student) -> tuple[float, float]:
    row = next(r for r in e2e["export"] if r["assignment"] == aid and r["student_id"] == student)
    return float(row["score"]), float(row["max_score"])


def our_result(e2e, aid, student) -> dict:
    path = e2e["course"][aid] / "grades" / student / aid / "results.json"
    return json.loads(path.read_text())


# ---------------------------------------------------------------------------------------
# The nbgrader workflow
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_release_has_stubs_and_no_solutions_or_hidden_tests(e2e, aid):
    release = e2e["course"][aid] / "release" / aid
    text = "".join(p.read_text() for p in sorted(release.iterdir()))
    for marker in (*LEAK_MARKERS, "### " + END_SOLUTION, ne.END_HIDDEN, ne.RUNNER):
        assert marker not in text
    name = ne.notebook_name(course.load_assignment(aid))
    cells = json.loads((release / name).read_text())["cells"]
    solution_cells = [c for c in cells if c["metadata"].get("nbgrader", {}).get("solution")
                      and c["cell_type"] == "code"]
    assert solution_cells and all("raise NotImplementedError()" in "".join(c["source"])
                                  for c in solution_cells)
    assert any(ne.is_test_cell(c) for c in cells)


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_the_public_tests_pass_on_a_solved_notebook_in_nbgrader_validate(e2e, aid):
    """nbgrader validate (a student's Validate button) runs the visible part of the cells."""
    report = (e2e["course"][aid] / "validate.txt").read_text()
    name = ne.notebook_name(course.load_assignment(aid))
    section = report.split(f"reference/{aid}/{name}'", 1)[1].split("Validating '", 1)[0]
    assert "Success! Your notebook passes all the tests." in section, section[-3000:]


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_nbgrader_gives_the_reference_full_marks_and_the_stubs_zero(e2e, aid):
    score, full = exported(e2e, aid, "reference")
    assert score == full == max_score(aid) > 0
    assert exported(e2e, aid, "stub") == (0.0, full)


def test_every_track_scores_full_marks_in_nbgrader_and_in_grader_grade(e2e):
    tracks = [(aid, s) for aid in ASSIGNMENTS for s in track_students(aid)]
    assert {s for _aid, s in tracks} >= {"track-keras", "track-lightning"}
    for aid, student in tracks:
        score, full = exported(e2e, aid, student)
        assert score == full == max_score(aid) > 0, (aid, student)
        result = our_result(e2e, aid, student)
        assert result["score"] == result["max_score"] == full, (aid, student)


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_nbgrader_gives_the_buggy_notebook_its_expected_partial_score(e2e, aid):
    """Expected: what `grader grade` gives the same mistake handed in as a .py file."""
    score, full = exported(e2e, aid, "buggy")
    assert 0 < e2e["expected"][aid] < full, \
        f"{aid}: choose a first mutant that loses some points but not all"
    assert score == pytest.approx(e2e["expected"][aid], abs=1e-6)


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_grader_grade_agrees_with_nbgrader_autograde_per_cell(e2e, aid):
    """A cell's score in `grader grade` is the sum of its tests' scores (ne.cell_scores),
    with the tests of each cell read from the cell itself (ne.cell_tests)."""
    tests_of_cells = ne.cell_tests(e2e["sources"][aid])
    assert tests_of_cells
    for student in students_of(aid):
        result = our_result(e2e, aid, student)
        ours = ne.cell_scores(result, tests_of_cells)
        theirs = {cell: e2e["cells"][aid, student][cell] for cell in tests_of_cells}
        assert ours == pytest.approx(theirs, abs=1e-6), student
        # and the detail nbgrader cannot give: a verdict and a message for every test (GPU
        # tests without a GPU are listed as skipped, and in no cell)
        counted = [t for t in result["tests"] if t["extra_data"]["verdict"] != "skipped"]
        assert len(counted) == sum(len(ids) for ids in tests_of_cells.values())
        assert result["extra_data"]["verdict"] == "graded"


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_grader_grade_writes_the_same_cell_scores_into_the_gradebook(e2e, aid):
    """`grader grade --nbgrader-db` into a gradebook that nbgrader's autograde never saw."""
    for student in students_of(aid):
        tests = ne.cell_tests(e2e["sources"][aid])
        written = {cell: e2e["cells_written"][aid, student][cell] for cell in tests}
        assert written == pytest.approx({cell: e2e["cells"][aid, student][cell]
                                         for cell in tests}, abs=1e-6), student


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_autograded_test_cells_have_no_errors_or_stderr(e2e, aid):
    name = ne.notebook_name(course.load_assignment(aid))
    for student in ("reference", "buggy") + track_students(aid):
        path = e2e["course"][aid] / "autograded" / student / aid / name
        nb = json.loads(path.read_text())
        for cell in filter(ne.is_test_cell, nb["cells"]):
            kinds = [(o["output_type"], o.get("name")) for o in cell["outputs"]]
            assert ("stream", "stderr") not in kinds and ("error", None) not in kinds, \
                (student, cell["metadata"]["nbgrader"]["grade_id"], cell["outputs"])
            assert ("execute_result", None) in kinds      # the points, as partial credit


# ---------------------------------------------------------------------------------------
# A made-up assignment: stderr noise in the test cells, a free-text question
# ---------------------------------------------------------------------------------------

NOISY_SOLUTION = '''"""A made-up assignment whose code is noisy on stderr."""
import sys
import warnings

warnings.warn("an import-time warning", UserWarning)


def double(x):
    """2 * x, noisily."""
    ### BEGIN SOLUTION
    print("progress: doubling", file=sys.stderr)
    warnings.warn("deprecated!", DeprecationWarning)
    return 2 * x
    ### END SOLUTION
'''

# A second module of the assignment, handed in as a .py file beside the notebook; importing
# it writes to stderr, from Python and from C, outside any test.
HELPER_SOLUTION = '''import os
import sys
import warnings

print("helper: loading", file=sys.stderr)
os.write(2, b"helper: a C library writes to fd 2\\n")
warnings.warn("helper: an import-time warning", UserWarning)


def triple(x):
    ### BEGIN SOLUTION
    return 3 * x
    ### END SOLUTION
'''

NOISY_SUITE = '''
import pytest

@pytest.mark.points(2)
def test_double(student, reference):
    assert student.double(3) == reference.double(3)

@pytest.mark.points(1)
def test_double_negative(student):
    assert student.double(-1) == -2

@pytest.mark.points(4)
def test_helper_triples(student):
    assert student.module("helper").triple(2) == 6
'''

NOISY_PUBLIC = '''
from noisy import double

def test_double():
    assert double(2) == 4
'''

NOISY_TOML = '''title = "Noise"
modules = ["noisy", "helper"]
notebook = "noisy.ipynb"
preimport = []

[[questions]]
id = "why"
points = 3
prompt = "Why does the noise not matter?"
'''


@pytest.fixture
def noisy_course(tmp_path, monkeypatch):
    suites, root = tmp_path / "suites", tmp_path / "root"
    for folder in (suites / "90_noisy", root / "solutions" / "90_noisy",
                   root / "assignments" / "90_noisy"):
        folder.mkdir(parents=True)
    shutil.copyfile(ROOT / "grader" / "suites" / "pytest.ini", suites / "pytest.ini")
    (suites / "90_noisy" / "assignment.toml").write_text(NOISY_TOML)
    (suites / "90_noisy" / "test_noisy.py").write_text(NOISY_SUITE)
    (root / "solutions" / "90_noisy" / "noisy.py").write_text(NOISY_SOLUTION)
    (root / "solutions" / "90_noisy" / "helper.py").write_text(HELPER_SOLUTION)
    (root / "assignments" / "90_noisy" / "test_public.py").write_text(NOISY_PUBLIC)
    for name, value in (("GRADER_SUITES_DIR", suites), ("GRADER_COURSE_DIR", root)):
        monkeypatch.setenv(name, str(value))
    return tmp_path


def test_stderr_noise_does_not_fail_test_cells_and_questions_are_graded_by_hand(noisy_course):
    env = jupyter_env(noisy_course)
    course_dir = noisy_course / "course"
    run([sys.executable, "-m", "grader", "nbgrader", course_dir], ROOT, env, "noisy course")
    # the other module goes to students as its stub, and autograde keeps the student's own
    assert "raise NotImplementedError()" in (course_dir / "source" / "90_noisy" / "helper.py").read_text()
    assert "exclude_overwriting = {'90_noisy': ['helper.py']}" in (course_dir / "nbgrader_config.py").read_text()
    run(nbgrader("generate_assignment", "90_noisy", "--force"), course_dir, env, "noisy course")
    release = json.loads((course_dir / "release" / "90_noisy" / "noisy.ipynb").read_text())
    folder = course_dir / "submitted" / "ann" / "90_noisy"
    folder.mkdir(parents=True)
    nb = handed_in(release, solved(NOISY_SOLUTION))
    answer = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id")
                  == "answer_why")
    assert answer["cell_type"] == "markdown" and "".join(answer["source"]) == "YOUR ANSWER HERE"
    answer["source"] = ["It goes to stdout."]
    (folder / "noisy.ipynb").write_text(json.dumps(nb))
    (folder / "helper.py").write_text(HELPER_SOLUTION)
    run(nbgrader("autograde", "90_noisy"), course_dir, env, "noisy course")

    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gb:
        grades = {g.name: (g.score, g.max_score, g.needs_manual_grade)
                  for g in gb.find_submission_notebook("noisy", "90_noisy", "ann").grades}
    assert grades["test_double"] == (3, 3, False)
    assert grades["test_module"] == (4, 4, False)
    assert grades["answer_why"][1:] == (3, True)     # graded by hand in the formgrader
    nb = json.loads((course_dir / "autograded" / "ann" / "90_noisy" / "noisy.ipynb").read_text())
    outputs = [o for c in nb["cells"] if ne.is_test_cell(c) for o in c["outputs"]]
    assert not [o for o in outputs if o.get("name") == "stderr" or o["output_type"] == "error"]
    assert "helper: loading" in json.dumps(outputs)     # kept, on stdout


# ---------------------------------------------------------------------------------------
# The course as written (no nbgrader needed)
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_every_hidden_test_is_in_exactly_one_cell_and_the_points_add_up(aid):
    nb = ne.build_source_notebook(course.load_assignment(aid))
    ids = [n for cell in ne.cell_tests(nb).values() for n in cell]
    assert len(ids) == len(set(ids)) > 0
    points = sum(c["metadata"]["nbgrader"]["points"] for c in nb["cells"] if ne.is_test_cell(c))
    assert points == pytest.approx(max_score(aid))


def test_tests_go_to_the_cell_of_what_they_concern():
    graded = ["sigmoid", "relu", "leaky_relu", "softmax", "dense", "Net", "CrossEntropyLoss"]

    def cell(name, params=(), direct=(), used=(), fixtures=("student",)):
        test = ne.SuiteTest(nodeid=name, name=name, params=params, fixtures=fixtures,
                            direct=list(direct), used=set(used))
        return ne.cell_of(test, graded)

    assert cell("test_leaky_relu_values") == "leaky_relu"              # longest name
    assert cell("test_relu_values") == "relu"
    assert cell("test_net_forward") == "Net"                           # any case
    assert cell("test_keeps_float32", params=("softmax",)) == "softmax"
    assert cell("test_dense_activation", params=("softmax", "relu")) == "dense"
    assert cell("test_two_layers", direct=["student", "dense", "x"]) == "dense"
    assert cell("test_softmax_with_loss", used={"CrossEntropyLoss"}) == "CrossEntropyLoss"
    assert cell("test_relu_x", used={"sigmoid"}) == "relu"             # earlier: stays
    assert cell("test_numpy_only", fixtures=("student", "submission")) == ne.MODULE_CELL
    assert cell("test_training") == ne.MODULE_CELL


def test_split_module_keeps_the_end_marker_with_its_function():
    source = ('"""doc"""\nimport numpy as np\n\n\ndef f(x):\n    ### ' + BEGIN_SOLUTION
              + '\n    return x\n    ### ' + END_SOLUTION + '\n\n\n# g next\ndef g():\n'
              '    pass\n')
    docstring, setup, defs = ne.split_module(source)
    assert docstring == "doc" and setup == ["import numpy as np"]
    assert [n for n, _ in defs] == ["f", "g"]
    assert defs[0][1].endswith(END_SOLUTION) and defs[1][1].startswith("# g next")


def test_hidden_regions_are_read_back_and_stripped():
    nb = ne.build_source_notebook(course.load_assignment(ASSIGNMENTS[0]))
    tests = ne.cell_tests(nb)
    stripped = ne.strip_hidden_tests(nb)
    assert tests and ne.cell_tests(stripped) == {}
    assert ne.BEGIN_HIDDEN not in json.dumps(stripped)
    result = {"tests": [{"score": 1.0, "extra_data": {"nodeid": n}} for ids in tests.values()
                        for n in ids]}
    assert ne.cell_scores(result, tests) == {c: float(len(ids)) for c, ids in tests.items()}


def test_the_markers_are_not_spelled_out_in_the_package():
    for path in (ROOT / "grader").glob("nbgrader_*.py"):
        text = path.read_text()
        for marker in (*LEAK_MARKERS, "### " + END_SOLUTION, ne.END_HIDDEN):
            assert marker not in text, path.name


def test_a_course_config_of_the_instructor_is_kept(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    written = ne.write_course(tmp_path, [ASSIGNMENTS[0]])
    assert "nbgrader_config.py" not in written
    assert (tmp_path / "nbgrader_config.py").read_text() == "c = get_config()\n"


def test_grading_py_files_imports_no_jupyter(tmp_path):
    """`grader grade` of a class of .py files must not import nbformat, nbgrader or Jupyter."""
    student = next(p.parent.parent.name for p in (ROOT / "examples" / "submissions").glob(
        "*/01_numpy_forward/forward.py"))
    code = ("import sys; from grader.cli import main; "
            f"main(['grade', {str(ROOT / 'examples' / 'submissions')!r}, '-a', "
            f"'01_numpy_forward', '-s', {student!r}, '--out', {str(tmp_path)!r}, '-j', '1']); "
            "print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] in "
            "('nbformat', 'nbgrader', 'jupyter_client', 'nbclient', 'ipykernel', 'IPython')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ, GRADER_SECRET=SECRET), timeout=300)
    assert "LOADED []" in proc.stdout, proc.stdout + proc.stderr
    assert (tmp_path / student / "01_numpy_forward" / "results.json").is_file()
