"""Index builds as folders on local disk: ``<index_dir>/<model key>/build-<stamp>/``, a ``CURRENT`` file naming the
one that serves, flock-based build and reader locks (``advisor/index/builds.py`` says who waits for what).

    >>> store = LocalStore(Path("index"))
    >>> build, unpin = store.pin(key)              # the build that serves, kept from removal until unpin()
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from advisor.index.base import (
    COLLECTION,
    CURRENT,
    MANIFEST,
    IndexCorruptError,
    IndexUnavailableError,
    chroma_settings,
    new_stamp,
    nothing,
    open_chroma,
)

READERS_LOCK = ".readers.lock"


def _hold_shared(build: Path) -> Callable[[], None] | None:
    """A shared lock on the build's reader lock (released by the returned function), or None when the build is gone
    or being removed. Never blocks."""
    path = build / READERS_LOCK
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)  # O_CREAT: builds made before reader locks
    except FileNotFoundError:
        return None
    except OSError:
        return nothing  # a read-only index folder without the lock file: nobody can remove builds there either
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        if os.fstat(fd).st_ino != os.stat(path).st_ino:
            raise FileNotFoundError(path)  # removed while we opened it
    except (BlockingIOError, FileNotFoundError):
        os.close(fd)
        return None
    return lambda: os.close(fd)


def _remove_if_unused(build: Path) -> bool:
    """Remove a build folder unless a reader holds it (an exclusive, non-blocking lock decides)."""
    try:
        fd = os.open(build / READERS_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        shutil.rmtree(build, ignore_errors=True)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


class LocalStore:
    """Builds as folders ``<index_dir>/<model key>/build-<stamp>/``; a ``CURRENT`` file names the one that serves."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.place = f"in {index_dir}"

    def where(self, key: str, build: str) -> str:
        return str(self.index_dir / key / build)

    def current(self, key: str) -> str | None:
        try:
            name = (self.index_dir / key / CURRENT).read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return name if name and (self.index_dir / key / name).is_dir() else None

    def pin(self, key: str) -> tuple[str | None, Callable[[], None]]:
        for _ in range(5):  # the pointer moved on and the build was removed between reading and locking: again
            build = self.current(key)
            if build is None:
                return None, nothing
            release = _hold_shared(self.index_dir / key / build)
            if release is not None:
                return build, release
        raise IndexUnavailableError(f"The index in {self.index_dir / key} is being replaced right now; try again.")

    def manifest_text(self, key: str, build: str) -> str | None:
        try:
            return (self.index_dir / key / build / MANIFEST).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as error:
            raise IndexCorruptError(
                f"the index manifest at {self.where(key, build)} is unreadable ({error}). "
                "Rebuild with `advisor index --rebuild`."
            ) from error

    def current_manifests(self) -> list[tuple[str, str]]:
        found = []
        for pointer in sorted(self.index_dir.glob(f"*/{CURRENT}")):
            key = pointer.parent.name
            build = self.current(key)
            text = self.manifest_text(key, build) if build else None
            if text is not None:
                found.append((self.where(key, build), text))
        return found

    @contextmanager
    def build_lock(self, key: str) -> Iterator[Callable[[], None]]:
        """One build at a time per model folder (other processes wait here)."""
        folder = self.index_dir / key
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / ".build.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield nothing
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def new_build(self, key: str) -> str:
        return f"build-{new_stamp()}"

    @contextmanager
    def create(self, key: str, build: str) -> Iterator[Any]:
        import chromadb

        path = self.index_dir / key / build
        path.mkdir()
        (path / READERS_LOCK).touch()
        client = chromadb.PersistentClient(path=str(path / "chroma"), settings=chroma_settings())
        try:
            yield client.create_collection(COLLECTION, metadata={"hnsw:space": "cosine"}, embedding_function=None)
        finally:
            client.close()

    def publish(self, key: str, build: str, manifest_json: str, previous: str | None) -> None:
        folder = self.index_dir / key
        (folder / build / MANIFEST).write_text(manifest_json, encoding="utf-8")
        tmp = folder / f".{CURRENT}.tmp"
        tmp.write_text(build + "\n", encoding="utf-8")
        os.replace(tmp, folder / CURRENT)
        for path in folder.glob("build-*"):
            if path.name not in {build, previous}:
                _remove_if_unused(path)

    def open(self, key: str, build: str, embeddings: Embeddings) -> tuple[Any, int, Callable[[], None]]:
        import chromadb

        path = self.index_dir / key / build / "chroma"
        client = chromadb.PersistentClient(path=str(path), settings=chroma_settings())
        try:
            vectorstore, count = open_chroma(client, COLLECTION, embeddings)
        except BaseException:
            client.close()
            raise
        return vectorstore, count, client.close
