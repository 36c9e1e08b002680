"""Prompts are files in ``prompts/``, loaded by name; a missing or unknown variable is an error.

    >>> render(settings.prompts_dir, "rerank_relevance", question="…", passage="…")
"""

from __future__ import annotations

import string
from pathlib import Path

from advisor.errors import AdvisorError


class PromptError(AdvisorError, KeyError):
    """A prompt file is missing, or the variables given do not match the ones it uses."""


def load_prompt(prompts_dir: Path, name: str) -> str:
    path = prompts_dir / f"{name}.txt"
    if not path.exists():
        raise PromptError(f"no prompt named {name!r} in {prompts_dir}")
    return path.read_text(encoding="utf-8")


def variables(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def render(prompts_dir: Path, name: str, **values: object) -> str:
    template = load_prompt(prompts_dir, name)
    needed = variables(template)
    missing, unknown = needed - set(values), set(values) - needed
    if missing or unknown:
        raise PromptError(f"prompt {name!r}: missing {sorted(missing)}, unknown {sorted(unknown)}")
    return template.format(**values)
