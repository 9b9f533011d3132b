"""Checks a hidden suite uses to compare the student's values with the reference.

Every failure is a `CheckFailed` whose message a student can act on, and which never shows
the hidden expected values (only shapes, dtypes, positions and sizes of errors).
"""
from grader.checks.accuracy import award_tiers
from grader.checks.errors import CheckFailed, InvalidOutput
from grader.checks.numeric import (check_array, check_not_mutated, check_scalar, close,
                                   describe_input, differ, expect_exception, check_no_warnings)
from grader.checks.static import check_forbidden_imports

__all__ = ["CheckFailed", "InvalidOutput", "check_array", "check_scalar", "check_not_mutated",
           "expect_exception", "check_no_warnings", "check_forbidden_imports", "describe_input",
           "award_tiers", "close", "differ"]
