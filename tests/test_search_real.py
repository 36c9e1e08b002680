"""Real searches over the real index on disk, built once per session with the real e5 model."""

from __future__ import annotations

import pytest

from advisor.answer.engine import theme_suggestions
from advisor.index import open_index
from advisor.retrieval.hits import Filters

pytestmark = [pytest.mark.real_model, pytest.mark.slow]


def _sections(hits) -> list[str]:
    return [h.section for h in hits]


def test_index_on_disk_records_its_model_and_reopens(real_advisor, real_settings, real_embeddings) -> None:
    handle = open_index(real_settings, real_embeddings)
    assert handle.manifest.fingerprint == real_embeddings.fingerprint
    assert handle.manifest.counts["cases"] == 35
    assert handle.collection.count() == len(real_advisor.knowledge.chunks) + len(
        real_advisor.knowledge.statements)
    _, built = real_advisor.build_index()
    assert not built


@pytest.mark.parametrize(
    ("query", "section"),
    [
        ("Bij welke gemeente zijn de rechercheurs van de Twentse samenwerking in dienst?", "14.2"),
        ("Welke vormen van samenwerking tussen gemeenten bestaan er voor de sociale recherche?", "5.4"),
        ("Wat zijn de niveaus van coalities, van ontbrekend tot vitaal?", "Bijlage"),
        ("Which factors make collaboration succeed, and what are typical bottlenecks?", "12.5"),
        ("How do road authorities and the police coordinate traffic enforcement in Friesland?", "14.4"),
    ],
)
def test_questions_find_their_section(real_advisor, query: str, section: str) -> None:
    assert section in _sections(real_advisor.search(query, k=5))


def test_case_question_returns_the_case(real_advisor) -> None:
    twente = next(c for c in real_advisor.knowledge.cases if c.title == "Sociale Recherche Twente (SRT)")
    hits = real_advisor.search("Almelo uitvoeringsgemeente sociale recherche Twente", k=3)
    assert hits[0].case_id == twente.id
    assert hits[0].score > hits[-1].score or len(hits) == 1


def test_filters_on_the_real_index(real_advisor) -> None:
    hits = real_advisor.search("convenant met de Belastingdienst", k=8, filters=Filters(theme="achterstandsgebieden"))
    assert hits and {h.theme for h in hits} == {"achterstandsgebieden"}
    case = real_advisor.knowledge.cases[0]
    hits = real_advisor.search("samenwerking met de politie", k=3, filters=Filters(case_id=case.id))
    assert hits and {h.case_id for h in hits} == {case.id}
    with pytest.raises(KeyError):
        real_advisor.search("politie", filters=Filters(case_id="no-such-case"))


@pytest.mark.parametrize("question", [
    "Who won the football world cup in 2010?",
    "How do I renew my passport?",
    "Write me a poem about the sea",
    "Wat is de hoofdstad van Frankrijk?",
    "Hoe bak ik brood?",  # e5 puts these short everyday questions as close to the report as real ones (0.82)
    "Hoe leer ik snel een nieuwe taal?",
])
def test_questions_far_from_the_report_are_refused_as_off_topic(real_advisor, question) -> None:
    answer = real_advisor.answer(question)
    assert answer.refused and answer.gate == "off_topic" and not answer.citations
    assert answer.suggestions and all(s in answer.text for s in answer.suggestions)  # what the report does cover
    assert answer.suggestions == theme_suggestions(answer.language)  # not the passages it happened to come near
    assert "eight themes" in answer.text or "acht thema's" in answer.text


def test_the_reports_vocabulary_keeps_a_weakly_similar_english_question_in(real_advisor) -> None:
    """English questions score lower against Dutch passages; one that speaks of enforcement cooperation (the
    glossary's words) is answered even below the similarity threshold, as long as it is above the floor."""
    from advisor.retrieval.hybrid import RetrievalTrace

    question = "What external factors influence whether enforcement cooperation succeeds?"
    trace = RetrievalTrace()
    real_advisor.retriever.retrieve(question, k=6, trace=trace)
    similarity = max(trace.dense_similarity.values())
    gate = real_advisor.engine.gate
    assert gate.thresholds.floor_similarity <= similarity < gate.thresholds.min_similarity + 0.02
    answer = real_advisor.answer(question)
    assert not answer.refused and answer.citations
