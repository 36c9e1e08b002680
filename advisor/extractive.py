"""The extractive generator: no LLM, instant, faithful by construction.

It quotes the most relevant sentences of the retrieved passages, each with its [n] marker, grouped into what
the report says or recommends, examples from practice (case cards) and points of attention. Only the framing
is in the question's language; quotes stay in Dutch, verbatim.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from advisor.analysis import DutchAnalyser
from advisor.citations import Citation, make_citation, source_sentences
from advisor.search import Hit

FRAMING = {
    "nl": {
        "intro": "Wat het rapport *Samenwerken, daar zit muziek in* (maart 2008) hierover zegt:",
        "says": "Wat het rapport zegt",
        "recommends": "Wat het rapport aanbeveelt",
        "examples": "Voorbeelden uit de praktijk",
        "attention": "Aandachtspunten",
        "dated": "Let op: het rapport dateert van maart 2008; namen van instanties en wetten kunnen sindsdien zijn "
        "veranderd.",
    },
    "en": {
        "intro": "What the report *Samenwerken, daar zit muziek in* (March 2008) says about this "
        "(quotes in Dutch, as printed):",
        "says": "What the report says",
        "recommends": "What the report recommends",
        "examples": "Examples from practice",
        "attention": "Points of attention",
        "dated": "Note: the report dates from March 2008; names of bodies and laws may have changed since.",
    },
}
_RECOMMEND = re.compile(r"\b(aanbevel\w*|moet\w*|zou\w*|dient|noodzakelijk|belangrijk|raadzaam|stimuleren)\b", re.I)
_ATTENTION = re.compile(r"\b(knelpunt\w*|probleem\w*|lastig\w*|valkuil\w*|risico\w*|belemmer\w*|moeilijk\w*)\b", re.I)
_GROUP_ORDER = ("says", "recommends", "examples", "attention")


@dataclass(frozen=True)
class Picked:
    source: int  # 1-based index into the hits
    sentence: str
    score: float
    group: str


def _group(hit: Hit, sentence: str) -> str:
    if hit.case_id:
        return "examples"
    if hit.section_title in ("Aanbevelingen", "Aandachtspunten") or _RECOMMEND.search(sentence):
        return "recommends"
    if _ATTENTION.search(sentence) or hit.section_title in ("Succesfactoren en knelpunten",):
        return "attention"
    return "says"


def pick_sentences(query: str, hits: list[Hit], analyser: DutchAnalyser, idf: dict[str, float] | None = None,
                   limit: int = 6, per_source: int = 2, with_cases: bool = False) -> list[Picked]:
    """The sentences that share most (idf-weighted) query terms, favouring higher-ranked passages. With
    ``with_cases`` every case among the hits contributes its best sentence (examples are what was asked for)."""
    weights: dict[str, float] = {term: 1.0 for term in analyser.terms(query)}
    for expansion in analyser.expansions(query):
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
            candidates.append(Picked(number, sentence, score, _group(hit, sentence)))
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
    words = FRAMING.get(language, FRAMING["nl"])
    lines = [words["intro"], ""]
    citations: list[Citation] = []
    for group in _GROUP_ORDER:
        members = [p for p in picked if p.group == group]
        if not members:
            continue
        lines.append(f"**{words[group]}**")
        for p in sorted(members, key=lambda p: p.source):
            hit = hits[p.source - 1]
            citations.append(make_citation(len(citations) + 1, hit, p.sentence))
            label = f"{hit.case_title}" if hit.case_title else f"{hit.section} {hit.section_title}"
            lines.append(f"- {label}: “{p.sentence}” [{len(citations)}]")
        lines.append("")
    lines.append(f"_{words['dated']}_")
    return "\n".join(lines), citations
