"""Split the cleaned report into its sections, with printed numbers, themes and offsets.

    >>> sections = split_sections(load_report(settings))
    >>> sections[0].number, sections[0].title
    ('1', 'Inleiding')

Quirks of this report handled here: the table of contents is skipped; chapter 4's "Betrokken partijen"
has no printed number (it gets 4.2, between 4.1 and 4.3); section 12.3 is printed twice (the second
gets the unique id ``12.3-b``); the appendix "Toetsingskader vitale coalities" is a section of its own
with printed number "Bijlage"; the contact block at the very end is not a section.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from advisor.errors import InputError

THEMES: dict[str, dict[str, str]] = {
    "openbare_ruimte": {"nl": "Handhaving in de openbare ruimte", "en": "Public space"},
    "sociale_zekerheid": {"nl": "Sociale zekerheid", "en": "Social security"},
    "georganiseerde_criminaliteit": {"nl": "Georganiseerde criminaliteit", "en": "Organised crime"},
    "verkeer": {"nl": "Verkeershandhaving", "en": "Traffic"},
    "milieu": {"nl": "Milieuhandhaving", "en": "Environment"},
    "horeca": {"nl": "Horecahandhaving", "en": "Hospitality (horeca)"},
    "integrale_handhaving": {"nl": "Integrale handhaving", "en": "Integral enforcement"},
    "achterstandsgebieden": {"nl": "Achterstandsgebieden", "en": "Deprived areas"},
}
THEME_CHAPTERS = dict(zip(range(4, 12), THEMES))  # chapter 4 -> openbare_ruimte, ... 11 -> achterstandsgebieden
CASE_CHAPTER = 14
APPENDIX_NUMBER = "Bijlage"
_BACK_MATTER = "Voor meer informatie kunt u contact opnemen met"

_CHAPTER = re.compile(r"^(\d{1,2})\.?\s+(\S.{0,78})$")
_SECTION = re.compile(r"^(\d{1,2})\.(\d{1,2})\s+(\S.{0,88})$")
_UNNUMBERED = {"Betrokken partijen"}


class ReportFormatError(InputError):
    """The report text does not have the structure the parser expects."""


@dataclass(frozen=True)
class Paragraph:
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass(frozen=True)
class Section:
    """One section of the report. ``text`` is ``corpus[start:end]``; the heading sits at ``heading_start``."""

    section_id: str
    number: str
    title: str
    chapter: int | None
    chapter_title: str
    theme: str | None
    heading_start: int
    start: int
    end: int
    text: str


def paragraphs(text: str) -> Iterator[Paragraph]:
    """Yield the blank-line separated paragraphs of the cleaned text with their offsets."""
    for match in re.finditer(r"[^\n]+(?:\n[^\n]+)*", text):
        yield Paragraph(match.group(0), match.start())


def theme_of(number: str) -> str | None:
    """The theme of a printed section number: chapters 4-11 and the case sections 14.1-14.8."""
    head, _, tail = number.partition(".")
    if not head.isdigit():
        return None
    chapter = int(head)
    if chapter == CASE_CHAPTER and tail.isdigit():
        return THEME_CHAPTERS.get(3 + int(tail))
    return THEME_CHAPTERS.get(chapter)


def _table_of_contents(paras: list[Paragraph]) -> dict[int, str]:
    """Chapter number -> title, from the table of contents lines such as '4. Thema: Sociale zekerheid | 19'."""
    titles: dict[int, str] = {}
    for para in paras:
        entry = re.match(r"^(\d{1,2})\.\s+(.+?) \| \d+$", para.text)
        if not entry:
            break
        titles[int(entry.group(1))] = entry.group(2)
    if not titles:
        raise ReportFormatError("the table of contents lists no chapters")
    return titles


def _is_heading_text(title: str) -> bool:
    return not title.endswith((".", ";", ",")) and "|" not in title


def split_sections(text: str) -> list[Section]:
    """Parse the cleaned report into ordered sections (see the module docstring for the quirks)."""
    paras = list(paragraphs(text))
    toc_index = next((i for i, p in enumerate(paras) if p.text == "Inhoudsopgave"), None)
    if toc_index is None:
        raise ReportFormatError("no table of contents ('Inhoudsopgave') found")
    appendix_title = next(
        (p.text.split(":", 1)[1].strip() for p in paras[toc_index:] if p.text.startswith("Bijlage:")), None
    )
    chapter_titles = _table_of_contents(paras[toc_index + 1 :])
    body = next((i for i, p in enumerate(paras) if i > toc_index and p.text == f"1. {chapter_titles.get(1)}"), None)
    if body is None:
        raise ReportFormatError("the body of the report (chapter 1 of the table of contents) was not found")

    headings: list[tuple[Paragraph, str, str, int | None, str]] = []  # para, number, title, chapter, chapter title
    chapter, chapter_title, last_minor = 0, "", 0
    end_of_body = len(text)
    for para in paras[body:]:
        line = para.text
        if line.startswith(_BACK_MATTER):
            end_of_body = para.start
            break
        if appendix_title and line == appendix_title and chapter == CASE_CHAPTER:
            chapter, chapter_title = None, appendix_title
            headings.append((para, APPENDIX_NUMBER, appendix_title, None, appendix_title))
            continue
        if chapter is None:
            continue
        section = _SECTION.match(line)
        if section and int(section.group(1)) == chapter and _is_heading_text(section.group(3)):
            minor = int(section.group(2))
            if minor >= last_minor:
                last_minor = minor
                headings.append((para, f"{chapter}.{minor}", section.group(3).strip(), chapter, chapter_title))
                continue
        whole = _CHAPTER.match(line)
        if whole and int(whole.group(1)) == chapter + 1 and whole.group(2) == chapter_titles.get(chapter + 1):
            chapter, chapter_title, last_minor = chapter + 1, whole.group(2).strip(), 0
            headings.append((para, str(chapter), chapter_title, chapter, chapter_title))
            continue
        if line in _UNNUMBERED and chapter in THEME_CHAPTERS:
            last_minor += 1
            headings.append((para, f"{chapter}.{last_minor}", line, chapter, chapter_title))

    sections: list[Section] = []
    seen: dict[str, int] = {}
    for i, (para, number, title, chap, chap_title) in enumerate(headings):
        end = headings[i + 1][0].start if i + 1 < len(headings) else end_of_body
        start = min(para.end + 2, end)
        body_text = text[start:end].rstrip()
        if not body_text:
            continue  # a chapter heading directly followed by its first section
        seen[number] = seen.get(number, 0) + 1
        section_id = number.lower() if seen[number] == 1 else f"{number.lower()}-{chr(ord('a') + seen[number] - 1)}"
        sections.append(
            Section(
                section_id=section_id,
                number=number,
                title=title,
                chapter=chap,
                chapter_title=chap_title,
                theme=theme_of(number),
                heading_start=para.start,
                start=start,
                end=start + len(body_text),
                text=body_text,
            )
        )
    return sections
