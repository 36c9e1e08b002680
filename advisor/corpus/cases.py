"""Case cards: the 35 practice examples of chapter 14, found in the text and joined to curated metadata.

    >>> cards = load_cases(report, sections, settings.corpus_dir / "cases.yaml")
    >>> cards[0].title
    'Handhaving openbare ruimte in Den Haag'

The parser finds the case headings in the text on its own; ``corpus/cases.yaml`` holds what a reader
curated about each case (places, forms, partners, motive, key quotes). Both must agree one to one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from advisor.corpus.sections import CASE_CHAPTER, THEME_CHAPTERS, Section, paragraphs
from advisor.errors import InputError

_CASE_HEADING_MAX = 100
_NOT_A_HEADING = re.compile(r"[.:;,!?]$|^-|\|")


class CaseDataError(InputError):
    """The case metadata and the case headings found in the report do not agree."""


@dataclass(frozen=True)
class CaseCard:
    """One practice example. ``start``/``end`` delimit its text (after the heading) in the cleaned corpus."""

    id: str
    title: str
    section: str
    theme: str
    places: tuple[str, ...]
    aliases: tuple[str, ...]
    forms: tuple[str, ...]
    partners: tuple[str, ...]
    motive: str
    success_factors: tuple[str, ...]
    bottlenecks: tuple[str, ...]
    years: tuple[int, ...]
    key_quotes: tuple[str, ...]
    heading_start: int
    start: int
    end: int
    text: str = field(repr=False)

    def to_dict(self) -> dict:
        """Plain data for JSON output."""
        return {
            "id": self.id,
            "title": self.title,
            "section": self.section,
            "theme": self.theme,
            "places": list(self.places),
            "aliases": list(self.aliases),
            "forms": list(self.forms),
            "partners": list(self.partners),
            "motive": self.motive,
            "success_factors": list(self.success_factors),
            "bottlenecks": list(self.bottlenecks),
            "years": list(self.years),
            "key_quotes": list(self.key_quotes),
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class CaseHeading:
    title: str
    section: Section
    heading_start: int
    start: int
    end: int


@dataclass(frozen=True)
class Mention:
    """A theme chapter naming a case by place, e.g. '(Den Haag, Heemstede)' in 4.4."""

    section: str
    text: str
    start: int
    case_id: str | None


def find_case_headings(report: str, sections: list[Section]) -> list[CaseHeading]:
    """Find the case headings in chapter 14: short paragraphs without closing punctuation."""
    found: list[CaseHeading] = []
    for section in sections:
        if section.chapter != CASE_CHAPTER:
            continue
        starts = [
            p
            for p in paragraphs(report[section.start : section.end])
            if len(p.text) <= _CASE_HEADING_MAX and not _NOT_A_HEADING.search(p.text) and "\n" not in p.text
        ]
        for i, para in enumerate(starts):
            heading_start = section.start + para.start
            body_start = heading_start + len(para.text) + 2
            end = section.start + starts[i + 1].start if i + 1 < len(starts) else section.end
            end = section.start + len(report[section.start : end].rstrip())
            found.append(CaseHeading(para.text, section, heading_start, body_start, end))
    return found


def load_case_metadata(path: Path) -> list[dict]:
    """Read the curated case metadata (a YAML list of mappings)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise CaseDataError(f"{path} must hold a list of cases")
    return data


def title_key(title: str) -> str:
    """Compare case titles tolerantly: case, dashes and spacing do not matter."""
    return re.sub(r"[\s\-–—/:]+", " ", title.lower()).strip()


def load_cases(report: str, sections: list[Section], metadata_path: Path) -> list[CaseCard]:
    """Join the headings found in the report with the curated metadata; any mismatch is an error."""
    headings = find_case_headings(report, sections)
    metadata = load_case_metadata(metadata_path)
    by_title = {title_key(m["title"]): m for m in metadata}
    unmatched = [h.title for h in headings if title_key(h.title) not in by_title]
    found_titles = {title_key(h.title) for h in headings}
    missing = [m["title"] for m in metadata if title_key(m["title"]) not in found_titles]
    if unmatched or missing:
        raise CaseDataError(f"case headings without metadata: {unmatched}; metadata without a heading: {missing}")
    cards = []
    for heading in headings:
        meta = by_title[title_key(heading.title)]
        cards.append(
            CaseCard(
                id=meta["id"],
                title=heading.title,
                section=heading.section.number,
                theme=heading.section.theme or "",
                places=tuple(meta.get("places") or ()),
                aliases=tuple(meta.get("aliases") or ()),
                forms=tuple(meta.get("forms") or ()),
                partners=tuple(meta.get("partners") or ()),
                motive=meta.get("motive", ""),
                success_factors=tuple(meta.get("success_factors") or ()),
                bottlenecks=tuple(meta.get("bottlenecks") or ()),
                years=tuple(int(y) for y in meta.get("years") or ()),
                key_quotes=tuple(meta.get("key_quotes") or ()),
                heading_start=heading.heading_start,
                start=heading.start,
                end=heading.end,
                text=report[heading.start : heading.end],
            )
        )
    return cards


def link_mentions(report: str, sections: list[Section], cards: list[CaseCard]) -> list[Mention]:
    """Link places named in the theme chapters (4-11) to the cards of the same theme.

    Every alias or place of a card found in its theme chapter is a mention; place lists in brackets in the
    "Samenwerkingsvormen" sections that match no card are returned too, with ``case_id`` None
    (e.g. Tilburg, which the report names but does not describe in chapter 14).
    """
    mentions: list[Mention] = []
    for section in sections:
        if section.chapter not in THEME_CHAPTERS:
            continue
        theme_cards = [c for c in cards if c.theme == section.theme]
        linked_spans: list[tuple[int, int]] = []
        for card in theme_cards:
            for name in sorted({*card.aliases, *card.places}, key=len, reverse=True):
                for match in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", section.text):
                    span = (section.start + match.start(), section.start + match.end())
                    if any(a <= span[0] < b for a, b in linked_spans):
                        continue
                    linked_spans.append(span)
                    mentions.append(Mention(section.number, name, span[0], card.id))
        if section.title != "Samenwerkingsvormen":
            continue
        for group in re.finditer(r"\(([A-Z'][^()]{2,60})\)", section.text):
            for part in re.split(r",\s*|\s+en\s+", group.group(1)):
                part = part.strip()
                offset = section.start + group.start(1) + group.group(1).find(part)
                if part and not any(a <= offset < b for a, b in linked_spans):
                    mentions.append(Mention(section.number, part, offset, None))
    return sorted(mentions, key=lambda m: m.start)


def _fold(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("-", " ")


def filter_cases(
    cards: list[CaseCard],
    theme: str | None = None,
    form: str | None = None,
    partner: str | None = None,
    place: str | None = None,
) -> list[CaseCard]:
    """Cards matching every given filter. Theme, form and partner are vocabulary slugs (exact);
    place matches any place or alias, ignoring case, accents and dashes (``den bosch`` finds 's-Hertogenbosch
    only when the card lists that alias)."""
    wanted_place = _fold(place) if place else None
    return [
        card
        for card in cards
        if (not theme or card.theme == theme)
        and (not form or form in card.forms)
        and (not partner or partner in card.partners)
        and (not wanted_place or any(wanted_place in _fold(name) for name in (*card.places, *card.aliases)))
    ]
