"""The old import path of the nbgrader wing (now the package grader/nbgrader/), kept because
notebooks exported before the move call `grader.nbgrader_export.run_hidden_tests` in their
hidden test regions. New code imports from grader.nbgrader.<module>."""
from grader.nbgrader.cells import (BEGIN_HIDDEN, END_HIDDEN, RUNNER, cell_scores,  # noqa: F401
                                   cell_tests, is_test_cell, strip_hidden_tests)
from grader.nbgrader.course_writer import (build_source_notebook, read_source_notebooks,  # noqa: F401
                                           worker_environment, write_course)
from grader.nbgrader.plan import (MODULE_CELL, ExportError, SuiteTest, cell_of,  # noqa: F401
                                  hidden_tests, notebook_name, plan)
from grader.nbgrader.runner import quiet_stderr, run_hidden_tests  # noqa: F401
from grader.notebooks import split_module  # noqa: F401
