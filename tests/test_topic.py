"""Which words of a question tie it to the report (advisor.topic), and the gate rule that uses them."""

import pytest

from advisor.analysis import fold
from advisor.gate import EvidenceGate
from advisor.retrieval import RetrievalTrace
from advisor.search import Hit
from advisor.topic import MIN_SPECIFICITY, TopicWords

REPORT = ("De handhaving door de gemeente vraagt samenwerking. Gemeenten en politie werken samen in de handhaving. "
          "Het convenant regelt de handhaving. De gemeenten kiezen een convenant. ") * 20
GROUPS = [{"nl": ["handhaving"], "en": ["enforcement", "law enforcement"]},
          {"nl": ["brood"], "en": ["bread"]}]
STOPWORDS = frozenset(fold(w) for w in ["de", "het", "een", "hoe", "ik", "how", "does", "work", "wat", "zegt",
                                         "the", "do", "i", "in", "is"])


@pytest.fixture(scope="module")
def topic() -> TopicWords:
    return TopicWords.from_report(REPORT, GROUPS, STOPWORDS)


def test_everyday_questions_have_no_anchor(topic) -> None:
    assert topic.anchors("Hoe bak ik brood?") == []
    assert topic.anchors("How do I bake bread?") == []  # "bread" borrows the count of "brood": none


def test_words_the_report_uses_far_more_than_everyday_language_anchor(topic) -> None:
    assert topic.anchors("Hoe werkt de handhaving?") == ["handhaving"]
    assert topic.specificity("handhaving") >= MIN_SPECIFICITY
    assert topic.specificity("brood") is None


def test_inflections_count_together(topic) -> None:
    """The report above says only "convenant"; the plural shares its stem and so its count."""
    assert "convenanten" not in REPORT
    assert topic.anchors("Wat regelen de convenanten?") == ["convenanten"]


def test_english_words_borrow_the_count_of_their_dutch_counterparts(topic) -> None:
    assert topic.anchors("How does enforcement work?") == ["enforcement"]
    assert topic.specificity("enforcement") is not None and topic.specificity("bread") is None


def test_words_naming_the_report_itself_anchor(topic) -> None:
    assert topic.anchors("Wat zegt het rapport?") == ["rapport"]
    assert topic.anchors("What did the researchers find?") == ["researchers"]


def _hit() -> Hit:
    return Hit(rank=1, chunk_id="c1", score=1.0, section="4.1", section_id="4.1", section_title="Inleiding",
               theme=None, case_id=None, case_title=None, start=0, end=31, text="De handhaving door de gemeente.")


@pytest.mark.parametrize(("similarity", "anchors", "covered"), [
    (0.82, [], False),  # everyday question, as close to the report as e5 puts "Hoe bak ik brood?"
    (0.82, ["handhaving"], True),
    (0.82, None, True),  # rule not applied
    (0.90, [], True),  # a strong passage match outweighs the missing word
])
def test_gate_refuses_a_question_without_anchor_below_the_anchor_similarity(similarity, anchors, covered) -> None:
    from advisor.analysis import DutchAnalyser
    from advisor.lexical import LexicalIndex

    analyser = DutchAnalyser(STOPWORDS)
    hit = _hit()
    trace = RetrievalTrace(dense_similarity={hit.chunk_id: similarity})
    lexical = LexicalIndex.build(analyser, [hit.chunk_id], [hit.text])
    decision = EvidenceGate().check("Hoe bak ik brood?", [hit], trace, analyser, lexical, REPORT,
                                    domain=(frozenset({"handhav"}),), anchors=anchors)
    assert decision.covered is covered
    assert decision.reason == ("" if covered else "off_topic")
