"""What the advisor says when it does not answer: a refusal that says why and points to what the report does
cover, and the reply to a message that only tried to change its instructions.

    >>> refusal_text("nl", decision, suggestions_from(hits, "nl"))
    >>> instructions_reply("en")
"""

from __future__ import annotations

from advisor.answer.gate import GateDecision
from advisor.answer.needs import Need
from advisor.corpus.sections import THEMES
from advisor.messages import MESSAGES, say
from advisor.retrieval.hits import Hit


def suggestions_from(hits: list[Hit], language: str, limit: int = 4) -> tuple[str, ...]:
    """The nearest themes and cases the report does cover, from what retrieval found."""
    out: list[str] = []
    for hit in hits:
        if hit.case_title and hit.case_title not in out:
            out.append(hit.case_title)
        elif hit.theme:
            label = THEMES[hit.theme]["en" if language == "en" else "nl"]
            if label not in out:
                out.append(label)
        if len(out) == limit:
            break
    return tuple(out)


def theme_suggestions(language: str) -> tuple[str, ...]:
    """The report's eight themes, for a question off its subject."""
    return tuple(theme["en" if language == "en" else "nl"] for theme in THEMES.values())


def refusal_text(language: str, decision: GateDecision | None, suggestions: tuple[str, ...]) -> str:
    """'The report does not cover this question', the reason, the nearest topics (or the themes), the date note."""
    text = say("refusal.intro", language)
    reason = f"refusal.reason.{decision.reason}" if decision else ""
    if reason in MESSAGES:
        text += say(reason, language, detail=decision.detail) if decision.reason == "unknown_name" \
            else say(reason, language)
    if suggestions:
        heading = "refusal.themes" if suggestions == theme_suggestions(language) else "refusal.near"
        text += f"\n\n{say(heading, language)}\n" + "\n".join(f"- {s}" for s in suggestions)
    return f"{text}\n\n_{say('answer.dated', language)}_"


def instructions_reply(language: str) -> str:
    """What the advisor says to a message that only tries to change, reveal or bypass its instructions."""
    return f"{say('refusal.instructions', language)}\n\n_{say('answer.dated', language)}_"


def absence_text(missing: tuple[Need, ...], language: str) -> str:
    """What the report does not give, one sentence per kind of thing missing, in the question's words where it has
    them ("Het rapport noemt geen aantal handhavers."), then the line that leads to what it does say."""
    sentences: list[str] = []
    for need in missing:
        key = f"absent.{need.kind}"
        if need.kind == "count" and not need.what:
            key = "absent.figure"
        elif need.kind == "detail":  # a group of corpus/cues.yaml's details without its own sentence: the general one
            key = f"absent.detail.{need.what}" if f"absent.detail.{need.what}" in MESSAGES else "absent.detail"
        sentence = say(key, language, what=need.what) if "{what}" in MESSAGES[key][language] else say(key, language)
        if sentence not in sentences:
            sentences.append(sentence)
    return f"{' '.join(sentences)} {say('absent.then', language)}"
