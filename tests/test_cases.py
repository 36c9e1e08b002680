"""Case cards: found in the text on their own, joined one to one with the curated metadata."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from advisor.corpus.cases import CaseDataError, filter_cases, find_case_headings, load_cases, title_key
from advisor.settings import Settings
from tests.golden_files import assert_golden


@pytest.fixture(scope="module")
def vocabulary() -> dict:
    return yaml.safe_load(Settings().vocabulary_path.read_text(encoding="utf-8"))


def test_case_list_matches_golden(knowledge) -> None:
    assert_golden(
        "cases.json",
        [{"id": c.id, "title": c.title, "section": c.section, "theme": c.theme, "start": c.start, "end": c.end}
         for c in knowledge.cases],
    )


def test_thirty_five_cases_spread_over_the_eight_case_sections(knowledge) -> None:
    assert len(knowledge.cases) == 35
    per_section = Counter(c.section for c in knowledge.cases)
    assert [per_section[f"14.{i}"] for i in range(1, 9)] == [5, 4, 4, 5, 5, 4, 4, 4]
    assert len({c.id for c in knowledge.cases}) == 35


def test_every_card_is_complete_and_its_quotes_are_verbatim(knowledge, vocabulary) -> None:
    for card in knowledge.cases:
        assert card.forms and card.places and card.partners and 2 <= len(card.key_quotes) <= 3, card.id
        assert card.motive in {"schaal", "keten", "both"}, card.id
        assert set(card.forms) <= set(vocabulary["forms"]), card.id
        assert set(card.partners) <= set(vocabulary["partners"]), card.id
        for quote in card.key_quotes:
            assert quote in card.text, (card.id, quote)
        for year in card.years:
            assert str(year) in card.text, (card.id, year)
        assert knowledge.report[card.start : card.end] == card.text
        assert knowledge.report[card.heading_start :].startswith(card.title + "\n\n")


def test_every_alias_occurs_in_the_report(knowledge) -> None:
    for card in knowledge.cases:
        for alias in card.aliases:
            assert alias in knowledge.report, (card.id, alias)


def test_a_heading_without_a_card_or_a_card_without_a_heading_fails(knowledge, tmp_path) -> None:
    metadata = yaml.safe_load(Settings().cases_path.read_text(encoding="utf-8"))
    short = tmp_path / "short.yaml"
    short.write_text(yaml.safe_dump(metadata[1:], allow_unicode=True), encoding="utf-8")
    with pytest.raises(CaseDataError, match=metadata[0]["title"][:20]):
        load_cases(knowledge.report, list(knowledge.sections), short)
    extra = tmp_path / "extra.yaml"
    extra.write_text(yaml.safe_dump([*metadata, {**metadata[0], "title": "Een casus die er niet is"}],
                                    allow_unicode=True), encoding="utf-8")
    with pytest.raises(CaseDataError, match="Een casus die er niet is"):
        load_cases(knowledge.report, list(knowledge.sections), extra)


def test_headings_are_found_without_the_metadata(knowledge) -> None:
    headings = find_case_headings(knowledge.report, list(knowledge.sections))
    assert [h.title for h in headings] == [c.title for c in knowledge.cases]
    assert title_key("Uitwisseling Moerdijk/ Etten-leur") == title_key("uitwisseling moerdijk – etten leur")


def test_theme_chapters_link_places_to_cards(knowledge) -> None:
    linked = {(m.section, m.text): m.case_id for m in knowledge.mentions}
    smallerland = next(c.id for c in knowledge.cases if "Smallerland" in c.title)
    assert linked[("4.4", "Smallingerland")] == smallerland
    den_haag_4 = linked[("4.4", "Den Haag")]
    den_haag_6 = linked[("6.4", "Den Haag")]
    assert knowledge.case(den_haag_4).theme == "openbare_ruimte"
    assert knowledge.case(den_haag_6).theme == "georganiseerde_criminaliteit"
    unmatched = {m.text for m in knowledge.mentions if m.case_id is None}
    assert "Tilburg" in unmatched
    assert "Smallingerland" not in unmatched and "Den Haag" not in unmatched


def test_filters(knowledge) -> None:
    cards = list(knowledge.cases)
    centre = filter_cases(cards, form="centrumgemeente")
    assert centre and all("centrumgemeente" in c.forms for c in centre)
    tax = filter_cases(cards, form="convenant", partner="belastingdienst")
    assert tax and all("convenant" in c.forms and "belastingdienst" in c.partners for c in tax)
    twente = filter_cases(cards, place="twente")
    assert "Sociale Recherche Twente (SRT)" in {c.title for c in twente}
    assert all(any("twente" in name.lower() for name in (*c.places, *c.aliases)) for c in twente)
    assert filter_cases(cards, place="SMALLINGERLAND") == filter_cases(cards, place="smallerland")
    assert filter_cases(cards, theme="verkeer", place="Twente") == []
    assert len(filter_cases(cards)) == 35
