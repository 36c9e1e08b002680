"""One contract for both index stores: what ``LocalStore`` (folders) and ``ServerStore`` (a real Chroma server)
promise alike, run against each. What only one of them does is tested in test_index.py and test_chroma_server.py."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from advisor.index import (
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    build_index,
    fingerprint_of,
    model_dir,
    model_key,
    open_index,
    store_for,
)
from advisor.index.server_store import server_store
from advisor.retrieval.hits import Filters
from advisor.service import Advisor
from advisor.settings import Settings
from tests.conftest import FakeEmbeddings, empty_server

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Store:
    """A store under test: its settings, and how to look at or damage its builds from outside."""

    kind: str
    settings: Settings

    def current(self, embeddings) -> str:
        return store_for(self.settings).current(model_key(fingerprint_of(embeddings)))

    def builds(self, embeddings) -> list[str]:
        key = model_key(fingerprint_of(embeddings))
        if self.kind == "local":
            return sorted(p.name for p in model_dir(self.settings, embeddings).glob("build-*"))
        names = [c.name for c in server_store(self.settings.chroma_url).client.list_collections()]
        return sorted(n for n in names if re.fullmatch(rf"hh-{key}-\d{{8}}T\d{{6}}-[0-9a-f]{{6}}", n))

    def rewrite_manifest(self, embeddings, change) -> None:
        build = self.current(embeddings)
        if self.kind == "local":
            path = model_dir(self.settings, embeddings) / build / "manifest.json"
            path.write_text(change(path.read_text()))
        else:
            collection = server_store(self.settings.chroma_url).client.get_collection(build)
            collection.modify(metadata={"manifest": change(collection.metadata["manifest"])})

    def damage_records(self, embeddings) -> None:
        """The build's records no longer match its manifest (a truncated file, or records gone from the server)."""
        build = self.current(embeddings)
        if self.kind == "local":
            store = model_dir(self.settings, embeddings) / build / "chroma" / "chroma.sqlite3"
            store.write_bytes(store.read_bytes()[:4096])
        else:
            collection = server_store(self.settings.chroma_url).client.get_collection(build)
            collection.delete(ids=collection.get(limit=3)["ids"])


@pytest.fixture(params=["local", "server"])
def store(request, monkeypatch) -> Store:
    if request.param == "server":
        url = request.getfixturevalue("chroma_url")
        monkeypatch.setenv("ADVISOR_CHROMA_URL", url)
        empty_server(url)
    return Store(request.param, Settings.from_env())


def dense(handle, query: str, k: int = 5, where: dict | None = None) -> list:
    """The build's own dense search (LangChain Documents with our metadata)."""
    return handle.vectorstore.similarity_search(query, k=k, filter=where)


def test_build_open_and_search_with_filters(store, knowledge, fake_embeddings) -> None:
    settings = store.settings
    manifest, built = build_index(settings, knowledge, fake_embeddings)
    assert built and manifest.fingerprint == "fake-model-a"
    assert manifest.counts == {"sections": len(knowledge.sections), "cases": 35, "chunks": len(knowledge.chunks),
                               "statements": len(knowledge.statements)}
    handle = open_index(settings, fake_embeddings)
    assert handle.build == store.current(fake_embeddings) and handle.manifest == manifest
    assert handle.collection.count() == len(knowledge.chunks) + len(knowledge.statements)
    docs = dense(handle, "samenwerking", k=10, where={"$and": [{"theme": "milieu"}, {"unit": "chunk"}]})
    assert docs and {d.metadata["theme"] for d in docs} == {"milieu"}
    for doc in docs:  # every record points at its place in the report
        assert knowledge.report[int(doc.metadata["start"]) : int(doc.metadata["end"])] == doc.page_content
    case = knowledge.cases[5]
    docs = dense(handle, "samenwerking", k=50, where={"$and": [{"case_id": case.id}, {"unit": "chunk"}]})
    assert {d.metadata["case_id"] for d in docs} == {case.id}
    assert len(docs) == sum(1 for c in knowledge.chunks if c.case_id == case.id)
    # the hybrid retriever builds its lexical side from the store's own records
    advisor = Advisor(settings, embeddings=fake_embeddings)
    twente = next(c for c in knowledge.cases if c.title == "Sociale Recherche Twente (SRT)")
    assert advisor.search("Sociale Recherche Twente uitvoeringsgemeente Almelo", k=3)[0].case_id == twente.id
    hits = advisor.search("samenwerking", k=8, filters=Filters(theme="sociale_zekerheid"))
    assert hits and {h.theme for h in hits} == {"sociale_zekerheid"}


def test_a_missing_index_and_another_models_index_say_what_to_do(store, knowledge, fake_embeddings) -> None:
    with pytest.raises(IndexMissingError, match="advisor index"):
        open_index(store.settings, fake_embeddings)
    build_index(store.settings, knowledge, fake_embeddings)
    other = FakeEmbeddings(size=32, fingerprint="fake-model-b", model_id="fake-b")
    with pytest.raises(IndexMismatchError) as error:
        open_index(store.settings, other)
    message = str(error.value)
    assert "fake-model-a" in message and "fake-model-b" in message
    assert "advisor index" in message and "ADVISOR_EMBEDDING_MODEL=fake-a" in message


def test_rebuild_switches_atomically_and_keeps_the_previous_build(store, knowledge, fake_embeddings) -> None:
    settings = store.settings
    build_index(settings, knowledge, fake_embeddings)
    first = store.current(fake_embeddings)
    _, built = build_index(settings, knowledge, fake_embeddings)
    assert not built and store.current(fake_embeddings) == first  # nothing changed: nothing built
    reader = open_index(settings, fake_embeddings)
    expected = [d.id for d in dense(reader, "regie")]
    app = Advisor(settings, embeddings=fake_embeddings)
    app.index_check_seconds = 0.0
    assert app.index.build == first

    _, built = build_index(settings, knowledge, fake_embeddings, rebuild=True)
    second = store.current(fake_embeddings)
    assert built and second != first and store.builds(fake_embeddings) == sorted([first, second])
    assert [d.id for d in dense(reader, "regie")] == expected  # the previous build still serves its reader
    assert app.index.build == second  # a running advisor moves on

    reader.close()
    build_index(settings, knowledge, fake_embeddings, rebuild=True)
    third = store.current(fake_embeddings)
    assert store.builds(fake_embeddings) == sorted([second, third])  # older builds are dropped
    assert [d.id for d in dense(open_index(settings, fake_embeddings), "regie")] == expected


def test_a_build_killed_half_way_leaves_the_old_build_serving(store, knowledge, fake_embeddings) -> None:
    settings = store.settings
    build_index(settings, knowledge, fake_embeddings)
    before = store.current(fake_embeddings)
    expected = [d.id for d in dense(open_index(settings, fake_embeddings), "regie")]
    process = subprocess.Popen([sys.executable, "-m", "tests.slow_rebuild"], cwd=REPO, stdout=subprocess.PIPE,
                               text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert process.stdout.readline().strip() == "embedding"
        assert len(store.builds(fake_embeddings)) == 2  # the unfinished one sits beside the current one
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        process.stdout.close()
    assert store.current(fake_embeddings) == before
    assert [d.id for d in dense(open_index(settings, fake_embeddings), "regie")] == expected
    _, built = build_index(settings, knowledge, fake_embeddings, rebuild=True)  # a dead builder's lock is no obstacle
    builds = store.builds(fake_embeddings)
    assert built and len(builds) == 2 and before in builds  # the unfinished build was dropped, the previous kept


def test_a_damaged_manifest_is_refused_and_rebuilt(store, knowledge, fake_embeddings) -> None:
    settings = store.settings
    build_index(settings, knowledge, fake_embeddings)
    store.rewrite_manifest(fake_embeddings, lambda text: text.replace("fake-model-a", "another-model"))
    with pytest.raises(IndexMismatchError, match="another-model"):
        open_index(settings, fake_embeddings)
    store.rewrite_manifest(fake_embeddings, lambda text: "{not json")
    with pytest.raises(IndexCorruptError, match="manifest"):
        open_index(settings, fake_embeddings)
    _, built = build_index(settings, knowledge, fake_embeddings)  # a damaged manifest is not "up to date"
    assert built and open_index(settings, fake_embeddings).collection.count() == (
        len(knowledge.chunks) + len(knowledge.statements))


def test_damaged_records_are_detected_and_rebuilt(store, knowledge, fake_embeddings) -> None:
    settings = store.settings
    build_index(settings, knowledge, fake_embeddings)
    store.damage_records(fake_embeddings)
    with pytest.raises(IndexCorruptError, match="--rebuild"):
        open_index(settings, fake_embeddings)
    _, built = build_index(settings, knowledge, fake_embeddings)
    assert built and open_index(settings, fake_embeddings).collection.count() == (
        len(knowledge.chunks) + len(knowledge.statements))
