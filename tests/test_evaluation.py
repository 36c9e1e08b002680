"""The evaluation suite: metrics on hand-made answers, a planted unfaithful answer, compare, the CI gate."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from advisor.answer.citations import Citation
from advisor.cli import main
from advisor.corpus.rules import load_rules
from advisor.evaluation.evalset import EvalItem, load_items
from advisor.evaluation.judges import OverlapJudge, judge_accuracy, load_pairs
from advisor.evaluation.runs import (
    METRICS,
    claims_of,
    compare_runs,
    framing_of,
    gate_failures,
    run_eval,
    score_answer,
    stratified_sample,
)
from advisor.retrieval.analysis import DutchAnalyser
from advisor.retrieval.hits import Hit
from advisor.settings import Settings

PASSAGE = ("De drie grotere gemeenten in Twente, Enschede, Almelo en Hengelo, werkten elk al samen met kleine(re) "
           "gemeenten op het gebied van sociale uitkeringsfraude. Almelo is de uitvoeringsgemeente.")


@pytest.fixture(scope="module")
def judge(knowledge) -> OverlapJudge:
    corpus = Settings().corpus_dir
    return OverlapJudge.from_rules(DutchAnalyser.from_corpus(corpus, knowledge.report), load_rules(corpus))


@dataclass
class FakeAnswer:
    text: str
    citations: tuple
    sources: tuple
    refused: bool = False
    notices: tuple = field(default_factory=tuple)


def _answer(text: str, quote: str) -> FakeAnswer:
    hit = Hit(1, "c1", 1.0, "14.2", "14.2", "Handhaving sociale zekerheid", "sociale_zekerheid", "twente",
              "Sociale Recherche Twente (SRT)", 0, len(PASSAGE), PASSAGE)
    citation = Citation(1, "c1", "14.2", "14.2", "Handhaving sociale zekerheid", "twente",
                        "Sociale Recherche Twente (SRT)", quote, 0, len(quote))
    return FakeAnswer(text, (citation,), (hit,))


def test_framing_leaves_out_quotes_and_the_dutch_titles_of_cited_sources() -> None:
    answer = _answer("What the report says (quotes in Dutch):\n- Sociale Recherche Twente (SRT): “Almelo is de "
                     "uitvoeringsgemeente.” [1]\n- 14.2 Handhaving sociale zekerheid: “De drie grotere gemeenten "
                     "in Twente” [1]", "Almelo is de uitvoeringsgemeente.")
    framing = framing_of(answer)
    assert "uitvoeringsgemeente" not in framing and "Recherche" not in framing and "Handhaving" not in framing
    assert framing.startswith("What the report says (quotes in Dutch):") and "14.2" in framing


class _Retriever:
    def __init__(self, analyser) -> None:
        self.analyser = analyser
        self.english_stopwords = frozenset({"the", "is", "a", "of", "in"})


ITEM = EvalItem("x-1", "nl", "fact", "Wie is de uitvoeringsgemeente in Twente?", (), ("14.2",),
                ("Sociale Recherche Twente (SRT)",), ("Almelo is uitvoeringsgemeente",), (), ("Enschede voert uit",))


def test_faithful_and_planted_unfaithful_answers(judge, knowledge) -> None:
    retriever = _Retriever(judge.analyser)
    good = _answer("In Twente is Almelo de uitvoeringsgemeente voor de sociale recherche [1].",
                   "Almelo is de uitvoeringsgemeente.")
    scored = score_answer(ITEM, good, [], judge, knowledge, retriever)["scores"]
    assert scored["faithfulness"] == 1.0 and scored["citation_validity"] == 1.0
    assert scored["fact_recall"] == 1.0 and scored["must_not_violations"] == 0.0 and scored["refusal_accuracy"] == 1.0
    planted = _answer("In Twente werken sinds 1985 zeventien gemeenten samen in de sociale recherche [1].",
                      "Almelo is de uitvoeringsgemeente.")
    bad = score_answer(ITEM, planted, [], judge, knowledge, retriever)["scores"]
    assert bad["faithfulness"] == 0.0 and bad["citation_precision"] == 0.0
    invalid = _answer("Almelo is de uitvoeringsgemeente [1].", "Dit staat niet in de passage.")
    assert score_answer(ITEM, invalid, [], judge, knowledge, retriever)["scores"]["citation_validity"] == 0.0


def test_claims_are_quotes_or_sentences_not_framing() -> None:
    quote = "De medewerkers van de sociale recherche zijn bij Almelo in dienst."
    answer = FakeAnswer(f"Wat het rapport zegt:\n\n- 14.2 Sociale zekerheid: “{quote}” [1]\n\n"
                        "_Let op: het rapport dateert van maart 2008._", (), ())
    assert claims_of(answer) == [(quote, [1])]


def test_overlap_judge_catches_hard_negatives(judge) -> None:
    assert judge.supported("Almelo is in Twente de uitvoeringsgemeente.", PASSAGE)
    assert not judge.supported("Almelo is in Twente niet de uitvoeringsgemeente.", PASSAGE)
    assert not judge.supported("De vier grotere gemeenten in Twente werkten al samen.", PASSAGE)
    assert not judge.supported("In Twente werkten 12 gemeenten samen.", PASSAGE)


def test_stratified_sample_covers_types_and_languages() -> None:
    items = load_items(Settings().eval_dir / "test.jsonl")
    sample = stratified_sample(items, 20)
    assert len(sample) == 20 and len({i.type for i in sample}) == 8 and {i.lang for i in sample} == {"nl", "en"}
    assert stratified_sample(items, 20) == sample


def _run(folder: Path, values: list[float], dataset_hash: str = "abc") -> Path:
    folder.mkdir()
    rows = []
    for n, value in enumerate(values):
        metrics = dict.fromkeys(METRICS, 1.0)
        metrics["faithfulness"] = value
        rows.append({"id": f"i{n}", "type": "fact", "lang": "nl", "metrics": metrics, "latency_ms": 1.0})
    (folder / "results.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    (folder / "summary.json").write_text(json.dumps({"metadata": {"dataset_hash": dataset_hash}}))
    return folder


def test_compare_finds_a_known_regression_and_its_flips(tmp_path, capsys) -> None:
    before = _run(tmp_path / "a", [1.0] * 10)
    after = _run(tmp_path / "b", [1.0] * 6 + [0.0] * 4)
    comparison = compare_runs(before, after)
    assert comparison.regressions == ["faithfulness"]
    assert comparison.deltas["faithfulness"]["delta"] == -0.4
    assert comparison.flips["faithfulness"]["pass_to_fail"] == ["i6", "i7", "i8", "i9"]
    assert comparison.deltas["faithfulness"]["p_sign_test"] == 0.125
    assert main(["eval", "compare", str(before), str(after)]) == 1
    assert main(["eval", "compare", str(before), str(before)]) == 0
    other = _run(tmp_path / "c", [1.0] * 10, dataset_hash="other")
    with pytest.raises(ValueError, match="different versions"):
        compare_runs(before, other)


def test_judge_pairs_file_is_sound(knowledge) -> None:
    pairs = load_pairs(Settings().eval_dir / "judge_pairs.jsonl")
    assert len(pairs) >= 150 and len({p["id"] for p in pairs}) == len(pairs)
    assert all(p["passage"] in knowledge.report for p in pairs)
    kinds = {p["kind"] for p in pairs if not p["supported"]}
    assert {"wrong_place", "wrong_number", "swapped_roles", "negation", "other_case"} <= kinds


def test_the_blind_judge_holdout_is_sound(knowledge) -> None:
    """Written by someone who had not seen the judges; nothing is tuned on it (docs/evaluation.md)."""
    pairs = load_pairs(Settings().eval_dir / "judge_pairs_holdout.jsonl")
    assert len(pairs) >= 150 and len({p["id"] for p in pairs}) == len(pairs)
    # tables are printed with tabs in the report and with " | " in the cleaned corpus: compare the words only
    def words(text: str) -> str:
        return " ".join(re.findall(r"\w+", text.lower()))

    report = words(knowledge.report)
    assert [p["id"] for p in pairs if words(p["passage"]) not in report] == []
    assert {p["lang"] for p in pairs} == {"nl", "en"} and {p["source"] for p in pairs} == {"written", "local_generator"}
    assert sum(p["source"] == "local_generator" for p in pairs) >= 40
    kinds = [p["kind"] for p in pairs if not p["supported"]]
    assert all(kinds.count(k) >= 8 for k in ("negation", "wrong_number", "swapped_roles", "wrong_place", "overclaim",
                                             "other_case", "unrelated", "added_detail"))
    assert all(p["supported"] == (p["kind"] == "supported") for p in pairs)


def test_judge_accuracy_is_computed_per_kind(judge) -> None:
    pairs = [{"claim": "Almelo is de uitvoeringsgemeente.", "passage": PASSAGE, "supported": True, "kind": "supported"},
             {"claim": "Hengelo is de uitvoeringsgemeente.", "passage": PASSAGE, "supported": False,
              "kind": "wrong_place"}]
    report = judge_accuracy(judge, pairs)
    assert report["pairs"] == 2 and set(report["accuracy_by_kind"]) == {"supported", "wrong_place"}


@pytest.mark.real_model
@pytest.mark.slow
def test_ci_gate_passes_for_extractive_and_bites_on_a_corrupting_generator(real_advisor, tmp_path, monkeypatch):
    from advisor.evaluation.calibration import get_judge

    dataset = Settings().eval_dir / "test.jsonl"
    items = stratified_sample(load_items(dataset), 12)
    thresholds = json.loads((Settings().eval_dir / "gate.json").read_text())
    judge = get_judge("overlap", real_advisor)
    summary = run_eval(real_advisor, dataset, items, "extractive", judge, tmp_path / "extractive")
    assert gate_failures(summary, thresholds) == []
    for name in ("results.jsonl", "summary.json", "report.html"):
        assert (tmp_path / "extractive" / name).exists()
    assert set(METRICS) <= set(summary["metrics"]) and "latency_p95_ms" in summary["metrics"]
    assert 0 < summary["metrics"]["evidence_in_answer"] <= summary["metrics"]["evidence_in_sources"] <= 1
    assert 20 <= summary["metrics"]["answer_words"] <= 200  # the median answer, in words
    corrupt = FakeListChatModel(responses=[
        "De samenwerking begon in 1850 met zevenennegentig gemeenten en de provincie Limburg [1]. "
        "Alle gemeenten in Nederland doen hieraan mee volgens bron [9]."
    ] * 40)
    monkeypatch.setattr("advisor.answer.engine.chat_model_for", lambda generator, settings: corrupt)
    broken = run_eval(real_advisor, dataset, items, "fake", judge, tmp_path / "fake")
    assert any(f.startswith("faithfulness") for f in gate_failures(broken, thresholds))


def test_the_interval_of_answer_words_is_that_of_its_median() -> None:
    from advisor.evaluation.runs import _aggregate

    rows = [{"metrics": {"answer_words": words}, "latency_ms": 1.0} for words in (40, 50, 60, 70, 300, 320, 340)]
    summary = _aggregate(rows)
    low, high = summary["answer_words_ci95"]
    assert summary["answer_words"] == 70
    assert low <= 70 <= high  # the mean (168.6) would not be inside an interval of the median, nor this one of it
