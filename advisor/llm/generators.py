"""Generators by id: ``extractive`` (no LLM), ``local`` (Qwen via llama.cpp), ``ollama:<model>``,
``openai:<model>[@base_url]``. All but the first are LangChain chat models, created lazily and reused.

    >>> model = chat_model_for("openai:qwen@http://127.0.0.1:8080/v1", settings)   # None for "extractive"

API keys come from the environment only (``OPENAI_API_KEY``; ``none`` when unset, which local servers accept)
and are never logged. ``OLLAMA_HOST`` points at an Ollama server (default http://127.0.0.1:11434).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from advisor.errors import InputError
from advisor.settings import Settings

log = logging.getLogger(__name__)
EXTRACTIVE = "extractive"


class GeneratorError(InputError):
    """An unknown generator id, or a backend that cannot be set up; the message says which ids exist."""


def parse_generator_id(generator_id: str) -> tuple[str, str, str | None]:
    """('openai', 'gpt-4o-mini', 'http://host/v1') from 'openai:gpt-4o-mini@http://host/v1'."""
    if generator_id in (EXTRACTIVE, "local"):
        return generator_id, "", None
    kind, _, rest = generator_id.partition(":")
    if kind not in ("ollama", "openai") or not rest:
        raise GeneratorError(
            f"unknown generator {generator_id!r}; use extractive, local, ollama:<model> or openai:<model>[@base_url]"
        )
    model, _, base_url = rest.partition("@")
    return kind, model, base_url or None


_models: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


def chat_model_for(generator_id: str, settings: Settings) -> Any:
    """The chat model for an id (None for extractive); raises LocalModelUnavailable or GeneratorError."""
    kind, model, base_url = parse_generator_id(generator_id)
    if kind == EXTRACTIVE:
        return None
    key = (generator_id, str(settings.cache_dir))
    with _lock:
        if key not in _models:
            _models[key] = _create(kind, model, base_url, settings)
        return _models[key]


def _create(kind: str, model: str, base_url: str | None, settings: Settings) -> Any:
    timeout = settings.llm_timeout_s
    if kind == "local":
        from advisor.llm.local import LlamaCppChat, assemble_model, check_installed

        check_installed()
        return LlamaCppChat(model_path=str(assemble_model(settings.cache_dir)), n_threads=settings.llm_threads)
    if kind == "ollama":
        from langchain_ollama import ChatOllama

        host = base_url or os.environ.get("OLLAMA_HOST", "http://127.0.0.1:11434")
        return ChatOllama(model=model, base_url=host, temperature=0.1, client_kwargs={"timeout": timeout})
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model=model, base_url=base_url, api_key=os.environ.get("OPENAI_API_KEY") or "none",
                      temperature=0.1, timeout=timeout, max_retries=0)


def available_generators(settings: Settings) -> dict[str, str]:
    """Which generators can be used here, with a short status each (no model is loaded)."""
    from advisor.llm.local import MODEL_NAME, LocalModelNotInstalled, check_installed

    status = {EXTRACTIVE: "ready"}
    try:
        check_installed()
        assembled = (settings.cache_dir / "models" / MODEL_NAME).exists()
        status["local"] = "ready" if assembled else "installed (assembled on first use)"
    except LocalModelNotInstalled as error:
        log.info("the local model is unavailable: %s", error)
        status["local"] = f"unavailable: {error}"
    for generator_id in settings.extra_generators:
        status[generator_id] = "configured"
    return status
