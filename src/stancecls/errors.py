"""Exception classes of stancecls.

Every error a user can cause derives from :class:`StanceclsError` and carries a
``hint`` that says how to fix it; the command line prints ``Error: <message>,
<hint>`` and exits with status 2.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "StanceclsError",
    "LabelError",
    "Problem",
    "InputError",
    "ModelFileError",
]


class StanceclsError(Exception):
    """Base class of the package's errors.

    Parameters
    ----------
    message : str
        What went wrong.
    hint : str, default=""
        How to fix it.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def user_message(self) -> str:
        """``"<message>, <hint>"`` as the command line prints it."""
        return f"{self.message}, {self.hint}" if self.hint else self.message


@dataclass(frozen=True)
class Problem:
    """One problem found in a label file: where it is and what is wrong."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class LabelError(StanceclsError, ValueError):
    """Label files or label data that do not satisfy the schema.

    ``problems`` lists every problem found, each with file and line.
    """

    def __init__(self, problems: list[Problem], hint: str = "") -> None:
        self.problems = list(problems)
        n = len(self.problems)
        shown = "\n  ".join(str(p) for p in self.problems[:50])
        more = f"\n  ... and {n - 50} more" if n > 50 else ""
        message = f"{n} problem{'s' if n != 1 else ''} in the label data:\n  {shown}{more}\n"
        super().__init__(
            message,
            hint or "fix the lines listed above (see data/labels/GUIDELINES.md for the format)",
        )


class InputError(StanceclsError, ValueError):
    """Input to predict that cannot be read: missing file, bad record, wrong column."""


class ModelFileError(StanceclsError):
    """A model file that cannot or must not be loaded."""
