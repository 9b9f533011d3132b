"""Static checks: read from the submission's syntax tree, nothing is executed."""
from __future__ import annotations

from grader.checks.errors import CheckFailed
from grader.i18n import _


def check_forbidden_imports(submission, forbidden, what: str | None = None) -> None:
    """Fail when the code imports a forbidden module or one of its submodules."""
    from grader.submissions import UnreadableSource

    what = what or _("your submission")
    try:
        imports = submission.imports()
    except UnreadableSource as exc:
        raise CheckFailed(_("{what}: {problem}, so its imports cannot be checked").format(
            what=what, problem=exc)) from None
    found = []
    for name in sorted(imports):
        for bad in forbidden:
            if name == bad or name.startswith(bad + "."):
                found.append(name)
                break
    if found:
        raise CheckFailed(_("{what} imports {found}, which this assignment does not allow (not "
                            "allowed: {forbidden}); use numpy only").format(
            what=what, found=", ".join(found), forbidden=", ".join(forbidden)))
