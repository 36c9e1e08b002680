"""Chunk invariants: exact offsets, size limit, no crossing of section or case boundaries, full coverage."""

from __future__ import annotations

import re

import pytest

from advisor.corpus.chunks import chunk_id, chunk_report


@pytest.mark.parametrize("max_chars", [200, 500, 900, 1500])
def test_chunk_invariants(knowledge, max_chars: int) -> None:
    chunks = chunk_report(knowledge.report, list(knowledge.sections), list(knowledge.cases), max_chars)
    sections = {s.section_id: s for s in knowledge.sections}
    cases = {c.id: c for c in knowledge.cases}
    for chunk in chunks:
        assert knowledge.report[chunk.start : chunk.end] == chunk.text
        assert 0 < len(chunk.text) <= max_chars
        assert chunk.text == chunk.text.strip()
        section = sections[chunk.section_id]
        assert section.start <= chunk.start and chunk.end <= section.end
        assert (chunk.section, chunk.section_title, chunk.theme) == (section.number, section.title, section.theme)
        if chunk.case_id:
            case = cases[chunk.case_id]
            assert case.start <= chunk.start and chunk.end <= case.end
            assert chunk.case_title == case.title
        else:
            assert not any(c.heading_start <= chunk.start < c.end for c in knowledge.cases)
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_chunks_cover_all_text_except_case_headings(knowledge) -> None:
    chunks = chunk_report(knowledge.report, list(knowledge.sections), list(knowledge.cases), 700)
    covered = bytearray(len(knowledge.report))
    for chunk in chunks:
        covered[chunk.start : chunk.end] = b"\x01" * (chunk.end - chunk.start)
    headings = [(c.heading_start, c.start) for c in knowledge.cases]
    for section in knowledge.sections:
        for match in re.finditer(r"\S", section.text):
            offset = section.start + match.start()
            if not covered[offset]:
                assert any(a <= offset < b for a, b in headings), knowledge.report[offset : offset + 60]


def test_every_case_has_its_chunks_and_ids_are_stable(knowledge) -> None:
    first = chunk_report(knowledge.report, list(knowledge.sections), list(knowledge.cases), 900)
    again = chunk_report(knowledge.report, list(knowledge.sections), list(knowledge.cases), 900)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert {c.case_id for c in first if c.case_id} == {c.id for c in knowledge.cases}
    assert chunk_id("s", "1.1", "tekst") == chunk_id("s", "1.1", "tekst") != chunk_id("s", "1.2", "tekst")


def test_embedded_text_carries_section_and_case(knowledge) -> None:
    chunk = next(c for c in knowledge.chunks if c.case_id)
    assert chunk.embed_text.startswith(f"{chunk.section} {chunk.section_title} — {chunk.case_title}\n")
    assert chunk.embed_text.endswith(chunk.text)
    assert "" not in [v for v in chunk.metadata().values() if v is None]


def test_the_context_line_names_the_chapter_of_a_theme_section(knowledge) -> None:
    conclusions = next(c for c in knowledge.chunks if c.section == "5.5")
    assert conclusions.section_title == "Conclusies"
    assert conclusions.header == "Thema: Sociale zekerheid › 5.5 Conclusies"
    assert conclusions.metadata()["chapter_title"] == "Thema: Sociale zekerheid"
    intro = next(c for c in knowledge.chunks if c.section == "12")
    assert intro.header == "12 Conclusies"  # a chapter's own text does not repeat its title
    case = next(c for c in knowledge.chunks if c.case_id)
    assert "›" not in case.header


def test_too_small_a_limit_is_refused(knowledge) -> None:
    with pytest.raises(ValueError, match="max_chars"):
        chunk_report(knowledge.report, list(knowledge.sections), list(knowledge.cases), 50)
