"""Answer-level checks on an eval file: refusal, citation validity, language, grounding in cited cases, latency.

    .venv/bin/python scripts/eval_answers.py --dataset eval/test.jsonl --generator extractive [--limit N]

Prints figures; asserts nothing. (The full evaluation suite with judges comes with `advisor eval`.)
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections import Counter
from pathlib import Path

from advisor.evaluation.evalset import case_ids_for, load_items
from advisor.evaluation.evidence import answer_words, in_answer, in_sources
from advisor.evaluation.runs import framing_of, stratified_sample
from advisor.retrieval.question import detect_language
from advisor.service import Advisor
from advisor.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="eval/test.jsonl")
    parser.add_argument("--generator", default="extractive")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--out")
    parser.add_argument("--sentence-composer", action="store_true",
                        help="answer extractively from the passages' sentences, as before the key statements")
    args = parser.parse_args()
    advisor = Advisor(Settings.from_env())
    if args.sentence_composer:
        advisor.engine.statements = None
    items = stratified_sample(load_items(Path(args.dataset)), args.limit)
    advisor.answer("warm-up: wat is een centrumgemeente?")
    rows = []
    for item in items:
        answer = advisor.answer(item.question, list(item.history), args.generator)
        valid = all(any(c.chunk_id == h.chunk_id and c.quote in h.text for h in answer.sources)
                    for c in answer.citations)
        lang = detect_language(framing_of(answer), advisor.retriever.analyser, advisor.retriever.english_stopwords)
        gold_cases = case_ids_for(item.gold_cases, advisor.knowledge)
        cited_cases = {c.case_id for c in answer.citations if c.case_id}
        total_sentences = max(len([s for s in re.split(r"(?<=[.!?])\s+", answer.text) if len(s.split()) >= 5]), 1)
        rows.append({
            "id": item.id, "type": item.type, "lang": item.lang, "refused": answer.refused,
            "not_in_report": answer.not_in_report,
            "answerable": item.answerable, "gate": answer.gate, "valid": valid, "n_citations": len(answer.citations),
            "language_ok": lang == item.lang, "grounded": bool(cited_cases & gold_cases) if gold_cases else None,
            "unsupported_share": len(answer.unsupported) / total_sentences, "generator": answer.generator,
            "ms": answer.timings_ms.get("total"), "notices": list(answer.notices),
            "generate_ms": answer.timings_ms.get("generate"),
            "evidence": bool(item.evidence) if item.answerable else None,
            "evidence_in_sources": in_sources(answer, item.evidence) if item.evidence else None,
            "evidence_in_answer": in_answer(answer, item.evidence) if item.evidence else None,
            "words": answer_words(answer.text),
        })
        print(json.dumps(rows[-1]), file=sys.stderr)
    un = [r for r in rows if not r["answerable"]]
    an = [r for r in rows if r["answerable"]]
    grounded = [r for r in an if r["type"] in ("advice", "case_lookup") and r["grounded"] is not None]
    print(f"items {len(rows)} ({args.generator})")
    print(f"unanswerable refused: {sum(r['refused'] for r in un)}/{len(un)}; refused or answered with what the report "
          f"does not give: {sum(r['not_in_report'] for r in un)}/{len(un)}")
    print(f"answerable answered: {sum(not r['refused'] for r in an)}/{len(an)}; answered and not said to be missing: "
          f"{sum(not r['not_in_report'] for r in an)}/{len(an)}")
    wrongly = Counter(r["gate"] for r in an if r["refused"])
    print("answerable refused, by reason: " + (", ".join(f"{g} {n}" for g, n in wrongly.most_common()) or "none"))
    print(f"citations valid: {sum(r['valid'] for r in rows)}/{len(rows)} answers")
    print(f"language match: {sum(r['language_ok'] for r in rows)}/{len(rows)}")
    print(f"advice+case_lookup grounded in a gold case: {sum(r['grounded'] for r in grounded)}/{len(grounded)}")
    answered = [r for r in an if not r["refused"]]
    with_evidence = [r for r in an if r["evidence"]]
    if with_evidence:
        found = [r for r in with_evidence if r["evidence_in_sources"]]
        print(f"evidence in sources: {len(found)}/{len(with_evidence)}; evidence in answer: "
              f"{sum(r['evidence_in_answer'] for r in with_evidence)}/{len(with_evidence)} "
              f"(of those with it in the sources: {sum(r['evidence_in_answer'] for r in found)}/{len(found)})")
    if answered:
        print(f"answer words (answered): median {statistics.median(r['words'] for r in answered):.0f}")
        share = statistics.fmean(r["unsupported_share"] for r in answered)
        print(f"unsupported sentence share (answered): {share:.3f}")
        print(f"answers that fell back to extractive: {sum(r['generator'] != args.generator for r in answered)}")
    times = sorted(r["ms"] for r in rows)
    print(f"latency p50 {statistics.median(times):.0f} ms, p95 {times[int(0.95 * (len(times) - 1))]:.0f} ms")
    if args.out:
        Path(args.out).write_text("\n".join(json.dumps(r) for r in rows) + "\n")


if __name__ == "__main__":
    main()
