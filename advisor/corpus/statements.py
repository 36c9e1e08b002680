"""Key statements: self-contained claims, in Dutch and English, each anchored to the report's exact words.

    >>> statements = load_statements(settings.corpus_dir / "statements")
    >>> s = statements[0]
    >>> s.id, s.kind, report[s.start:s.end] == s.quote
    ('1-001', 'finding', True)

Written by reading the report, one YAML file per chapter (``corpus/statements/``). This module loads them,
checks what can be checked without a model (quotes at their offsets, ids, kinds, subjects, place, length,
pronoun-led text) and measures coverage: the share of the report's content sentences that lie inside the
quote of at least one statement. Faithfulness against the quote is checked by the overlap judge in the tests
(``tests/test_statements.py``), with a reviewed list for faithful rewrites that judge cannot recognise.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from advisor.corpus.cases import CaseCard
from advisor.corpus.chunks import context_line
from advisor.corpus.sections import Section, paragraphs
from advisor.errors import InputError

KINDS = (
    "definition", "finding", "motive", "participants", "working_method", "financing", "advantage",
    "disadvantage", "success_factor", "bottleneck", "condition", "step", "recommendation", "figure", "example",
)
# A statement may not open with a word that leans on what came before it.
PRONOUN_LEAD = re.compile(
    r"^(dit|dat|deze|die|zij|ze|hij|het\s+(?:is|zijn|was|gaat)|hun|hen|daar\w*|hier\w*|"
    r"this|that|these|those|they|it|its|their|there|here)\b",
    re.IGNORECASE,
)
MIN_WORDS, MAX_WORDS = 6, 50
# Who wrote the report for whom (its title pages and 1.2): a statement may name them wherever it stands.
REPORT_HEADING = ("Het rapport Samenwerken, daar zit muziek in: succesvol samenwerken in de handhaving; "
                  "onderzoek van AEF "
                  "voor het programma Handhaven met Effect")
COVERED_SHARE = 0.85  # a sentence is covered when quotes span this share of its characters
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“'‘(•–-])")


class StatementDataError(InputError):
    """A statement file cannot be read or a statement breaks a rule."""


@dataclass(frozen=True)
class Statement:
    id: str
    section_id: str
    case_id: str | None
    kind: str
    subjects: tuple[str, ...]
    nl: str
    en: str
    quote: str
    start: int
    end: int
    file: str = ""

    def to_dict(self) -> dict:
        data = asdict(self)
        data["subjects"] = list(self.subjects)
        data.pop("file")
        return data


def statement_files(directory: Path) -> list[Path]:
    """The statement files in reading order (ch02 before ch10, ch12-3 before ch12-5); reviewed.yaml is not one."""
    def natural(path: Path) -> list:
        return [int(n) if n.isdigit() else n for n in re.split(r"(\d+)", path.stem)]

    named = (p for p in directory.glob("*.yaml") if re.fullmatch(r"ch\d+(-\d+)?|bijlage", p.stem))
    return sorted(named, key=natural)


def read_file(path: Path) -> list[dict]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise StatementDataError(f"{path.name}: not valid YAML: {exc}") from exc
    items = data.get("statements") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise StatementDataError(f"{path.name}: expected a mapping with a 'statements' list")
    return items


def _statement(item: dict, file: str) -> Statement:
    missing = [key for key in ("id", "section_id", "kind", "nl", "en", "quote") if not item.get(key)]
    if missing:
        raise StatementDataError(f"{file}: statement {item.get('id', '?')}: missing {', '.join(missing)}")
    subjects = item.get("subjects") or []
    return Statement(
        id=str(item["id"]), section_id=str(item["section_id"]), case_id=item.get("case_id") or None,
        kind=str(item["kind"]), subjects=tuple(str(s) for s in subjects),
        nl=" ".join(str(item["nl"]).split()), en=" ".join(str(item["en"]).split()), quote=str(item["quote"]),
        start=int(item.get("start", -1)), end=int(item.get("end", -1)), file=file,
    )


def load_statements(directory: Path) -> list[Statement]:
    """Every statement of every file, in file order. Raises on unreadable files or missing fields."""
    statements = []
    for path in statement_files(directory):
        statements += [_statement(item, path.name) for item in read_file(path)]
    return statements


def statements_digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in statement_files(directory):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def scope(section: Section, card: CaseCard | None) -> tuple[int, int]:
    """The span of the corpus a statement's quote must lie in: its case's text, or its section's."""
    return (card.start, card.end) if card else (section.start, section.end)


def locate(quote: str, report: str, start: int, end: int) -> tuple[int, int] | None:
    """Offsets of ``quote`` inside ``report[start:end]`` (the first occurrence), or None."""
    at = report.find(quote, start, end)
    return (at, at + len(quote)) if at >= 0 else None


def check_statement(
    s: Statement, report: str, sections: dict[str, Section], cards: dict[str, CaseCard], subjects: set[str]
) -> list[str]:
    """What is wrong with one statement, as messages that start with its id (empty when nothing is)."""
    problems = []
    section = sections.get(s.section_id)
    card = cards.get(s.case_id) if s.case_id else None
    if section is None:
        problems.append(f"unknown section_id {s.section_id!r}")
    if s.case_id and card is None:
        problems.append(f"unknown case_id {s.case_id!r}")
    if card and section and card.section != section.section_id:
        problems.append(f"case {s.case_id} lies in section {card.section}, not {s.section_id}")
    if s.kind not in KINDS:
        problems.append(f"kind {s.kind!r} is not one of {', '.join(KINDS)}")
    if unknown := [x for x in s.subjects if x not in subjects]:
        problems.append(f"unknown subjects {unknown}")
    if report[s.start:s.end] != s.quote or s.start < 0:
        problems.append("quote is not at its offsets in the cleaned corpus")
    elif section:
        low, high = scope(section, card)
        if not (low <= s.start and s.end <= high):
            problems.append(f"quote lies outside its {'case' if card else 'section'} ({low}-{high})")
    for language in ("nl", "en"):
        text = getattr(s, language)
        words = len(text.split())
        if not MIN_WORDS <= words <= MAX_WORDS:
            problems.append(f"{language} has {words} words (allowed {MIN_WORDS}-{MAX_WORDS})")
        if PRONOUN_LEAD.match(text):
            problems.append(f"{language} opens with a word that leans on context: {text.split()[0]!r}")
    return [f"{s.id}: {problem}" for problem in problems]


def check_statements(
    statements: list[Statement], report: str, sections: Iterable[Section], cards: Iterable[CaseCard], subjects: set[str]
) -> list[str]:
    by_section = {s.section_id: s for s in sections}
    by_case = {c.id: c for c in cards}
    problems = []
    seen: set[str] = set()
    for s in statements:
        if s.id in seen:
            problems.append(f"{s.id}: id used twice")
        seen.add(s.id)
        problems += check_statement(s, report, by_section, by_case, subjects)
        home = next((c for c in by_case.values() if c.start <= s.start < c.end), None)
        if home and s.case_id is None:
            problems.append(f"{s.id}: quote lies in case {home.id}; set case_id")
    return problems


def file_sections(name: str, sections: Iterable[Section]) -> list[Section]:
    """The sections a statement file covers, by its name: ch04.yaml is chapter 4, ch14-2.yaml is 14.2,
    ch12-0.yaml the opening text of chapter 12 (before 12.1), bijlage.yaml the appendix."""
    stem = Path(name).stem
    if stem == "bijlage":
        return [s for s in sections if s.section_id == "bijlage"]
    match = re.fullmatch(r"ch(\d+)(?:-(\d+))?", stem)
    if not match:
        raise StatementDataError(f"{name}: name a statement file chNN.yaml, chNN-M.yaml or bijlage.yaml")
    chapter, part = int(match[1]), match[2]
    wanted = None if part is None else str(chapter) if part == "0" else f"{chapter}.{part}"
    return [
        s for s in sections
        if s.number.split(".")[0] == str(chapter) and wanted in (None, s.number) and s.section_id != "bijlage"
    ]


def vocabulary_subjects(vocabulary: dict) -> set[str]:
    return {slug for key in ("forms", "partners", "themes") for slug in (vocabulary.get(key) or {})}


@dataclass(frozen=True)
class Unit:
    """A content sentence (or table row) of the report that some statement's quote must cover."""

    start: int
    end: int
    text: str
    section_id: str


def _is_heading(text: str) -> bool:
    return " | " not in text and len(text.split()) < 8 and not text.rstrip().endswith((".", "?", "!", ":", ";"))


def content_units(sections: Iterable[Section], cards: Iterable[CaseCard]) -> list[Unit]:
    """The sentences and table rows of every section, without headings, case headings and stray labels."""
    heading_starts = {c.heading_start for c in cards}
    units = []
    for section in sections:
        for para in paragraphs(section.text):
            start = section.start + para.start
            if start in heading_starts or _is_heading(para.text):
                continue
            offset = 0
            for piece in _SENTENCE_END.split(para.text):
                at = para.text.index(piece, offset)
                offset = at + len(piece)
                if len(re.findall(r"\w+", piece)) >= 3:
                    units.append(Unit(start + at, start + at + len(piece), piece, section.section_id))
    return units


def uncovered(units: list[Unit], statements: Iterable[Statement], report: str) -> list[Unit]:
    """Units less than ``COVERED_SHARE`` of whose non-space characters lie inside some statement's quote."""
    covered = bytearray(len(report))
    for s in statements:
        if report[s.start:s.end] == s.quote:
            covered[s.start:s.end] = b"\1" * (s.end - s.start)
    missing = []
    for unit in units:
        chars = [i for i in range(unit.start, unit.end) if not report[i].isspace()]
        if chars and sum(covered[i] for i in chars) / len(chars) < COVERED_SHARE:
            missing.append(unit)
    return missing


def support_passage(s: Statement, report: str, section: Section, card: CaseCard | None) -> str:
    """What a statement may lean on: the headings above it (chapter, section, case with its places), the paragraph
    before its quote (a list's lead-in) and the paragraphs its quote lies in.

    A statement names its subject ("In Twente ...") where the quote leaves it to a heading or the sentence before,
    so the faithfulness check reads the quote in that context, never the whole report."""
    low, high = scope(section, card)
    begin = report.rfind("\n\n", low, s.start)
    before = report.rfind("\n\n", low, begin) if begin >= 0 else -1
    finish = report.find("\n\n", s.end, high)
    text = report[before + 2 if before >= 0 else low : finish if finish >= 0 else high].strip()
    headings = [REPORT_HEADING, section.chapter_title, section.title]
    if card:
        headings += [card.title, ", ".join(card.places + card.aliases)]
    return "\n".join(h for h in headings if h) + "\n" + text


STATEMENT_ID_PREFIX = "st:"  # a statement's id in the index, beside the chunks' ids


def index_entry(s: Statement, section: Section, card: CaseCard | None) -> tuple[str, str, str, dict]:
    """What the index stores for a statement: id, the text embedded (where it stands, then the claim in Dutch and
    in English: e5 is multilingual), the document (the Dutch claim) and flat metadata."""
    header = context_line(section.number, section.title, section.chapter_title, card.title if card else None)
    metadata = {
        "unit": "statement", "statement_id": s.id, "section_id": s.section_id, "section": section.number,
        "section_title": section.title, "chapter": section.chapter or 0,
        "theme": (card.theme if card else section.theme) or "",
        "case_id": s.case_id or "", "case_title": card.title if card else "", "kind": s.kind,
        "subjects": ",".join(s.subjects), "en": s.en, "quote": s.quote, "start": s.start, "end": s.end,
    }
    return STATEMENT_ID_PREFIX + s.id, f"{header}\n{s.nl}\n{s.en}", s.nl, metadata
