"""Faithfulness of the key statements, checked by the overlap judge (the same one that scores answers).

    >>> results = judge_statements(advisor)
    >>> [r.id for r in results if not r.confirmed]      # each must be in corpus/statements/reviewed.yaml

``nl`` is read against its support passage (the headings above it, the paragraph before its quote and the
paragraphs its quote lies in: ``advisor.corpus.statements.support_passage``). ``en`` is checked against ``nl``: the
e5 similarity of the two (bracketed glosses left out) must reach ``EN_NL_SIMILARITY`` and both must give the same
numbers. What the judge cannot confirm a reviewer who did not write the statement has read, with a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from advisor.corpus.statements import StatementDataError, support_passage
from advisor.evaluation.judges import OverlapJudge, numbers
from advisor.index.embeddings import cosine

EN_NL_SIMILARITY = 0.85  # faithful renderings on the first 400 statements scored 0.86-0.97; a changed claim drops


@dataclass(frozen=True)
class Judged:
    id: str
    nl_supported: bool
    en_matches: bool
    en_nl_similarity: float

    @property
    def confirmed(self) -> bool:
        return self.nl_supported and self.en_matches


def judge_statements(advisor: Any, statements: list | None = None) -> list[Judged]:
    kb = advisor.knowledge
    judge = OverlapJudge.from_rules(advisor.retriever.analyser, advisor.rules, advisor.embeddings)
    statements = list(kb.statements if statements is None else statements)
    sections = {s.section_id: s for s in kb.sections}
    english = advisor.embeddings.embed_documents([re.sub(r"\s*\([^)]*\)", "", s.en) for s in statements])
    dutch = advisor.embeddings.embed_documents([s.nl for s in statements])
    judged = []
    for s, en_vector, nl_vector in zip(statements, english, dutch):
        card = kb.case(s.case_id) if s.case_id else None
        passage = support_passage(s, kb.report, sections[s.section_id], card)
        similarity = cosine(en_vector, nl_vector)
        same_numbers = numbers(s.en, judge.cues.number_words) == numbers(s.nl, judge.cues.number_words)
        judged.append(Judged(s.id, judge.supported(s.nl, passage), similarity >= EN_NL_SIMILARITY and same_numbers,
                             round(similarity, 3)))
    return judged


def load_reviewed(path: Path) -> dict[str, str]:
    """reviewed.yaml: statement id -> the reviewer's reason the statement is faithful though the judge says no."""
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("reviewed") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise StatementDataError(f"{path.name}: expected a mapping with a 'reviewed' list")
    reviewed = {}
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("id") or not str(entry.get("reason", "")).strip():
            raise StatementDataError(f"{path.name}: every entry needs an id and a reason: {entry!r}")
        reviewed[str(entry["id"])] = str(entry["reason"]).strip()
    return reviewed
