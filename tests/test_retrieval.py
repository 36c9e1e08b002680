"""Hybrid retrieval with fake dense embeddings: fusion, filters on both sides, case awareness, reranking."""

from __future__ import annotations

from dataclasses import replace

import pytest
import yaml
from langchain_core.documents import Document

from advisor.corpus.rules import load_rules
from advisor.index import build_index, open_index
from advisor.retrieval.analysis import DutchAnalyser, read_word_list
from advisor.retrieval.hits import Filters
from advisor.retrieval.hybrid import HybridRetriever, RetrievalTrace
from advisor.retrieval.question import QuestionReader, detect_language
from advisor.retrieval.rerank import LLMReranker, Reranker
from advisor.settings import Settings


@pytest.fixture
def retriever(settings, knowledge, fake_embeddings) -> HybridRetriever:
    build_index(settings, knowledge, fake_embeddings)
    corpus = Settings().corpus_dir
    reader = QuestionReader(DutchAnalyser.from_corpus(corpus, knowledge.report),
                            read_word_list(corpus / "stopwords_en.txt"), load_rules(corpus).cues)
    return HybridRetriever.from_index(open_index(settings, fake_embeddings), knowledge, reader,
                                      yaml.safe_load((corpus / "vocabulary.yaml").read_text()))


def test_language_detection(retriever) -> None:
    english = retriever.english_stopwords
    assert detect_language("Which form fits a small municipality?", retriever.analyser, english) == "en"
    assert detect_language("Welke vorm past bij een kleine gemeente?", retriever.analyser, english) == "nl"
    # "in" and "is" are function words in both languages and say nothing; "het" is Dutch
    assert detect_language("Welke sportschool in Utrecht is het goedkoopst?", retriever.analyser, english) == "nl"
    assert detect_language("Which team in Twente is it?", retriever.analyser, english) == "en"


def test_lexical_side_finds_what_fake_dense_cannot(retriever, knowledge) -> None:
    hits = retriever.retrieve("Sociale Recherche Twente uitvoeringsgemeente Almelo", k=3)
    twente = next(c for c in knowledge.cases if c.title == "Sociale Recherche Twente (SRT)")
    assert hits[0].case_id == twente.id
    assert [h.rank for h in hits] == [1, 2, 3]


def test_fusion_uses_both_rankings(retriever) -> None:
    trace = RetrievalTrace()
    hits = retriever.retrieve("convenant Belastingdienst informatie-uitwisseling", k=10, trace=trace)
    assert trace.dense and trace.lexical
    top = {h.chunk_id for h in hits}
    assert top & set(trace.lexical[:10]) and top & set(trace.dense[:10])


def test_english_lexical_weight_is_lower(retriever) -> None:
    trace = RetrievalTrace()
    retriever.retrieve("Which cases signed a covenant with the tax office?", k=5, trace=trace)
    assert trace.language == "en"
    assert retriever.config.lexical_weight_en < retriever.config.lexical_weight_nl


@pytest.mark.parametrize(
    "filters",
    [Filters(theme="milieu"), Filters(form="centrumgemeente"), Filters(partner="belastingdienst"),
     Filters(place="Twente"), Filters(theme="sociale_zekerheid", form="centrumgemeente")],
)
def test_filters_apply_on_both_sides(retriever, knowledge, filters) -> None:
    trace = RetrievalTrace()
    hits = retriever.retrieve("samenwerking met de politie en de gemeente", k=20, filters=filters, trace=trace)
    allowed_cases = filters.case_ids(knowledge)
    assert hits
    for chunk_id in {h.chunk_id for h in hits} | set(trace.dense) | set(trace.lexical):
        meta = retriever.chunks[chunk_id].meta
        if filters.theme:
            assert meta["theme"] == filters.theme
        if allowed_cases is not None:
            assert meta["case_id"] in allowed_cases


def test_a_filter_that_matches_nothing_returns_nothing(retriever) -> None:
    assert retriever.retrieve("politie", k=5, filters=Filters(form="no-such-form")) == []


def test_named_case_is_lifted(retriever, knowledge) -> None:
    venlo = next(c for c in knowledge.cases if "Venlo" in c.title)
    trace = RetrievalTrace()
    hits = retriever.retrieve("Hoe ging Venlo om met de overlast?", k=5, trace=trace)
    assert venlo.id in trace.named_cases
    assert hits[0].case_id == venlo.id


def test_example_questions_prefer_case_chunks(retriever) -> None:
    plain = retriever.retrieve("samenwerking sociale recherche gemeenten", k=10)
    examples = retriever.retrieve("voorbeelden van samenwerking sociale recherche gemeenten", k=10)
    assert sum(bool(h.case_id) for h in examples) >= sum(bool(h.case_id) for h in plain)


@pytest.mark.parametrize(("question", "themes", "general"), [
    ("Wat maakt dat een samenwerking slaagt?", [], True),
    ("What helps an enforcement partnership succeed?", [], True),
    ("Wat maakt samenwerking bij verkeershandhaving succesvol?", ["verkeer"], False),
    ("How do partners share costs in nightlife enforcement?", ["horeca"], False),
    ("Welke aanpak helpt tegen uitkeringsfraude?", ["sociale_zekerheid"], False),
    ("Hoe werkt de samenwerking in Venlo?", [], False),  # names a case
    ("Geef voorbeelden van een convenant.", [], False),  # asks for examples
])
def test_a_question_naming_no_theme_case_or_example_is_general(retriever, question, themes, general) -> None:
    assert retriever.named_themes(question) == themes
    trace = RetrievalTrace()
    retriever.retrieve(question, k=5, trace=trace)
    assert trace.general is general


def test_general_questions_lean_towards_the_general_chapters(retriever) -> None:
    question = "Wat maakt dat een samenwerking slaagt?"
    retriever_off = retriever.model_copy(update={"config": replace(retriever.config, general_boost=0.0)})
    on, off = retriever.retrieve(question, k=10), retriever_off.retrieve(question, k=10)

    def general_share(hits):
        return sum(not h.theme and not h.case_id for h in hits)

    assert general_share(on) > general_share(off)
    themed = "Wat maakt samenwerking bij verkeershandhaving succesvol?"
    assert [h.chunk_id for h in retriever.retrieve(themed, k=10)] == \
        [h.chunk_id for h in retriever_off.retrieve(themed, k=10)]


def test_theme_passage_naming_cases_brings_their_cards(retriever, knowledge) -> None:
    passage = next(cid for cid, info in retriever.chunks.items()
                   if info.meta["section"] == "5.4" and "(Twente, Deventer, Delft)" in info.text)
    scores = {passage: 1.0}
    retriever._add_mentioned_cases(scores, allowed=None, unit=1 / 61)
    brought = {retriever.chunks[cid].meta["case_id"] for cid in scores if cid != passage}
    expected = {m.case_id for m in knowledge.mentions if m.section == "5.4" and m.case_id}
    assert brought == expected and len(expected) >= 3
    assert all(scores[cid] < scores[passage] for cid in scores if cid != passage)


def test_langchain_interface_returns_documents_in_the_same_order(retriever) -> None:
    docs = retriever.invoke("centrumgemeente sociale recherche")
    hits = retriever.retrieve("centrumgemeente sociale recherche", k=retriever.k)
    assert all(isinstance(d, Document) for d in docs)
    assert [d.id for d in docs] == [h.chunk_id for h in hits]


class ReverseReranker:
    def __init__(self) -> None:
        self.calls = 0

    def rerank(self, query, hits):
        self.calls += 1
        return list(reversed(hits))


def test_reranker_is_off_by_default_and_pluggable(retriever) -> None:
    assert retriever.reranker is None
    depth = retriever.config.candidates  # the reranker sees the whole fused list, not just the top k
    fused = retriever.retrieve("regie", k=depth)
    reranker = ReverseReranker()
    assert isinstance(reranker, Reranker)
    reranked = retriever.model_copy(update={"reranker": reranker}).retrieve("regie", k=depth)
    assert reranker.calls == 1
    assert [h.chunk_id for h in reranked] == [h.chunk_id for h in reversed(fused)]
    assert [h.rank for h in reranked] == list(range(1, depth + 1))


def test_llm_reranker_with_a_fake_chat_model(retriever) -> None:
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    hits = retriever.retrieve("regie", k=3)
    model = FakeListChatModel(responses=["2", "9", "nonsense"])
    reranked = LLMReranker(model, Settings().prompts_dir, top_n=3).rerank("regie", hits)
    assert [h.chunk_id for h in reranked] == [hits[1].chunk_id, hits[0].chunk_id, hits[2].chunk_id]
    assert [h.score for h in reranked] == [9.0, 2.0, 0.0]
