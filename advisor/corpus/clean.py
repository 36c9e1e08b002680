"""Turn the report as received (a PDF conversion) into clean text, without rewording anything.

    >>> clean_text("<p>Kennis</p>\\t<p>Voldoende kennis.</p>\\n---\\t--\\n")
    'Kennis | Voldoende kennis.\\n'

What is removed is conversion debris only: HTML tags in table cells, markdown emphasis, table rules,
form feeds and control characters, stray indentation, a paragraph printed twice in a row, and page
breaks that split one sentence over two paragraphs. Words are never changed, so a quote taken from
the cleaned text reads exactly as in the report.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_TABLE_RULE = re.compile(r"^[\s|]*-{2,}[\s|-]*$")
_CELL_PARAGRAPH_BREAK = re.compile(r"</p> *<p>")
_TAG = re.compile(r"</?(p|ul|li|br|span|div)\b[^>]*>")
_EMPHASIS = re.compile(r"\*{1,2}([^*\n]+?)\*{1,2}")
_SPACES = re.compile(r" {2,}")
_SENTENCE_END = (".", ":", ";", "!", "?")


def clean_line(line: str) -> str:
    """Clean one line of the report: tags out, table cells joined by ' | ', emphasis markers removed."""
    line = _CONTROL.sub("", line.replace("\f", ""))
    line = _CELL_PARAGRAPH_BREAK.sub(" / ", line)
    line = _TAG.sub(" ", line)
    line = _EMPHASIS.sub(r"\1", line)
    if "\t" in line:
        cells = [cell.strip() for cell in line.split("\t")]
        line = " | ".join(cell for cell in cells if cell)
    return _SPACES.sub(" ", line).strip()


def _continues(previous: str, line: str) -> bool:
    """A paragraph split by a page break: the first part ends mid-sentence, the second starts in lower case."""
    return bool(previous) and not previous.endswith(_SENTENCE_END) and line[:1].islower()


def clean_text(raw: str) -> str:
    """Clean the whole report; paragraphs are separated by one blank line."""
    paragraphs: list[str] = []
    for raw_line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if _TABLE_RULE.match(raw_line):
            continue
        line = clean_line(raw_line)
        if not line:
            continue
        if paragraphs and line == paragraphs[-1]:
            continue  # the same paragraph printed twice in a row
        if paragraphs and _continues(paragraphs[-1], line) and not _is_heading_like(paragraphs[-1]):
            paragraphs[-1] = f"{paragraphs[-1]} {line}"
            continue
        paragraphs.append(line)
    return "\n\n".join(paragraphs) + "\n"


def _is_heading_like(paragraph: str) -> bool:
    """Short lines are headings, labels or list items; they never continue into the next paragraph."""
    return len(paragraph) < 60
