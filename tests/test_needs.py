"""What a question asks for specifically and whether the passages give it (advisor.answer.needs), the gate's list of
what is missing, and the first sentence that says so (advisor.answer.refusals.absence_text). No index, no model."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from advisor.answer.gate import EvidenceGate, GateThresholds
from advisor.answer.needs import Evidence, Need, needs_of, parts
from advisor.answer.refusals import absence_text
from advisor.corpus.rules import load_rules
from advisor.retrieval.analysis import DutchAnalyser, fold, read_word_list
from advisor.retrieval.hits import Hit
from advisor.retrieval.hybrid import RetrievalTrace
from advisor.retrieval.lexical import LexicalIndex
from advisor.retrieval.question import QuestionReader

ROOT = Path(__file__).resolve().parents[1]
RULES = load_rules(ROOT / "corpus")
CUES = RULES.cues
ANALYSER = DutchAnalyser.from_corpus(ROOT / "corpus")
READER = QuestionReader(ANALYSER, read_word_list(ROOT / "corpus" / "stopwords_en.txt"), CUES)


def _needs(text: str) -> list[tuple[str, str]]:
    return [(n.kind, n.what) for n in needs_of(READER.about(text), CUES, ANALYSER.stopwords)]


def test_a_question_is_read_part_by_part() -> None:
    assert parts("Hoeveel stadswachten heeft de gemeente, en wie betaalt ze?") == [
        "Hoeveel stadswachten heeft de gemeente", "wie betaalt ze"]
    assert parts("How many teams are there and in what year did they start?") == [
        "How many teams are there", "in what year did they start"]
    assert parts("Welke gemeenten doen mee, sinds wanneer werken ze samen?") == [
        "Welke gemeenten doen mee", "sinds wanneer werken ze samen"]
    assert parts("Werken Delft en Zoetermeer samen?") == ["Werken Delft en Zoetermeer samen"]  # "en" inside a part
    assert needs_of(READER.about("Hoeveel stadswachten heeft de gemeente, en wie betaalt ze?"), CUES,
                    ANALYSER.stopwords) == (Need("count", "stadswachten", "Hoeveel stadswachten heeft de gemeente"),
                                            Need("payer", "", "wie betaalt ze"))


@pytest.mark.parametrize(("question", "needs"), [
    ("Hoeveel handhavers telt de afdeling?", [("count", "handhavers")]),
    ("Hoeveel gemeentelijke toezichthouders werken er?", [("count", "gemeentelijke toezichthouders")]),
    ("How many permits does the city issue?", [("count", "permits")]),
    ("Met hoeveel procent steeg het aantal controles?", [("percent", "")]),
    ("Wat is het jaarbudget van de dienst?", [("money", "")]),
    ("Sinds wanneer werken ze samen?", [("year", "")]),
    ("In welk jaar begon de pilot?", [("year", "")]),
    ("How often does the team visit the market?", [("frequency", "")]),
    ("Welk softwarepakket gebruikt het loket?", [("detail", "software")]),
    ("Op welk wetsartikel steunt het besluit?", [("detail", "legal_article")]),
    ("Welke drie gemeenten leveren de rechercheurs?", [("names", "drie gemeenten")]),
    ("Which of the four partners runs the front office?", [("name", "")]),
    ("Who pays for the joint office?", [("payer", "")]),
    ("Who chairs the steering group?", [("chair", "")]),
    ("Wat vindt de ondernemersvereniging van het convenant?", [("opinion", "")]),
    ("Wat kwam er uit de evaluatie van het project?", [("outcome", "")]),
    ("Was the new covenant eventually signed?", [("after_report", "eventually")]),
    # how a figure is decided, the report's own view, the asker's own situation: nothing specific is asked
    ("Hoe wordt bepaald hoeveel uren elke partner levert?", []),
    ("Wat vindt het rapport van een centrumgemeente?", []),
    ("We zijn een kleine gemeente. Wat kost een regionale milieudienst ons?", []),
    ("Wat zijn de voordelen van een centrumgemeente?", []),
])
def test_what_each_part_of_a_question_asks_for(question, needs) -> None:
    assert _needs(question) == needs


def _hit(text: str, case_id: str | None = None) -> Hit:
    return Hit(1, "c", 1.0, "14.1", "14.1", "Casus", None, case_id, None, 0, len(text), text)


def _statement(nl: str, en: str, case_id: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(statement=SimpleNamespace(nl=nl, en=en, case_id=case_id))


def _gives(question: str, *texts: str, statements=(), cases=frozenset()) -> list[bool]:
    hits = [_hit(text) for text in texts]
    corpus = [*texts, *(f"{s.statement.nl} {s.statement.en}" for s in statements), "de gemeente en de politie"]
    lexical = LexicalIndex.build(ANALYSER, [str(n) for n in range(len(corpus))], corpus)
    evidence = Evidence.of(hits, statements, ANALYSER, CUES, lambda t: t in lexical.postings, lexical.idf,
                           cases=cases)
    return [evidence.gives(need) for need in needs_of(READER.about(question), CUES, ANALYSER.stopwords)]


def test_a_figure_is_given_by_a_sentence_with_it_about_the_same_thing() -> None:
    assert _gives("Hoeveel partners werken samen in het overleg?", "In het overleg werken zestien partners samen.") \
        == [True]
    assert _gives("Hoeveel handhavers telt de afdeling?", "In 2006 kwamen er 4 nieuwe afspraken over handhavers.") \
        == [False]  # a number, and the word, but the number counts something else
    assert _gives("Sinds wanneer bestaat het convenant?", "Het convenant is in 2004 ondertekend.") == [True]
    assert _gives("Sinds wanneer bestaat het convenant?", "De politie werkt sinds 2004 samen.",
                  "Het convenant regelt de uitwisseling.") == [False]
    assert _gives("Hoe vaak vergadert het kernteam?", "Het kernteam vergadert twee keer per jaar.") == [True]
    assert _gives("Hoe vaak vergadert het kernteam?", "Het kernteam stelt de planning vast.") == [False]


def test_the_english_of_a_key_statement_counts_and_another_cases_sentences_do_not() -> None:
    signed = _statement("Het convenant is in 2006 ondertekend.", "The covenant was signed in 2006.", "limburg")
    assert _gives("In which year was the covenant signed?", statements=[signed]) == [True]
    assert _gives("In which year was the covenant signed?", statements=[signed], cases={"roosendaal"}) == [False]


def test_names_and_details_need_sentences_that_give_them() -> None:
    four = "Er wordt gewerkt in de vier regio's Eemland, Utrecht-West, Utrecht-Zuidoost en BRU."
    assert _gives("Welke vier regio's werken samen?", four) == [True]
    assert _gives("Welke vier regio's werken samen?", "Het werk is over vier regio's verdeeld.") == [False]
    article = "Het besluit steunt op een ontheffing van art. 18 van de Wet politieregisters."
    assert _gives("Op welk wetsartikel steunt het besluit?", article) == [True]
    assert _gives("Op welk wetsartikel steunt het besluit?", "Het besluit is door de minister genomen.") == [False]
    assert _gives("Welk softwarepakket gebruikt het loket?", "Het loket koppelt gegevens uit registers.") == [False]


def _decide(question: str, *texts: str):
    hits = [_hit(text) for text in texts]
    lexical = LexicalIndex.build(ANALYSER, [str(n) for n in range(len(texts))], texts)
    gate = EvidenceGate(CUES, ANALYSER, GateThresholds.from_rules(RULES), fold(" ".join(texts)))
    return gate.check(READER.about(question), hits, RetrievalTrace(dense_similarity={"0": 0.9}), lexical)


def test_the_gate_lists_what_is_missing_when_the_report_says_something_close() -> None:
    close = _decide("Hoeveel handhavers telt de afdeling Toezicht?", "De afdeling Toezicht zet handhavers in.")
    assert not close.covered and close.reason == "figure_not_given" and close.not_in_report
    assert close.missing == (Need("count", "handhavers", "Hoeveel handhavers telt de afdeling Toezicht"),)
    far = _decide("Hoeveel handhavers telt de afdeling Toezicht?", "Het weer is vandaag mooi.")
    assert not far.covered and far.reason == "figure_not_given" and not far.missing  # nothing close: a refusal
    given = _decide("Hoeveel handhavers telt de afdeling Toezicht?", "De afdeling Toezicht telt twaalf handhavers.")
    assert given.covered and not given.missing


@pytest.mark.parametrize(("missing", "language", "first"), [
    ((Need("count", "handhavers"),), "nl", "Het rapport noemt geen aantal handhavers."),
    ((Need("count", "permits"),), "en", "The report does not give the number of permits."),
    ((Need("count", ""),), "nl", "Het rapport noemt geen aantallen hierover."),
    ((Need("year"), Need("count", "teams")), "en",
     "The report does not give a year or date. The report does not give the number of teams."),
    ((Need("detail", "software"),), "nl", "Het rapport noemt geen software of systemen."),
    ((Need("detail", "a group without its own sentence"),), "en", "The report does not give this detail."),
    ((Need("office_holder", "burgemeester"),), "nl", "Het rapport noemt geen naam van de burgemeester."),
    ((Need("names", "22 kleinere gemeenten"),), "nl", "Het rapport noemt geen namen van de 22 kleinere gemeenten."),
    ((Need("year"), Need("year")), "nl", "Het rapport noemt geen jaartal of datum."),  # said once
])
def test_the_first_sentence_names_what_is_missing_in_the_askers_language(missing, language, first) -> None:
    text = absence_text(missing, language)
    assert text.startswith(first + " ")
    then = "Wat het rapport er wel over zegt:" if language == "nl" else "What the report does say on this:"
    assert text.endswith(then)


def test_every_kind_of_need_has_a_sentence_in_both_languages() -> None:
    from advisor.answer.needs import DETAILS, FIGURES
    from advisor.messages import MESSAGES

    kinds = {*FIGURES, *DETAILS, *CUES.not_in_a_2008_study} - {"detail"}
    for key in [f"absent.{kind}" for kind in kinds] + [f"absent.detail.{group}" for group in CUES.details]:
        assert set(MESSAGES[key]) == {"nl", "en"}, key
        assert MESSAGES[key]["nl"].startswith("Het rapport noemt geen"), key
        assert MESSAGES[key]["en"].startswith("The report does not give"), key
