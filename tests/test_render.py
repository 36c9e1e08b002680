"""The sources panel marks each cited quote inside its passage: escaped, several and overlapping quotes, a quote's own
offset before its first occurrence, and a quote the passage does not hold (shown under it, never lost)."""

from __future__ import annotations

from dataclasses import dataclass

from advisor.answer.citations import make_citation
from advisor.retrieval.hits import Hit
from advisor.ui.render import highlight, merged, quote_span, sources_html

PASSAGE = "Nadeel: <de> centrumgemeente & de regio. De kosten zijn hoog. Nadeel: <de> kosten."


def hit(text: str = PASSAGE, start: int = 1000, chunk_id: str = "c1") -> Hit:
    return Hit(1, chunk_id, 0.9, "12.3", "12.3", "Samenwerkingsvormen", None, None, None, start, start + len(text),
               text)


@dataclass(frozen=True)
class Answered:
    """What sources_html reads of an answer or an advice."""

    citations: tuple
    sources: tuple


def test_a_quote_is_marked_and_the_passage_escaped() -> None:
    marked = highlight("a <b> & c d", ["<b> & c"])
    assert marked == "a <mark>&lt;b&gt; &amp; c</mark> d"
    assert "<b>" not in marked


def test_several_quotes_in_one_passage_each_get_a_mark() -> None:
    marked = highlight(PASSAGE, ["centrumgemeente", "De kosten zijn hoog."])
    assert marked.count("<mark>") == 2 and marked.count("</mark>") == 2
    assert "<mark>centrumgemeente</mark>" in marked and "<mark>De kosten zijn hoog.</mark>" in marked
    assert "&lt;de&gt;" in marked and "&amp;" in marked


def test_overlapping_quotes_are_one_mark_over_both() -> None:
    text = "een twee drie vier vijf"
    marked = highlight(text, ["twee drie", "drie vier", "twee"])
    assert marked == "een <mark>twee drie vier</mark> vijf"
    assert merged([(5, 9), (0, 3), (2, 4), (9, 10)]) == [(0, 4), (5, 10)]
    # one inside the other, and the same quote twice
    assert highlight(text, ["twee drie vier", "drie", "drie"]) == "een <mark>twee drie vier</mark> vijf"


def test_a_quote_the_passage_does_not_hold_marks_nothing_and_breaks_nothing() -> None:
    assert highlight("tekst <x>", ["niet aanwezig", ""]) == "tekst &lt;x&gt;"
    assert quote_span("tekst", "niet aanwezig", 2) is None
    assert highlight("", ["iets"]) == ""


def test_a_quote_is_marked_at_its_own_offset_not_its_first_occurrence() -> None:
    second = PASSAGE.rindex("Nadeel: <de>")
    assert quote_span(PASSAGE, "Nadeel: <de>", second) == (second, second + len("Nadeel: <de>"))
    marked = highlight(PASSAGE, ["Nadeel: <de>"], [second])
    assert marked.startswith("Nadeel: &lt;de&gt;") and "<mark>Nadeel: &lt;de&gt;</mark> kosten." in marked
    # an offset that does not hold the quote (another chunk's, out of range) falls back to where it stands
    assert quote_span(PASSAGE, "De kosten", 3) == quote_span(PASSAGE, "De kosten", 10_000) == (
        PASSAGE.index("De kosten"), PASSAGE.index("De kosten") + len("De kosten"))


def test_the_sources_panel_marks_each_citation_at_its_report_offset() -> None:
    passage = hit()
    second = PASSAGE.rindex("Nadeel: <de>")
    citations = (make_citation(1, passage, "Nadeel: <de>", passage.start + second),  # a statement's own offset
                 make_citation(2, passage, "centrumgemeente & de regio"),
                 make_citation(3, passage, "de regio. De kosten"))  # overlaps [2]
    html = sources_html(Answered(citations, (passage,)), "en")
    assert "<h3>Sources</h3>" in html and "[1][2][3] 12.3 Samenwerkingsvormen" in html
    assert html.count("<mark>") == 2  # [2] and [3] overlap: one mark
    assert "<mark>centrumgemeente &amp; de regio. De kosten</mark>" in html
    assert "<mark>Nadeel: &lt;de&gt;</mark> kosten." in html and html.count("Nadeel: &lt;de&gt;") == 2
    assert "<de>" not in html and "class='unmarked'" not in html


def test_the_sources_panel_shows_a_quote_its_passage_does_not_hold_under_it() -> None:
    passage = hit()
    elsewhere = make_citation(2, passage, "Een zin <elders>.", passage.start + 5)
    html = sources_html(Answered((make_citation(1, passage, "De kosten zijn hoog."), elsewhere), (passage,)))
    assert "<mark>De kosten zijn hoog.</mark>" in html and html.count("<mark>") == 1
    assert "<p class='unmarked'>“Een zin &lt;elders&gt;.”</p>" in html
    # a cited passage that is not among the sources: its quotes alone, escaped
    alone = sources_html(Answered((make_citation(1, hit(chunk_id="c9"), "A <b> c"),), (passage,)))
    assert "“A &lt;b&gt; c”" in alone and "<mark>" not in alone


def test_no_citations_is_a_dash_in_the_panel() -> None:
    assert "Bronnen: —" in sources_html(object()) and "Sources: —" in sources_html(object(), "en")
