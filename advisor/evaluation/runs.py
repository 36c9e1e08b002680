"""The evaluation suite: run an eval file through a generator, score every item, summarise, compare runs.

    >>> run_eval(advisor, items, generator="extractive", judge=get_judge("overlap", advisor), out_dir=Path("runs/a"))
    >>> compare_runs(Path("runs/a"), Path("runs/b"))

Per item: retrieval (section recall@1/5/10, MRR@10, case recall@5), citation validity, citation precision and
faithfulness (judged), fact recall (judged), refusal correctness, language match, must_not violations (judged),
latency. Finished items are cached in ``results.jsonl``, so an interrupted run resumes.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import statistics
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from advisor.answer.citations import sentences
from advisor.errors import InputError
from advisor.evaluation.evalset import EvalItem, case_ids_for
from advisor.evaluation.evidence import answer_words, in_answer, in_sources
from advisor.evaluation.metrics import ANSWER_WORDS_LIMIT, HIGHER_IS_BETTER, METRICS, Ranked, percentile, score_item
from advisor.evaluation.report import write_report
from advisor.retrieval.question import detect_language

_MARKERS = re.compile(r"\s*\[\d+\]")


def dataset_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def stratified_sample(items: list[EvalItem], limit: int | None, seed: int = 13) -> list[EvalItem]:
    """Up to ``limit`` items, taken round-robin over (type, language) groups in a fixed shuffled order."""
    if not limit or limit >= len(items):
        return items
    groups: dict[tuple[str, str], list[EvalItem]] = {}
    for item in items:
        groups.setdefault((item.type, item.lang), []).append(item)
    rng = random.Random(seed)
    for group in groups.values():
        rng.shuffle(group)
    picked: list[EvalItem] = []
    depth = 0
    while len(picked) < limit and any(depth < len(g) for g in groups.values()):
        for key in sorted(groups):
            if depth < len(groups[key]) and len(picked) < limit:
                picked.append(groups[key][depth])
        depth += 1
    return picked


def framing_of(answer: Any) -> str:
    """The answer's own words, whose language should be the question's: without the quotes from the report and
    without the titles of the cited sections and cases, which are printed in Dutch as the report has them."""
    text = re.sub(r"“[^”]*”", " ", answer.text)
    titles = {c.section_title for c in answer.citations} | {c.case_title for c in answer.citations}
    for title in sorted((t for t in titles if t), key=len, reverse=True):
        text = text.replace(title, " ")
    return text


def claims_of(answer: Any) -> list[tuple[str, list[int]]]:
    """The answer's claims: each sentence with its citation numbers (framing lines and headings are not claims, nor
    the opening paragraph of an answer that first says what the report does not give: no passage can hold that)."""
    out = []
    text = answer.text
    if getattr(answer, "not_in_report", False) and not answer.refused and "\n\n" in text:
        text = text.split("\n\n", 1)[1]
    for sentence in sentences(text):
        numbers = [int(n) for n in re.findall(r"\[(\d+)\]", sentence)]
        quoted = re.findall(r"“([^”]+)”", sentence)
        # A quoted line ("- 5.4 Samenwerkingsvormen: “…” [3]") claims what it quotes; its label is framing.
        text = " ".join(quoted) if quoted else _MARKERS.sub("", sentence).strip(" -*_")
        if len(re.findall(r"\w+", text)) >= 5 and not text.endswith(":") and "maart 2008" not in text \
                and "March 2008" not in text:
            out.append((text, numbers))
    return out


def is_key_statement(claim: str, citation: Any, knowledge: Any) -> bool:
    """Whether a claim is a key statement (its Dutch or English text, a case line's label aside) cited with the
    statement's own quote. Such a claim is not judged again: every key statement is held to its quote by the
    statements' checks (tests/test_statements.py: the judge in context, or a reviewer's reason)."""
    for statement in (s for s in knowledge.statements if s.start == citation.start and s.quote == citation.quote):
        for text in (statement.nl, statement.en):
            body = text.rstrip(" .")
            if body in claim:
                rest = claim.replace(body, "").strip(" .:-")
                card = knowledge.case(statement.case_id) if statement.case_id else None
                if not rest or (card and rest == card.title):
                    return True
    return False


def score_answer(item: EvalItem, answer: Any, ranked: list[Ranked], judge: Any, knowledge: Any,
                 retriever: Any) -> dict:
    """Every metric for one item (None where a metric does not apply)."""
    gold_cases = case_ids_for(item.gold_cases, knowledge)
    scores: dict[str, float | None] = dict.fromkeys(METRICS)
    if item.answerable:
        scores.update(score_item(item, ranked, gold_cases))
    passages = {h.chunk_id: h.text for h in answer.sources}
    by_n = {c.n: c for c in answer.citations}
    scores["citation_validity"] = (
        sum(c.chunk_id in passages and c.quote in passages[c.chunk_id] for c in answer.citations)
        / len(answer.citations) if answer.citations else None
    )
    claims = claims_of(answer) if not answer.refused else []
    pairs: list[tuple[str, str]] = []
    owners: list[int] = []
    settled: set[int] = set()  # claims that are key statements cited with their own quote
    for index, (claim, numbers) in enumerate(claims):
        for number in numbers:
            citation = by_n.get(number)
            if citation and citation.chunk_id in passages:
                if is_key_statement(claim, citation, knowledge):
                    settled.add(index)
                    continue
                pairs.append((claim, passages[citation.chunk_id]))
                owners.append(index)
    facts_pairs = [(fact, answer.text) for fact in item.gold_facts] if item.answerable and not answer.refused else []
    must_pairs = [(claim, answer.text) for claim in item.must_not] if not answer.refused else []
    verdicts = judge.verdicts(pairs + facts_pairs) if pairs or facts_pairs else []
    cited, facts = verdicts[: len(pairs)], verdicts[len(pairs):]
    musts = judge.verdicts(must_pairs, strict=True) if must_pairs else []
    claim_verdicts = []
    for index, (claim, numbers) in enumerate(claims):
        mine = [v for v, owner in zip(cited, owners) if owner == index]
        claim_verdicts.append({"claim": claim, "citations": numbers, "supported": index in settled or any(mine),
                               "by": "key statement" if index in settled else "judge"})
    scores["citation_precision"] = sum(cited) / len(cited) if cited else None
    scores["faithfulness"] = (sum(c["supported"] for c in claim_verdicts) / len(claim_verdicts)
                              if claim_verdicts else None)
    scores["fact_recall"] = sum(facts) / len(facts) if facts else None
    scores["must_not_violations"] = float(sum(musts)) if must_pairs else 0.0
    # declining to answer is refusing or saying first that the report does not give it (``not_in_report``)
    scores["refusal_accuracy"] = float((answer.refused or bool(getattr(answer, "not_in_report", False)))
                                       != item.answerable)
    scores["language_match"] = float(detect_language(framing_of(answer), retriever.analyser,
                                                     retriever.english_stopwords) == item.lang)
    if item.answerable and item.evidence:  # a refused answerable item holds no evidence
        scores["evidence_in_sources"] = float(in_sources(answer, item.evidence))
        scores["evidence_in_answer"] = float(not answer.refused and in_answer(answer, item.evidence))
    scores["answer_words"] = float(answer_words(answer.text)) if not answer.refused else None
    return {"scores": scores, "claims": claim_verdicts}


def judge_validation(name: str) -> dict | None:
    """The judge's balanced accuracy on the validation split of the judge pairs, as last calibrated."""
    from advisor.evaluation.calibration import FIT_FILE

    if not FIT_FILE.exists():
        return None
    return json.loads(FIT_FILE.read_text(encoding="utf-8")).get("validation", {}).get(name)


def _metadata(advisor: Any, dataset: Path, generator: str, judge: Any) -> dict:
    try:
        code = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).parent, check=False).stdout.strip() or "unknown"
    except OSError:
        code = "unknown"
    manifest = advisor.index.manifest
    return {"dataset": str(dataset), "dataset_hash": dataset_hash(dataset), "generator": generator,
            "judge": judge.name, "judge_method": getattr(judge, "method", "unknown"),
            "judge_validation": judge_validation(judge.name), "embedding_model": manifest.embedding_model,
            "embedding_fingerprint": manifest.fingerprint, "index_manifest": manifest.__dict__, "code_version": code,
            "date": datetime.now(UTC).isoformat(timespec="seconds")}


def run_eval(advisor: Any, dataset: Path, items: list[EvalItem], generator: str, judge: Any, out_dir: Path,
             progress: Any = None) -> dict:
    """Answer and score every item (resuming from ``results.jsonl``), then write summary.json and report.html."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path = out_dir / "results.jsonl"
    metadata = _metadata(advisor, dataset, generator, judge)
    done: dict[str, dict] = {}
    if results_path.exists():
        for line in results_path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("dataset_hash") == metadata["dataset_hash"] and row.get("generator") == generator \
                    and row.get("judge") == judge.name:
                done[row["id"]] = row
    retriever = advisor.retriever
    with results_path.open("w", encoding="utf-8") as handle:
        for row in done.values():
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        for number, item in enumerate(items, start=1):
            if item.id in done:
                continue
            started = time.perf_counter()
            answer = advisor.answer(item.question, list(item.history), generator)
            latency = (time.perf_counter() - started) * 1000
            hits = retriever.retrieve(answer.rewritten_query or item.search_query(), k=10)
            ranked = [Ranked(frozenset({h.section}), frozenset({h.case_id} if h.case_id else ())) for h in hits]
            scored = score_answer(item, answer, ranked, judge, advisor.knowledge, retriever)
            row = {"id": item.id, "type": item.type, "lang": item.lang, "question": item.question,
                   "answer": answer.text, "refused": answer.refused,
                   "not_in_report": bool(getattr(answer, "not_in_report", False)), "generator_used": answer.generator,
                   "citations": [c.to_dict() for c in answer.citations], "claims": scored["claims"],
                   "metrics": scored["scores"], "latency_ms": round(latency, 1), "notices": list(answer.notices),
                   "dataset_hash": metadata["dataset_hash"], "generator": generator, "judge": judge.name}
            done[item.id] = row
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            handle.flush()
            if progress:
                progress(number, len(items), item.id)
    rows = [done[i.id] for i in items if i.id in done]
    summary = summarise(rows, metadata)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    write_report(out_dir / "report.html", summary, rows)
    return summary


def bootstrap_ci(values: list[float], samples: int = 1000, seed: int = 7,
                 statistic: Any = statistics.fmean) -> list[float] | None:
    """The 95 % bootstrap interval of a statistic (the mean; the median for answer_words)."""
    if len(values) < 2:
        return None
    rng = random.Random(seed)
    figures = sorted(statistic(rng.choices(values, k=len(values))) for _ in range(samples))
    return [round(figures[int(0.025 * samples)], 4), round(figures[int(0.975 * samples) - 1], 4)]


def _aggregate(rows: list[dict]) -> dict:
    out: dict[str, Any] = {}
    for metric in METRICS:
        values = [r["metrics"][metric] for r in rows if r["metrics"].get(metric) is not None]
        middle = statistics.median if metric == "answer_words" else statistics.fmean
        out[metric] = round(middle(values), 4) if values else None
        out[f"{metric}_ci95"] = bootstrap_ci(values, statistic=middle)
    latencies = [r["latency_ms"] for r in rows]
    out["latency_p50_ms"] = round(percentile(latencies, 50), 1) if latencies else None
    out["latency_p95_ms"] = round(percentile(latencies, 95), 1) if latencies else None
    return out


def summarise(rows: list[dict], metadata: dict) -> dict:
    by_type: dict[str, list] = {}
    by_lang: dict[str, list] = {}
    for row in rows:
        by_type.setdefault(row["type"], []).append(row)
        by_lang.setdefault(row["lang"], []).append(row)
    return {"metadata": metadata, "items": len(rows), "metrics": _aggregate(rows),
            "by_type": {k: {"n": len(v), **_aggregate(v)} for k, v in sorted(by_type.items())},
            "by_lang": {k: {"n": len(v), **_aggregate(v)} for k, v in sorted(by_lang.items())}}


@dataclass(frozen=True)
class Comparison:
    deltas: dict[str, dict]
    flips: dict[str, dict[str, list[str]]]
    regressions: list[str]
    notes: list[str]


def _sign_test_p(wins: int, losses: int) -> float:
    """Two-sided exact sign test on the items that changed."""
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def _passes(metric: str):
    """An item passes a metric at 0.5 or more (for must_not violations: at none; for answer words: at 120 or
    fewer)."""
    if metric == "answer_words":
        return lambda value: value <= ANSWER_WORDS_LIMIT
    if HIGHER_IS_BETTER[metric]:
        return lambda value: value >= 0.5
    return lambda value: value == 0


def compare_runs(run_a: Path, run_b: Path, threshold: float = 0.02) -> Comparison:
    """Per-metric deltas (b - a) over items in both runs, a paired sign test, the flips, and the regressions
    beyond ``threshold``. Runs on different dataset versions are refused."""
    summary_a = json.loads((run_a / "summary.json").read_text(encoding="utf-8"))
    summary_b = json.loads((run_b / "summary.json").read_text(encoding="utf-8"))
    if summary_a["metadata"]["dataset_hash"] != summary_b["metadata"]["dataset_hash"]:
        raise InputError("the two runs used different versions of the dataset; they cannot be compared")
    rows_a = {json.loads(line)["id"]: json.loads(line) for line in (run_a / "results.jsonl").read_text().splitlines()}
    rows_b = {json.loads(line)["id"]: json.loads(line) for line in (run_b / "results.jsonl").read_text().splitlines()}
    shared = sorted(set(rows_a) & set(rows_b))
    deltas, flips, regressions = {}, {}, []
    for metric in METRICS:
        paired = [(rows_a[i]["metrics"][metric], rows_b[i]["metrics"][metric], i) for i in shared
                  if rows_a[i]["metrics"].get(metric) is not None and rows_b[i]["metrics"].get(metric) is not None]
        if not paired:
            continue
        sign = 1 if HIGHER_IS_BETTER[metric] else -1
        better = [i for a, b, i in paired if sign * (b - a) > 0]
        worse = [i for a, b, i in paired if sign * (b - a) < 0]
        delta = statistics.fmean(b for _, b, _ in paired) - statistics.fmean(a for a, _, _ in paired)
        deltas[metric] = {"a": round(statistics.fmean(a for a, _, _ in paired), 4),
                          "b": round(statistics.fmean(b for _, b, _ in paired), 4), "delta": round(delta, 4),
                          "n": len(paired), "p_sign_test": round(_sign_test_p(len(better), len(worse)), 4)}
        passes = _passes(metric)
        flips[metric] = {"fail_to_pass": [i for a, b, i in paired if not passes(a) and passes(b)],
                         "pass_to_fail": [i for a, b, i in paired if passes(a) and not passes(b)]}
        if sign * delta < -threshold:
            regressions.append(metric)
    notes = []
    for key in ("judge", "embedding_fingerprint", "generator"):
        a, b = summary_a["metadata"].get(key), summary_b["metadata"].get(key)
        if a != b:
            caveat = " (judged metrics are not comparable)" if key == "judge" else ""
            notes.append(f"{key} differs: {a} vs {b}{caveat}")
    return Comparison(deltas, flips, regressions, notes)


def gate_failures(summary: dict, thresholds: dict[str, float]) -> list[str]:
    """The metrics of a run that fall below their CI thresholds (``eval/gate.json``)."""
    failures = []
    for metric, minimum in thresholds.items():
        value = summary["metrics"].get(metric)
        if value is None or value < minimum:
            failures.append(f"{metric} {value} < {minimum}")
    return failures
