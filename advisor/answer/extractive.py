"""The extractive generator: no LLM, instant, faithful by construction.

It quotes the most relevant sentences of the retrieved passages, each with its [n] marker, grouped into what
the report says or recommends, examples from practice (case cards) and points of attention. Only the framing
is in the question's language; quotes stay in Dutch, verbatim.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from advisor.answer.citations import Citation, make_citation, source_sentences
from advisor.corpus.rules import Cues
from advisor.messages import say
from advisor.retrieval.analysis import DutchAnalyser
from advisor.retrieval.hits import Hit
from advisor.retrieval.question import Question

_GROUP_ORDER = ("says", "recommends", "examples", "attention")


@dataclass(frozen=True)
class Picked:
    source: int  # 1-based index into the hits
    sentence: str
    score: float
    group: str


def _group(hit: Hit, sentence: str, cues: Cues) -> str:
    if hit.case_id:
        return "examples"
    if hit.section_title in ("Aanbevelingen", "Aandachtspunten") or cues.recommend.search(sentence):
        return "recommends"
    if cues.attention.search(sentence) or hit.section_title in ("Succesfactoren en knelpunten",):
        return "attention"
    return "says"


def pick_sentences(query: Question, hits: list[Hit], analyser: DutchAnalyser, cues: Cues,
                   idf: dict[str, float] | None = None, limit: int = 6, per_source: int = 2,
                   with_cases: bool = False) -> list[Picked]:
    """The sentences that share most (idf-weighted) query terms, favouring higher-ranked passages. With
    ``with_cases`` every case among the hits contributes its best sentence (examples are what was asked for)."""
    weights: dict[str, float] = {term: 1.0 for term in query.terms}
    for expansion in query.expansions:
        for term in expansion.terms:
            weights.setdefault(term, 0.4)
    idf = idf or {}
    candidates: list[Picked] = []
    for number, hit in enumerate(hits, start=1):
        prior = 1.0 / math.sqrt(number)
        for sentence in source_sentences(hit.text):
            terms = set(analyser.terms(sentence))
            overlap = sum(weights[t] * idf.get(t, 1.0) for t in terms if t in weights)
            length_penalty = 1.0 if 40 <= len(sentence) <= 400 else 0.6
            score = (overlap + 0.5) * prior * length_penalty
            candidates.append(Picked(number, sentence, score, _group(hit, sentence, cues)))
    candidates.sort(key=lambda p: -p.score)
    picked: list[Picked] = []
    per: dict[int, int] = {}
    for candidate in candidates:
        if per.get(candidate.source, 0) >= per_source:
            continue
        if any(candidate.sentence == p.sentence for p in picked):
            continue
        picked.append(candidate)
        per[candidate.source] = per.get(candidate.source, 0) + 1
        if len(picked) == limit:
            break
    if with_cases:
        cases_present = {hits[p.source - 1].case_id for p in picked}
        for candidate in candidates:  # best first
            case_id = hits[candidate.source - 1].case_id
            if case_id and case_id not in cases_present:
                picked.append(candidate)
                cases_present.add(case_id)
    return picked


def compose(language: str, hits: list[Hit], picked: list[Picked]) -> tuple[str, list[Citation]]:
    """Markdown (an intro line, grouped bullet quotes with [n] markers, the date note) and its citations."""
    lines = [say("answer.intro", language), ""]
    citations: list[Citation] = []
    for group in _GROUP_ORDER:
        members = [p for p in picked if p.group == group]
        if not members:
            continue
        lines.append(f"**{say('answer.' + group, language)}**")
        for p in sorted(members, key=lambda p: p.source):
            hit = hits[p.source - 1]
            citations.append(make_citation(len(citations) + 1, hit, p.sentence))
            label = hit.case_title or f"{hit.section} {hit.section_title}"
            lines.append(f"- {label}: “{p.sentence}” [{len(citations)}]")
        lines.append("")
    lines.append(f"_{say('answer.dated', language)}_")
    return "\n".join(lines), citations
