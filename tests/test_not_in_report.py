"""`not_in_report` end to end (fake embeddings, the real key statements): an answer that opens with what the report
does not give, a refusal, a plain answer and small talk, through the engine and `advisor ask --json`."""

from __future__ import annotations

import json

import jsonschema
import pytest

from advisor.answer.answers import Answer
from advisor.cli import main
from advisor.settings import PROJECT_ROOT

SCHEMA = json.loads((PROJECT_ROOT / "schemas" / "ask.schema.json").read_text())
FLAGGED_NL = "Wat kost de Vliegende Brigade in Apeldoorn per jaar in euro?"
FLAGGED_EN = "How long does the Sociale Recherche Twente take to finish a case?"
REFUSED = "Wat betekent de Wet open overheid (Woo) voor convenanten?"
PLAIN = "Sociale Recherche Twente uitvoeringsgemeente Almelo"


def test_an_answer_that_the_report_does_not_give_says_so_first_then_cites_what_it_does_say(advisor) -> None:
    for question, first in ((FLAGGED_NL, "Het rapport noemt geen bedragen in geld."),
                            (FLAGGED_EN, "The report does not give how long.")):
        answer = advisor.answer(question)
        assert not answer.refused and answer.kind == "answer" and answer.not_in_report
        lead, _, rest = answer.text.partition("\n\n")
        assert lead.startswith(first) and lead.endswith(":")  # "… Wat het rapport er wel over zegt:"
        assert "[" not in lead  # the sentence claims an absence: it cites nothing
        assert answer.citations and all(f"[{c.n}]" in rest for c in answer.citations)
        assert all(any(c.chunk_id == h.chunk_id and c.quote in h.text for h in answer.sources)
                   for c in answer.citations)


def test_refusals_are_not_in_the_report_and_plain_answers_and_small_talk_are_not(advisor) -> None:
    refusal = advisor.answer(REFUSED)
    assert refusal.refused and refusal.not_in_report
    plain = advisor.answer(PLAIN)
    assert not plain.refused and not plain.not_in_report and not plain.text.startswith("Het rapport noemt geen")
    assert not advisor.answer("Hallo").not_in_report


def test_ask_json_carries_not_in_report_on_answers_and_refusals_and_matches_its_schema(monkeypatch, capsys,
                                                                                       advisor) -> None:
    monkeypatch.setattr("advisor.cli.Advisor", lambda settings: advisor)
    seen = {}
    for question in (FLAGGED_NL, REFUSED, PLAIN):
        assert main(["ask", "--json", question]) == 0
        data = json.loads(capsys.readouterr().out)
        jsonschema.validate(data, SCHEMA)
        seen[question] = (data["not_in_report"], data["refused"])
    assert seen == {FLAGGED_NL: (True, False), REFUSED: (True, True), PLAIN: (False, False)}


def test_the_schema_requires_not_in_report_as_a_boolean() -> None:
    answer = Answer("q", "q", "nl", "Het rapport noemt geen jaartal of datum.", False, (), "extractive",
                    {"retrieve": 1.0, "generate": 1.0, "total": 2.0}, not_in_report=True)
    data = answer.to_json()
    assert data["not_in_report"] is True
    jsonschema.validate(data, SCHEMA)
    for broken in ({**data, "not_in_report": "yes"}, {k: v for k, v in data.items() if k != "not_in_report"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SCHEMA)


def test_an_llm_answer_opens_with_what_the_report_does_not_give_too(advisor, monkeypatch) -> None:
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    model = FakeListChatModel(responses=["De Vliegende Brigade in Apeldoorn voert gezamenlijke controles uit [1]."])
    monkeypatch.setattr("advisor.answer.engine.chat_model_for", lambda generator_id, settings: model)
    answer = advisor.answer(FLAGGED_NL, generator="fake")
    assert not answer.refused and answer.not_in_report
    assert answer.text.startswith("Het rapport noemt geen bedragen in geld. Wat het rapport er wel over zegt:")


def test_the_evaluation_counts_a_flagged_answer_as_declining_and_its_opening_as_no_claim() -> None:
    from types import SimpleNamespace

    from advisor.evaluation.runs import claims_of

    text = ("Het rapport noemt geen aantal handhavers. Wat het rapport er wel over zegt:\n\n"
            "De afdeling Toezicht bestaat uit drie afdelingen met elk een eigen taak [1].")
    flagged = SimpleNamespace(text=text, refused=False, not_in_report=True)
    assert [claim for claim, _ in claims_of(flagged)] == [
        "De afdeling Toezicht bestaat uit drie afdelingen met elk een eigen taak."]
    plain = SimpleNamespace(text=text, refused=False, not_in_report=False)
    assert len(claims_of(plain)) == 2  # without the flag, the opening sentence is a claim like any other
