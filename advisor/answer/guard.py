"""The last defence against prompt injection, on the way out: an LLM answer that gives its instructions away is
withheld (the engine then answers extractively).

    >>> guard = OutputGuard(canary, system_prompt)
    >>> guard.leaks(text)          # the canary, also spaced out, or eight words in a row of the system prompt
"""

from __future__ import annotations

import re
import secrets


def new_canary() -> str:
    return f"HH-CANARY-{secrets.token_hex(6).upper()}"


class OutputGuard:
    """Detects an LLM answer that gives its instructions away: the canary (also spaced out or in another case)
    or eight consecutive words of the system prompt (outside its quoted titles)."""

    RUN = 8

    def __init__(self, canary: str, system_prompt: str) -> None:
        self.canary = canary
        self._squashed_canary = _squash(canary)
        words = _words(re.sub(r'"[^"]*"', " ", system_prompt))  # quoted titles may be repeated freely
        self._runs = {tuple(words[i : i + self.RUN]) for i in range(len(words) - self.RUN + 1)}

    @property
    def hold_back(self) -> int:
        """Characters a stream must hold back so that a canary is caught before any of it is shown in full."""
        return 3 * len(self.canary)

    def leaks(self, text: str) -> bool:
        if self._squashed_canary in _squash(text):
            return True
        words = _words(text)
        return any(tuple(words[i : i + self.RUN]) in self._runs for i in range(len(words) - self.RUN + 1))


def _squash(text: str) -> str:
    return re.sub(r"[\W_]", "", text).lower()


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())
