"""nbgrader, for instructors who release, collect and grade with it.

- plan.py: which notebook cell each hidden (and public) test belongs to;
- cells.py: the notebook's cells, reading the tests of a cell back, stripping hidden tests;
- course_writer.py: `grader nbgrader COURSE_DIR`, the source notebooks and nbgrader_config.py;
- runner.py: what an exported test cell calls in the kernel (light: it imports the rest lazily);
- kernel.py: the cell's hidden tests run in the kernel, with an in-process worker;
- gradebook.py: scores of `grader grade` written into nbgrader's gradebook.db.

The flow is one-way: plan <- cells <- course_writer; runner -> kernel -> cells. Exported
notebooks call `grader.nbgrader_export.run_hidden_tests`, kept at that path.
"""
