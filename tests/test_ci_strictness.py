"""The CI rule of tests/conftest.py: it fails a run on a skip that is not allowed, on a run
that collects nothing and on --collect-only, and lets allowed skips through."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(tmp_path, body, *args, ci=True):
    folder = tmp_path / "t"
    folder.mkdir(exist_ok=True)
    (folder / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    (folder / "test_x.py").write_text(body)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(folder), *args], capture_output=True, text=True, env=env,
                          timeout=120, cwd=folder)


PASSING = "def test_ok():\n    assert True\n"


def test_an_unexpected_skip_fails_in_ci(tmp_path):
    body = PASSING + ("import pytest\n@pytest.mark.skip(reason='chromium missing')\n"
                      "def test_browser():\n    pass\n")
    assert run(tmp_path, body).returncode == 1
    assert run(tmp_path, body, ci=False).returncode == 0


def test_an_allowed_skip_passes(tmp_path):
    body = PASSING + ("import pytest\n@pytest.mark.skip(reason='needs a CUDA GPU (none here)')\n"
                      "def test_gpu():\n    pass\n")
    proc = run(tmp_path, body)
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize("args, body", [(("--collect-only",), PASSING), ((), "x = 1\n")],
                         ids=["collect-only", "no tests"])
def test_a_run_that_tests_nothing_fails_in_ci(tmp_path, args, body):
    assert run(tmp_path, body, *args).returncode != 0
