"""Which words of a question tie it to the report (advisor.answer.topic); the gate rule using them: test_gate."""

import pytest

from advisor.answer.topic import TopicWords
from advisor.corpus.rules import load_rules
from advisor.retrieval.analysis import fold
from advisor.settings import PROJECT_ROOT

RULES = load_rules(PROJECT_ROOT / "corpus")

REPORT = ("De handhaving door de gemeente vraagt samenwerking. Gemeenten en politie werken samen in de handhaving. "
          "Het convenant regelt de handhaving. De gemeenten kiezen een convenant. ") * 20
GROUPS = [{"nl": ["handhaving"], "en": ["enforcement", "law enforcement"]},
          {"nl": ["brood"], "en": ["bread"]}]
STOPWORDS = frozenset(fold(w) for w in ["de", "het", "een", "hoe", "ik", "how", "does", "work", "wat", "zegt",
                                         "the", "do", "i", "in", "is"])


@pytest.fixture(scope="module")
def topic() -> TopicWords:
    return TopicWords.from_report(REPORT, GROUPS, STOPWORDS, RULES)


def test_everyday_questions_have_no_anchor(topic) -> None:
    assert topic.anchors("Hoe bak ik brood?") == []
    assert topic.anchors("How do I bake bread?") == []  # "bread" borrows the count of "brood": none


def test_words_the_report_uses_far_more_than_everyday_language_anchor(topic) -> None:
    assert topic.anchors("Hoe werkt de handhaving?") == ["handhaving"]
    assert topic.specificity("handhaving") >= topic.min_specificity == 1.0
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
