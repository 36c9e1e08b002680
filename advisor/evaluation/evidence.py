"""``advisor bench --unit statements``: does what retrieval returns hold the words that answer the question?

*Evidence recall@k*: the share of answerable items (with ``evidence``) for which one of the top k units holds an
evidence sentence. A key statement holds it when its quote and the sentence contain one another, or the quote has
at least 70 % of the sentence's words; a chunk is measured the same way, on its text. Both units are searched in
one index build (rebuilt in the cache, so the build is measured), side by side, per language.

    >>> report = run_evidence_bench(settings, knowledge, items)
    >>> report["statements"]["overall"]["evidence_recall@5"]
"""

from __future__ import annotations

import gc
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from advisor.corpus.knowledge import Knowledge
from advisor.evaluation.bench import _reset_peak, _status_kb
from advisor.evaluation.evalset import EvalItem
from advisor.evaluation.metrics import percentile
from advisor.settings import Settings

KS = (1, 3, 5, 10)
MIN_WORD_SHARE = 0.7
_WORD = re.compile(r"\w+")


def _normal(text: str) -> str:
    return " ".join(text.split()).lower()


def holds(unit_text: str, evidence: str) -> bool:
    """Whether a unit's text holds an evidence sentence: containment either way, or >= 70 % of its words."""
    unit, sentence = _normal(unit_text), _normal(evidence)
    if not unit or not sentence:
        return False
    if sentence in unit or unit in sentence:
        return True
    words = _WORD.findall(sentence)
    have = set(_WORD.findall(unit))
    return bool(words) and sum(w in have for w in words) / len(words) >= MIN_WORD_SHARE


def in_answer(answer: Any, evidence: tuple[str, ...]) -> bool:
    """``evidence_in_answer``: a cited quote or the answer's text holds one of the evidence sentences."""
    texts = [c.quote for c in answer.citations] + [answer.text]
    return any(holds(text, sentence) for text in texts for sentence in evidence)


def in_sources(answer: Any, evidence: tuple[str, ...]) -> bool:
    """``evidence_in_sources``: a passage the answer was given (or cites) holds one of the evidence sentences."""
    return any(holds(hit.text, sentence) for hit in answer.sources for sentence in evidence)


def answer_words(text: str) -> int:
    """The words of an answer as a reader counts them: without citation markers and without the italic note
    lines (the report's date) that every answer ends with."""
    kept = [line for line in text.splitlines() if not (line.startswith("_") and line.endswith("_"))]
    return len(_WORD.findall(re.sub(r"\[\d+\]", " ", "\n".join(kept))))


def first_hit(texts: Iterable[str], evidence: tuple[str, ...]) -> int | None:
    """The rank (1-based) of the first unit that holds one of the evidence sentences, or None."""
    for rank, text in enumerate(texts, start=1):
        if any(holds(text, sentence) for sentence in evidence):
            return rank
    return None


def _recall(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks)
    return {f"evidence_recall@{k}": round(sum(r is not None and r <= k for r in ranks) / n, 4) if n else 0.0
            for k in KS}


def _summary(rows: list[tuple[EvalItem, int | None]], latencies: list[float]) -> dict:
    by_lang = {lang: {"n": len(sub), **_recall([r for _, r in sub])}
               for lang in ("nl", "en") if (sub := [(i, r) for i, r in rows if i.lang == lang])}
    return {
        "overall": {"n": len(rows), **_recall([r for _, r in rows])},
        "by_lang": by_lang,
        "latency_ms": {"p50": round(percentile(latencies, 50), 1), "p95": round(percentile(latencies, 95), 1)},
        "per_item": {i.id: r for i, r in rows},
    }


def run_evidence_bench(settings: Settings, knowledge: Knowledge, items: list[EvalItem], embeddings: Any = None,
                       progress: Callable[[str], None] = lambda message: None) -> dict:
    from advisor.service import Advisor

    scored = [i for i in items if i.answerable and i.evidence]
    gc.collect()
    exact = _reset_peak()
    progress("building chunks and statements in a fresh index (the project's index is untouched)")
    advisor = Advisor(settings.replace(index_dir=settings.cache_dir / "bench-index"), embeddings=embeddings)
    started = time.perf_counter()
    manifest, _ = advisor.build_index(rebuild=True)
    build_seconds = time.perf_counter() - started
    peak = round(_status_kb("VmHWM") / 1024, 1) if exact else None
    chunks, statements = advisor.retriever, advisor.statement_retriever
    chunks.retrieve("warm up"), statements.retrieve("warm up")
    progress(f"searching {len(scored)} questions with evidence, for chunks and for statements")
    rows: dict[str, list] = {"chunks": [], "statements": []}
    latencies: dict[str, list[float]] = {"chunks": [], "statements": []}
    for item in scored:
        query = item.search_query()
        mark = time.perf_counter()
        hits = chunks.retrieve(query, k=max(KS))
        latencies["chunks"].append((time.perf_counter() - mark) * 1000)
        rows["chunks"].append((item, first_hit((h.text for h in hits), item.evidence)))
        mark = time.perf_counter()
        found = statements.retrieve(query, k=max(KS))
        latencies["statements"].append((time.perf_counter() - mark) * 1000)
        rows["statements"].append((item, first_hit((h.statement.quote for h in found), item.evidence)))
    return {
        "items": len(scored),
        "counts": manifest.counts,
        "build_seconds": round(build_seconds, 1),
        "peak_rss_mb": peak,
        **{unit: _summary(rows[unit], latencies[unit]) for unit in rows},
    }


def format_evidence_table(report: dict) -> str:
    cols = [f"evidence_recall@{k}" for k in KS]
    lines = [f"{report['items']} answerable questions with evidence; index of {report['counts'].get('chunks')} "
             f"chunks and {report['counts'].get('statements')} statements built in {report['build_seconds']} s "
             f"(peak {report['peak_rss_mb'] or '-'} MB)",
             f"{'unit':11} " + " ".join(f"{c.replace('evidence_recall', 'r'):>6}" for c in cols)
             + f" {'nl r@5':>7} {'en r@5':>7} {'p50 ms':>7} {'p95 ms':>7}"]
    for unit in ("chunks", "statements"):
        r = report[unit]
        langs = r["by_lang"]
        lines.append(f"{unit:11} " + " ".join(f"{r['overall'][c]:>6}" for c in cols)
                     + f" {langs.get('nl', {}).get('evidence_recall@5', '-'):>7}"
                     f" {langs.get('en', {}).get('evidence_recall@5', '-'):>7}"
                     f" {r['latency_ms']['p50']:>7} {r['latency_ms']['p95']:>7}")
    return "\n".join(lines)
