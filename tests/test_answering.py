"""Answers end to end with fake embeddings and fake chat models: extractive, LLM, refusal, fallback, follow-ups."""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path

import jsonschema
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from advisor.answer.engine import AnswerEngine
from advisor.answer.gate import GateThresholds
from advisor.cli import main
from advisor.index import build_index
from advisor.retrieval.question import QueryError
from advisor.service import Advisor
from advisor.settings import PROJECT_ROOT
from tests.conftest import OPEN_GATE


@pytest.fixture
def with_model(monkeypatch):
    """Make a generator id resolve to a given fake chat model."""
    def install(model):
        monkeypatch.setattr("advisor.answer.engine.chat_model_for", lambda generator_id, settings: model)
        return model
    return install


def _valid(answer) -> bool:
    return all(any(c.chunk_id == h.chunk_id and c.quote in h.text for h in answer.sources) for c in answer.citations)


def _statement_of(answer, citation, knowledge):
    return next(s for s in knowledge.statements if s.quote == citation.quote and s.start == citation.start)


def test_extractive_answer_is_made_of_key_statements(advisor, knowledge) -> None:
    answer = advisor.answer("Sociale Recherche Twente uitvoeringsgemeente Almelo kosten")
    assert not answer.refused and answer.generator == "extractive" and answer.kind == "answer"
    assert answer.citations and _valid(answer)
    for citation in answer.citations:  # each cited sentence is a key statement, its quote the report's own words
        statement = _statement_of(answer, citation, knowledge)
        assert statement.nl.rstrip(".") + f" [{citation.n}]" in answer.text
    claims = [line for line in answer.text.splitlines() if line and not line.startswith(("**", "_"))]
    assert claims and all(re.search(r"\[\d+\]", line) for line in claims)  # every sentence cited
    assert "maart 2008" in answer.text
    assert set(answer.timings_ms) >= {"retrieve", "generate", "total"}


def test_without_statements_the_passages_sentences_are_quoted(advisor) -> None:
    advisor.engine.statements = None  # an index built before the key statements
    answer = advisor.answer("Sociale Recherche Twente uitvoeringsgemeente Almelo kosten")
    assert answer.citations and _valid(answer)
    for citation in answer.citations:
        assert f"“{citation.quote}” [{citation.n}]" in answer.text


def test_english_question_gets_english_statements_with_dutch_quotes(advisor, knowledge) -> None:
    answer = advisor.answer("Which cases use a covenant with the tax office Belastingdienst?")
    assert answer.language == "en" and answer.citations and _valid(answer)
    for citation in answer.citations:
        statement = _statement_of(answer, citation, knowledge)
        assert statement.en.rstrip(".") + f" [{citation.n}]" in answer.text  # English words in the answer
        assert knowledge.report[citation.start:citation.end] == citation.quote  # the Dutch words, in the citation
    assert "March 2008" in answer.text


def test_gate_refusal_points_to_nearest_topics_in_the_users_language(settings, knowledge, fake_embeddings) -> None:
    build_index(settings, knowledge, fake_embeddings)
    closed_gate = GateThresholds(min_similarity=2.0, floor_similarity=0.76, anchor_similarity=0.85)
    closed = Advisor(settings, embeddings=fake_embeddings, gate=closed_gate)
    answer = closed.answer("How do Belgian municipalities organise enforcement?")
    assert answer.refused and answer.kind == "refusal" and answer.gate == "off_topic"
    assert answer.citations == () and answer.suggestions
    assert answer.text.startswith("The report") and all(s in answer.text for s in answer.suggestions)
    dutch = closed.answer("Hoe regelen Belgische gemeenten de handhaving?")
    assert dutch.text.startswith("Het rapport")


def test_unknown_names_are_refused_and_missing_figures_said_first(advisor) -> None:
    unknown = advisor.answer("Wat betekent de Wet open overheid (Woo) voor convenanten?")
    assert unknown.gate == "unknown_name" and unknown.refused and unknown.not_in_report
    answer = advisor.answer("Wat kost de Vliegende Brigade in Apeldoorn per jaar in euro?")
    assert not answer.refused and answer.not_in_report and answer.gate == "figure_not_given"
    assert answer.text.startswith("Het rapport noemt geen bedragen in geld.") and answer.citations and _valid(answer)


def test_llm_answer_citations_are_checked(advisor, with_model) -> None:
    with_model(FakeListChatModel(responses=[
        "De sociale recherche van Twente is ondergebracht bij de gemeente Almelo, die uitvoeringsgemeente is [1]. "
        "Daarnaast betaalt de provincie Overijssel alle kosten van deze samenwerking [7]."
    ]))
    answer = advisor.answer("Sociale Recherche Twente uitvoeringsgemeente Almelo", generator="fake")
    assert answer.generator == "fake" and not answer.refused
    assert _valid(answer)
    assert answer.unsupported == ("Daarnaast betaalt de provincie Overijssel alle kosten van deze samenwerking.",)
    assert "⚠" in answer.text


def test_generator_saying_the_sources_do_not_cover_it_is_a_refusal(advisor, with_model) -> None:
    with_model(FakeListChatModel(responses=["The report does not cover this question."]))
    answer = advisor.answer("Which cases use a covenant with the Belastingdienst?", generator="fake")
    assert answer.refused and answer.gate == "generator" and answer.suggestions


class FakeJudge:
    """An answerability judge that gives a fixed probability of YES (or fails) and records what it was asked."""

    def __init__(self, p_yes: float | None) -> None:
        self.p_yes, self.asked = p_yes, []

    def yes_probability(self, question: str, passages: list[str]) -> float:
        self.asked.append((question, passages))
        if self.p_yes is None:
            raise RuntimeError("the judge's model could not be loaded")
        return self.p_yes


LLM_REPLY = "De sociale recherche van Twente is ondergebracht bij de gemeente Almelo, die uitvoeringsgemeente is [1]."


@pytest.mark.parametrize(("p_yes", "refused"), [(0.2, True), (0.34, True), (0.36, False), (0.9, False),
                                                 (None, False)])
def test_the_local_models_check_of_the_passages_can_refuse(advisor, with_model, p_yes, refused) -> None:
    advisor.settings = advisor.settings.replace(answer_check="local")
    with_model(FakeListChatModel(responses=[LLM_REPLY]))
    advisor.engine.judge = judge = FakeJudge(p_yes)
    answer = advisor.answer("Sociale Recherche Twente uitvoeringsgemeente Almelo", generator="local")
    assert answer.refused is refused and len(judge.asked) == 1
    asked = judge.asked[0][1]  # it judges the passages that were retrieved (a cited statement's passage may follow)
    assert asked == [h.text for h in answer.sources][: len(asked)] and len(asked) == 6
    if refused:
        assert answer.gate == "not_in_sources" and answer.suggestions and "do not give" not in answer.text
        assert "geven deze informatie niet" in answer.text and not answer.citations
    else:
        assert answer.generator == "local" and answer.citations and "check" in answer.timings_ms


@pytest.mark.parametrize(("mode", "generator", "asked"), [
    ("local", "extractive", False), ("local", "local", True), ("always", "extractive", True),
    ("always", "openai:m@http://127.0.0.1:9/v1", True), ("off", "local", False), (None, "local", False),
])
def test_when_the_passages_are_checked(settings, knowledge, fake_embeddings, with_model, mode, generator,
                                       asked) -> None:
    build_index(settings, knowledge, fake_embeddings)
    advisor = Advisor(settings.replace(answer_check=mode) if mode else settings, embeddings=fake_embeddings,
                      gate=OPEN_GATE)  # None: the default
    with_model(FakeListChatModel(responses=[LLM_REPLY]))
    advisor.engine.judge = judge = FakeJudge(0.1)
    answer = advisor.answer("Sociale Recherche Twente uitvoeringsgemeente Almelo", generator=generator)
    assert bool(judge.asked) is asked and answer.refused is asked


def test_advice_about_the_askers_own_situation_is_not_checked(advisor, with_model) -> None:
    advisor.settings = advisor.settings.replace(answer_check="local")
    with_model(FakeListChatModel(responses=[LLM_REPLY]))
    advisor.engine.judge = judge = FakeJudge(0.1)
    answer = advisor.answer("Wij zijn een kleine gemeente; hoe pakken we de sociale recherche aan?", generator="local")
    assert not judge.asked and not answer.refused
    assert advisor.answer("Sociale Recherche Twente uitvoeringsgemeente Almelo", generator="local").refused


def test_the_answerability_prompt_shows_three_sources_cut_to_length() -> None:
    from advisor.llm.answerability import judge_messages

    messages = judge_messages(PROJECT_ROOT / "prompts", "Wie?", ["a" * 900, "b", "c", "d"])
    assert "[3] c" in messages[1]["content"] and "[4]" not in messages[1]["content"]
    assert "a" * 500 in messages[1]["content"] and "a" * 501 not in messages[1]["content"]


class DeadModel(FakeListChatModel):
    def _stream(self, *args, **kwargs):
        raise ConnectionError("connection refused: http://127.0.0.1:9/v1")


class SlowModel(FakeListChatModel):
    def _stream(self, *args, **kwargs):
        time.sleep(5)
        yield from super()._stream(*args, **kwargs)


@pytest.mark.parametrize("model", [DeadModel(responses=["x"]), SlowModel(responses=["x [1]."]),
                                   FakeListChatModel(responses=["garbage without any source markers at all here"])])
def test_a_failing_backend_falls_back_to_extractive_with_a_notice(advisor, with_model, model) -> None:
    with_model(model)
    started = time.perf_counter()
    answer = advisor.answer("Sociale Recherche Twente uitvoeringsgemeente", generator="openai:x@http://127.0.0.1:9/v1")
    assert time.perf_counter() - started < 4.5
    assert answer.generator == "extractive" and answer.notices and answer.citations and _valid(answer)
    assert "extractief" in answer.notices[0] or "extractively" in answer.notices[0]


def test_unknown_generator_falls_back_with_a_notice(advisor) -> None:
    answer = advisor.answer("Sociale Recherche Twente", generator="frobnicate")
    assert answer.generator == "extractive" and "frobnicate" in answer.notices[0]


def test_followup_is_rewritten_by_the_llm_or_carried_over(advisor, with_model) -> None:
    history = [{"role": "user", "content": "Hoe werkt de sociale recherche in Twente?"},
               {"role": "assistant", "content": "Almelo is uitvoeringsgemeente [1]."}]
    plain = advisor.answer("En hoe zit dat in Deventer?", history)
    assert "Twente" in plain.rewritten_query and "Deventer" in plain.rewritten_query
    with_model(FakeListChatModel(responses=["Hoe werkt de sociale recherche in Deventer?",
                                            "Deventer is centrumgemeente [1]."]))
    rewritten = advisor.answer("En hoe zit dat in Deventer?", history, generator="fake")
    assert rewritten.rewritten_query == "Hoe werkt de sociale recherche in Deventer?"
    standalone = advisor.answer("Wat is volgens het rapport een vitale coalitie en hoe herken je die?", history)
    assert standalone.rewritten_query == standalone.question


def test_smalltalk_is_not_searched(advisor) -> None:
    answer = advisor.answer("Bedankt!")
    assert answer.kind == "smalltalk" and answer.sources == () and not answer.refused
    assert advisor.answer("thank you").text.startswith("You're welcome")


@pytest.mark.parametrize("question", ["", "   ", "x" * 5000])
def test_bad_questions_get_a_clear_error(advisor, question) -> None:
    with pytest.raises(QueryError):
        advisor.answer(question)


def test_stream_yields_sources_before_the_answer(advisor, with_model) -> None:
    with_model(FakeListChatModel(responses=["De gemeente Almelo is uitvoeringsgemeente in Twente [1]."]))
    events = [event for event, _ in advisor.stream_answer("Sociale Recherche Twente Almelo", generator="fake")]
    assert events[0] == "sources" and events[-1] == "answer" and "token" in events


def test_ask_json_matches_its_schema(monkeypatch, capsys, advisor, tmp_path) -> None:
    monkeypatch.setattr("advisor.cli.Advisor", lambda settings: advisor)
    schema = json.loads((PROJECT_ROOT / "schemas" / "ask.schema.json").read_text())
    assert main(["ask", "--json", "Sociale", "Recherche", "Twente", "Almelo"]) == 0
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, schema)
    assert data["citations"] and data["answer"]
    history = tmp_path / "history.json"
    history.write_text(json.dumps([{"role": "user", "content": "Hoe werkt de sociale recherche in Twente?"}]))
    assert main(["ask", "--json", "--history", str(history), "En in Deventer?"]) == 0
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, schema)
    assert "Twente" in data["rewritten_query"]
    Path(history).write_text("{not json")
    assert main(["ask", "--history", str(history), "En in Deventer?"]) == 2
    assert "history file" in capsys.readouterr().err


def test_engine_holds_no_state_between_questions(advisor) -> None:
    assert isinstance(advisor.engine, AnswerEngine) and advisor.engine is advisor.engine
    first = advisor.answer("Sociale Recherche Twente")
    again = advisor.answer("Sociale Recherche Twente")
    assert [c.quote for c in first.citations] == [c.quote for c in again.citations]


@pytest.mark.parametrize(("question", "reason", "said"), [
    ("Hoe werkt de sociale recherche in Twente tegenwoordig?", "after_report", "na maart 2008"),
    ("What is the e-mail address of the Sociale Recherche Twente?", "contact_details", "contact details"),
    ("Hoe tevreden zijn de gemeenten in Twente over de sociale recherche?", "survey", "enquêtes"),
    ("Who was the mayor of Almelo when the Sociale Recherche Twente started?", "office_holder", "name of the mayor"),
    ("How long does the Sociale Recherche Twente take to finish a case?", "figure_not_given", "how long"),
])
def test_what_a_2008_study_cannot_hold_is_said_first_then_what_it_does_say(advisor, question, reason, said) -> None:
    answer = advisor.answer(question)
    first = answer.text.split("\n")[0]
    assert not answer.refused and answer.not_in_report and answer.gate == reason and said in first
    assert first.startswith(("Het rapport noemt geen", "The report does not give")) and answer.citations


def test_a_bug_in_the_citation_check_is_not_a_notice_to_the_user(advisor, with_model, monkeypatch) -> None:
    """A broken backend falls back with a notice; a bug in our own citation check must surface as the bug."""
    with_model(FakeListChatModel(responses=["De SRT voert de sociale recherche uit voor Twente [1]."]))

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in check_citations")

    monkeypatch.setattr("advisor.answer.engine.check_citations", broken)
    with pytest.raises(RuntimeError, match="a bug in check_citations"):
        advisor.answer("Sociale Recherche Twente uitvoeringsgemeente Almelo", generator="openai:any")


def test_every_fallback_says_so_in_the_log(advisor, with_model, monkeypatch, caplog) -> None:
    caplog.set_level(logging.INFO)

    class Dead(FakeListChatModel):
        def stream(self, *args, **kwargs):
            raise ConnectionError("backend down")

        def invoke(self, *args, **kwargs):
            raise ConnectionError("backend down")

    with_model(Dead(responses=["x"]))
    history = [{"role": "user", "content": "Wie doet de sociale recherche in Twente?"},
               {"role": "assistant", "content": "De SRT."}]
    answer = advisor.answer("En in Deventer?", history, generator="openai:any")
    assert answer.generator == "extractive" and answer.notices
    logged = caplog.text
    assert "follow-up rewrite failed" in logged and "answering extractively" in logged
    caplog.clear()
    advisor.index_check_seconds = 0.0
    advisor.index  # noqa: B018 (opens the current build)
    monkeypatch.setattr("advisor.service.open_index", lambda *a: (_ for _ in ()).throw(OSError("store hiccup")))
    monkeypatch.setattr(type(advisor.index), "is_current", lambda self: False)
    assert advisor.index is not None  # still served
    assert "a newer index build could not be opened" in caplog.text
