"""What can go wrong in student code, as exceptions that carry a verdict.

The plugin turns each into the test's verdict; none of them is ever the grader's fault.
"""
from __future__ import annotations


class StudentError(Exception):
    """Student code did not produce a value; `verdict` names how (SANDBOX.md section 10)."""

    verdict = "student exception"

    def __init__(self, message: str, *, traceback: str = ""):
        super().__init__(message)
        self.message = message
        self.traceback = traceback

    def feedback(self) -> str:
        lines = self.traceback.rstrip().split("\n") if self.traceback.strip() else []
        if lines and lines[-1].strip() == self.message.strip():
            lines.pop()    # the traceback ends with the message already given above it
        return "\n".join([self.message, *lines])


class StudentException(StudentError):
    """The student's code raised; `type_name` and `mro` describe the exception class."""

    verdict = "student exception"

    def __init__(self, message, *, type_name="Exception", mro=(), traceback=""):
        super().__init__(message, traceback=traceback)
        self.type_name = type_name
        self.mro = tuple(mro) or (type_name,)


class ImportFailed(StudentError):
    verdict = "import error"


class SyntaxFailed(ImportFailed):
    verdict = "syntax error"


class StudentTimeout(StudentError):
    verdict = "timeout"


class CpuLimit(StudentError):
    verdict = "cpu limit"


class MemoryLimit(StudentError):
    verdict = "memory"


class OutputLimit(StudentError):
    verdict = "output limit"


class ForbiddenSyscall(StudentError):
    verdict = "forbidden syscall"


class StudentCrashed(StudentError):
    verdict = "crashed"


class ProtocolViolation(StudentError):
    verdict = "protocol violation"


class UnsendableValue(StudentError):
    """The student returned a value the wire format refuses (too large, odd dtype, ...)."""

    verdict = "invalid output"


class SandboxFailure(Exception):
    """The grader could not talk to the worker as it should: an internal grader error, unless
    the same test passes on the reference (then the student's code caused it)."""


class WorkerUnavailable(SandboxFailure):
    """The sandbox itself could not be started (this machine's fault, before any student
    code ran): always an internal grader error."""
