"""Retrieval metrics on hand-made rankings, and the benchmark on a few real questions."""

from __future__ import annotations

import math

import pytest

from advisor.evaluation.evalset import EvalItem
from advisor.evaluation.metrics import Ranked, aggregate, percentile, score_item, split
from advisor.retrieval.hybrid import diversify


def _item(sections=("5.4",), lang="nl", kind="fact") -> EvalItem:
    return EvalItem("i", lang, kind, "q", (), tuple(sections), (), ("f",), (), ())


def _r(*sections, cases=()) -> Ranked:
    return Ranked(frozenset(sections), frozenset(cases))


def test_scores_of_a_ranking() -> None:
    ranked = [_r("1.1"), _r("5.4", cases=["twente"]), _r("5.4"), _r("12.3"), _r("2.1")]
    scores = score_item(_item(("5.4", "12.3")), ranked, {"twente", "deventer"})
    assert scores["section_recall@1"] == 0.0 and scores["section_recall@5"] == 1.0
    assert scores["mrr@10"] == 0.5
    ideal = 1 + 1 / math.log2(3)
    assert scores["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / ideal)
    assert scores["case_recall@5"] == 0.5


def test_a_chunk_spanning_sections_counts_for_each() -> None:
    assert score_item(_item(("5.4",)), [_r("5.3", "5.4")], set())["section_recall@1"] == 1.0


def test_nothing_found_and_no_gold_cases() -> None:
    scores = score_item(_item(), [_r("1.1")] * 10, set())
    assert scores["mrr@10"] == 0.0 and scores["ndcg@10"] == 0.0 and "case_recall@5" not in scores


def test_aggregation_and_splits() -> None:
    rows = [(_item(lang="nl"), {"mrr@10": 1.0}), (_item(lang="en"), {"mrr@10": 0.5})]
    assert aggregate(rows) == {"mrr@10": 0.75}
    assert split(rows, "lang") == {"en": {"n": 1, "mrr@10": 0.5}, "nl": {"n": 1, "mrr@10": 1.0}}
    assert percentile([1, 2, 3, 4], 50) == 2.5 and percentile([], 50) is None


def test_diversify_keeps_order_and_never_demotes_a_first_of_its_parent() -> None:
    ranked = ["a1", "a2", "b1", "a3", "c1", "b2"]
    assert diversify(ranked, lambda c: c[0], 1) == ["a1", "b1", "c1", "a2", "a3", "b2"]
    assert diversify(ranked, lambda c: c[0], 0) == ranked


@pytest.mark.real_model
@pytest.mark.slow
def test_bench_runs_methods_on_real_questions(real_advisor, real_settings) -> None:
    from advisor.evaluation.bench import format_table, run_bench
    from advisor.evaluation.evalset import load_items

    items = [i for i in load_items(real_settings.eval_dir / "dev.jsonl") if i.type == "fact"][:6]
    report = run_bench(real_settings, real_advisor.knowledge, items, only=["bm25-plain", "ours"])
    ours = report["methods"]["ours"]
    assert report["items"] == 6 and ours["overall"]["n"] == 6
    assert ours["overall"]["section_recall@10"] >= ours["overall"]["section_recall@1"]
    assert ours["latency_ms"]["p50"] > 0 and ours["build_seconds"] > 0
    assert "ours" in format_table(report) and "bm25-plain" in format_table(report)
