"""Where index builds live: folders on local disk (``LocalStore``) or collections on a Chroma server (``ServerStore``).

    >>> store = LocalStore(Path("index"))          # or server_store("http://127.0.0.1:8000")
    >>> build, unpin = store.pin(key)              # the build that serves, kept from removal until unpin()

Both give ``advisor/index.py`` the same guarantees: one build at a time, a build is published by switching a pointer
once it is complete, the previous build is kept, older and unfinished builds are dropped by the next build. The
module docstring of ``advisor/index.py`` says who waits for what.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from advisor.index import COLLECTION, CURRENT, MANIFEST, IndexCorruptError, IndexUnavailableError, chroma_settings
from advisor.settings import parse_chroma_url

READERS_LOCK = ".readers.lock"
LEASE_STALE_S = 15 * 60  # a server build lock not renewed for this long is taken over


def _stamp() -> str:
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{os.urandom(3).hex()}"


def _nothing() -> None:
    return None


def _chroma(client: Any, name: str, embeddings: Embeddings) -> tuple[Any, int]:
    from langchain_chroma import Chroma

    vectorstore = Chroma(client=client, collection_name=name, embedding_function=embeddings,
                         create_collection_if_not_exists=False)
    return vectorstore, vectorstore._collection.count()


# -- local folders --------------------------------------------------------------------------------------------------


def _hold_shared(build: Path) -> Callable[[], None] | None:
    """A shared lock on the build's reader lock (released by the returned function), or None when the build is gone
    or being removed. Never blocks."""
    path = build / READERS_LOCK
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)  # O_CREAT: builds made before reader locks
    except FileNotFoundError:
        return None
    except OSError:
        return _nothing  # a read-only index folder without the lock file: nobody can remove builds there either
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
                return None, _nothing
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
                yield _nothing
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def new_build(self, key: str) -> str:
        return f"build-{_stamp()}"

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
            vectorstore, count = _chroma(client, COLLECTION, embeddings)
        except BaseException:
            client.close()
            raise
        return vectorstore, count, client.close


# -- a Chroma server ------------------------------------------------------------------------------------------------


SERVER_TIMEOUT_S = 30.0


def _bound_requests(client: Any) -> None:
    """chromadb 1.5's HttpClient waits for ever (httpx timeout=None); a hung server must not hang the app. The
    session is private API, so this is best effort: without it, requests are merely unbounded as before."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(SERVER_TIMEOUT_S, connect=5.0)


@lru_cache(maxsize=8)
def server_store(url: str, token: str | None = None) -> ServerStore:
    """One store (and so one HTTP client) per server for the life of the process."""
    return ServerStore(url, token)


class ServerStore:
    """Builds as collections ``hh-<model key>-<stamp>`` (manifest in the metadata) on a Chroma server, a pointer
    collection ``hh-<model key>-current`` (metadata ``build``) and a lease ``hh-<model key>-lock`` while building."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url
        self.host, self.port, self.ssl = parse_chroma_url(url)
        self.place = f"on the Chroma server at {url}"
        self._headers = {"Authorization": f"Bearer {token}"} if token else None
        self._client: Any = None
        self._connecting = threading.Lock()

    def __repr__(self) -> str:  # never shows the token
        return f"ServerStore({self.url!r})"

    def _unreachable(self, error: BaseException) -> IndexUnavailableError:
        reason = str(error) or type(error).__name__
        return IndexUnavailableError(
            f"Chroma server at {self.url} is not reachable ({reason}): start it with "
            f"`chroma run --path DIR --host {self.host} --port {self.port}` or unset ADVISOR_CHROMA_URL."
        )

    @property
    def client(self) -> Any:
        with self._connecting:
            if self._client is None:
                import chromadb

                try:
                    self._client = chromadb.HttpClient(self.host, self.port, ssl=self.ssl, headers=self._headers,
                                                       settings=chroma_settings())
                    _bound_requests(self._client)
                except Exception as error:  # chromadb turns a refused connection into a ValueError
                    raise self._unreachable(error) from error
            return self._client

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        import httpx

        try:
            yield
        except httpx.TransportError as error:
            raise self._unreachable(error) from error

    def _get(self, name: str) -> Any | None:
        from chromadb.errors import NotFoundError

        with self._reachable():
            try:
                return self.client.get_collection(name)
            except NotFoundError:
                return None

    def where(self, key: str, build: str) -> str:
        return f"{self.url} (collection {build})"

    def current(self, key: str) -> str | None:
        pointer = self._get(f"hh-{key}-current")
        return (pointer.metadata or {}).get("build") if pointer is not None else None

    def pin(self, key: str) -> tuple[str | None, Callable[[], None]]:
        return self.current(key), _nothing

    def manifest_text(self, key: str, build: str) -> str | None:
        collection = self._get(build)
        return (collection.metadata or {}).get("manifest") if collection is not None else None

    def current_manifests(self) -> list[tuple[str, str]]:
        with self._reachable():
            names = [c.name for c in self.client.list_collections()]
        found = []
        for name in sorted(names):
            if match := re.fullmatch(r"hh-([0-9a-f]{16})-current", name):
                build = self.current(match[1])
                text = self.manifest_text(match[1], build) if build else None
                if text is not None:
                    found.append((self.where(match[1], build), text))
        return found

    @staticmethod
    def _lease() -> dict:
        return {"host": socket.gethostname(), "pid": os.getpid(), "since": time.time()}

    @staticmethod
    def _is_stale(lease: dict) -> bool:
        if time.time() - float(lease.get("since", 0)) > LEASE_STALE_S:
            return True
        if lease.get("host") == socket.gethostname():
            try:
                os.kill(int(lease.get("pid", 0)), 0)
            except ProcessLookupError:
                return True
            except (OSError, ValueError):
                return False
        return False

    @contextmanager
    def build_lock(self, key: str) -> Iterator[Callable[[], None]]:
        """One build at a time per model on the server: a lock collection, renewed while the build runs; a lease of
        a dead process (on this host) or one not renewed for 15 minutes is taken over."""
        from chromadb.errors import ChromaError, NotFoundError

        name = f"hh-{key}-lock"
        while True:
            with self._reachable():
                try:
                    lock = self.client.create_collection(name, metadata=self._lease())
                    break
                except ChromaError as error:
                    if "already exists" not in str(error):
                        raise
                holder = self._get(name)
                if holder is not None and self._is_stale(holder.metadata or {}):
                    with suppress(NotFoundError):
                        self.client.delete_collection(name)
                    continue
            time.sleep(0.5)
        try:
            yield lambda: lock.modify(metadata=self._lease())
        finally:
            holder = self._get(name)
            mine = self._lease()
            if holder is not None and all((holder.metadata or {}).get(k) == mine[k] for k in ("host", "pid")):
                with suppress(NotFoundError):
                    self.client.delete_collection(name)

    def new_build(self, key: str) -> str:
        return f"hh-{key}-{_stamp()}"

    @contextmanager
    def create(self, key: str, build: str) -> Iterator[Any]:
        with self._reachable():
            yield self.client.create_collection(build, metadata={"hnsw:space": "cosine"}, embedding_function=None)

    def publish(self, key: str, build: str, manifest_json: str, previous: str | None) -> None:
        from chromadb.errors import NotFoundError

        with self._reachable():
            self.client.get_collection(build).modify(metadata={"manifest": manifest_json})
            self.client.get_or_create_collection(f"hh-{key}-current").modify(metadata={"build": build})
            for collection in self.client.list_collections():  # older and unfinished builds (we hold the lock)
                name = collection.name
                if re.fullmatch(rf"hh-{key}-\d{{8}}T\d{{6}}-[0-9a-f]{{6}}", name) and name not in {build, previous}:
                    with suppress(NotFoundError):
                        self.client.delete_collection(name)

    def open(self, key: str, build: str, embeddings: Embeddings) -> tuple[Any, int, Callable[[], None]]:
        with self._reachable():
            vectorstore, count = _chroma(self.client, build, embeddings)
        return vectorstore, count, _nothing
