"""What every index build has, whichever store holds it: the manifest, the errors (each says what to do), the
store protocol and the names builds are kept under.

    >>> Manifest.parse(text, where).fingerprint
    >>> raise IndexMissingError("No index found in index/. Build it with `advisor index`.")
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from langchain_core.embeddings import Embeddings

from advisor.errors import AdvisorError

COLLECTION = "report-chunks"
CHUNKER_VERSION = 3  # 2: the embedded context line names the chapter; 3: key statements beside the chunks
MANIFEST = "manifest.json"
CURRENT = "CURRENT"


class IndexProblem(AdvisorError, RuntimeError):
    """Base class for index problems; the message always says what to do."""


class IndexMissingError(IndexProblem):
    pass


class IndexMismatchError(IndexProblem):
    pass


class IndexCorruptError(IndexProblem):
    pass


class IndexUnavailableError(IndexProblem):
    """The store cannot be reached (a Chroma server that is down) or is busy in a way that should not last."""


def fingerprint_of(embeddings: Embeddings) -> str:
    fingerprint = getattr(embeddings, "fingerprint", None)
    if not fingerprint:
        raise TypeError("the embeddings object has no fingerprint; the index cannot record which model built it")
    return str(fingerprint)


def model_key(fingerprint: str) -> str:
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:16]


def chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


@dataclass(frozen=True)
class Manifest:
    embedding_model: str
    fingerprint: str
    corpus_sha256: str
    chunker: dict
    built_at: str
    build_seconds: float
    counts: dict

    @classmethod
    def parse(cls, text: str, where: str) -> Manifest:
        try:
            return cls(**json.loads(text))
        except (ValueError, TypeError) as error:
            raise IndexCorruptError(
                f"the index manifest at {where} is unreadable ({error}). Rebuild with `advisor index --rebuild`."
            ) from error

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, ensure_ascii=False)


class IndexStore(Protocol):
    """Where builds live (``LocalStore``: folders; ``ServerStore``: Chroma collections). Build names are opaque."""

    place: str  # for messages: "in /path/index" or "on the Chroma server at http://…"

    def where(self, key: str, build: str) -> str: ...  # a build's place, for messages
    def current(self, key: str) -> str | None: ...  # the build the pointer names (None: no index for this model)
    def pin(self, key: str) -> tuple[str | None, Callable[[], None]]: ...  # current(), kept from removal until called
    def manifest_text(self, key: str, build: str) -> str | None: ...  # None when the build has no manifest
    def current_manifests(self) -> list[tuple[str, str]]: ...  # (where, manifest) of every model's current build
    def build_lock(self, key: str) -> AbstractContextManager[Callable[[], None]]: ...  # yields renew()
    def new_build(self, key: str) -> str: ...
    def create(self, key: str, build: str) -> AbstractContextManager[Any]: ...  # an empty Chroma collection to fill
    def publish(self, key: str, build: str, manifest_json: str, previous: str | None) -> None: ...  # switch, clean
    def open(self, key: str, build: str, embeddings: Embeddings) -> tuple[Any, int, Callable[[], None]]: ...
    # open(): (LangChain Chroma vector store, chunk count, close)


def new_stamp() -> str:
    """A build's time stamp with a random tail: builds sort by age and never collide."""
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{os.urandom(3).hex()}"


def nothing() -> None:
    return None


def open_chroma(client: Any, name: str, embeddings: Embeddings) -> tuple[Any, int]:
    """An existing collection as a LangChain vector store with our own embeddings, and its record count."""
    from langchain_chroma import Chroma

    vectorstore = Chroma(client=client, collection_name=name, embedding_function=embeddings,
                         create_collection_if_not_exists=False)
    return vectorstore, vectorstore._collection.count()
