"""Citations that are true: parse [n] markers, check each against the retrieved chunks, keep only what holds.

    >>> checked = check_citations(text, sources, supports)
    >>> checked.text, checked.citations, checked.unsupported

A citation is valid when its marker points at a retrieved source and its quote occurs verbatim in that source. A
source may stand for a key statement; its marker then cites the statement's quote at its place (``cited``).
Small models break formats, so the parser accepts [1], [1, 2], [1][2], (1) and 【1】, and when a sentence gives
no quote of its own the quote is the source sentence that shares most words with it (verbatim by
construction). A sentence whose citations are all invalid, or that the ``supports`` check rejects, is marked
as unsupported; a citation to anything that was not retrieved is never shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace

from advisor.retrieval.hits import Hit, Placed

_MARKER = re.compile(r"(?:\[|【|\()\s*(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\s*(?:\]|】|\))")
_QUOTED = re.compile(r"[\"“„']([^\"“”„']{12,}?)[\"”']")
_BOUNDARY = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"”’)\]])\s+|\n+")
_TRAILING_MARKERS = re.compile(r"[.!?]\s*((?:(?:\[|【)\s*\d{1,2}(?:\s*[,;]\s*\d{1,2})*\s*(?:\]|】)\s*)+)$")
_LEADING_MARKERS = re.compile(r"^((?:\s*(?:\[|【)\s*\d{1,2}(?:\s*[,;]\s*\d{1,2})*\s*(?:\]|】))+)\s*")
_WORD = re.compile(r"[^\W_]{3,}")
UNSUPPORTED_MARK = "⚠"


@dataclass(frozen=True)
class Citation(Placed):
    n: int
    chunk_id: str
    section: str
    section_id: str
    section_title: str
    case_id: str | None
    case_title: str | None
    quote: str
    start: int  # offsets of the quote in the cleaned report
    end: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Checked:
    text: str
    citations: tuple[Citation, ...]
    unsupported: tuple[str, ...]
    invalid_markers: int


def sentences(text: str) -> list[str]:
    """Split at sentence ends followed by white space ("5.4" stays whole); markers written after the full stop
    ("… gemeente. [2] Verder …") go back to the sentence they close."""
    out: list[str] = []
    for piece in _BOUNDARY.split(text):
        piece = piece.strip()
        if not piece:
            continue
        leading = _LEADING_MARKERS.match(piece)
        if leading and out:
            out[-1] = f"{out[-1]} {leading.group(1).strip()}"
            piece = piece[leading.end() :].strip()
        if piece:
            out.append(piece)
    return out


def source_sentences(text: str) -> list[str]:
    """Quotable sentences of a passage (a list item's leading dash left out; the rest is verbatim)."""
    return [s.removeprefix("- ").strip() for s in sentences(text) if len(s) > 15]


def words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def best_quote(claim: str, source: str) -> str:
    """The sentence of the source that shares most words with the claim (verbatim from the source)."""
    candidates = source_sentences(source) or [source.strip()]
    claim_words = words(claim)
    return max(candidates, key=lambda s: (len(words(s) & claim_words), -abs(len(s) - 160)))


def make_citation(n: int, hit: Hit, quote: str, start: int | None = None) -> Citation:
    """A citation of a quote in a hit; ``start`` where the quote's place in the report is known (a statement's)."""
    if start is None:
        start = hit.start + max(hit.text.find(quote), 0)
    return Citation(n, hit.chunk_id, hit.section, hit.section_id, hit.section_title, hit.case_id, hit.case_title,
                    quote, start, start + len(quote))


def check_citations(
    text: str,
    sources: list[Hit],
    supports: Callable[[str, Hit], bool] | None = None,
    drop_unsupported: bool = False,
    attribute: Callable[[str], int | None] | None = None,
    cited: Sequence[Citation] | None = None,
) -> Checked:
    """Validate every marker of a generated text against the numbered sources (1-based).

    Markers are renumbered in order of first use; unsupported sentences are marked with ⚠ (or dropped).
    ``attribute`` gives a sentence without any marker the number of the source that supports it best, if any
    does (the chunk-level fallback for models that drop the format). ``cited`` gives each source the citation
    it stands for (a key statement's quote at its place in the report), instead of the source's sentence that
    shares most words with the claim."""
    renumber: dict[tuple[int, str], int] = {}
    citations: list[Citation] = []
    unsupported: list[str] = []
    invalid = 0
    out_lines: list[str] = []
    block: list[int] = []  # the markers that opened the current block of lines
    for line in text.split("\n"):
        out_sentences = []
        # A line that opens with markers ("[2] The report …") cites them for each of its sentences, and so do
        # the unmarked lines after it (a list under it); a line that closes with markers ("… groter. [1]")
        # cites them for its own sentences. Small models cite by paragraph, not by sentence.
        leading = _LEADING_MARKERS.match(line.strip())
        if leading:
            block = _numbers(leading.group(1))
        default = block
        line = line.strip()[leading.end():] if leading else line
        parts = sentences(line) if line.strip() else []
        if not default and parts and _TRAILING_MARKERS.search(parts[-1]):
            default = _numbers(_TRAILING_MARKERS.search(parts[-1]).group(0))
        for sentence in parts:
            numbers = _numbers(sentence) or default
            if not numbers and attribute is not None and _needs_citation(sentence):
                found = attribute(sentence)
                numbers = [found] if found else []
            body = _MARKER.sub("", sentence).strip()
            body = re.sub(r"\s+([.,;:!?])", r"\1", body)
            quoted = [q.strip() for q in _QUOTED.findall(body)]
            kept: list[int] = []
            for number in dict.fromkeys(numbers):
                if not 1 <= number <= len(sources):
                    invalid += 1
                    continue
                hit = sources[number - 1]
                if cited is not None:
                    quote = cited[number - 1].quote
                else:
                    quote = next((q for q in quoted if q in hit.text), None) or best_quote(body, hit.text)
                if supports is not None and not supports(body, hit):
                    invalid += 1
                    continue
                key = (number, quote)
                if key not in renumber:
                    renumber[key] = len(citations) + 1
                    citations.append(replace(cited[number - 1], n=renumber[key]) if cited is not None
                                     else make_citation(renumber[key], hit, quote))
                kept.append(renumber[key])
            if kept:
                out_sentences.append(_attach(body, kept))
            elif _needs_citation(body):
                unsupported.append(body)
                if not drop_unsupported:
                    out_sentences.append(f"{body} {UNSUPPORTED_MARK}")
            else:
                out_sentences.append(body)
        out_lines.append(" ".join(out_sentences) if out_sentences else "")
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(out_lines)).strip()
    return Checked(cleaned, tuple(citations), tuple(unsupported), invalid)


def _numbers(text: str) -> list[int]:
    return [int(x) for group in _MARKER.findall(text) for x in re.split(r"\s*[,;]\s*", group)]


def _attach(body: str, markers: list[int]) -> str:
    tags = "".join(f"[{n}]" for n in markers)
    match = re.search(r"[.!?]+[\"”’)]*$", body)
    return f"{body[: match.start()]} {tags}{body[match.start():]}" if match else f"{body} {tags}"


def _needs_citation(sentence: str) -> bool:
    """Headings, list labels and short framing lines need no source; claims do."""
    return len(words(sentence)) >= 5 and not sentence.rstrip().endswith(":")
