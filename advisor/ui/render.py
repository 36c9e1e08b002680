"""Pure formatting for the UI: sources panel, case cards, export, labels. No gradio here, so it is easy to test."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime

from advisor.cases import CaseCard

LABELS = {
    "nl": {
        "chat": "Vraag het rapport",
        "cases": "Casus zoeken",
        "advise": "Adviseur",
        "about": "Over / status",
        "question": "Uw vraag",
        "send": "Verstuur",
        "generator": "Generator",
        "sources": "Bronnen",
        "searched": "Gezocht op",
        "refused": "Niet in het rapport",
        "active": "Actief",
        "export": "Exporteer gesprek",
        "feedback": "Feedback op het laatste antwoord",
        "save_feedback": "Feedback opslaan",
        "comment": "Toelichting",
        "open_source": "Open de hele sectie of casus",
        "search": "Zoeken",
        "theme": "Thema",
        "form": "Samenwerkingsvorm",
        "partner": "Partner",
        "place": "Plaats",
        "free_text": "Zoektekst",
        "results": "Casussen",
        "open_case": "Open casus",
        "size": "Omvang organisatie",
        "partners": "Betrokken partners",
        "goal": "Doel",
        "urgency": "Urgentie",
        "experience": "Ervaring met samenwerken",
        "description": "Uw situatie (optioneel)",
        "get_advice": "Geef advies",
        "clear": "Nieuw gesprek",
        "too_long": "Uw vraag is te lang ({n} tekens); het maximum is {max}. Maak hem korter.",
        "empty": "Typ eerst een vraag.",
        "binary": "Uw vraag bevat binaire gegevens of stuurtekens. Typ of plak hem als gewone tekst.",
        "failed": "Er ging iets mis bij het beantwoorden ({kind}). Probeer het opnieuw; blijft het misgaan, meld het "
                  "dan aan de beheerder.",
        "thanks": "Dank u, uw feedback is opgeslagen.",
        "no_answer": "Er is nog geen antwoord om feedback op te geven.",
    },
    "en": {
        "chat": "Ask the report",
        "cases": "Find cases",
        "advise": "Advisor",
        "about": "About / status",
        "question": "Your question",
        "send": "Send",
        "generator": "Generator",
        "sources": "Sources",
        "searched": "Searched for",
        "refused": "Not in the report",
        "active": "Active",
        "export": "Export conversation",
        "feedback": "Feedback on the last answer",
        "save_feedback": "Save feedback",
        "comment": "Comment",
        "open_source": "Open the whole section or case",
        "search": "Search",
        "theme": "Theme",
        "form": "Form of collaboration",
        "partner": "Partner",
        "place": "Place",
        "free_text": "Search text",
        "results": "Cases",
        "open_case": "Open case",
        "size": "Size of organisation",
        "partners": "Partners involved",
        "goal": "Goal",
        "urgency": "Urgency",
        "experience": "Experience with collaborating",
        "description": "Your situation (optional)",
        "get_advice": "Get advice",
        "clear": "New conversation",
        "too_long": "Your question is too long ({n} characters); the maximum is {max}. Please shorten it.",
        "empty": "Please type a question first.",
        "binary": "Your question contains binary data or control characters. Please type or paste it as plain text.",
        "failed": "Something went wrong while answering ({kind}). Please try again; if it keeps failing, tell the "
                  "administrator.",
        "thanks": "Thank you, your feedback has been saved.",
        "no_answer": "There is no answer yet to give feedback on.",
    },
}
FEEDBACK_CHOICES = ["correct", "wrong citation", "not in the report", "other"]


def highlight(passage: str, quotes: list[str]) -> str:
    """The passage as HTML with every quoted span marked."""
    spans = sorted({(passage.find(q), passage.find(q) + len(q)) for q in quotes if q and q in passage})
    out, position = [], 0
    for start, end in spans:
        if start < position:
            continue
        out += [html.escape(passage[position:start]), "<mark>", html.escape(passage[start:end]), "</mark>"]
        position = end
    out.append(html.escape(passage[position:]))
    return "".join(out)


def sources_html(answer: object, language: str = "nl") -> str:
    """The sources panel: each cited passage once, with its place in the report and its quoted spans marked."""
    labels = LABELS[language]
    citations = getattr(answer, "citations", ())
    passages = {h.chunk_id: h.text for h in getattr(answer, "sources", ())}
    if not citations:
        return f"<div class='sources'><p><em>{labels['sources']}: —</em></p></div>"
    grouped: dict[str, list] = {}
    for citation in citations:
        grouped.setdefault(citation.chunk_id, []).append(citation)
    parts = [f"<div class='sources'><h3>{labels['sources']}</h3>"]
    for chunk_id, group in grouped.items():
        first = group[0]
        where = f"{first.section} {first.section_title}" + (f" — {first.case_title}" if first.case_title else "")
        markers = "".join(f"[{c.n}]" for c in group)
        passage = passages.get(chunk_id)
        quotes = [c.quote for c in group]
        body = highlight(passage, quotes) if passage else "<br>".join(f"“{html.escape(q)}”" for q in quotes)
        parts.append(f"<div class='source' id='source-{first.n}'><p><strong>{markers} {html.escape(where)}</strong>"
                     f"</p><p class='passage'>{body}</p></div>")
    parts.append("</div>")
    return "\n".join(parts)


def hits_html(hits: list, language: str = "nl") -> str:
    """Sources as soon as retrieval is done, before any generation."""
    labels = LABELS[language]
    items = "".join(
        f"<li>{html.escape(h.section)} {html.escape(h.section_title)}"
        + (f" — {html.escape(h.case_title)}" if h.case_title else "")
        + "</li>"
        for h in hits
    )
    return f"<div class='sources pending'><h3>{labels['sources']} …</h3><ol>{items}</ol></div>"


def card_html(card: CaseCard) -> str:
    quotes = "".join(f"<blockquote>“{html.escape(q)}”</blockquote>" for q in card.key_quotes[:2])
    return (
        f"<div class='case-card' data-case='{html.escape(card.id)}'><h4>{html.escape(card.title)}</h4>"
        f"<p><small>{html.escape(card.section)} · {html.escape(card.theme)} · id <code>{html.escape(card.id)}"
        f"</code></small></p><p><strong>Plaats</strong>: {html.escape(', '.join(card.places))}<br>"
        f"<strong>Vorm</strong>: {html.escape(', '.join(card.forms))}<br>"
        f"<strong>Partners</strong>: {html.escape(', '.join(card.partners))}</p>{quotes}</div>"
    )


def cards_html(cards: list[CaseCard], elapsed_ms: float) -> str:
    if not cards:
        return "<p>Geen casussen gevonden / no cases found.</p>"
    head = f"<p class='case-count'>{len(cards)} casus(sen) · {elapsed_ms:.0f} ms</p>"
    return head + "".join(card_html(card) for card in cards)


def export_markdown(turns: list[dict], provenance: dict) -> str:
    """The conversation with citations, quotes and provenance, as Markdown."""
    lines = ["# Gesprek met de handhaving-advisor", ""]
    for key, value in provenance.items():
        lines.append(f"- **{key}**: {value}")
    lines.append("")
    for turn in turns:
        lines += [f"## Vraag: {turn['question']}", ""]
        if turn.get("rewritten_query") and turn["rewritten_query"] != turn["question"]:
            lines += [f"_Gezocht op: {turn['rewritten_query']}_", ""]
        lines += [turn["answer"], "", f"_Generator: {turn['generator']}_", ""]
        if turn["citations"]:
            lines += ["### Bronnen", ""]
            for c in turn["citations"]:
                where = f"{c['section']} {c['section_title']}" + (f" — {c['case_title']}" if c["case_title"] else "")
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
