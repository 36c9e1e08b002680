"""Judges: does a passage support a claim? Named in every report, so a score always says who gave it.

    >>> judge = OverlapJudge.from_rules(analyser, rules, embeddings)   # deterministic, no LLM, fast
    >>> judge.verdicts([("De SRT zit in Almelo.", passage_text)])   # [True]

``overlap``: a claim is supported when enough of its content words (Dutch stems; for English through the
glossary) occur in the passage AND its numbers and years do too, or, across languages, when the multilingual e5
similarity is high. Thresholds are set from ``eval/judge_pairs.jsonl`` (see docs/evaluation.md). The judges by id
(``get_judge``: overlap, llm:local, combined, llm:<remote>) are in ``advisor.evaluation.calibration``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.answer.citations import sentences
from advisor.corpus.rules import Cues, Rules
from advisor.index.embeddings import cosine
from advisor.prompts import render

_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")
_NAME = re.compile(r"(?<=[\w,;:] )([A-Z][\w'-]{2,})")


def names(text: str, every_word: bool = False) -> set[str]:
    """Capitalised words inside sentences (places, cases, organisations), folded; ``every_word`` for the
    text a name is looked up in."""
    if every_word:
        return {w.lower() for w in re.findall(r"[\w'-]+", text)}
    return {w.lower() for w in _NAME.findall(text)}


_NAME_TAILS = ("se", "e", "s", "er", "ers")  # Venlose, Haagse, Amsterdammers: the name with a Dutch ending


def name_found(name: str, words: set[str]) -> bool:
    """Whether a passage (its folded ``words``) names ``name``: as written, with a Dutch ending ("Venlose" for
    Venlo), or as the first part of a compound ("Amfi-aanpak", "AEF-onderzoek")."""
    if name in words:
        return True
    head = name.split("-")[0]
    if "-" in name and len(head) >= 2 and head in words:
        return True
    stems = (name[: -len(tail)] for tail in _NAME_TAILS if name.endswith(tail) and len(name) - len(tail) >= 4)
    return any(stem in words for stem in stems)


def numbers(text: str, number_words: dict[str, str]) -> set[str]:
    """The numbers a text gives, in digits or as number words ("twee" -> "2")."""
    found = {n.replace(",", ".") for n in _NUMBER.findall(text)}
    found |= {number_words[w] for w in re.findall(r"\w+", text.lower()) if w in number_words}
    return found


@dataclass(frozen=True)
class Signals:
    """How a claim meets a passage: the share of its content words the passage has (glossary expansions count
    half), the numbers and names it gives that the passage lacks, a negation the closest sentence does not share,
    and the e5 similarity of the two (None when not computed)."""

    coverage: float
    missing_numbers: int
    missing_names: int
    negation_mismatch: bool
    similarity: float | None


@dataclass
class OverlapJudge:
    """Deterministic: content-word overlap (with the glossary), numbers, negation, and e5 similarity."""

    analyser: Any
    cues: Cues  # negation and number words (corpus/cues.yaml, judge:)
    min_overlap: float  # corpus/thresholds.yaml, judge:
    min_similarity: float
    embeddings: Any = None
    name: str = "overlap"
    method = "content words, numbers, names, negation, e5 similarity"

    @classmethod
    def from_rules(cls, analyser: Any, rules: Rules, embeddings: Any = None) -> OverlapJudge:
        limits = rules.thresholds["judge"]
        return cls(analyser, rules.cues, limits["min_overlap"], limits["min_similarity"], embeddings)

    def signals(self, claim: str, passage: str, similarity: bool = True) -> Signals:
        """What the verdict is made of; the combined judge weighs the same signals."""
        own = set(self.analyser.terms(claim))
        claim_terms = set(own)
        for expansion in self.analyser.expansions(claim):
            if expansion.kind != "synonym":
                claim_terms |= set(expansion.terms)
        passage_terms = set(self.analyser.terms(passage))
        shared = len(own & passage_terms) + len((claim_terms - own) & passage_terms) * 0.5
        passage_words = names(passage, every_word=True)
        closest = max(sentences(passage) or [passage], key=lambda s: len(own & set(self.analyser.terms(s))))
        return Signals(
            coverage=shared / len(own) if own else 0.0,
            missing_numbers=len(numbers(claim, self.cues.number_words) - numbers(passage, self.cues.number_words)),
            missing_names=sum(not name_found(name, passage_words) for name in names(claim)),
            negation_mismatch=bool(self.cues.negation.search(claim)) != bool(self.cues.negation.search(closest)),
            similarity=(cosine(self.embeddings.embed_query(claim), self.embeddings.embed_documents([passage])[0])
                        if similarity and self.embeddings is not None else None),
        )

    def supported(self, claim: str, passage: str, strict: bool = False, found: Signals | None = None) -> bool:
        """``strict`` (used for must_not claims against a whole answer) asks for near-complete overlap and no
        help from embeddings: a wrong claim shares many words with a right answer. ``found``: the pair's signals,
        when they were computed already."""
        found = found or self.signals(claim, passage, similarity=False)
        if found.missing_numbers or found.missing_names:
            return False  # a number, year, place, case or organisation the passage does not have
        # a negation mismatch: the claim negates, or drops the negation of, the sentence it paraphrases
        if not found.negation_mismatch and found.coverage >= (0.9 if strict else self.min_overlap):
            return True
        if self.embeddings is None or strict:
            return False
        similarity = found.similarity
        if similarity is None:
            similarity = cosine(self.embeddings.embed_query(claim), self.embeddings.embed_documents([passage])[0])
        return similarity >= self.min_similarity

    def verdicts(self, pairs: list[tuple[str, str]], strict: bool = False) -> list[bool]:
        return [self.supported(claim, passage, strict) for claim, passage in pairs]


@dataclass
class LLMJudge:
    """One call per item: every claim with its passage, answered 'ja'/'nee' per number. Only for remote models,
    whose logits cannot be read; its sampled words are a weak judge (docs/evaluation.md)."""

    method = "text: claims of an item in one call, the sampled ja/nee read"

    chat_model: Any
    prompts_dir: Path
    name: str = "llm"

    def verdicts(self, pairs: list[tuple[str, str]], strict: bool = False) -> list[bool]:
        if not pairs:
            return []
        listing = "\n\n".join(f"Statement {i}: {claim}\nSource text {i}: {passage[:600]}"
                              for i, (claim, passage) in enumerate(pairs, start=1))
        reply = self.chat_model.invoke(render(self.prompts_dir, "judge_support", pairs=listing, count=len(pairs)))
        text = str(getattr(reply, "content", reply))
        found = {int(n): v.lower() for n, v in re.findall(r"(\d+)\s*[:.)-]\s*(ja|nee|yes|no)\b", text, re.IGNORECASE)}
        return [found.get(i, "nee") in ("ja", "yes") for i in range(1, len(pairs) + 1)]


def load_pairs(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def judge_accuracy(judge: Any, pairs: list[dict], batch: int = 6) -> dict:
    """Balanced accuracy, and precision and recall of 'unsupported', on labelled pairs."""
    predicted: list[bool] = []
    for i in range(0, len(pairs), batch):
        chunk = pairs[i : i + batch]
        predicted += judge.verdicts([(p["claim"], p["passage"]) for p in chunk])
    return verdict_accuracy(judge.name, pairs, predicted)


def verdict_accuracy(name: str, pairs: list[dict], predicted: list[bool]) -> dict:
    """judge_accuracy's figures for verdicts already given."""
    truth = [bool(p["supported"]) for p in pairs]
    tp = sum(not t and not p for t, p in zip(truth, predicted))  # unsupported found
    fp = sum(t and not p for t, p in zip(truth, predicted))
    fn = sum(not t and p for t, p in zip(truth, predicted))
    tn = sum(t and p for t, p in zip(truth, predicted))
    recall_unsupported = tp / (tp + fn) if tp + fn else 0.0
    recall_supported = tn / (tn + fp) if tn + fp else 0.0
    by_kind: dict[str, list[bool]] = {}
    for pair, guess in zip(pairs, predicted):
        by_kind.setdefault(pair.get("kind", "?"), []).append(guess == bool(pair["supported"]))
    return {
        "judge": name,
        "pairs": len(pairs),
        "balanced_accuracy": round((recall_unsupported + recall_supported) / 2, 4),
        "precision_unsupported": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        "recall_unsupported": round(recall_unsupported, 4),
        "accuracy_by_kind": {k: round(sum(v) / len(v), 3) for k, v in sorted(by_kind.items())},
    }
