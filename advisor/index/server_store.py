"""Index builds as collections on a Chroma server: ``hh-<model key>-<stamp>`` (manifest in the metadata), a pointer
collection ``hh-<model key>-current`` and a lease ``hh-<model key>-lock`` while a build runs. The same guarantees
as ``LocalStore``, without reader locks (``advisor/index/builds.py`` says what that means).

    >>> store = server_store("http://127.0.0.1:8000")   # one store (one HTTP client) per server and process
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import lru_cache
from typing import Any

from langchain_core.embeddings import Embeddings

from advisor.index.base import IndexUnavailableError, chroma_settings, new_stamp, nothing, open_chroma
from advisor.settings import parse_chroma_url

LEASE_STALE_S = 15 * 60  # a server build lock not renewed for this long is taken over
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
        return self.current(key), nothing

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
        return f"hh-{key}-{new_stamp()}"

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
            vectorstore, count = open_chroma(self.client, build, embeddings)
        return vectorstore, count, nothing
