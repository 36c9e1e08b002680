"""The persistent vector index: Chroma on disk, one folder per embedding model, atomic switch-over.

    >>> build_index(settings, knowledge, embeddings)       # no-op when up to date
    >>> store = open_index(settings, embeddings)            # refuses another model's index

Layout::

    index/
      <model key>/                 one per embedding-model fingerprint, side by side
        CURRENT                    the name of the build that serves (replaced atomically)
        build-20261128T174501-ab12/
          chroma/                  a Chroma persistent store
          manifest.json            model, fingerprint, corpus hash, chunker, build time, counts

A rebuild writes a new build folder beside the current one and switches ``CURRENT`` only when it is
complete, so an interrupted rebuild leaves the old index serving. The build before the current one is
kept (readers may still hold it); older and unfinished builds are removed by the next build.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from advisor.knowledge import Knowledge
from advisor.settings import Settings

COLLECTION = "report-chunks"
CHUNKER_VERSION = 1
MANIFEST = "manifest.json"
CURRENT = "CURRENT"
_BATCH = 64


class IndexProblem(RuntimeError):
    """Base class for index problems; the message always says what to do."""


class IndexMissingError(IndexProblem):
    pass


class IndexMismatchError(IndexProblem):
    pass


class IndexCorruptError(IndexProblem):
    pass


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
    def read(cls, path: Path) -> Manifest:
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as error:
            raise IndexCorruptError(
                f"the index manifest {path} is unreadable ({error}). Rebuild with `advisor index --rebuild`."
            ) from error

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__, indent=2, ensure_ascii=False), encoding="utf-8")


def expected_manifest_fields(knowledge: Knowledge, embeddings: Embeddings) -> dict:
    return {
        "fingerprint": fingerprint_of(embeddings),
        "corpus_sha256": knowledge.corpus_digest,
        "chunker": {"max_chars": knowledge.chunk_size, "version": CHUNKER_VERSION},
    }


def model_dir(settings: Settings, embeddings: Embeddings) -> Path:
    return settings.index_dir / model_key(fingerprint_of(embeddings))


def current_build(folder: Path) -> Path | None:
    pointer = folder / CURRENT
    if not pointer.exists():
        return None
    build = folder / pointer.read_text(encoding="utf-8").strip()
    return build if build.is_dir() else None


def is_up_to_date(settings: Settings, knowledge: Knowledge, embeddings: Embeddings) -> bool:
    build = current_build(model_dir(settings, embeddings))
    if build is None or not (build / MANIFEST).exists():
        return False
    try:
        manifest = Manifest.read(build / MANIFEST)
    except IndexCorruptError:
        return False
    expected = expected_manifest_fields(knowledge, embeddings)
    return all(getattr(manifest, key) == value for key, value in expected.items())


@contextmanager
def _build_lock(folder: Path) -> Iterator[None]:
    """One build at a time per model folder (other processes wait here)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".build.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _switch(folder: Path, build: Path) -> None:
    tmp = folder / f".{CURRENT}.tmp"
    tmp.write_text(build.name + "\n", encoding="utf-8")
    os.replace(tmp, folder / CURRENT)


def _remove_stale_builds(folder: Path, keep: set[str]) -> None:
    for path in folder.glob("build-*"):
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


def build_index(
    settings: Settings,
    knowledge: Knowledge,
    embeddings: Embeddings,
    *,
    rebuild: bool = False,
    progress: bool = False,
    on_batch: Callable[[int, int], None] | None = None,
) -> tuple[Manifest, bool]:
    """Build the index for this model if needed; returns its manifest and whether anything was built."""
    import chromadb

    folder = model_dir(settings, embeddings)
    with _build_lock(folder):
        previous = current_build(folder)
        if not rebuild and is_up_to_date(settings, knowledge, embeddings):
            return Manifest.read(previous / MANIFEST), False
        started = time.perf_counter()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        build = folder / f"build-{stamp}-{os.urandom(3).hex()}"
        build.mkdir()
        chunks = list(knowledge.chunks)
        client = chromadb.PersistentClient(path=str(build / "chroma"), settings=chroma_settings())
        collection = client.create_collection(COLLECTION, metadata={"hnsw:space": "cosine"}, embedding_function=None)
        vectors = _embed(embeddings, [c.embed_text for c in chunks], progress)
        for i in range(0, len(chunks), _BATCH):
            batch = chunks[i : i + _BATCH]
            collection.add(
                ids=[c.chunk_id for c in batch],
                embeddings=vectors[i : i + _BATCH],
                documents=[c.text for c in batch],
                metadatas=[c.metadata() for c in batch],
            )
            if on_batch:
                on_batch(min(i + _BATCH, len(chunks)), len(chunks))
        if collection.count() != len(chunks):
            raise IndexCorruptError(f"the new index holds {collection.count()} chunks, expected {len(chunks)}")
        manifest = Manifest(
            embedding_model=str(getattr(embeddings, "model_id", type(embeddings).__name__)),
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            build_seconds=round(time.perf_counter() - started, 2),
            counts={"sections": len(knowledge.sections), "cases": len(knowledge.cases), "chunks": len(chunks)},
            **expected_manifest_fields(knowledge, embeddings),
        )
        manifest.write(build / MANIFEST)
        _switch(folder, build)
        _remove_stale_builds(folder, keep={build.name} | ({previous.name} if previous else set()))
        return manifest, True


def _embed(embeddings: Embeddings, texts: list[str], progress: bool) -> list[list[float]]:
    try:
        return embeddings.embed_documents(texts, progress=progress)  # type: ignore[call-arg]
    except TypeError:
        return embeddings.embed_documents(texts)


@dataclass
class IndexHandle:
    """An open index: its manifest, folder and Chroma collection, wrapped as a LangChain vector store."""

    manifest: Manifest
    path: Path
    vectorstore: Any

    @property
    def collection(self) -> Any:
        return self.vectorstore._collection


def _known_models(index_dir: Path) -> list[Manifest]:
    manifests = []
    for pointer in sorted(index_dir.glob(f"*/{CURRENT}")):
        build = current_build(pointer.parent)
        if build and (build / MANIFEST).exists():
            try:
                manifests.append(Manifest.read(build / MANIFEST))
            except IndexCorruptError:
                continue
    return manifests


def open_index(settings: Settings, embeddings: Embeddings) -> IndexHandle:
    """Open the current index built with this embedding model, or explain why it cannot be used."""
    import chromadb
    from langchain_chroma import Chroma

    fingerprint = fingerprint_of(embeddings)
    model_id = getattr(embeddings, "model_id", "?")
    build = current_build(model_dir(settings, embeddings))
    if build is None:
        others = _known_models(settings.index_dir)
        if others:
            built_with = ", ".join(f"{m.embedding_model} ({m.fingerprint})" for m in others)
            raise IndexMismatchError(
                f"The index in {settings.index_dir} was built with {built_with}, not with the embedding model "
                f"in use, {model_id} ({fingerprint}). Run `advisor index` to build an index for {model_id}, "
                f"or set ADVISOR_EMBEDDING_MODEL={others[0].embedding_model} to use the existing one."
            )
        raise IndexMissingError(
            f"No index found in {settings.index_dir}. Build it with `advisor index` (about a minute)."
        )
    manifest = Manifest.read(build / MANIFEST) if (build / MANIFEST).exists() else None
    if manifest is None:
        raise IndexCorruptError(f"The index at {build} has no manifest. Rebuild it with `advisor index --rebuild`.")
    if manifest.fingerprint != fingerprint:
        raise IndexMismatchError(
            f"The index at {build} was built with {manifest.embedding_model} ({manifest.fingerprint}); the embedding "
            f"model in use is {model_id} ({fingerprint}). Run `advisor index` to build a matching index."
        )
    try:
        client = chromadb.PersistentClient(path=str(build / "chroma"), settings=chroma_settings())
        collection = client.get_collection(COLLECTION)
        count = collection.count()
    except Exception as error:  # Chroma raises many types for a damaged store
        raise IndexCorruptError(
            f"The index at {build} cannot be read ({type(error).__name__}: {error}). "
            "Rebuild it with `advisor index --rebuild`."
        ) from error
    if count != manifest.counts.get("chunks"):
        raise IndexCorruptError(
            f"The index at {build} holds {count} chunks but its manifest says {manifest.counts.get('chunks')}. "
            "Rebuild it with `advisor index --rebuild`."
        )
    vectorstore = Chroma(client=client, collection_name=COLLECTION, embedding_function=embeddings)
    return IndexHandle(manifest, build, vectorstore)
