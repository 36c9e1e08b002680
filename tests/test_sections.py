"""Parsing the cleaned report into sections: golden list plus invariants and the report's quirks."""

from __future__ import annotations

import pytest

from advisor.corpus.sections import ReportFormatError, split_sections
from tests.golden_files import assert_golden


def test_section_list_matches_golden(knowledge) -> None:
    assert_golden(
        "sections.json",
        [
            {"section_id": s.section_id, "number": s.number, "title": s.title, "chapter": s.chapter,
             "theme": s.theme, "start": s.start, "end": s.end}
            for s in knowledge.sections
        ],
    )


def test_sections_are_ordered_disjoint_and_point_at_their_text(knowledge) -> None:
    previous_end = 0
    for section in knowledge.sections:
        assert previous_end <= section.heading_start < section.start < section.end
        assert knowledge.report[section.start : section.end] == section.text
        assert knowledge.report[section.heading_start :].split("\n", 1)[0].endswith(section.title)
        previous_end = section.end
    assert len({s.section_id for s in knowledge.sections}) == len(knowledge.sections)


def test_table_of_contents_is_skipped(knowledge) -> None:
    toc = knowledge.report.index("Inhoudsopgave")
    first = knowledge.sections[0]
    assert (first.number, first.title) == ("1", "Inleiding")
    assert first.heading_start > toc
    assert all("| 61" not in s.text for s in knowledge.sections)


def test_quirks_of_the_report(knowledge) -> None:
    twice = knowledge.sections_numbered("12.3")
    assert [(s.section_id, s.title) for s in twice] == [
        ("12.3", "Hoe komt samenwerking tot stand?"),
        ("12.3-b", "Samenwerkingsvormen"),
    ]
    assert knowledge.section("4.2").title == "Betrokken partijen"
    appendix = knowledge.section("bijlage")
    assert (appendix.number, appendix.title, appendix.chapter) == ("Bijlage", "Toetsingskader vitale coalities", None)
    assert "Vitale coalitie" in appendix.text
    assert "servicecentrum@minjus.nl" not in knowledge.report[knowledge.sections[-1].start : knowledge.sections[-1].end]


def test_every_theme_chapter_has_its_six_sections_and_theme(knowledge) -> None:
    for chapter in range(4, 12):
        numbers = [s.number for s in knowledge.sections if s.chapter == chapter]
        assert numbers == [f"{chapter}.{i}" for i in range(1, 7)]
        assert len({s.theme for s in knowledge.sections if s.chapter == chapter}) == 1
    case_themes = [s.theme for s in knowledge.sections if s.chapter == 14]
    theme_themes = [s.theme for s in knowledge.sections if s.chapter in range(4, 12) and s.number.endswith(".1")]
    assert case_themes == theme_themes


def test_a_numbered_list_does_not_pass_for_chapters() -> None:
    text = (
        "Inhoudsopgave\n\n1. Inleiding | 7\n\n2. Thema's | 9\n\n1. Inleiding\n\nIntro.\n\n1.1 Doel\n\nTekst.\n\n"
        "1. Achterstandswijken\n\n2. Georganiseerde criminaliteit\n\nMeer tekst.\n\n"
        "2. Thema's\n\n2.1 Eerste\n\nEinde.\n"
    )
    sections = split_sections(text)
    assert [(s.section_id, s.title) for s in sections] == [("1", "Inleiding"), ("1.1", "Doel"), ("2.1", "Eerste")]
    assert "Achterstandswijken" in sections[1].text


def test_text_without_table_of_contents_is_refused() -> None:
    with pytest.raises(ReportFormatError, match="table of contents"):
        split_sections("Zomaar wat tekst.\n")
