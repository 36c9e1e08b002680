"""The Dutch analyser, BM25 and glossary expansion."""

from __future__ import annotations

import pytest

from advisor.corpus.rules import load_rules
from advisor.retrieval.analysis import DutchAnalyser, fold, stem
from advisor.retrieval.lexical import LexicalIndex
from advisor.retrieval.question import QuestionReader
from advisor.settings import PROJECT_ROOT, Settings


@pytest.fixture(scope="module")
def analyser(knowledge) -> DutchAnalyser:
    return DutchAnalyser.from_corpus(Settings().corpus_dir, knowledge.report)


def test_folding_and_stemming() -> None:
    assert fold("Coördinatie Efficiënt") == "coordinatie efficient"
    assert stem("gemeenten") == stem("gemeente")
    assert stem("samenwerking") == stem("samenwerken")
    assert stem("handhaving") == stem("handhaven")


def test_stop_words_go_abbreviations_stay(analyser) -> None:
    terms = analyser.terms("Wat doet het OM om de BOA's te helpen?")
    assert "#om" in terms and "om" not in terms
    assert "wat" not in terms and "het" not in terms
    assert analyser.terms("om te beginnen") == [stem("beginnen")]


def test_compounds_are_split_into_known_parts(analyser) -> None:
    assert analyser.split_compound("uitkeringsfraude") == ("uitkering", "fraude")
    assert analyser.split_compound("handhavingsteam") == ("handhaving", "team")
    assert analyser.split_compound("gemeente") is None
    terms = analyser.terms("uitkeringsfraude")
    assert stem("fraude") in terms and stem("uitkering") in terms


def test_glossary_expansion(analyser) -> None:
    sources = {e.source: e.terms for e in analyser.expansions("Wat doet de SIOD?")}
    assert "SIOD" in sources and stem("opsporingsdienst") in sources["SIOD"] or any(
        "inlicht" in t for t in sources["SIOD"]
    )
    english = analyser.expansions("Which cases use a covenant with the tax office?")
    dutch_terms = {t for e in english for t in e.terms}
    assert stem("convenant") in dutch_terms and stem("belastingdienst") in dutch_terms
    assert analyser.expansions("siod") == analyser.expansions("SIOD") or not analyser.expansions("siod")


def test_bm25_ranks_matching_documents_and_weights_expansions(analyser) -> None:
    texts = [
        "De sociale recherche bestrijdt uitkeringsfraude in Twente.",
        "Het convenant met de Belastingdienst regelt de informatie-uitwisseling.",
        "Verkeershandhaving door politie en provincie.",
    ]
    index = LexicalIndex.build(analyser, ["a", "b", "c"], texts)
    assert LexicalIndex.from_terms(analyser, index.ids, [analyser.terms(t) for t in texts]).postings == index.postings
    reader = QuestionReader(analyser, frozenset(), load_rules(PROJECT_ROOT / "corpus").cues)
    fraud, covenant = reader.about("fraude"), reader.about("covenant with the tax office")
    assert index.search(fraud, k=3)[0][0] == "a"  # compound part matches
    assert index.search(covenant, k=3)[0][0] == "b"  # only through the glossary
    assert index.search(covenant, k=3, expansion_weight=0.0) == []
    assert index.search(fraud, k=3, allowed={"b", "c"}, expansion_weight=0.0) == []
    weights = index.query_weights(reader.about("convenant belastingdienst fiscus"), expansion_weight=0.5)
    assert weights[stem("convenant")] == 1.0
    assert all(w <= 1.0 for w in weights.values())
