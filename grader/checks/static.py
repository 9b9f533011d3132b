"""Static checks: read from the submission's syntax tree, nothing is executed."""
from __future__ import annotations

from grader.checks.errors import CheckFailed


def check_forbidden_imports(submission, forbidden, what: str = "your submission") -> None:
    """Fail when the code imports a forbidden module or one of its submodules."""
    from grader.submissions import UnreadableSource

    try:
        imports = submission.imports()
    except UnreadableSource as exc:
        raise CheckFailed(f"{what}: {exc}, so its imports cannot be checked") from None
    found = []
    for name in sorted(imports):
        for bad in forbidden:
            if name == bad or name.startswith(bad + "."):
                found.append(name)
                break
    if found:
        raise CheckFailed(f"{what} imports {', '.join(found)}, which this assignment does not "
                          f"allow (not allowed: {', '.join(forbidden)}); use numpy only")
