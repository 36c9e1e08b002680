"""Pure formatting for the UI: sources panel, case cards, export, labels. No gradio here, so it is easy to test."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime

from advisor.corpus.cases import CaseCard
from advisor.messages import labels
from advisor.retrieval.hits import source_label

FEEDBACK_CHOICES = ["correct", "wrong citation", "not in the report", "other"]


def quote_span(passage: str, quote: str, at: int | None = None) -> tuple[int, int] | None:
    """Where a quote stands in a passage: at ``at`` (its own offset in the passage) when it stands there, else at its
    first occurrence; None when the passage does not hold it.

        >>> quote_span("de ene, de andere", "de", 8), quote_span("de ene", "de", 3), quote_span("tekst", "ander")
        ((8, 10), (0, 2), None)
    """
    if not quote:
        return None
    if at is not None and at >= 0 and passage[at : at + len(quote)] == quote:
        return at, at + len(quote)
    found = passage.find(quote)
    return (found, found + len(quote)) if found >= 0 else None


def merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans in order, overlapping or touching ones joined: [(0, 5), (3, 8), (9, 10)] -> [(0, 8), (9, 10)]."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def highlight(passage: str, quotes: list[str], at: list[int | None] | None = None) -> str:
    """The passage as HTML with every quoted span in a <mark> (overlapping quotes as one mark); ``at`` gives each
    quote's offset in the passage where it is known. A quote the passage does not hold marks nothing.

        >>> highlight("a <b> c", ["<b>"])
        'a <mark>&lt;b&gt;</mark> c'
    """
    offsets = at if at is not None else [None] * len(quotes)
    spans = merged([s for q, a in zip(quotes, offsets, strict=True) if (s := quote_span(passage, q, a))])
    out, position = [], 0
    for start, end in spans:
        out += [html.escape(passage[position:start]), "<mark>", html.escape(passage[start:end]), "</mark>"]
        position = end
    out.append(html.escape(passage[position:]))
    return "".join(out)


def _quoted(quotes: list[str]) -> str:
    return "<br>".join(f"“{html.escape(q)}”" for q in quotes)


def sources_html(answer: object, language: str = "nl") -> str:
    """The sources panel: each cited passage once, with its place in the report and its quoted spans marked."""
    words = labels(language, "ui")
    citations = getattr(answer, "citations", ())
    passages = {h.chunk_id: h for h in getattr(answer, "sources", ())}
    if not citations:
        return f"<div class='sources'><p><em>{words['sources']}: —</em></p></div>"
    grouped: dict[str, list] = {}
    for citation in citations:
        grouped.setdefault(citation.chunk_id, []).append(citation)
    parts = [f"<div class='sources'><h3>{words['sources']}</h3>"]
    for chunk_id, group in grouped.items():
        first = group[0]
        where = first.label
        markers = "".join(f"[{c.n}]" for c in group)
        hit = passages.get(chunk_id)
        quotes = [c.quote for c in group]
        if hit is None or not hit.text:  # a cited passage that is not among the sources: its quotes alone
            body = f"<p class='passage'>{_quoted(quotes)}</p>"
        else:
            at = [c.start - hit.start for c in group]  # each quote's own place, from the report's offsets
            body = f"<p class='passage'>{highlight(hit.text, quotes, at)}</p>"
            absent = [q for q, a in zip(quotes, at, strict=True) if quote_span(hit.text, q, a) is None]
            if absent:  # never dropped: a quote the shown passage does not hold is shown under it
                body += f"<p class='unmarked'>{_quoted(absent)}</p>"
        parts.append(f"<div class='source' id='source-{first.n}'><p><strong>{markers} {html.escape(where)}</strong>"
                     f"</p>{body}</div>")
    parts.append("</div>")
    return "\n".join(parts)


def hits_html(hits: list, language: str = "nl") -> str:
    """Sources as soon as retrieval is done, before any generation."""
    items = "".join(f"<li>{html.escape(h.label)}</li>" for h in hits)
    return f"<div class='sources pending'><h3>{labels(language, 'ui')['sources']} …</h3><ol>{items}</ol></div>"


def card_html(card: CaseCard, language: str = "nl") -> str:
    words = labels(language, "ui")
    quotes = "".join(f"<blockquote>“{html.escape(q)}”</blockquote>" for q in card.key_quotes[:2])
    return (
        f"<div class='case-card' data-case='{html.escape(card.id)}'><h4>{html.escape(card.title)}</h4>"
        f"<p><small>{html.escape(card.section)} · {html.escape(card.theme)} · id <code>{html.escape(card.id)}"
        f"</code></small></p><p><strong>{words['card_place']}</strong>: {html.escape(', '.join(card.places))}<br>"
        f"<strong>{words['card_forms']}</strong>: {html.escape(', '.join(card.forms))}<br>"
        f"<strong>{words['card_partners']}</strong>: {html.escape(', '.join(card.partners))}</p>{quotes}</div>"
    )


def cards_html(cards: list[CaseCard], elapsed_ms: float, language: str = "nl") -> str:
    words = labels(language, "ui")
    if not cards:
        return f"<p>{words['no_cases']}</p>"
    head = f"<p class='case-count'>{words['case_count'].format(n=len(cards), ms=f'{elapsed_ms:.0f}')}</p>"
    return head + "".join(card_html(card, language) for card in cards)


def export_markdown(turns: list[dict], provenance: dict, language: str = "nl") -> str:
    """The conversation with citations, quotes and provenance, as Markdown."""
    words = labels(language, "export")
    lines = [f"# {words['title']}", ""]
    for key, value in provenance.items():
        lines.append(f"- **{key}**: {value}")
    lines.append("")
    for turn in turns:
        lines += [f"## {words['question']}: {turn['question']}", ""]
        if turn.get("rewritten_query") and turn["rewritten_query"] != turn["question"]:
            lines += [f"_{words['searched']}: {turn['rewritten_query']}_", ""]
        lines += [turn["answer"], "", f"_{words['generator']}: {turn['generator']}_", ""]
        if turn["citations"]:
            lines += [f"### {words['sources']}", ""]
            for c in turn["citations"]:
                where = source_label(c["section"], c["section_title"], c["case_title"])
                lines.append(f"- [{c['n']}] {where} (chunk `{c['chunk_id']}`): “{c['quote']}”")
            lines.append("")
    return "\n".join(lines)


def feedback_record(turn: dict, verdict: str, comment: str) -> str:
    """One JSONL line, in a shape that can be turned into an eval item."""
    return json.dumps(
        {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "verdict": verdict,
            "comment": comment,
            "question": turn["question"],
            "rewritten_query": turn.get("rewritten_query", ""),
            "language": turn.get("language", ""),
            "answer": turn["answer"],
            "refused": turn.get("refused", False),
            "generator": turn["generator"],
            "citations": turn["citations"],
        },
        ensure_ascii=False,
    )
