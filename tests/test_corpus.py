"""The corpus copy, the cleaning step and its promise never to reword."""

from __future__ import annotations

import re

import pytest

from advisor.corpus.clean import clean_line, clean_text
from advisor.settings import Settings
from tests.conftest import SHARED_REPORT


@pytest.fixture(scope="module")
def raw() -> str:
    return Settings().raw_report_path.read_text(encoding="utf-8")


def test_raw_copy_is_the_report_as_received(raw: str) -> None:
    if not SHARED_REPORT.exists():
        pytest.skip("../shared/report is not beside this checkout")
    assert raw == SHARED_REPORT.read_text(encoding="utf-8")


def test_committed_clean_text_is_reproduced_by_the_cleaning_step(raw: str) -> None:
    assert clean_text(raw) == Settings().report_path.read_text(encoding="utf-8")


def test_source_note_has_title_date_and_copyright() -> None:
    note = (Settings().corpus_dir / "SOURCE.md").read_text(encoding="utf-8")
    assert "Samenwerken, daar zit muziek in" in note
    assert "maart 2008" in note
    assert "Uit dit werk mag geciteerd worden binnen de" in note


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("<p>Kennis</p> <p>Op de juiste plaats</p>\t<p>Tekst.</p>", "Kennis / Op de juiste plaats | Tekst."),
        (
            'Regie\t<ul style="list-style-type: none"> - Agenderen - Convenant \t<ul> - Helder',
            "Regie | - Agenderen - Convenant | - Helder",
        ),
        ("- **inhoud van de handhaving**", "- inhoud van de handhaving"),
        ("- *Centrumgemeente* (Twente, Deventer, Delft)", "- Centrumgemeente (Twente, Deventer, Delft)"),
        ("  \f tekst\x07 met   spaties ", "tekst met spaties"),
        ("gemeente\t✓ regie\t", "gemeente | ✓ regie"),
    ],
)
def test_clean_line(line: str, expected: str) -> None:
    assert clean_line(line) == expected


def test_table_rules_repeated_paragraphs_and_page_breaks() -> None:
    raw = (
        "Een zin die doorloopt over de rand van een pagina en dan pas\n\nverder gaat.\n\n---\t--\n\n"
        "Dubbel.\n\nDubbel.\n\nKop\n\nkleine letter na een kop blijft apart.\n"
    )
    assert clean_text(raw) == (
        "Een zin die doorloopt over de rand van een pagina en dan pas verder gaat.\n\nDubbel.\n\nKop\n\n"
        "kleine letter na een kop blijft apart.\n"
    )


def _words(text: str) -> list[str]:
    text = re.sub(r"<[^>]+>", " ", text)
    return re.findall(r"[^\W_]+(?:['’][^\W_]+)*", text)


def test_cleaning_never_rewords(raw: str) -> None:
    """Every word of the clean text appears, in order, in the raw text; only one repeated paragraph is lost."""
    clean_words, raw_words = _words(clean_text(raw)), _words(raw)
    position = 0
    for word in clean_words:
        position = raw_words.index(word, position) + 1  # ValueError = a word that is not in the raw text
    dropped = len(raw_words) - len(clean_words)
    repeated = "In het onderstaande schema is aangegeven welke partijen binnen dit thema een regievoerende taak"
    assert 0 < dropped < 2 * len(_words(repeated)) + 10
    assert clean_text(raw).count(repeated) == raw.count(repeated) - 1
