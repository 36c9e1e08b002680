"""The persistent vector index: one line of builds per embedding model, atomic switch-over, a manifest, refusal of
another model's index. The builds live in a store: folders on local disk (``advisor/index/local_store.py``), or
collections on a Chroma server when ``ADVISOR_CHROMA_URL`` is set (``advisor/index/server_store.py``).

    >>> build_index(settings, knowledge, embeddings)       # no-op when up to date
    >>> handle = open_index(settings, embeddings)           # refuses another model's index

On local disk::

    index/
      <model key>/                 one per embedding-model fingerprint, side by side
        CURRENT                    the name of the build that serves (replaced atomically)
        .build.lock                held (flock, exclusive) by the one build that runs
        build-20261128T174501-ab12cd/
          chroma/                  a Chroma persistent store
          manifest.json            model, fingerprint, corpus hash, chunker, build time, counts
          .readers.lock            held (flock, shared) by every open handle on this build

On a Chroma server: a collection per build, ``hh-<model key>-<stamp>``, with the manifest in its metadata; a
pointer collection ``hh-<model key>-current`` whose metadata names the build that serves; and, while a build runs,
``hh-<model key>-lock`` (a lease naming its holder, taken over when the holder is dead or 15 minutes silent).

A rebuild writes a new build beside the current one and switches the pointer only when it is complete, so an
interrupted rebuild leaves the old index serving. The build before the current one is kept; older and unfinished
builds are removed by the next build.

Who waits for what, with several processes on one index:

- a second ``advisor index`` waits on the build lock, then finds the index up to date (or builds anew);
- the app never waits: ``open_index`` reads the pointer and takes a shared, non-blocking lock on that build's
  ``.readers.lock``, held for the life of the handle;
- removing a stale build takes that lock exclusively without blocking and skips the build when it cannot: a build
  that any process still reads stays until a later build finds it free;
- a running ``Advisor`` looks at the pointer at most every few seconds and reopens when it changed; questions in
  flight finish on the handle they started with.

A Chroma server has no reader locks: a replica moves to a new build within seconds and the previous build is kept,
so only a second rebuild within those seconds could drop a build under a question in flight.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from advisor.corpus.knowledge import Knowledge
from advisor.corpus.statements import index_entry
from advisor.index.base import (
    CHUNKER_VERSION,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    IndexProblem,
    IndexStore,
    Manifest,
    fingerprint_of,
    model_key,
    nothing,
)
from advisor.index.local_store import LocalStore
from advisor.index.server_store import server_store
from advisor.settings import Settings

log = logging.getLogger(__name__)
_BATCH = 64


def store_for(settings: Settings) -> IndexStore:
    """The Chroma server named by ``settings.chroma_url``, else the local index folder."""
    if settings.chroma_url:
        return server_store(settings.chroma_url, settings.chroma_token)
    return LocalStore(settings.index_dir)


def model_dir(settings: Settings, embeddings: Embeddings) -> Path:
    """The local folder of this model's builds."""
    return settings.index_dir / model_key(fingerprint_of(embeddings))


def current_build(folder: Path) -> Path | None:
    """The local build folder that serves in this model folder (None when there is none)."""
    name = LocalStore(folder.parent).current(folder.name)
    return folder / name if name else None


def expected_manifest_fields(knowledge: Knowledge, embeddings: Embeddings) -> dict:
    return {
        "fingerprint": fingerprint_of(embeddings),
        "corpus_sha256": knowledge.corpus_digest,
        "chunker": {"max_chars": knowledge.chunk_size, "version": CHUNKER_VERSION},
    }


def _read_manifest(store: IndexStore, key: str, build: str) -> Manifest:
    text = store.manifest_text(key, build)
    if text is None:
        raise IndexCorruptError(
            f"The index at {store.where(key, build)} has no manifest. Rebuild it with `advisor index --rebuild`."
        )
    return Manifest.parse(text, store.where(key, build))


def _up_to_date(store: IndexStore, key: str, build: str | None, expected: dict) -> bool:
    if build is None:
        return False
    try:
        manifest = _read_manifest(store, key, build)
    except IndexCorruptError as damage:
        log.warning("the index manifest is damaged, so the index is not up to date: %s", damage)
        return False
    return all(getattr(manifest, name) == value for name, value in expected.items())


def is_up_to_date(settings: Settings, knowledge: Knowledge, embeddings: Embeddings) -> bool:
    store, key = store_for(settings), model_key(fingerprint_of(embeddings))
    return _up_to_date(store, key, store.current(key), expected_manifest_fields(knowledge, embeddings))


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
    store = store_for(settings)
    key = model_key(fingerprint_of(embeddings))
    expected = expected_manifest_fields(knowledge, embeddings)
    with store.build_lock(key) as renew:
        previous = store.current(key)
        if not rebuild and _up_to_date(store, key, previous, expected):
            try:  # the manifest is fine; the store behind it must open and hold every chunk too
                open_index(settings, embeddings).close()
                return _read_manifest(store, key, previous), False
            except IndexCorruptError as damage:
                log.warning("the current index is damaged; building it anew (%s)", damage)
        started = time.perf_counter()
        build = store.new_build(key)
        entries = index_entries(knowledge)
        with store.create(key, build) as collection:
            vectors = _embed(embeddings, [entry[1] for entry in entries], progress)
            for i in range(0, len(entries), _BATCH):
                batch = entries[i : i + _BATCH]
                collection.add(
                    ids=[entry[0] for entry in batch],
                    embeddings=vectors[i : i + _BATCH],
                    documents=[entry[2] for entry in batch],
                    metadatas=[entry[3] for entry in batch],
                )
                renew()
                if on_batch:
                    on_batch(min(i + _BATCH, len(entries)), len(entries))
            count = collection.count()
        if count != len(entries):
            raise IndexCorruptError(f"the new index holds {count} entries, expected {len(entries)}")
        manifest = Manifest(
            embedding_model=str(getattr(embeddings, "model_id", type(embeddings).__name__)),
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            build_seconds=round(time.perf_counter() - started, 2),
            counts={"sections": len(knowledge.sections), "cases": len(knowledge.cases),
                    "chunks": len(knowledge.chunks), "statements": len(knowledge.statements)},
            **expected,
        )
        store.publish(key, build, manifest.to_json(), previous)
        return manifest, True


def index_entries(knowledge: Knowledge) -> list[tuple[str, str, str, dict]]:
    """(id, text to embed, document, metadata) for every chunk, then every key statement."""
    entries = [(c.chunk_id, c.embed_text, c.text, c.metadata()) for c in knowledge.chunks]
    sections = {s.section_id: s for s in knowledge.sections}
    for s in knowledge.statements:
        card = knowledge.case(s.case_id) if s.case_id else None
        entries.append(index_entry(s, sections[s.section_id], card))
    return entries


def _embed(embeddings: Embeddings, texts: list[str], progress: bool) -> list[list[float]]:
    try:
        return embeddings.embed_documents(texts, progress=progress)  # type: ignore[call-arg]
    except TypeError:
        return embeddings.embed_documents(texts)


@dataclass(eq=False)
class IndexHandle:
    """An open build: its manifest, name and place, and its Chroma collection as a LangChain vector store.

    The handle keeps its build from being removed (locally: a shared lock) until it is closed or collected.
    """

    manifest: Manifest
    build: str
    location: str
    vectorstore: Any
    store: Any = field(repr=False)  # an IndexStore (a Protocol, which pydantic cannot check in HybridRetriever)
    key: str = ""
    release: Callable[[], None] = field(default=nothing, repr=False)

    def __post_init__(self) -> None:
        self._finalizer = weakref.finalize(self, self.release)
        self._finalizer.atexit = False

    @property
    def collection(self) -> Any:
        return self.vectorstore._collection

    def is_current(self) -> bool:
        """Whether this build still serves (False once a newer build has been switched in). Cheap: one small read."""
        return self.store.current(self.key) == self.build

    def close(self) -> None:
        """Let go of the build (its reader lock and local Chroma client); the handle cannot be searched afterwards."""
        self._finalizer()


def _missing_or_mismatch(store: IndexStore, fingerprint: str, model_id: str) -> IndexProblem:
    others = []
    for where, text in store.current_manifests():
        try:
            others.append(Manifest.parse(text, where))
        except IndexCorruptError:
            continue
    if others:
        built_with = ", ".join(f"{m.embedding_model} ({m.fingerprint})" for m in others)
        return IndexMismatchError(
            f"The index {store.place} was built with {built_with}, not with the embedding model "
            f"in use, {model_id} ({fingerprint}). Run `advisor index` to build an index for {model_id}, "
            f"or set ADVISOR_EMBEDDING_MODEL={others[0].embedding_model} to use the existing one."
        )
    return IndexMissingError(f"No index found {store.place}. Build it with `advisor index` (about a minute).")


def open_index(settings: Settings, embeddings: Embeddings) -> IndexHandle:
    """Open the current index built with this embedding model, or explain why it cannot be used."""
    fingerprint = fingerprint_of(embeddings)
    model_id = getattr(embeddings, "model_id", "?")
    store, key = store_for(settings), model_key(fingerprint)
    build, unpin = store.pin(key)
    try:
        if build is None:
            raise _missing_or_mismatch(store, fingerprint, model_id)
        where = store.where(key, build)
        manifest = _read_manifest(store, key, build)
        if manifest.fingerprint != fingerprint:
            raise IndexMismatchError(
                f"The index at {where} was built with {manifest.embedding_model} ({manifest.fingerprint}); the "
                f"embedding model in use is {model_id} ({fingerprint}). Run `advisor index` to build a matching index."
            )
        try:
            vectorstore, count, close = store.open(key, build, embeddings)
        except IndexProblem:
            raise
        except Exception as error:  # Chroma raises many types for a damaged store
            raise IndexCorruptError(
                f"The index at {where} cannot be read ({type(error).__name__}: {error}). "
                "Rebuild it with `advisor index --rebuild`."
            ) from error
        expected_count = manifest.counts.get("chunks", 0) + manifest.counts.get("statements", 0)
        if count != expected_count:
            close()
            raise IndexCorruptError(
                f"The index at {where} holds {count} entries but its manifest says {expected_count}. "
                "Rebuild it with `advisor index --rebuild`."
            )
    except BaseException:
        unpin()
        raise
    return IndexHandle(manifest, build, where, vectorstore, store, key, release=_both(close, unpin))


def _both(first: Callable[[], None], second: Callable[[], None]) -> Callable[[], None]:
    """Both releases, once, however often it is called (a closed file descriptor must never be closed again)."""
    done: list[bool] = []

    def release() -> None:
        if done:
            return
        done.append(True)
        try:
            first()
        finally:
            second()

    return release
