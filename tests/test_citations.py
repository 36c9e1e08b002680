"""Citation checking: robust marker parsing, verbatim quotes, nothing cited that was not retrieved."""

from __future__ import annotations

from advisor.answer.citations import UNSUPPORTED_MARK, best_quote, check_citations, sentences
from advisor.retrieval.hits import Hit

TEXT_1 = ("De sociale recherche wordt ondergebracht bij één van de deelnemende gemeenten. "
          "De deelnemende gemeenten betalen gezamenlijk de kosten op basis van het aantal uitkeringsgerechtigden.")
TEXT_2 = "Het Veiligheidshuis brengt het OM, de politie en de gemeente fysiek bij elkaar in één gebouw."


def _hit(n: int, text: str, case: str | None = None) -> Hit:
    return Hit(n, f"chunk-{n}", 0.5, "14.2", "14.2", "Handhaving sociale zekerheid", "sociale_zekerheid",
               case, case.title() if case else None, 100 * n, 100 * n + len(text), text)


SOURCES = [_hit(1, TEXT_1, "twente"), _hit(2, TEXT_2)]


def test_sentence_split_keeps_section_numbers_and_moves_late_markers_back() -> None:
    assert sentences("Zie 12.3 en 5.4 voor meer. Dat klopt. [2] En verder.") == [
        "Zie 12.3 en 5.4 voor meer.", "Dat klopt. [2]", "En verder."]


def test_marker_variants_are_all_understood() -> None:
    for marker in ["[1]", "[ 1 ]", "(1)", "【1】", "[1, 2]", "[1][2]"]:
        checked = check_citations(f"De gemeenten betalen samen de kosten van de sociale recherche {marker}.", SOURCES)
        assert checked.citations and checked.citations[0].chunk_id == "chunk-1", marker
        assert not checked.unsupported


def test_quotes_are_verbatim_and_offsets_point_at_them() -> None:
    checked = check_citations('Het rapport zegt: "brengt het OM, de politie en de gemeente fysiek bij elkaar" [2].',
                              SOURCES)
    citation = checked.citations[0]
    assert citation.quote == "brengt het OM, de politie en de gemeente fysiek bij elkaar"
    assert citation.quote in TEXT_2
    assert citation.end - citation.start == len(citation.quote)
    claim = "De kosten worden verdeeld naar het aantal uitkeringsgerechtigden."
    assert best_quote(claim, TEXT_1) in TEXT_1 and "uitkeringsgerechtigden" in best_quote(claim, TEXT_1)


def test_markers_to_sources_that_were_not_retrieved_are_dropped_and_the_sentence_marked() -> None:
    checked = check_citations("De gemeenten delen de kosten van de recherche [7].", SOURCES)
    assert checked.citations == () and checked.invalid_markers == 1
    assert checked.unsupported == ("De gemeenten delen de kosten van de recherche.",)
    assert checked.text.endswith(UNSUPPORTED_MARK)
    dropped = check_citations("De gemeenten delen de kosten van de recherche [7].", SOURCES, drop_unsupported=True)
    assert dropped.text == ""


def test_a_paragraph_opening_with_a_marker_cites_each_sentence() -> None:
    text = "[1] De sociale recherche zit bij een van de gemeenten. De gemeenten betalen samen de kosten ervan."
    checked = check_citations(text, SOURCES)
    assert len(checked.citations) == 2 and not checked.unsupported
    assert checked.text.count("[") == 2


def test_a_support_check_can_reject_a_citation() -> None:
    checked = check_citations("Het OM zit samen met de politie in het Veiligheidshuis [1].", SOURCES,
                              supports=lambda sentence, hit: hit.chunk_id == "chunk-2")
    assert not checked.citations and checked.unsupported


def test_short_framing_lines_need_no_citation() -> None:
    checked = check_citations("Samengevat:\nDe gemeenten betalen samen [1].", SOURCES)
    assert checked.unsupported == () and checked.text.startswith("Samengevat:")
