"""What the pages of the app share: the ``Context`` every page reads, the ``Page`` each returns for the language
switch, and small helpers (menu choices in a language, a question error in the user's language, a whole section or
case to open)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from advisor.messages import labels
from advisor.retrieval.question import MAX_QUERY_CHARS, QueryError
from advisor.service import Advisor

Names = dict[str, dict[str, str]]  # slug -> {"nl": shown name, "en": shown name}


@dataclass
class Page:
    """What a page hands to the language switch: controls relabelled by key, buttons retitled by key, controls
    whose info line (the small text under a label) is rewritten by key, menus whose choices are renamed
    (``choices(lang) -> [(shown, value), …]``) and texts rewritten whole (``text(lang) -> str``)."""

    labelled: dict = field(default_factory=dict)
    buttons: dict = field(default_factory=dict)
    infos: dict = field(default_factory=dict)
    choices: dict = field(default_factory=dict)
    texts: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """What every page reads: the advisor, the vocabulary's forms and partners, the generators and where exports
    go."""

    advisor: Advisor
    forms: Names  # the vocabulary's forms and partners, by slug, with their names in both languages
    partners: Names
    generator_choices: list[str]
    default_generator: str
    export_dir: Path
    local_missing: bool = False  # the local model is not installed: the generator menus say how to add it


def named(names: Names, language: str, blank: str | None = None) -> list[tuple[str, str]]:
    """Menu choices (shown name, slug) in a language, in the order of their names, after a first empty choice named
    by the ``blank`` ui key.

        >>> named({"milieu": {"nl": "Milieuhandhaving", "en": "Environment"}}, "en", blank="choice_any")
        [('(all)', ''), ('Environment', 'milieu')]
    """
    side = "en" if language == "en" else "nl"
    first = [(labels(language, "ui")[blank], "")] if blank else []
    shown = sorted(((name[side], slug) for slug, name in names.items()), key=lambda c: c[0].lstrip("(").casefold())
    return first + shown


def worded(values: Iterable[str], language: str) -> list[tuple[str, str]]:
    """Menu choices (shown word, value) for values with a ``ui.choice_<value>`` message: ``worded(["laag"], "en")``
    gives ``[("low", "laag")]``; spaces in a value are underscores in its key."""
    words = labels(language, "ui")
    return [(words["choice_" + value.replace(" ", "_")], value) for value in values]


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
