"""The project's own errors: a shell reports these in one line and exits 2; anything else is a bug and shows as one.

    >>> raise NotFoundError("no case or section 'x'")

Each error keeps the built-in type it always had (a ``QueryError`` is still a ``ValueError``), so callers that
caught the built-in type keep working; the shells catch only ``AdvisorError``.
"""

from __future__ import annotations


class AdvisorError(Exception):
    """Base class of every error whose message tells the user what went wrong and what to do."""


class NotFoundError(AdvisorError, KeyError):
    """An id (case, section, prompt) that does not exist."""

    def __str__(self) -> str:  # KeyError would print the repr of its argument
        return str(self.args[0]) if self.args else "not found"


class InputError(AdvisorError, ValueError):
    """Input from a user or a file that cannot be used as given (the message says why)."""
