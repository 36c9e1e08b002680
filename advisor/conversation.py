"""Conversation handling: small talk, and rewriting a follow-up into a standalone search query.

    >>> history = [{"role": "user", "content": "Wie doet de sociale recherche in Twente?"}, ...]
    >>> standalone_query("En in Deventer?", history, knowledge)
    'Wie doet de sociale recherche in Twente? En in Deventer?'

Without an LLM the rewrite carries over the previous user turn (its subject) and the case titles the previous
answer cited; with an LLM, a prompt asks for one standalone question, and a reply that is empty, too long or
not a question falls back to the same carry-over.
"""

from __future__ import annotations

import re
from typing import Any

from advisor.knowledge import Knowledge
from advisor.prompts import render

_SMALLTALK = re.compile(
    r"^\s*(hallo|hoi|hey|hi|hello|goedemorgen|goedemiddag|goedenavond|good (morning|afternoon|evening)|"
    r"dank( je| u)?( wel)?|bedankt|thanks?( a lot| you)?|thank you|top|prima|oké?|ok(ay)?|super|fijn|"
    r"tot ziens|doei|bye|goodbye)[\s!.,]*(\w+[\s!.]*)?$",
    re.IGNORECASE,
)
_THANKS = re.compile(r"dank|bedankt|thank", re.IGNORECASE)
_FAREWELL = re.compile(r"tot ziens|doei|bye", re.IGNORECASE)
_DEPENDENT = re.compile(
    r"\b(daar|daarbij|daarvan|daarin|hun|ze|zij|hij|die vorm|die aanpak|dat geval|those|these|there|they|them|"
    r"their|this one|the one)\b|^(en|and|maar|but|ook|also|wat (als|over)|what about|how about)\b",
    re.IGNORECASE,
)

SMALLTALK_REPLIES = {
    ("nl", "thanks"): "Graag gedaan. Stel gerust een volgende vraag over samenwerken in de handhaving.",
    ("en", "thanks"): "You're welcome. Feel free to ask another question about collaboration in enforcement.",
    ("nl", "bye"): "Tot ziens, en succes met de samenwerking.",
    ("en", "bye"): "Goodbye, and good luck with the collaboration.",
    ("nl", "hello"): "Hallo! Stel een vraag over samenwerken in de handhaving; ik antwoord met bronnen uit het rapport "
    "*Samenwerken, daar zit muziek in* (2008).",
    ("en", "hello"): "Hello! Ask a question about collaboration in enforcement; I answer with sources from the report "
    "*Samenwerken, daar zit muziek in* (2008).",
}


HISTORY_TURNS = 6
HISTORY_TURN_CHARS = 4000


def check_history(turns: object) -> list[dict]:
    """Validate a conversation (a list of {"role": "user"|"assistant", "content": text}); keep the last
    HISTORY_TURNS turns, each cut to HISTORY_TURN_CHARS characters. Anything else is a ValueError."""
    if not isinstance(turns, list) or not all(
        isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str)
        for t in turns
    ):
        raise ValueError('the history must be a JSON list of {"role": "user"|"assistant", "content": "…"}')
    return [{"role": t["role"], "content": t["content"][:HISTORY_TURN_CHARS]} for t in turns[-HISTORY_TURNS:]]


def smalltalk_kind(question: str) -> str | None:
    """'thanks', 'bye' or 'hello' for greetings and thanks (not searched), else None."""
    if not _SMALLTALK.match(question):
        return None
    if _THANKS.search(question):
        return "thanks"
    return "bye" if _FAREWELL.search(question) else "hello"


def is_followup(question: str, history: list[dict]) -> bool:
    """A question that leans on the conversation: pronouns, 'and …?', or short (12 words or fewer)."""
    if not any(turn.get("role") == "user" for turn in history):
        return False
    return bool(_DEPENDENT.search(question)) or len(question.split()) <= 12


def carry_over(question: str, history: list[dict], knowledge: Knowledge) -> str:
    """The previous user turn, the cases the previous answer named, and the question."""
    previous_user = next((t["content"] for t in reversed(history) if t.get("role") == "user"), "")
    previous_answer = next((t["content"] for t in reversed(history) if t.get("role") == "assistant"), "")
    named = [c.title for c in knowledge.cases if c.title in previous_answer][:2]
    return " ".join(part for part in [previous_user, *named, question] if part).strip()


def standalone_query(question: str, history: list[dict], knowledge: Knowledge, chat_model: Any = None,
                     prompts_dir: Any = None) -> str:
    """The query to search for this turn of the conversation."""
    if not is_followup(question, history):
        return question
    if chat_model is not None and prompts_dir is not None:
        transcript = "\n".join(f"{t['role']}: {t['content'][:600]}" for t in history[-4:])
        prompt = render(prompts_dir, "rewrite_followup", history=transcript, question=question)
        try:
            reply = chat_model.invoke(prompt)
            text = str(getattr(reply, "content", reply)).strip().strip('"').splitlines()[0].strip()
        except Exception:  # a rewrite is an optimisation; the carry-over below always works
            text = ""
        if 8 <= len(text) <= 400:
            return text
    return carry_over(question, history, knowledge)
