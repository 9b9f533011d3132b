"""The pytest plugin that turns a hidden suite run into scores: markers, fixtures, verdicts.

It lives in the trusted process. Results are collected here, in memory, and written by
the caller; student code reaches none of it.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from grader.gpu import decision as gpu
from grader.checks.errors import CheckFailed
from grader.course import Assignment
from grader.i18n import N_, _, test_title
from grader.sandbox import errors
from grader.sandbox.proxy import RemoteObject, Session, WorkerCache
from grader.sandbox.worker import Limits
from grader.submissions import Submission, UnreadableSource
from grader.vocabulary import INTERNAL, VISIBILITIES

# The suites' markers, registered by pytest_configure below (the grading runs load this
# module as a plugin: grading.suite_pytest_args) and read only by the functions after it.
MARKERS = (
    "points(n): points the test is worth",
    "visibility(kind): visible, hidden, after_due_date or after_published (Gradescope)",
    "gpu: needs a CUDA GPU in the grading environment",
    "deadline(seconds): per-call deadline into student code for this test",
)
INTERNAL_OUTPUT = N_("an internal grader error stopped this test; your instructor will "
                     "re-grade it (it scores 0 until then)")
_REFERENCES: dict[tuple, dict] = {}


def pytest_configure(config):
    for line in MARKERS:
        config.addinivalue_line("markers", line)


def points_of(item) -> float:
    marker = item.get_closest_marker("points")
    return float(marker.args[0]) if marker else 0.0


def visibility_of(item) -> str:
    marker = item.get_closest_marker("visibility")
    return marker.args[0] if marker else "visible"


def marker_problem(item) -> str | None:
    """What makes a test's markers unusable (no points, a value we do not know), or None."""
    points = item.get_closest_marker("points")
    if points is None:
        return f"{item.nodeid} has no points marker"
    value = points.args[0] if points.args else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        return f"{item.nodeid}: points must be a number of at least 0, not {value!r}"
    visibility = item.get_closest_marker("visibility")
    if visibility is not None and (not visibility.args or visibility.args[0] not in VISIBILITIES):
        return (f"{item.nodeid}: visibility must be one of {', '.join(VISIBILITIES)}, "
                f"not {visibility.args[0] if visibility.args else None!r}")
    return None


@dataclass
class TestResult:
    name: str
    nodeid: str
    max_score: float
    score: float
    verdict: str
    output: str
    visibility: str
    duration: float
    function: str = ""        # the student's function the test called first (feedback groups by it)
    internal: str = ""        # traceback of a grader bug: for the instructor, never the student
    error: str = ""           # that exception's type and first line, to compare with the reference


@dataclass
class Credit:
    """Partial credit for one test: `credit.award(0.5, "tier 2 of 3")`."""

    fraction: float = 1.0
    message: str = ""

    def award(self, fraction: float, message: str = "") -> None:
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"a fraction of the points must be in [0, 1], got {fraction}")
        self.fraction, self.message = float(fraction), message


@dataclass
class GradingContext:
    submission: Submission
    assignment: Assignment
    prepared_dir: Path
    log_dir: Path
    secret: str


@dataclass
class _Item:
    credit: Credit = field(default_factory=Credit)


def gpu_skip_reason(assignment: Assignment | None = None) -> str | None:
    """Why the GPU tests of `assignment` do not run here (None: they do). The one decision
    (grader.gpu) for the framework its GPU tests use (torch's without an assignment), shared
    by the plugin, the maxima, the nbgrader export and the mutation runs."""
    decided = gpu.decision("torch" if assignment is None else assignment.gpu_framework)
    return None if decided.ok else decided.reason


def gpu_decision_for(assignment: Assignment):
    """The GPU decision a submission's workers run under: the one decision where the
    assignment asks for GPU workers and its GPU tests run here, else None (CPU workers)."""
    if not assignment.settings.get("gpu"):
        return None
    decided = gpu.decision(assignment.gpu_framework)
    return decided if decided.ok else None


def load_reference(assignment: Assignment):
    """The reference solution, imported here in the trusted process (cached per file state)."""
    files = [assignment.solution_dir / f"{m}.py" for m in assignment.modules]
    key = tuple((str(f), f.stat().st_mtime_ns if f.exists() else 0) for f in files)
    if key not in _REFERENCES:
        modules = {}
        sys.path.insert(0, str(assignment.solution_dir))
        try:
            for name, path in zip(assignment.modules, files):
                if not path.exists():
                    continue
                spec = importlib.util.spec_from_file_location(name, path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module     # sibling imports inside the reference
                spec.loader.exec_module(module)
                modules[name] = module
        finally:
            sys.path.remove(str(assignment.solution_dir))
            for name in assignment.modules:
                sys.modules.pop(name, None)
        _REFERENCES[key] = modules
    return _REFERENCES[key]


def _error_line(exc, report) -> str:
    if exc is None:
        return str(report.longrepr).strip().splitlines()[-1:][0][:300] if report.longrepr else ""
    first = str(exc).strip().splitlines()[:1]
    return f"{type(exc).__name__}: {first[0] if first else ''}"[:300]


def _plain_failure(excinfo, style=None) -> str:
    return f"{excinfo.typename}: {excinfo.value}"[:2000]


def _test_name(item) -> str:
    base = test_title(item.originalname, getattr(item.function, "__doc__", None))
    param = getattr(item, "callspec", None)
    return f"{base} [{param.id}]" if param else base


def limits_of(assignment: Assignment) -> Limits:
    a = assignment
    return Limits(memory_mb=a.memory_mb, cpu_seconds=a.cpu_seconds,
                  import_timeout=a.import_timeout, call_timeout=a.call_timeout)


def seed_of(ctx: GradingContext, nodeid: str) -> int:
    """The seed of one test (or of the worker, nodeid "worker") of one submission under the
    course's secret: a student cannot know it, and a re-grade reproduces it."""
    text = f"{ctx.secret}\0{ctx.submission.student}\0{nodeid}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def submission_session(ctx: GradingContext, factory=None) -> Session:
    """The session a suite's `student` talks to: sandboxed workers, unless another worker
    `factory` is given (the nbgrader kernel's in-process worker)."""
    a = ctx.assignment
    first, warm = worker_imports(ctx)
    return Session(ctx.prepared_dir, a.modules, limits_of(a), log_dir=ctx.log_dir,
                   preimport=a.preimport + first, warm_imports=warm,
                   seed=seed_of(ctx, "worker"), budget=a.submission_timeout,
                   gpu=gpu_decision_for(a), forbidden=a.forbidden_imports,
                   factory=factory)


class GradingPlugin:
    """Registered per submission run: `pytest.main(args, plugins=[GradingPlugin(ctx)])`;
    `session`: the worker session of the submission (default: sandboxed workers)."""

    def __init__(self, ctx: GradingContext, session: Session | None = None):
        self.ctx = ctx
        self.session = session or submission_session(ctx)
        self.results: list[TestResult] = []
        self.skipped: list[dict] = []
        self.collection_errors: list[str] = []
        self._items: dict[str, _Item] = {}

    def _seed(self, nodeid: str) -> int:
        return seed_of(self.ctx, nodeid)

    # --- fixtures --------------------------------------------------------------------------
    @pytest.fixture
    def student(self):
        return RemoteObject(self.session, None)

    @pytest.fixture
    def worker_cache(self):
        return WorkerCache(self.session)

    @pytest.fixture
    def reference(self):
        modules = load_reference(self.ctx.assignment)
        return modules[self.ctx.assignment.main_module]

    @pytest.fixture
    def reference_modules(self):
        return load_reference(self.ctx.assignment)

    @pytest.fixture
    def rng(self, request):
        return np.random.default_rng(self._seed(request.node.nodeid))

    @pytest.fixture
    def credit(self, request):
        return self._items.setdefault(request.node.nodeid, _Item()).credit

    @pytest.fixture
    def submission(self):
        return _PreparedSubmission(self.ctx.submission, self.ctx.prepared_dir)

    @pytest.fixture
    def assignment(self):
        return self.ctx.assignment

    # --- hooks -----------------------------------------------------------------------------
    def pytest_collectreport(self, report):
        if report.failed:
            self.collection_errors.append(str(report.longrepr))

    def pytest_collection_modifyitems(self, items):
        for item in items:
            # Nobody reads pytest's own failure report (feedback comes from the checks, and
            # _result formats grader bugs itself); building it parses the source of every
            # frame, 30 ms a failing test.
            item.repr_failure = _plain_failure
            problem = marker_problem(item)
            if problem is not None:
                self.collection_errors.append(problem)
            if item.get_closest_marker("gpu") is not None:
                why = gpu_skip_reason(self.ctx.assignment)
                if why is not None:
                    item.add_marker(pytest.mark.skip(reason=_(why)))

    def pytest_runtest_setup(self, item):
        marker = item.get_closest_marker("deadline")
        self.session.timeout = float(marker.args[0]) if marker else self.session.limits.call_timeout
        self.session.last_warnings = []
        self.session.touched = []
        if item.get_closest_marker("gpu") is not None:
            # A GPU test starts on a fresh worker: no CUDA context of an earlier test can
            # stand in for the one this test's calls must create (checks.gpu).
            self.session.close()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.when == "call" or (report.when == "setup" and (report.failed or report.skipped)):
            self.results.append(self._result(item, report, call))
        if report.when == "call" and call.excinfo is not None and self._is_outer_timeout(call):
            self.session.close()         # a call may still be running in the worker

    @staticmethod
    def _is_outer_timeout(call) -> bool:
        return "Timeout" in str(call.excinfo.value) and call.excinfo.typename == "Failed"

    def _result(self, item, report, call) -> TestResult:
        points, visibility = points_of(item), visibility_of(item)
        name = _test_name(item)
        base = dict(name=name, nodeid=item.nodeid, visibility=visibility,
                    duration=round(report.duration, 4),
                    function=next(iter(self.session.touched), ""))
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else "skipped"
            reason = reason.removeprefix("Skipped: ")
            self.skipped.append({"name": name, "reason": reason})
            return TestResult(max_score=0.0, score=0.0, verdict="skipped", output=reason, **base)
        if report.passed:
            credit = self._items.get(item.nodeid, _Item()).credit
            verdict = "pass" if credit.fraction >= 1.0 else "partial"
            return TestResult(max_score=points, score=round(points * credit.fraction, 4),
                              verdict=verdict, output=credit.message, **base)
        exc = call.excinfo.value if call.excinfo else None
        if isinstance(exc, errors.StudentError):
            return TestResult(max_score=points, score=0.0, verdict=exc.verdict,
                              output=exc.feedback(), **base)
        if isinstance(exc, CheckFailed):
            return TestResult(max_score=points, score=0.0, verdict=exc.verdict,
                              output=str(exc), **base)
        if call.excinfo is not None and self._is_outer_timeout(call):
            return TestResult(max_score=points, score=0.0, verdict="timeout",
                              output=_("the test ran past its overall time limit"), **base)
        # Anything else is the grader's bug only if the reference fails the same way: the
        # caller re-runs the test on the reference (grading.settle_internal_errors). Until
        # then the test keeps its points in the maximum and scores 0.
        text = "".join(traceback.format_exception(exc)) if exc else str(report.longrepr)
        return TestResult(max_score=points, score=0.0, verdict=INTERNAL,
                          output=_(INTERNAL_OUTPUT), internal=text[-4000:],
                          error=_error_line(exc, report), **base)

    def pytest_sessionfinish(self, session):
        self.session.close()


class _PreparedSubmission:
    """What the `submission` fixture gives a suite: static facts about the student's code."""

    def __init__(self, submission: Submission, prepared_dir: Path):
        self.student, self.assignment = submission.student, submission.assignment
        self._submission, self._prepared = submission, prepared_dir

    def imports(self) -> set[str]:
        return self._submission.imports(self._prepared)

    def source(self, module: str) -> str:
        path = self._prepared / f"{module}.py"
        return path.read_text(errors="replace") if path.exists() else ""


def _imported(ctx: "GradingContext") -> set[str]:
    """The top-level modules the submission imports (read from its syntax tree)."""
    try:
        return {name.split(".")[0] for name in ctx.submission.imports(ctx.prepared_dir)}
    except UnreadableSource:
        return set()


def worker_imports(ctx: "GradingContext") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(first, warm), read from one parse of the submission's syntax tree.

    first: ("tensorflow",) for a submission that imports TensorFlow, where the assignment
    names it among its warm imports and this machine has it: the worker (cold or forked)
    imports it before the student's code and runs Keras on the TensorFlow backend
    (bwrap.worker_environment), so the lesson's `from tensorflow import keras` runs as
    written. Elsewhere Keras runs on torch, and a TensorFlow import fails with a hint.

    warm: the assignment's other warm imports that this submission imports: Keras-track
    submissions of 06 are forked from a zygote with Keras imported, the others from one
    without, which starts faster. A wrong guess costs time, never a grade: the worker
    imports what the student's code imports."""
    wanted = ctx.assignment.warm_imports
    if not wanted:
        return (), ()
    imported = _imported(ctx)
    first = ("tensorflow",) if ("tensorflow" in wanted and "tensorflow" not in
                                ctx.assignment.preimport and "tensorflow" in imported
                                and installed("tensorflow")) else ()
    return first, tuple(m for m in wanted if m in imported and m not in first)


@functools.cache
def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def skipped_by_marker(item) -> bool:
    """Whether a skip or skipif marker (with a plain condition, as the suites write them)
    skips this test: such a test counts in no maximum, as when it runs."""
    if item.get_closest_marker("skip") is not None:
        return True
    for marker in item.iter_markers("skipif"):
        condition = marker.args[0] if marker.args else marker.kwargs.get("condition")
        if isinstance(condition, bool) and condition:
            return True
    return False


class PointsCollector:
    """Sums the points of the collected tests of `assignment` that will run: GPU tests only
    where they run here, and no test a skip marker skips (the maxima of every result agree
    with it)."""

    def __init__(self, assignment: Assignment | None = None):
        self.total = 0.0
        self.assignment = assignment

    def pytest_collection_modifyitems(self, items):
        for item in items:
            if item.get_closest_marker("gpu") is not None and \
                    gpu_skip_reason(self.assignment) is not None:
                continue
            if skipped_by_marker(item):
                continue
            self.total += points_of(item)
