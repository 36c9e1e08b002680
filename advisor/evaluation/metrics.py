"""Retrieval metrics per item and aggregated, split by language and type.

A ranked result covers one or more sections (a baseline chunk may span sections; it counts for every
section it overlaps) and zero or more cases.

- ``section_recall@k``: 1 when a gold section is among the first k results (hit rate);
- ``mrr@10``: 1 / rank of the first result in a gold section;
- ``ndcg@10``: binary gain for a result that covers a gold section not covered higher up, normalised by
  the ideal ranking of min(#gold sections, 10) such results;
- ``case_recall@5``: share of the gold cases found among the first 5 results (items with gold cases only).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from advisor.evaluation.evalset import EvalItem

SECTION_METRICS = ("section_recall@1", "section_recall@5", "section_recall@10", "mrr@10", "ndcg@10")
# What an evaluation run (advisor.evaluation.runs) scores per answered item.
METRICS = ("section_recall@1", "section_recall@5", "section_recall@10", "mrr@10", "case_recall@5",
           "citation_validity", "citation_precision", "faithfulness", "fact_recall", "refusal_accuracy",
           "language_match", "must_not_violations", "evidence_in_sources", "evidence_in_answer", "answer_words")
# Counts, not shares: shown as numbers, not bars; answer_words is aggregated by its median.
COUNT_METRICS = frozenset({"must_not_violations", "answer_words"})
HIGHER_IS_BETTER = {m: m not in COUNT_METRICS for m in METRICS}
ANSWER_WORDS_LIMIT = 120  # an answer longer than this fails answer_words in `eval compare`'s flips


@dataclass(frozen=True)
class Ranked:
    sections: frozenset[str]
    cases: frozenset[str]


def score_item(item: EvalItem, ranked: list[Ranked], gold_case_ids: set[str]) -> dict[str, float]:
    gold = {s.lower() for s in item.gold_sections}
    relevant = [bool({s.lower() for s in r.sections} & gold) for r in ranked[:10]]
    scores = {f"section_recall@{k}": float(any(relevant[:k])) for k in (1, 5, 10)}
    first = next((i for i, rel in enumerate(relevant, start=1) if rel), None)
    scores["mrr@10"] = 1.0 / first if first else 0.0
    covered: set[str] = set()
    dcg = 0.0
    for i, result in enumerate(ranked[:10], start=1):
        new = ({s.lower() for s in result.sections} & gold) - covered
        if new:
            dcg += 1.0 / math.log2(i + 1)
            covered |= new
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(gold), 10) + 1))
    scores["ndcg@10"] = dcg / ideal if ideal else 0.0
    if gold_case_ids:
        found = set().union(*(r.cases for r in ranked[:5])) if ranked else set()
        scores["case_recall@5"] = len(found & gold_case_ids) / len(gold_case_ids)
    return scores


def mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return round(statistics.fmean(values), 4) if values else None


def aggregate(rows: list[tuple[EvalItem, dict[str, float]]]) -> dict[str, float | None]:
    """Means over the rows that have each metric."""
    names = sorted({name for _, scores in rows for name in scores})
    return {name: mean(scores[name] for _, scores in rows if name in scores) for name in names}


def split(rows: list[tuple[EvalItem, dict[str, float]]], key: str) -> dict[str, dict[str, float | None]]:
    groups: dict[str, list] = {}
    for item, scores in rows:
        groups.setdefault(getattr(item, key), []).append((item, scores))
    return {name: {"n": len(group), **aggregate(group)} for name, group in sorted(groups.items())}


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
