"""How the checks describe a value and where it came from, in one wording for every message."""
from __future__ import annotations

import numpy as np


def subject(what: str, inputs: str | None) -> str:
    """The subject of a message: what was checked, and on which inputs."""
    return f"{what}" + (f" for {inputs}" if inputs else "")


def kind_of(value) -> str:
    """What a value is, for a message: "a numpy array of dtype int64", "a RemoteObject", "a
    str"; never touches a student's object (no remote call)."""
    if isinstance(value, np.ndarray):
        return f"a numpy array of dtype {value.dtype}"
    type_name = getattr(value, "type_name", None)
    return f"a {type_name or type(value).__name__}"
