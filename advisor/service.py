"""The core object the shells (CLI, UI) talk to. Heavy parts load on first use and are then reused.

    >>> advisor = Advisor(Settings.from_env())
    >>> advisor.search("centrumgemeente sociale recherche", k=3)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from advisor.cases import CaseCard, filter_cases
from advisor.embeddings import SentenceTransformerEmbeddings, get_embeddings
from advisor.index import IndexHandle, Manifest, build_index, open_index
from advisor.knowledge import Knowledge, load_knowledge
from advisor.search import Hit, search
from advisor.sections import Section
from advisor.settings import Settings


@dataclass(frozen=True)
class Shown:
    """What ``show`` returns: a section (with the cases inside it) or a case card (with its section)."""

    section: Section
    case: CaseCard | None
    cases_in_section: tuple[CaseCard, ...]


class Advisor:
    def __init__(self, settings: Settings, embeddings: SentenceTransformerEmbeddings | None = None) -> None:
        self.settings = settings
        self._embeddings = embeddings
        self._index: IndexHandle | None = None
        self._lock = threading.Lock()

    @property
    def knowledge(self) -> Knowledge:
        return load_knowledge(self.settings)

    @property
    def embeddings(self) -> SentenceTransformerEmbeddings:
        if self._embeddings is None:
            self._embeddings = get_embeddings(self.settings)
        return self._embeddings

    @property
    def index(self) -> IndexHandle:
        with self._lock:
            if self._index is None:
                self._index = open_index(self.settings, self.embeddings)
            return self._index

    def build_index(self, rebuild: bool = False, progress: bool = False) -> tuple[Manifest, bool]:
        manifest, built = build_index(
            self.settings, self.knowledge, self.embeddings, rebuild=rebuild, progress=progress
        )
        if built:
            with self._lock:
                self._index = None
        return manifest, built

    def search(self, query: str, k: int = 5, theme: str | None = None, case_id: str | None = None) -> list[Hit]:
        if case_id:
            self.knowledge.case(case_id)  # KeyError for an unknown case, before searching
        return search(self.index, query, k=k, theme=theme, case_id=case_id)

    def cases(self, theme: str | None = None, form: str | None = None, partner: str | None = None,
              place: str | None = None) -> list[CaseCard]:
        return filter_cases(list(self.knowledge.cases), theme=theme, form=form, partner=partner, place=place)

    def show(self, identifier: str) -> Shown:
        """A section by id or printed number ('12.3-b', '5.4', 'bijlage'), or a case by id."""
        kb = self.knowledge
        for card in kb.cases:
            if card.id == identifier:
                section = next(s for s in kb.sections if s.start <= card.start < s.end)
                return Shown(section, card, ())
        try:
            section = kb.section(identifier)
        except KeyError:
            numbered = kb.sections_numbered(identifier)
            if not numbered:
                raise KeyError(identifier) from None
            section = numbered[0]
        inside = tuple(c for c in kb.cases if section.start <= c.start < section.end)
        return Shown(section, None, inside)
