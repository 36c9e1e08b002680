"""Advisor mode: every element cited verbatim, the report's order, intake checks, LLM rewrite and fallback."""

from __future__ import annotations

import json

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from advisor.advice.advise import AdviceInputError, Situation, advise
from advisor.cli import main
from advisor.service import Advisor


def _all_cited_verbatim(advice, knowledge) -> bool:
    chunks = {c.chunk_id: c for c in knowledge.chunks}
    return all(c.quote in chunks[c.chunk_id].text and knowledge.report[c.start:c.end] == c.quote
               for c in advice.citations)


def test_small_municipality_scale_advice(knowledge) -> None:
    situation = Situation(theme="sociale_zekerheid", size="klein", goal="schaal", urgency="hoog", experience="geen")
    advice = advise(knowledge, situation)
    assert _all_cited_verbatim(advice, knowledge)
    for n in range(1, len(advice.citations) + 1):
        assert f"[{n}]" in advice.text
    headings = ["1. Motief", "2. Passende", "3. Wat het rapport", "4. Vergelijkbare", "5. Succesfactoren",
                "6. Knelpunten", "7. Stappen", "8. Check"]
    positions = [advice.text.index(h) for h in headings]
    assert positions == sorted(positions)
    assert advice.forms[0] == "Gelegenheids-samenwerken" and "Centrumoverheid" in advice.forms
    assert {knowledge.case(c).theme for c in advice.case_ids} == {"sociale_zekerheid"}
    assert "5-stappenplan" in advice.text and "maart 2008" in advice.text
    sections = {c.section for c in advice.citations}
    assert {"12.2", "12.3", "12.5", "12.7", "Bijlage", "5.4", "5.6", "14.2"} <= sections


def test_chain_advice_in_english_includes_the_scan(knowledge) -> None:
    advice = advise(knowledge, Situation(theme="achterstandsgebieden", size="groot", partners=("politie", "om"),
                                         urgency="hoog", experience="veel", language="en"))
    assert advice.situation.motive == "keten"
    assert advice.text.startswith("## Advice") and "March 2008" in advice.text
    assert "Coördinator" in advice.forms and "Stap 1" in advice.text
    assert _all_cited_verbatim(advice, knowledge)
    # English words, from the key statements; the Dutch words stay in the citations
    items = [line for line in advice.text.splitlines() if line.startswith("- ") and "[" in line]
    english = [line for line in items if "“" not in line]
    assert len(english) >= 0.8 * len(items), [line for line in items if "“" in line]
    en_texts = {st.en for st in knowledge.statements}
    assert sum(any(t in line for t in en_texts) for line in english) == len(english)


@pytest.mark.parametrize("field, value", [("size", "reusachtig"), ("theme", "sport"), ("urgency", "mwah")])
def test_bad_intake_is_a_clear_error(knowledge, field, value) -> None:
    with pytest.raises(AdviceInputError, match=field):
        advise(knowledge, Situation(**{field: value}))


def test_llm_rewrite_keeps_checked_citations_or_falls_back(settings, knowledge, monkeypatch) -> None:
    advisor = Advisor(settings)
    base = advise(knowledge, Situation(theme="horeca", size="middelgroot"))
    prose = " ".join(f"Dit punt volgt uit het rapport en is belangrijk voor uw samenwerking [{c.n}]."
                     for c in base.citations[:8])
    monkeypatch.setattr("advisor.advice.polish.chat_model_for", lambda g, s: FakeListChatModel(responses=[prose]))
    polished = advisor.advise(Situation(theme="horeca", size="middelgroot"), generator="fake")
    assert polished.generator == "fake" and len(polished.citations) == 8 and not polished.notices
    monkeypatch.setattr("advisor.advice.polish.chat_model_for",
                        lambda g, s: FakeListChatModel(responses=["Zonder bronnen."]))
    fallback = advisor.advise(Situation(theme="horeca", size="middelgroot"), generator="fake")
    assert fallback.generator == "extractive" and fallback.notices and fallback.text == base.text


def test_advise_cli_json(capsys) -> None:
    assert main(["advise", "--theme", "verkeer", "--size", "groot", "--partners", "politie,om", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["situation"]["motive"] == "keten" and data["citations"] and data["cases"]
    with pytest.raises(SystemExit):
        main(["advise", "--size", "enorm"])
