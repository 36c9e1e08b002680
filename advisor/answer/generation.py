"""Writing an answer with a language model: the prompt, a stream with a deadline, and the notices shown when the
model fails and the extractive answer stands in.

The model is given the key statements the extractive answer would say (``advisor.answer.statements.choose``),
numbered, in the asker's language, each with a short label naming its case or section, and asked to connect them
into a short answer citing [n]; a cited [n] stands for that statement's Dutch quote at its place in the report.
Without key statements (an index built before them) it is given the best passages instead.

    >>> messages = statement_messages(prompts_dir, question, "en", chosen, canary)
    >>> told, cited = statement_sources(chosen, "en")    # what each [n] is checked against, and what it cites
    >>> for token in stream_with_deadline(chat_model, messages, timeout_s=120): ...
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from advisor.answer.citations import Citation, make_citation
from advisor.answer.statements import Chosen, statement_text
from advisor.logs import redact_secrets
from advisor.messages import say
from advisor.prompts import render
from advisor.retrieval.hits import Hit

LANGUAGE_NAMES = {"nl": "Dutch (Nederlands)", "en": "English"}
SOURCES_FOR_LLM = 4  # passages, when the index holds no key statements
SOURCE_CHARS = 900
LABEL_CHARS = 40  # a key statement's label (its case or section) is cut at a word before this


class InstructionLeak(RuntimeError):
    """The LLM's answer repeated its canary or its instructions."""


def sources_block(hits: list[Hit]) -> str:
    """The numbered passages as the prompt shows them."""
    return "\n\n".join(f"[{n}] ({hit.label})\n{hit.text[:SOURCE_CHARS]}" for n, hit in enumerate(hits, start=1))


def statement_label(chosen: Chosen) -> str:
    """Where a statement stands, in a few words: its case, else its section ("7.3 Specifieke vragen die …")."""
    hit = chosen.hit
    label = hit.case_title or f"{hit.section} {hit.section_title}"
    return label if len(label) <= LABEL_CHARS else label[: label.rfind(" ", 0, LABEL_CHARS)] + " …"


def statements_block(chosen: list[Chosen], language: str) -> str:
    """The numbered key statements as the prompt shows them: "[1] (12.3 Centrumgemeente) De centrumgemeente …"."""
    return "\n".join(f"[{n}] ({statement_label(c)}) {statement_text(c.statement, language)}"
                     for n, c in enumerate(chosen, start=1))


def statement_sources(chosen: list[Chosen], language: str) -> tuple[list[Hit], list[Citation]]:
    """For the citation check: what each [n] is checked against (the statement's words as the prompt showed them,
    and its quote, in the place of the passage holding it) and the citation it stands for (the quote, verbatim, at
    its offsets in the report, in that passage)."""
    told = [replace(c.passage, text=f"{statement_text(c.statement, language)}\n{c.statement.quote}") for c in chosen]
    cited = [make_citation(n, c.passage, c.statement.quote, c.statement.start) for n, c in enumerate(chosen, start=1)]
    return told, cited


def llm_messages(prompts_dir: Path, question: str, language: str, hits: list[Hit],
                 canary: str) -> list[tuple[str, str]]:
    """The prompt over passages (``answer_user``), for an index without key statements."""
    return _messages(prompts_dir, "answer_user", sources_block(hits), question, language, canary)


def statement_messages(prompts_dir: Path, question: str, language: str, chosen: list[Chosen],
                       canary: str) -> list[tuple[str, str]]:
    """The prompt over key statements (``answer_statements``)."""
    return _messages(prompts_dir, "answer_statements", statements_block(chosen, language), question, language,
                     canary)


def _messages(prompts_dir: Path, template: str, sources: str, question: str, language: str,
              canary: str) -> list[tuple[str, str]]:
    name = LANGUAGE_NAMES[language]
    system = render(prompts_dir, "answer_system", language_name=name, canary=canary)
    user = render(prompts_dir, template, sources=sources, question=question, language_name=name)
    return [("system", system), ("human", user)]


def stream_with_deadline(chat_model: Any, messages: list, timeout_s: float) -> Iterator[str]:
    """Tokens from the model; a backend that does not start within ``timeout_s`` raises TimeoutError."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    iterator = iter(chat_model.stream(messages))
    try:
        first = pool.submit(next, iterator, None).result(timeout=timeout_s)
    except concurrent.futures.TimeoutError:
        pool.shutdown(wait=False, cancel_futures=True)
        raise TimeoutError(f"no reply within {timeout_s:.0f} s") from None
    pool.shutdown(wait=False)
    deadline = time.monotonic() + timeout_s
    chunk = first
    while chunk is not None:
        yield str(getattr(chunk, "content", chunk))
        if time.monotonic() > deadline:
            raise TimeoutError(f"the answer took longer than {timeout_s:.0f} s")
        chunk = next(iterator, None)


def fallback_notice(language: str, generator: str, error: Exception) -> str:
    """Why the answer shown is extractive: the model's answer was withheld, or the model failed (and how)."""
    if isinstance(error, InstructionLeak):
        return say("notice.withheld", language, generator=generator)
    reason = f"{type(error).__name__}: {redact_secrets(str(error))[:160]}"
    return say("notice.fallback", language, generator=generator, reason=reason)
