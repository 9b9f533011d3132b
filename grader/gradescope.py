"""Gradescope: the autograder zip of one assignment, and what runs inside it.

`grader gradescope ID --out autograder.zip` writes Gradescope's layout: `setup.sh` (run once,
when Gradescope builds the autograder's image) and `run_autograder` (run for every
submission) at the top, and `package/`: the grader package with only this assignment's
hidden suite, its reference solution and released stubs, the pinned constraints and the
course secret (the same random inputs as `grader grade`). `run_autograder` grades
`/autograder/submission` with the same engine and sandbox as `grader grade` and writes
`/autograder/results/results.json`: always valid JSON, also when the submission, or the
grader, breaks down.

Image: Gradescope's Ubuntu 24.04 base image, whose Python 3.12 the package supports.
GRADESCOPE_ROOT (default /autograder) and GRADER_PYTHON (default the venv setup.sh makes) let
the same scripts run elsewhere, as the project's own test does.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

from grader import course, i18n

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image (Ubuntu 24.04, Python 3.12).
set -euo pipefail
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
    python3 python3-venv python3-dev bubblewrap util-linux
python3 -m venv /autograder/venv
# the CPU build of torch (the default index would bring a CUDA build of several GB)
/autograder/venv/bin/pip install --quiet --extra-index-url https://download.pytorch.org/whl/cpu \\
    -c /autograder/source/package/constraints.txt -e '/autograder/source/package[course]'
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade /autograder/submission, write
# /autograder/results/results.json (always valid JSON).
ROOT="${{GRADESCOPE_ROOT:-/autograder}}"
PYTHON="${{GRADER_PYTHON:-$ROOT/venv/bin/python}}"
export PYTHONPATH="$ROOT/source/package${{PYTHONPATH:+:$PYTHONPATH}}"
export GRADER_COURSE_DIR="$ROOT/source/package"
mkdir -p "$ROOT/results"
"$PYTHON" -m grader.gradescope run "$ROOT" {assignment} || true
if ! "$PYTHON" -c 'import json, sys; json.load(open(sys.argv[1]))' "$ROOT/results/results.json" 2>/dev/null; then
    printf '%s\\n' '{{"score": 0, "output": "The autograder could not start; your instructor has been told to re-grade this submission.", "tests": [], "visibility": "visible"}}' > "$ROOT/results/results.json"
fi
"""

# Result fields for the instructor only: tracebacks of grader errors quote the hidden suite.
PRIVATE_TEST_FIELDS = ("internal",)


class GradescopeError(Exception):
    """The autograder zip cannot be built (one line)."""


def _ignore(directory: str, names: list[str]) -> set[str]:
    return {n for n in names if n in ("__pycache__", ".pytest_cache") or n.endswith(".pyc")}


def build_autograder(assignment_id: str, out: Path, secret: str | None = None) -> list[str]:
    """Write the autograder zip of one assignment; returns its files."""
    from grader.grading import course_secret

    a = course.load_assignment(assignment_id)
    root = course.course_root()
    if not a.suite_dir.is_dir() or not a.solution_dir.is_dir():
        raise GradescopeError(f"{assignment_id}: no hidden suite or reference solution here")
    with tempfile.TemporaryDirectory(prefix="grader-gradescope-") as tmp:
        package = Path(tmp) / "package"
        shutil.copytree(course.PACKAGE_DIR, package / "grader", ignore=_ignore)
        for suite in (package / "grader" / "suites").iterdir():
            if suite.is_dir() and suite.name not in (assignment_id, "locale") and \
                    not suite.name.startswith("."):
                shutil.rmtree(suite)                  # only this assignment's hidden tests
        # the main reference only: the other tracks' references are validate's, not the autograder's
        shutil.copytree(a.solution_dir, package / "solutions" / assignment_id,
                        ignore=lambda d, names: _ignore(d, names) | ({course.TRACKS_DIR} & set(names)))
        if a.stub_dir.is_dir():
            shutil.copytree(a.stub_dir, package / "assignments" / assignment_id, ignore=_ignore)
        for name in ("pyproject.toml", "constraints.txt"):
            shutil.copy2(root / name, package / name)
        (package / "README.md").write_text(f"The autograder of {assignment_id} (nn-autograder).\n")
        # the feedback in the course's language (the suites' titles: suites/locale, kept above)
        i18n.write_course_language(package, i18n.course_language(course.course_config(root)))
        (package / ".grader-secret").write_text((secret or course_secret()) + "\n")
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        files = []
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name, text in (("setup.sh", SETUP), ("run_autograder", RUN.format(assignment=assignment_id))):
                info = zipfile.ZipInfo(name)
                info.external_attr = 0o755 << 16
                z.writestr(info, text)
                files.append(name)
            for p in sorted(package.rglob("*")):
                if p.is_file():
                    arc = p.relative_to(tmp).as_posix()
                    z.write(p, arc)
                    files.append(arc)
    return files


def _student(root: Path) -> str:
    """The student's id from Gradescope's submission_metadata.json (else "student")."""
    try:
        meta = json.loads((root / "submission_metadata.json").read_text())
        user = (meta.get("users") or [{}])[0]
        for key in ("sid", "email", "id", "name"):
            value = str(user.get(key) or "").strip()
            if value:
                return value.replace("/", "_")
    except (OSError, ValueError, AttributeError, TypeError, IndexError):
        pass
    return "student"


def for_gradescope(result: dict) -> dict:
    """Our result (already Gradescope's schema) without the instructor-only details."""
    for test in result.get("tests", []):
        for key in PRIVATE_TEST_FIELDS:
            (test.get("extra_data") or {}).pop(key, None)
    extra = result.get("extra_data") or {}
    result["extra_data"] = {k: extra.get(k) for k in ("verdict", "reason", "isolation",
                                                      "warnings", "late", "internal_errors")}
    return result


def run(root: Path, assignment_id: str) -> dict:
    """Grade ROOT/submission and write ROOT/results/results.json, whatever happens."""
    started = time.monotonic()
    results = root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    try:
        from grader.grading import grade_submission
        from grader.submissions import Submission

        folder = root / "submission"
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder} does not exist")
        i18n.set_language(i18n.for_course())     # the package's course.toml
        result = for_gradescope(grade_submission(Submission(_student(root), assignment_id, folder)))
    except BaseException as exc:  # noqa: BLE001  the results file must exist, and be JSON
        traceback.print_exc()
        result = {"score": 0, "execution_time": round(time.monotonic() - started, 3),
                  "output": ("The autograder failed on this submission "
                             f"({type(exc).__name__}); your instructor will re-grade it."),
                  "tests": [], "visibility": "visible",
                  "extra_data": {"verdict": "ungradable", "internal_errors": 1}}
    tmp = results.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    os.replace(tmp, results)
    return result


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] != "run":
        print("usage: python -m grader.gradescope run ROOT ASSIGNMENT", file=sys.stderr)
        return 2
    run(Path(argv[1]), argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
