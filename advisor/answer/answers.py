"""What the engine returns for a turn: an ``Answer`` (a cited answer, a refusal or a reply to small talk).

    >>> answer.text, answer.citations, answer.refused, answer.kind
    >>> answer.not_in_report    # it says the report does not give what was asked (a refusal, or an answer opening so)
    >>> answer.to_json()        # the documented shape of `advisor ask --json` (schemas/ask.schema.json)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.answer.citations import Citation
from advisor.retrieval.hits import Hit

CITATION_FIELDS = ("n", "chunk_id", "section", "section_id", "section_title", "case_id", "case_title", "quote")


@dataclass(frozen=True)
class Answer:
    question: str
    rewritten_query: str
    language: str
    text: str
    refused: bool
    citations: tuple[Citation, ...]
    generator: str
    timings_ms: dict[str, float]
    suggestions: tuple[str, ...] = ()
    unsupported: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    sources: tuple[Hit, ...] = field(default=(), repr=False)
    kind: str = "answer"  # "answer", "refusal" or "smalltalk"
    gate: str = ""
    not_in_report: bool = False  # refused, or answered with "Het rapport noemt geen ..." first (answer/needs.py)

    def to_json(self) -> dict:
        """The documented JSON shape of ``advisor ask --json`` (schemas/ask.schema.json)."""
        return {
            "question": self.question,
            "rewritten_query": self.rewritten_query,
            "language": self.language,
            "answer": self.text,
            "refused": self.refused,
            "suggestions": list(self.suggestions),
            "unsupported": list(self.unsupported),
            "citations": [{key: c.to_dict()[key] for key in CITATION_FIELDS} for c in self.citations],
            "generator": self.generator,
            "timings_ms": {key: round(value, 1) for key, value in self.timings_ms.items()},
            "notices": list(self.notices),
            "kind": self.kind,
            "not_in_report": self.not_in_report,
        }
