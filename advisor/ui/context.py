"""What the pages of the app share: the ``Context`` every page reads, the ``Page`` each returns for the language
switch, and small helpers (a question error in the user's language, a whole section or case to open)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from advisor.retrieval.question import MAX_QUERY_CHARS, QueryError
from advisor.service import Advisor


@dataclass
class Page:
    """What a page hands to the language switch: controls relabelled by key, buttons retitled by key, and controls
    whose info line (the small text under a label) is rewritten by key."""

    labelled: dict = field(default_factory=dict)
    buttons: dict = field(default_factory=dict)
    infos: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """What every page reads: the advisor, the vocabulary's slugs, the generators and where exports go."""

    advisor: Advisor
    forms: list[str]
    partners: list[str]
    generator_choices: list[str]
    default_generator: str
    export_dir: Path
    local_missing: bool = False  # the local model is not installed: the generator menus say how to add it


def query_error_text(error: QueryError, words: dict) -> str:
    """The user's-language message for a question that cannot be searched."""
    if error.code == "too_long":
        return words["too_long"].format(n=error.length, max=MAX_QUERY_CHARS)
    return words.get(error.code, str(error))  # "empty" and "binary" are translated


def open_source(advisor: Advisor, choice: str | None) -> str:
    """A whole section or case, for 'case:<id>' or 'section:<id>'."""
    if not choice:
        return ""
    kind, _, identifier = choice.partition(":")
    shown = advisor.show(identifier)
    if kind == "case" and shown.case:
        return f"### {shown.case.title}\n_{shown.section.number} {shown.section.title}_\n\n{shown.case.text}"
    return f"### {shown.section.number} {shown.section.title}\n\n{shown.section.text}"
