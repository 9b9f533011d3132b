"""grader.notebooks: a student's notebook to a gradable module, and a stub to a notebook."""
import json
import subprocess
import sys

import pytest

from grader import notebooks
from grader.notebooks import NotebookError, NotebookSyntaxError, extract_code


def write_nb(path, *cells, **top):
    """A notebook file; a str cell is code, a ("markdown", text) tuple is markdown."""
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}
    for cell in cells:
        kind, text = cell if isinstance(cell, tuple) else ("code", cell)
        nb["cells"].append({"cell_type": kind, "metadata": {}, "source": text,
                            **({"outputs": [], "execution_count": None} if kind == "code" else {})})
    nb.update(top)
    path.write_text(json.dumps(nb))
    return path


def load(code):
    """Run extracted (trusted, test-made) code and return its namespace."""
    ns = {}
    exec(compile(code, "extracted", "exec"), ns)
    return ns


def test_keeps_definitions_and_drops_top_level_work(tmp_path):
    nb = write_nb(tmp_path / "forward.ipynb",
                  ("markdown", "# Title"),
                  "import numpy as np\nfrom math import pi as PI",
                  "def relu(z):\n    return np.maximum(z, 0)\n\nprint('hello')\n"
                  "for epoch in range(10**9):\n    pass\n",
                  "class Layer:\n    scale = 2\n",
                  "relu(np.array([1.0]))\nhistory = train()\nresult = relu(3)")
    code = extract_code(nb, "forward")
    assert "print(" not in code and "for epoch" not in code and "train()" not in code
    assert "relu(3)" not in code
    ns = load(code)
    assert ns["relu"](-1.0) == 0 and ns["Layer"].scale == 2 and ns["PI"] > 3
    assert "history" not in ns and "result" not in ns


def test_header_names_notebook_and_kept_cells(tmp_path):
    nb = write_nb(tmp_path / "forward.ipynb", ("markdown", "x"), "import math",
                  "print(1)", "def f():\n    pass", "def g():\n    pass")
    header = extract_code(nb, "forward").splitlines()[0]
    assert "forward.ipynb" in header and "cells 2, 4-5)" in header


def test_literal_assignments_kept(tmp_path):
    nb = write_nb(tmp_path / "n.ipynb",
                  "EPS = 1e-12\nNEG = -3\nSHAPE = (2, -1)\nCFG = {'lr': 0.1, 'layers': [4, 8]}\n"
                  "NAME: str = 'relu'\na, b = 1, 2\nNOTHING = None\n"
                  "import numpy as np\nzeros = np.zeros(3)\nobj.attr = 1\ncount = len('x')")
    ns = load(extract_code(nb, "m"))
    assert (ns["EPS"], ns["NEG"], ns["SHAPE"], ns["NAME"], ns["a"], ns["b"]) == \
        (1e-12, -3, (2, -1), "relu", 1, 2)
    assert ns["CFG"] == {"lr": 0.1, "layers": [4, 8]} and "NOTHING" in ns
    assert "zeros" not in ns and "count" not in ns


def test_assignment_of_bound_names_kept_unbound_dropped(tmp_path):
    # a dispatch table of the student's own functions works in Jupyter and must work here;
    # one naming something a dropped statement made would fail the import, so it is dropped
    nb = write_nb(tmp_path / "n.ipynb",
                  "import math\ndef relu(z):\n    return max(z, 0)\n",
                  "ACT = {'relu': relu}\nTAU = math.tau\nBAD = {'x': data}\nALIAS = relu")
    ns = load(extract_code(nb, "m"))
    assert ns["ACT"]["relu"](-2) == 0 and ns["TAU"] > 6 and ns["ALIAS"] is ns["relu"]
    assert "BAD" not in ns


def test_ipython_syntax_is_stripped(tmp_path):
    nb = write_nb(tmp_path / "n.ipynb",
                  "%matplotlib inline\n!pip install numpy\nimport math\nmath.sqrt?\n"
                  "?math\nfiles = !ls\n",
                  "def f(x):\n    %time y = x\n    return x + 1\n",
                  "%%time\ndef slow():\n    return 1\n",
                  "def ok():\n    return 2")
    code = extract_code(nb, "m")
    assert "%" not in code and "!" not in code and "?" not in code
    ns = load(code)
    assert ns["f"](1) == 2 and ns["ok"]() == 2 and "math" in ns
    assert "slow" not in ns  # a cell magic's cell is dropped whole


def test_valid_cell_with_question_mark_lines_untouched(tmp_path):
    doc = 'def f():\n    """Why?\n!important\n%% of rows\n    """\n    return 1\n'
    nb = write_nb(tmp_path / "n.ipynb", doc)
    assert load(extract_code(nb, "m"))["f"].__doc__ == "Why?\n!important\n%% of rows\n    "


def test_syntax_error_names_the_cell(tmp_path):
    nb = write_nb(tmp_path / "forward.ipynb", ("markdown", "# T"), "import math",
                  "x = 1\ndef f(:\n    pass")
    with pytest.raises(NotebookSyntaxError) as exc:
        extract_code(nb, "forward")
    assert (exc.value.cell_index, exc.value.lineno) == (3, 2)
    assert str(exc.value).startswith("forward.ipynb: cell 3, line 2: ")
    assert isinstance(exc.value, NotebookError)


def test_compile_errors_beyond_parsing_name_the_cell(tmp_path):
    nb = write_nb(tmp_path / "n.ipynb", "def f():\n    pass", "def g():\n    break")
    with pytest.raises(NotebookSyntaxError, match="cell 2, line 2: 'break' outside loop"):
        extract_code(nb, "m")


def test_cell_too_deep_to_compile_is_a_notebook_error(tmp_path):
    nb = write_nb(tmp_path / "n.ipynb", "x = 1" + " + 1" * 200000)
    with pytest.raises(NotebookSyntaxError, match="cell 1: too deeply nested"):
        extract_code(nb, "m")


def test_syntax_error_after_stripping_magics_keeps_line_numbers(tmp_path):
    nb = write_nb(tmp_path / "n.ipynb", "%matplotlib inline\n!ls\nx = (\n")
    with pytest.raises(NotebookSyntaxError) as exc:
        extract_code(nb, "m")
    assert exc.value.cell_index == 1 and exc.value.lineno == 3


@pytest.mark.parametrize("content, why", [
    ("{not json", "not JSON"),
    (json.dumps({"nbformat": 3, "worksheets": []}), "nbformat 4 required"),
    (json.dumps({"nbformat": 3, "cells": []}), "nbformat 4 required"),
    (json.dumps([{"nbformat": 4, "cells": []}]), "nbformat 4 required"),
    (json.dumps({"nbformat": 4}), "nbformat 4 required"),
    (json.dumps({"nbformat": 4, "cells": [{"cell_type": "code", "source": 5}]}), "cell 1"),
    (json.dumps({"nbformat": 4, "cells": [{"source": "x = 1"}]}), "cell 1"),
    (json.dumps({"nbformat": 4, "cells": ["x = 1"]}), "cell 1"),
    (b"\xff\xfe{}", "not JSON"),
    ("[" * 100000 + "]" * 100000, "not"),
])
def test_invalid_notebooks_rejected(tmp_path, content, why):
    path = tmp_path / "forward.ipynb"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(NotebookError, match=why) as exc:
        extract_code(path, "forward")
    assert str(exc.value).startswith("forward.ipynb: ")


def test_oversize_notebook_rejected(tmp_path, monkeypatch):
    nb = write_nb(tmp_path / "big.ipynb", "x = 1")
    monkeypatch.setattr(notebooks, "MAX_NOTEBOOK_BYTES", nb.stat().st_size - 1)
    with pytest.raises(NotebookError, match="big.ipynb: larger than"):
        extract_code(nb, "m")
    monkeypatch.setattr(notebooks, "MAX_NOTEBOOK_BYTES", nb.stat().st_size)
    assert "x = 1" in extract_code(nb, "m")


def test_missing_file_is_a_notebook_error(tmp_path):
    with pytest.raises(NotebookError, match="gone.ipynb: cannot be read"):
        extract_code(tmp_path / "gone.ipynb", "m")


def test_later_definitions_win(tmp_path):
    nb = write_nb(tmp_path / "n.ipynb", "def f():\n    return 1\nK = 1",
                  "def f():\n    return 2\nK = 2")
    ns = load(extract_code(nb, "m"))
    assert ns["f"]() == 2 and ns["K"] == 2


def test_stored_outputs_ignored_and_list_sources_joined(tmp_path):
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": 1,
         "source": ["def f():\n", "    return 3\n"],
         "outputs": [{"output_type": "stream", "name": "stdout",
                      "text": ["def forged():\n    pass\n"]}]}]}))
    code = extract_code(path, "m")
    assert "forged" not in code and load(code)["f"]() == 3


def test_future_import_in_a_later_cell_is_hoisted(tmp_path):
    nb = write_nb(tmp_path / "n.ipynb", "import math",
                  "from __future__ import annotations\ndef f(x: Undefined) -> int:\n    return 1")
    assert load(extract_code(nb, "m"))["f"](0) == 1


def test_statement_sharing_a_line_with_dropped_code(tmp_path):
    nb = write_nb(tmp_path / "n.ipynb", "import math; print('side effect')")
    code = extract_code(nb, "m")
    assert "import math" in code and "side effect" not in code


def test_write_module_from_notebook(tmp_path):
    nb = write_nb(tmp_path / "forward.ipynb", "def f():\n    return 5")
    dest = notebooks.write_module_from_notebook(nb, tmp_path, "forward")
    assert dest == tmp_path / "forward.py" and load(dest.read_text())["f"]() == 5


def test_build_notebook_cells_and_round_trip():
    stub = ('"""Doc of the module."""\nimport numpy as np\n\nEPS = 1e-12\n\n\n'
            '# --- section ---\n@staticmethod\ndef f(x):\n    """f doc."""\n'
            '    raise NotImplementedError()\n\n\nclass C:\n    pass\n\n\n'
            'if __name__ == "__main__":\n    f(1)\n')
    nb = notebooks.build_notebook(stub, "My title", "01_x")
    ids = [c["id"] for c in nb["cells"]]
    assert ids == ["cell-intro", "cell-setup", "cell-f", "cell-C", "cell-check", "cell-check-run"]
    assert "".join(nb["cells"][0]["source"]) == "# My title\n\nDoc of the module."
    setup, f_cell = nb["cells"][1], nb["cells"][2]
    assert "".join(setup["source"]) == "import numpy as np\n\nEPS = 1e-12"
    assert setup["metadata"]["nbgrader"] == {"grade": False, "solution": False, "locked": True,
                                             "grade_id": "setup", "schema_version": 3}
    assert f_cell["metadata"]["nbgrader"] == {"grade": False, "solution": True,
                                              "locked": False, "grade_id": "f",
                                              "schema_version": 3}
    assert "".join(f_cell["source"]).startswith("# --- section ---\n@staticmethod\ndef f(x):")
    assert "grader check 01_x ." in "".join(nb["cells"][-2]["source"])
    # the check cell runs the public tests in the kernel, and is never part of the graded code
    assert "".join(nb["cells"][-1]["source"]) == "from grader.student import check\ncheck()"
    assert "grader" not in notebooks.module_from_notebook(nb, "x.ipynb", "x").split("\n", 2)[2]
    assert not any("__main__" in "".join(c["source"]) for c in nb["cells"])
    assert (nb["nbformat"], nb["nbformat_minor"]) == (4, 5)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = notebooks.module_from_notebook(nb, "x.ipynb", "x")
    ns = load(code.replace("import numpy as np", ""))
    assert {"f", "C", "EPS"} <= set(ns)


def test_dumps_notebook_is_deterministic():
    nb = notebooks.build_notebook('"""Neurale netværk."""\ndef f():\n    pass\n', "T", "01_x")
    text = notebooks.dumps_notebook(nb)
    # Jupyter's layout, so that opening and saving the notebook changes little
    assert text == json.dumps(json.loads(text), indent=1, sort_keys=True,
                              ensure_ascii=False) + "\n"
    assert "netværk" in text
    assert text == notebooks.dumps_notebook(
        notebooks.build_notebook('"""Neurale netværk."""\ndef f():\n    pass\n', "T", "01_x"))


def test_nbformat_not_imported():
    code = "import sys, grader.notebooks; sys.exit('nbformat' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
