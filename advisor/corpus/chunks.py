"""Section-aware chunks: none crosses a section or case boundary, and ``report[start:end] == text``.

    >>> chunks = chunk_report(report, sections, cards, max_chars=900)
    >>> report[chunks[0].start : chunks[0].end] == chunks[0].text
    True

A unit (a section body, or a case inside a chapter 14 section) is cut into paragraphs, paragraphs longer
than ``max_chars`` into sentences (and, failing that, into pieces at word boundaries); these are packed
greedily up to ``max_chars``. The text that gets embedded carries a short header (section and case),
because a passage such as "De samenwerking is vastgelegd in een convenant." means little on its own.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass

from advisor.corpus.cases import CaseCard
from advisor.corpus.sections import Section, paragraphs

SOURCE = "samenwerken-in-de-handhaving-2008"
_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+[\"”’)]*|$)\s*")


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    text: str
    start: int
    end: int
    section_id: str
    section: str
    section_title: str
    chapter: int | None
    theme: str | None
    case_id: str | None
    case_title: str | None
    chapter_title: str = ""

    @property
    def header(self) -> str:
        """The context line prepended to the text before embedding."""
        return context_line(self.section, self.section_title, self.chapter_title, self.case_title)

    @property
    def embed_text(self) -> str:
        return f"{self.header}\n{self.text}"

    def metadata(self) -> dict:
        """Flat metadata for the vector store (no None values: Chroma rejects them)."""
        data = asdict(self)
        del data["text"], data["chunk_id"]
        data["unit"] = "chunk"  # the index also holds key statements (unit "statement")
        return {key: ("" if value is None else value) for key, value in data.items()}


def context_line(section: str, section_title: str, chapter_title: str = "", case_title: str | None = None) -> str:
    """Where a chunk sits: "Thema: Sociale zekerheid › 5.5 Conclusies", "14.2 Sociale zekerheid — <case>".

    The chapter title goes first outside chapter 14, so that a section titled only "Conclusies" still says
    which theme it concludes."""
    head = f"{section} {section_title}"
    if case_title:
        return f"{head} — {case_title}"
    if chapter_title and "." in section and chapter_title != section_title:
        return f"{chapter_title} › {head}"
    return head


def chunk_id(source: str, section_id: str, text: str) -> str:
    """A stable id: the same source, section and text always give the same id."""
    return hashlib.sha256(f"{source}\x1f{section_id}\x1f{text}".encode()).hexdigest()[:24]


def _pieces(report: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Spans of paragraphs, or of sentences and word-bounded pieces where a paragraph is too long."""
    spans: list[tuple[int, int]] = []
    for para in paragraphs(report[start:end]):
        p_start = start + para.start
        if len(para.text) <= max_chars:
            spans.append((p_start, p_start + len(para.text)))
            continue
        for sentence in _SENTENCE.finditer(para.text):
            s_text = sentence.group(0).rstrip()
            s_start = p_start + sentence.start()
            while len(s_text) > max_chars:
                cut = s_text.rfind(" ", 0, max_chars)
                cut = cut if cut > 0 else max_chars
                spans.append((s_start, s_start + cut))
                skipped = len(s_text[cut:]) - len(s_text[cut:].lstrip())
                s_start, s_text = s_start + cut + skipped, s_text[cut:].lstrip()
            if s_text:
                spans.append((s_start, s_start + len(s_text)))
    return spans


def _pack(spans: list[tuple[int, int]], max_chars: int) -> list[tuple[int, int]]:
    packed: list[tuple[int, int]] = []
    for start, end in spans:
        if packed and end - packed[-1][0] <= max_chars:
            packed[-1] = (packed[-1][0], end)
        else:
            packed.append((start, end))
    return packed


def _units(sections: list[Section], cards: list[CaseCard]) -> list[tuple[Section, CaseCard | None, int, int]]:
    """Section bodies, with chapter 14 sections cut at their case headings."""
    units = []
    for section in sections:
        inside = sorted((c for c in cards if section.start <= c.start < section.end), key=lambda c: c.start)
        if not inside:
            units.append((section, None, section.start, section.end))
            continue
        if inside[0].heading_start > section.start:
            units.append((section, None, section.start, inside[0].heading_start))
        units.extend((section, card, card.start, card.end) for card in inside)
    return units


def chunk_report(report: str, sections: list[Section], cards: list[CaseCard], max_chars: int = 900) -> list[Chunk]:
    """Cut the report into chunks of at most ``max_chars`` characters."""
    if max_chars < 100:
        raise ValueError("max_chars must be at least 100")
    chunks = []
    for section, card, start, end in _units(sections, cards):
        for c_start, c_end in _pack(_pieces(report, start, end, max_chars), max_chars):
            text = report[c_start:c_end]
            chunks.append(
                Chunk(
                    chunk_id=chunk_id(SOURCE, section.section_id, text),
                    text=text,
                    start=c_start,
                    end=c_end,
                    section_id=section.section_id,
                    section=section.number,
                    section_title=section.title,
                    chapter=section.chapter,
                    theme=section.theme,
                    case_id=card.id if card else None,
                    case_title=card.title if card else None,
                    chapter_title=section.chapter_title,
                )
            )
    return chunks
