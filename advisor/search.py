"""Search the index: a question in, ranked hits with their place in the report out.

    >>> hits = search(handle, "Welke vorm past bij een kleine gemeente?", k=5, theme="sociale_zekerheid")
    >>> hits[0].section, hits[0].case_title
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass

from advisor.index import IndexHandle

MAX_QUERY_CHARS = 2000


class QueryError(ValueError):
    """The question cannot be searched as given; the message says why, ``code`` says what for translations
    ("empty", "too_long", "binary", "not_text", "bad_k")."""

    def __init__(self, message: str, code: str = "invalid", length: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.length = length


@dataclass(frozen=True)
class Hit:
    rank: int
    chunk_id: str
    score: float
    section: str
    section_id: str
    section_title: str
    theme: str | None
    case_id: str | None
    case_title: str | None
    start: int
    end: int
    text: str

    def to_dict(self) -> dict:
        return asdict(self)


def where_filter(theme: str | None = None, case_id: str | None = None) -> dict | None:
    """A Chroma metadata filter for the given restrictions (None when there are none)."""
    clauses = [{key: value} for key, value in (("theme", theme), ("case_id", case_id)) if value]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def check_query(query: str) -> str:
    """Normalise the question (Unicode NFC, control and invisible characters to spaces, whitespace collapsed);
    refuse empty, enormous and binary input with a clear message."""
    if not isinstance(query, str):
        raise QueryError("The question must be text.", "not_text")
    if len(query) > 20 * MAX_QUERY_CHARS:  # do not even normalise a pasted document
        raise QueryError(f"The question is {len(query):,} characters long; the limit is {MAX_QUERY_CHARS:,}.",
                         "too_long", len(query))
    text = unicodedata.normalize("NFC", query)
    if sum(1 for ch in text if _is_binary(ch)) > max(3, len(text) // 10):
        raise QueryError("The question contains binary data or control characters. Type or paste it as plain text.",
                         "binary")
    text = "".join("" if unicodedata.category(ch) == "Cf" else " " if _is_binary(ch) else ch for ch in text)
    cleaned = " ".join(text.split())
    if not cleaned:
        raise QueryError("The question is empty. Type a question or some search words.", "empty")
    if len(cleaned) > MAX_QUERY_CHARS:
        raise QueryError(f"The question is {len(cleaned):,} characters long; the limit is {MAX_QUERY_CHARS:,}.",
                         "too_long", len(cleaned))
    return cleaned


def _is_binary(ch: str) -> bool:
    """Control (except ordinary whitespace), surrogate, private-use and unassigned characters, and U+FFFD.
    Format characters (zero-width, soft hyphen) are dropped instead: they sit inside words."""
    if ch in "\n\t\r":
        return False
    return ch == "\ufffd" or unicodedata.category(ch) in {"Cc", "Cs", "Co", "Cn"}


def search(
    handle: IndexHandle, query: str, k: int = 5, theme: str | None = None, case_id: str | None = None
) -> list[Hit]:
    """Dense search over the chunks, optionally restricted to a theme or a case."""
    query = check_query(query)
    if k < 1:
        raise QueryError("k must be at least 1", "bad_k")
    vector = handle.vectorstore.embeddings.embed_query(query)
    results = handle.vectorstore.similarity_search_by_vector_with_relevance_scores(
        vector, k=k, filter=where_filter(theme, case_id)
    )
    hits = []
    for rank, (doc, distance) in enumerate(results, start=1):
        meta = doc.metadata
        hits.append(
            Hit(
                rank=rank,
                chunk_id=doc.id,
                score=round(1.0 - float(distance), 4),
                section=meta["section"],
                section_id=meta["section_id"],
                section_title=meta["section_title"],
                theme=meta.get("theme") or None,
                case_id=meta.get("case_id") or None,
                case_title=meta.get("case_title") or None,
                start=int(meta["start"]),
                end=int(meta["end"]),
                text=doc.page_content,
            )
        )
    return hits
