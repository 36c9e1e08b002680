"""Writing an answer with a language model: the prompt, a stream with a deadline, and the notices shown when the
model fails and the extractive answer stands in.

    >>> messages = llm_messages(prompts_dir, question, "nl", hits, canary)
    >>> for token in stream_with_deadline(chat_model, messages, timeout_s=120): ...
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from advisor.logs import redact_secrets
from advisor.messages import say
from advisor.prompts import render
from advisor.retrieval.hits import Hit

LANGUAGE_NAMES = {"nl": "Dutch (Nederlands)", "en": "English"}
SOURCES_FOR_LLM = 4
SOURCE_CHARS = 900


class InstructionLeak(RuntimeError):
    """The LLM's answer repeated its canary or its instructions."""


def sources_block(hits: list[Hit]) -> str:
    """The numbered passages as the prompt shows them."""
    return "\n\n".join(f"[{n}] ({hit.label})\n{hit.text[:SOURCE_CHARS]}" for n, hit in enumerate(hits, start=1))


def llm_messages(prompts_dir: Path, question: str, language: str, hits: list[Hit],
                 canary: str) -> list[tuple[str, str]]:
    name = LANGUAGE_NAMES[language]
    system = render(prompts_dir, "answer_system", language_name=name, canary=canary)
    user = render(prompts_dir, "answer_user", sources=sources_block(hits), question=question, language_name=name)
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
