"""What retrieval returns and what it can be restricted to: ``Hit``, ``Filters``, and the one way a place in the
report is named.

    >>> hit.label
    '14.2 Handhaving sociale zekerheid — Sociale Recherche Twente (SRT)'
    >>> Filters(theme="milieu", form="centrumgemeente").chroma_where(knowledge)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from advisor.corpus.cases import filter_cases
from advisor.corpus.knowledge import Knowledge


def source_label(section: str, section_title: str, case_title: str | None = None) -> str:
    """How every shell names a place in the report: '5.4 Samenwerkingsvormen', with ' — <case>' for a case."""
    return f"{section} {section_title}" + (f" — {case_title}" if case_title else "")


class Placed:
    """Anything with a place in the report (a hit, a citation): its label is built here, once."""

    section: str
    section_title: str
    case_title: str | None

    @property
    def label(self) -> str:
        return source_label(self.section, self.section_title, self.case_title)


@dataclass(frozen=True)
class Hit(Placed):
    rank: int
    chunk_id: str
    score: float
    section: str
    section_id: str
    section_title: str
    theme: str | None
    case_id: str | None
    case_title: str | None
    start: int
    end: int
    text: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Filters:
    """Restrictions applied on both sides. ``form``, ``partner`` and ``place`` select case cards."""

    theme: str | None = None
    case_id: str | None = None
    form: str | None = None
    partner: str | None = None
    place: str | None = None
    cases_only: bool = False

    def case_ids(self, knowledge: Knowledge) -> set[str] | None:
        """The cases a chunk must belong to, or None when no case-level filter is set."""
        if not (self.case_id or self.form or self.partner or self.place or self.cases_only):
            return None
        cards = filter_cases(list(knowledge.cases), form=self.form, partner=self.partner, place=self.place)
        ids = {c.id for c in cards}
        return ids & {self.case_id} if self.case_id else ids

    def chroma_where(self, knowledge: Knowledge, unit: str = "chunk") -> dict:
        """The Chroma ``where`` of these filters, for one kind of entry: "chunk" or "statement"."""
        clauses: list[dict] = [{"unit": unit}]
        if self.theme:
            clauses.append({"theme": self.theme})
        case_ids = self.case_ids(knowledge)
        if case_ids is not None:
            clauses.append({"case_id": {"$in": sorted(case_ids) or ["-none-"]}})
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}
