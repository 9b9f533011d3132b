# Bound by the sandbox over a library that an assignment forbids (e.g. torch in the
# own-framework assignments): importing it, by any name or means, fails with this.
raise ImportError(f"{__name__} is not available in this assignment: its rules forbid using it")
