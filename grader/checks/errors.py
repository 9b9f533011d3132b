"""The two ways a check fails: a wrong value, or a value of the wrong kind."""


class CheckFailed(AssertionError):
    """The student's value is wrong; the message says how, for the student. Verdict "wrong answer"."""

    verdict = "wrong answer"


class InvalidOutput(CheckFailed):
    """The value has the wrong type, shape or dtype, or holds NaN/inf. Verdict "invalid output"."""

    verdict = "invalid output"
