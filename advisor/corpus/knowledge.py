"""The report as structured knowledge: cleaned text, sections, case cards, place mentions, chunks and key statements.

    >>> kb = load_knowledge(Settings.from_env())
    >>> len(kb.cases), kb.section("12.3-b").title
    (35, 'Samenwerkingsvormen')
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from functools import cached_property

from advisor.corpus.cases import CaseCard, Mention, link_mentions, load_cases
from advisor.corpus.chunks import Chunk, chunk_report
from advisor.corpus.clean import clean_text
from advisor.corpus.sections import Section, split_sections
from advisor.corpus.statements import Statement, load_statements, statements_digest
from advisor.errors import AdvisorError, NotFoundError
from advisor.settings import Settings


class CorpusMissingError(AdvisorError, FileNotFoundError):
    """Neither the cleaned report nor the raw report is where the settings say."""


def derive_clean_report(settings: Settings) -> str:
    """The reproducible cleaning step: raw report in ``corpus/`` -> cleaned text."""
    if not settings.raw_report_path.exists():
        raise CorpusMissingError(f"the report is missing: {settings.raw_report_path}")
    return clean_text(settings.raw_report_path.read_text(encoding="utf-8"))


def write_clean_report(settings: Settings) -> bool:
    """Write the cleaned report if it is missing or stale; True when the file changed."""
    text = derive_clean_report(settings)
    path = settings.report_path
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return True


def load_report(settings: Settings) -> str:
    """The cleaned report text (all offsets in this project point into it)."""
    if settings.report_path.exists():
        return settings.report_path.read_text(encoding="utf-8")
    return derive_clean_report(settings)


@dataclass(frozen=True)
class Knowledge:
    report: str
    sections: tuple[Section, ...]
    cases: tuple[CaseCard, ...]
    chunk_size: int
    cases_digest: str
    statements: tuple[Statement, ...] = ()  # corpus/statements/ (empty when the folder is absent)
    statements_digest: str = ""

    @cached_property
    def chunks(self) -> tuple[Chunk, ...]:
        return tuple(chunk_report(self.report, list(self.sections), list(self.cases), self.chunk_size))

    @cached_property
    def mentions(self) -> tuple[Mention, ...]:
        return tuple(link_mentions(self.report, list(self.sections), list(self.cases)))

    @property
    def corpus_digest(self) -> str:
        """What the index depends on: the text and the curated data (case cards, key statements)."""
        curated = self.cases_digest + ("\x1f" + self.statements_digest if self.statements_digest else "")
        return hashlib.sha256(self.report.encode() + b"\x1f" + curated.encode()).hexdigest()

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.section_id == section_id.lower():
                return section
        raise NotFoundError(f"no section {section_id!r} (sections look like 5.4, 12.3-b, bijlage)")

    def sections_numbered(self, number: str) -> list[Section]:
        """All sections printed with this number (two for 12.3)."""
        return [s for s in self.sections if s.number.lower() == number.lower()]

    @cached_property
    def _cases_by_id(self) -> dict[str, CaseCard]:
        return {card.id: card for card in self.cases}

    def case(self, case_id: str) -> CaseCard:
        try:
            return self._cases_by_id[case_id]
        except KeyError:
            raise NotFoundError(f"no case {case_id!r} (`advisor cases` lists the case ids)") from None


_cache: dict[tuple, Knowledge] = {}
_lock = threading.Lock()


def load_knowledge(settings: Settings) -> Knowledge:
    """Parse the report once per corpus (cached for the life of the process)."""
    report = load_report(settings)
    cases_bytes = settings.cases_path.read_bytes()
    statements_hash = statements_digest(settings.statements_dir) if settings.statements_dir.is_dir() else ""
    key = (hashlib.sha256(report.encode()).hexdigest(), hashlib.sha256(cases_bytes).hexdigest(), settings.chunk_size,
           statements_hash)
    with _lock:
        if key not in _cache:
            sections = split_sections(report)
            cases = load_cases(report, sections, settings.cases_path)
            statements = load_statements(settings.statements_dir) if statements_hash else []
            _cache[key] = Knowledge(report, tuple(sections), tuple(cases), settings.chunk_size, key[1],
                                    tuple(statements), statements_hash)
        return _cache[key]
