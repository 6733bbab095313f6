"""The error every command raises for bad input."""

from __future__ import annotations


class UsageError(Exception):
    """Bad input from the user: printed as one line (a line per problem), exit 2.

    Messages that already name their file (config and journal errors) are printed as they are;
    the others get the command's name in front.
    """

    def __init__(self, message: str, *, located: bool = False) -> None:
        super().__init__(message)
        self.located = located
