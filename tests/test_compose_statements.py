"""The extractive answer from key statements, on hand-made statements and passages: what is chosen, in which
language, with which citations and sources."""

from __future__ import annotations

from advisor.answer.statements import AnswerPlan, choose, compose_statements, select
from advisor.corpus.statements import Statement
from advisor.retrieval.hits import Hit
from advisor.retrieval.statements import StatementHit

PASSAGE = ("De centrumgemeente voert taken uit voor de omliggende gemeenten. Nadeel is dat de uitvoering niet direct "
           "kan worden aangestuurd. Middelgrote gemeenten hebben er meer belang bij.")
OTHER = "In Twente werken veertien gemeenten samen in de sociale recherche. De SRT is ondergebracht bij Almelo."


def _statement(n: int, quote: str, text: str, kind: str = "finding", case_id: str | None = None,
               base: int = 1000, passage: str = PASSAGE) -> Statement:
    start = base + passage.index(quote)
    return Statement(f"x-{n}", "12.3", case_id, kind, (), f"{text} (nl).", f"{text} (en).", quote, start,
                     start + len(quote))


def _hit(rank: int, score: float, statement: Statement, case_title: str | None = None) -> StatementHit:
    return StatementHit(rank, score, statement, "12.3", "Samenwerkingsvormen", case_title)


def _passage(chunk_id: str, text: str, base: int, case_id: str | None = None) -> Hit:
    return Hit(1, chunk_id, 1.0, "12.3", "12.3", "Samenwerkingsvormen", None, case_id, None, base, base + len(text),
               text)


DEFINITION = _statement(1, "De centrumgemeente voert taken uit voor de omliggende gemeenten.", "Definitie",
                        "definition")
DRAWBACK = _statement(2, "Nadeel is dat de uitvoering niet direct kan worden aangestuurd.", "Nadeel", "disadvantage")
MIDDLE = _statement(3, "Middelgrote gemeenten hebben er meer belang bij.", "Middelgroot")
PART = _statement(4, "Nadeel is dat de uitvoering", "Deel van het nadeel", "disadvantage")
TWENTE = _statement(5, "De SRT is ondergebracht bij Almelo.", "SRT", "working_method", "twente", 5000, OTHER)


def test_the_best_first_a_second_asked_kind_brought_forward_no_overlap_nothing_far_below() -> None:
    found = [_hit(1, 0.04, DEFINITION), _hit(2, 0.035, MIDDLE), _hit(3, 0.034, PART), _hit(4, 0.033, DRAWBACK)]
    direct, more = select(AnswerPlan("nl", ("definition", "disadvantage"), False), found)
    assert [h.statement.id for h in direct] == ["x-1", "x-3", "x-4"]  # the drawback joins the direct answer
    assert more == []  # the whole drawback (x-2) overlaps its part (x-4): not said twice
    direct, more = select(AnswerPlan("nl", (), False), [_hit(1, 0.04, DEFINITION), _hit(2, 0.01, MIDDLE)])
    assert [h.statement.id for h in direct] == ["x-1"] and more == []  # 0.01 is far below 0.04


def test_the_answer_is_in_the_askers_language_with_the_reports_words_cited() -> None:
    hits = [_passage("c1", PASSAGE, 1000)]
    found = [_hit(1, 0.04, DEFINITION), _hit(2, 0.039, DRAWBACK)]
    for language in ("nl", "en"):
        chosen = choose(AnswerPlan(language, (), False), found, [], hits, lambda s: None)
        text, citations, sources = compose_statements(language, chosen, hits)
        first = text.splitlines()[0]
        assert first == f"Definitie ({language}) [1]. Nadeel ({language}) [2]."
        assert [c.quote for c in citations] == [DEFINITION.quote, DRAWBACK.quote]
        assert all(c.chunk_id == "c1" and c.start == s.start for c, s in zip(citations, (DEFINITION, DRAWBACK)))
        assert sources == hits
        assert text.endswith("2008; names of bodies and laws may have changed since._" if language == "en"
                             else "zijn veranderd._")


def test_examples_name_their_case_and_bring_their_passage_along() -> None:
    hits = [_passage("c1", PASSAGE, 1000)]
    other = _passage("c2", OTHER, 5000, "twente")
    chosen = choose(AnswerPlan("nl", (), True), [_hit(1, 0.04, DEFINITION)],
                    [_hit(1, 0.03, TWENTE, "Sociale Recherche Twente")], hits,
                    lambda s: other if s.id == "x-5" else None)
    assert [(c.statement.id, c.part, c.passage.chunk_id) for c in chosen] == [("x-1", "direct", "c1"),
                                                                              ("x-5", "example", "c2")]
    text, citations, sources = compose_statements("nl", chosen, hits)
    assert "**Voorbeelden uit de praktijk**\n- Sociale Recherche Twente: SRT (nl) [2]." in text
    assert sources == [*hits, other] and citations[1].chunk_id == "c2"


def test_a_statement_no_passage_holds_is_left_out() -> None:
    chosen = choose(AnswerPlan("nl", (), False), [_hit(1, 0.04, TWENTE)], [], [], lambda s: None)
    text, citations, _ = compose_statements("nl", chosen, [])
    assert chosen == [] and citations == [] and "SRT" not in text


def test_the_question_says_which_kinds_of_statement_it_asks_for(settings) -> None:
    from advisor.service import Advisor

    reader = Advisor(settings).reader
    assert reader.about("Wat is een centrumgemeente en wat zijn de nadelen ervan?").kinds == (
        "definition", "disadvantage")
    assert reader.about("Who takes part in the Sociale Recherche Twente?").kinds == ("participants",)
    assert reader.about("Hoe wordt de samenwerking gefinancierd?").kinds == ("financing",)
    assert reader.about("Regionale uitvoeringsdiensten in Zeeland").kinds == ()


def test_the_evaluation_does_not_judge_a_key_statement_cited_with_its_own_quote_again(knowledge) -> None:
    from types import SimpleNamespace

    from advisor.evaluation.runs import is_key_statement

    s = next(s for s in knowledge.statements if s.case_id)
    own = SimpleNamespace(quote=s.quote, start=s.start)
    assert is_key_statement(s.nl, own, knowledge) and is_key_statement(s.en.rstrip("."), own, knowledge)
    assert is_key_statement(f"{knowledge.case(s.case_id).title}: {s.nl}", own, knowledge)  # a case line
    other = next(t for t in knowledge.statements if t.quote != s.quote)
    assert not is_key_statement(s.nl, SimpleNamespace(quote=other.quote, start=other.start), knowledge)
    assert not is_key_statement(s.nl.replace(" ", " niet ", 1), own, knowledge)  # changed words are judged
    assert not is_key_statement(f"Zeker is: {s.nl}", own, knowledge)  # so is anything added
