"""Conversation handling: the history a turn may lean on, and rewriting a follow-up into a standalone search.

    >>> history = [{"role": "user", "content": "Wie doet de sociale recherche in Twente?"}, ...]
    >>> standalone_query(reader.read("En in Deventer?", history), history, knowledge)
    'Wie doet de sociale recherche in Twente? En in Deventer?'

Whether a question is a follow-up is read at the door (``Question.followup``). Without an LLM the rewrite carries
over the previous user turn (its subject) and the case titles the previous answer cited; with an LLM, a prompt
asks for one standalone question, and a reply that is empty, too long or not a question falls back to the same
carry-over (logged).
"""

from __future__ import annotations

import logging
from typing import Any

from advisor.corpus.knowledge import Knowledge
from advisor.errors import InputError
from advisor.logs import describe_error
from advisor.prompts import render
from advisor.retrieval.question import Question

log = logging.getLogger(__name__)
HISTORY_TURNS = 6
HISTORY_TURN_CHARS = 4000


def check_history(turns: object) -> list[dict]:
    """Validate a conversation (a list of {"role": "user"|"assistant", "content": text}); keep the last
    HISTORY_TURNS turns, each cut to HISTORY_TURN_CHARS characters. Anything else is an InputError."""
    if not isinstance(turns, list) or not all(
        isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str)
        for t in turns
    ):
        raise InputError('the history must be a JSON list of {"role": "user"|"assistant", "content": "…"}')
    return [{"role": t["role"], "content": t["content"][:HISTORY_TURN_CHARS]} for t in turns[-HISTORY_TURNS:]]


def carry_over(question: str, history: list[dict], knowledge: Knowledge) -> str:
    """The previous user turn, the cases the previous answer named, and the question."""
    previous_user = next((t["content"] for t in reversed(history) if t.get("role") == "user"), "")
    previous_answer = next((t["content"] for t in reversed(history) if t.get("role") == "assistant"), "")
    named = [c.title for c in knowledge.cases if c.title in previous_answer][:2]
    return " ".join(part for part in [previous_user, *named, question] if part).strip()


def standalone_query(question: Question, history: list[dict], knowledge: Knowledge, chat_model: Any = None,
                     prompts_dir: Any = None) -> str:
    """The text to search for this turn of the conversation."""
    if not question.followup:
        return question.text
    if chat_model is not None and prompts_dir is not None:
        transcript = "\n".join(f"{t['role']}: {t['content'][:600]}" for t in history[-4:])
        prompt = render(prompts_dir, "rewrite_followup", history=transcript, question=question.text)
        try:
            reply = chat_model.invoke(prompt)
            text = str(getattr(reply, "content", reply)).strip().strip('"').splitlines()[0].strip()
        except Exception as error:  # a rewrite is an optimisation; the carry-over below always works
            log.warning("the follow-up rewrite failed, the previous turn is carried over: %s", describe_error(error))
            text = ""
        if 8 <= len(text) <= 400:
            return text
        if text:
            log.info("the follow-up rewrite was %d characters long; the previous turn is carried over", len(text))
    return carry_over(question.text, history, knowledge)
