"""The project's error and warning classes.

Every error a user can cause (a malformed file, a wrong chromosome name, a model file that does
not load) is an :class:`NcvError`: a ``ValueError`` whose message names the file, the line where
it applies, the value and what was expected. The CLI prints it in one line and exits with status
2; the app shows it as a message. Anything else is a bug and may show a traceback.
"""

from __future__ import annotations

import os
import warnings


class NcvError(ValueError):
    """A problem with the user's input, explained in one sentence.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    path : str or os.PathLike, optional
        The file the problem is in.
    line : int, optional
        The 1-based line of ``path`` the problem is on.
    """

    def __init__(
        self, message: str, *, path: str | os.PathLike | None = None, line: int | None = None
    ) -> None:
        self.message = message
        self.path = None if path is None else os.fspath(path)
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}, line {self.line}"
            where += ": "
        return where + self.message


class NcvWarning(UserWarning):
    """Something the user should know that does not stop the work."""


def warn(message: str, *, stacklevel: int = 2) -> None:
    """Issue an :class:`NcvWarning`."""
    warnings.warn(message, NcvWarning, stacklevel=stacklevel + 1)
