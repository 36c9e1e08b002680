"""The index on a real Chroma server (``chroma run`` in a subprocess): build, open, search, atomic rebuilds, refusals,
an interrupted build, an unreachable server; and one real answer end to end with the real e5 model."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from advisor.index import (
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    IndexProblem,
    IndexUnavailableError,
    build_index,
    fingerprint_of,
    model_key,
    open_index,
)
from advisor.retrieval import Filters
from advisor.search import search
from advisor.service import Advisor
from advisor.settings import Settings
from advisor.stores import server_store
from tests.conftest import FakeEmbeddings, free_port

REPO = Path(__file__).resolve().parent.parent
CHROMA = Path(sys.executable).parent / "chroma"


def _heartbeat(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/api/v2/heartbeat")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@contextmanager
def running_chroma(data: Path, port: int) -> Iterator[str]:
    """`chroma run` on 127.0.0.1:port with its data in ``data``; it must be up within 30 s."""
    data.mkdir(parents=True, exist_ok=True)
    with (data / "server.log").open("ab") as log:
        process = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
    try:
        deadline = time.monotonic() + 30
        while not _heartbeat(port):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (data / "server.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"`chroma run` did not start on port {port} within 30 s (exit {process.poll()}):\n{tail}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server on a free loopback port for this module."""
    with running_chroma(tmp_path_factory.mktemp("chroma-server"), free_port()) as url:
        yield url


@pytest.fixture
def settings(chroma_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings from the environment with ADVISOR_CHROMA_URL set; the server starts each test empty."""
    monkeypatch.setenv("ADVISOR_CHROMA_URL", chroma_url)
    client = server_store(chroma_url).client
    for collection in client.list_collections():
        client.delete_collection(collection.name)
    return Settings.from_env()


def _names(settings: Settings) -> list[str]:
    return sorted(c.name for c in server_store(settings.chroma_url).client.list_collections())


def _builds(settings: Settings, embeddings) -> list[str]:
    key = model_key(fingerprint_of(embeddings))
    return [n for n in _names(settings) if re.fullmatch(rf"hh-{key}-\d{{8}}T\d{{6}}-[0-9a-f]{{6}}", n)]


def _current(settings: Settings, embeddings) -> str:
    return server_store(settings.chroma_url).current(model_key(fingerprint_of(embeddings)))


def test_build_open_and_search_with_filters_on_the_server(settings, knowledge, fake_embeddings) -> None:
    manifest, built = build_index(settings, knowledge, fake_embeddings)
    assert built and manifest.counts["chunks"] == len(knowledge.chunks) and manifest.fingerprint == "fake-model-a"
    assert not settings.index_dir.exists()  # nothing on local disk
    key = model_key("fake-model-a")
    assert _names(settings) == sorted([f"hh-{key}-current", *_builds(settings, fake_embeddings)])
    handle = open_index(settings, fake_embeddings)
    assert handle.build == _current(settings, fake_embeddings) and settings.chroma_url in handle.location
    assert handle.manifest == manifest and handle.collection.count() == len(knowledge.chunks)
    hits = search(handle, "samenwerking", k=10, theme="milieu")
    assert hits and {h.theme for h in hits} == {"milieu"}
    for hit in hits:
        assert knowledge.report[hit.start : hit.end] == hit.text
    case = knowledge.cases[5]
    hits = search(handle, "samenwerking", k=50, case_id=case.id)
    assert len(hits) == sum(1 for c in knowledge.chunks if c.case_id == case.id) and {h.case_id for h in hits} == {
        case.id}
    # the hybrid retriever builds its lexical side from the server's collection
    advisor = Advisor(settings, embeddings=fake_embeddings)
    twente = next(c for c in knowledge.cases if c.title == "Sociale Recherche Twente (SRT)")
    assert advisor.search("Sociale Recherche Twente uitvoeringsgemeente Almelo", k=3)[0].case_id == twente.id
    hits = advisor.search("samenwerking", k=8, filters=Filters(theme="sociale_zekerheid"))
    assert hits and {h.theme for h in hits} == {"sociale_zekerheid"}


def test_rebuild_switches_atomically_and_keeps_the_previous_build(settings, knowledge, fake_embeddings) -> None:
    build_index(settings, knowledge, fake_embeddings)
    first = _current(settings, fake_embeddings)
    _, built = build_index(settings, knowledge, fake_embeddings)
    assert not built and _current(settings, fake_embeddings) == first
    reader = open_index(settings, fake_embeddings)
    expected = [h.chunk_id for h in search(reader, "regie", k=5)]
    app = Advisor(settings, embeddings=fake_embeddings)
    app.index_check_seconds = 0.0
    assert app.index.build == first

    _, built = build_index(settings, knowledge, fake_embeddings, rebuild=True)
    second = _current(settings, fake_embeddings)
    assert built and second != first and _builds(settings, fake_embeddings) == sorted([first, second])
    assert [h.chunk_id for h in search(reader, "regie", k=5)] == expected  # the previous build still serves readers
    assert app.index.build == second  # a running advisor moves on

    build_index(settings, knowledge, fake_embeddings, rebuild=True)
    third = _current(settings, fake_embeddings)
    assert _builds(settings, fake_embeddings) == sorted([second, third])  # older builds are dropped
    assert [h.chunk_id for h in search(open_index(settings, fake_embeddings), "regie", k=5)] == expected


def test_build_killed_half_way_leaves_the_old_build_serving(settings, knowledge, fake_embeddings) -> None:
    build_index(settings, knowledge, fake_embeddings)
    before = _current(settings, fake_embeddings)
    expected = [h.chunk_id for h in search(open_index(settings, fake_embeddings), "regie", k=5)]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.slow_rebuild"], cwd=REPO, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert process.stdout.readline().strip() == "embedding"
        assert len(_builds(settings, fake_embeddings)) == 2  # the unfinished one sits beside the current one
        assert f"hh-{model_key('fake-model-a')}-lock" in _names(settings)  # and holds the build lock
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        process.stdout.close()
    assert _current(settings, fake_embeddings) == before
    assert [h.chunk_id for h in search(open_index(settings, fake_embeddings), "regie", k=5)] == expected
    started = time.monotonic()
    _, built = build_index(settings, knowledge, fake_embeddings, rebuild=True)  # the dead builder's lock is taken over
    assert built and time.monotonic() - started < 30
    builds = _builds(settings, fake_embeddings)
    assert len(builds) == 2 and before in builds  # the unfinished build was dropped, the previous one kept
    assert f"hh-{model_key('fake-model-a')}-lock" not in _names(settings)


def test_another_models_index_is_refused_on_the_server(settings, knowledge, fake_embeddings) -> None:
    with pytest.raises(IndexMissingError, match="advisor index") as missing:
        open_index(settings, fake_embeddings)
    assert settings.chroma_url in str(missing.value)
    build_index(settings, knowledge, fake_embeddings)
    other = FakeEmbeddings(size=32, fingerprint="fake-model-b", model_id="fake-b")
    with pytest.raises(IndexMismatchError) as error:
        open_index(settings, other)
    message = str(error.value)
    assert "fake-model-a" in message and "fake-model-b" in message and settings.chroma_url in message
    assert "advisor index" in message and "ADVISOR_EMBEDDING_MODEL=fake-a" in message


def test_damaged_builds_on_the_server_are_detected(settings, knowledge, fake_embeddings) -> None:
    build_index(settings, knowledge, fake_embeddings)
    client = server_store(settings.chroma_url).client
    build = client.get_collection(_current(settings, fake_embeddings))
    manifest = build.metadata["manifest"]
    build.modify(metadata={"manifest": manifest.replace("fake-model-a", "another-model")})
    with pytest.raises(IndexMismatchError, match="another-model"):
        open_index(settings, fake_embeddings)
    build.modify(metadata={"manifest": "{not json"})
    with pytest.raises(IndexCorruptError, match="manifest"):
        open_index(settings, fake_embeddings)
    build.modify(metadata={"manifest": manifest})
    build.delete(ids=build.get(limit=3)["ids"])
    with pytest.raises(IndexCorruptError, match="--rebuild"):
        open_index(settings, fake_embeddings)
    client.delete_collection(build.name)
    with pytest.raises(IndexCorruptError, match="--rebuild"):
        open_index(settings, fake_embeddings)
    _, built = build_index(settings, knowledge, fake_embeddings)  # a missing build is not "up to date"
    assert built and open_index(settings, fake_embeddings).collection.count() == len(knowledge.chunks)


def test_unreachable_server_says_how_to_start_it(monkeypatch, knowledge, fake_embeddings) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("ADVISOR_CHROMA_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("ADVISOR_CHROMA_TOKEN", "s3cret-token")
    settings = Settings.from_env()
    for attempt in (lambda: open_index(settings, fake_embeddings),
                    lambda: build_index(settings, knowledge, fake_embeddings),
                    lambda: Advisor(settings, embeddings=fake_embeddings).search("regie")):
        with pytest.raises(IndexUnavailableError) as error:
            attempt()
        message = str(error.value)
        assert isinstance(error.value, IndexProblem)  # the CLI prints it as one line, no traceback
        assert f"Chroma server at http://127.0.0.1:{port} is not reachable" in message
        assert f"`chroma run --path DIR --host 127.0.0.1 --port {port}`" in message
        assert "unset ADVISOR_CHROMA_URL" in message
        assert "s3cret" not in message
    assert "s3cret" not in repr(settings) and "s3cret" not in repr(server_store(settings.chroma_url, "s3cret-token"))


def test_token_goes_as_a_bearer_header_and_is_never_shown(monkeypatch, fake_embeddings) -> None:
    """A stand-in for an authenticating proxy in front of Chroma: it records the headers and refuses."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str | None] = []

    class Refuse(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server name)
            seen.append(self.headers.get("Authorization"))
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            return None

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("ADVISOR_CHROMA_URL", f"http://127.0.0.1:{proxy.server_address[1]}")
        monkeypatch.setenv("ADVISOR_CHROMA_TOKEN", "s3cret-token")
        settings = Settings.from_env()
        with pytest.raises(IndexUnavailableError) as error:
            open_index(settings, fake_embeddings)
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=5)
    assert seen and set(seen) == {"Bearer s3cret-token"}
    assert "s3cret" not in str(error.value) and "s3cret" not in repr(settings)


@pytest.mark.parametrize("url", ["localhost:8000", "http://", "http://127.0.0.1:99999", "http://h:8000/api",
                                 "ftp://h:8000", "http://user:pw@h:8000"])
def test_malformed_chroma_url_is_a_clear_error(url: str) -> None:
    with pytest.raises(ValueError, match="ADVISOR_CHROMA_URL must look like http://127.0.0.1:8000") as error:
        Settings.from_env({"ADVISOR_CHROMA_URL": url})
    assert "pw" not in str(error.value)


def test_a_server_that_goes_away_mid_run_is_a_clear_error_and_recovers(tmp_path, monkeypatch, knowledge,
                                                                       fake_embeddings, capsys) -> None:
    from advisor.cli import main

    port = free_port()
    monkeypatch.setenv("ADVISOR_CHROMA_URL", f"http://127.0.0.1:{port}")
    settings = Settings.from_env()
    with running_chroma(tmp_path / "own-server", port):
        build_index(settings, knowledge, fake_embeddings)
        advisor = Advisor(settings, embeddings=fake_embeddings)
        assert advisor.search("centrumgemeente sociale recherche", k=3)
    with pytest.raises(IndexUnavailableError, match="check that the server runs"):  # stopped: a clear error
        advisor.search("centrumgemeente sociale recherche", k=3)
    monkeypatch.setattr("advisor.cli.Advisor", lambda settings: advisor)
    assert main(["search", "centrumgemeente"]) == 2
    assert "Chroma server" in capsys.readouterr().err
    with running_chroma(tmp_path / "own-server", port):  # back on the same data: the same advisor answers again
        assert advisor.search("centrumgemeente sociale recherche", k=3)


@pytest.mark.real_model
@pytest.mark.slow
def test_real_model_answers_from_the_server(settings, real_embeddings, model_cache) -> None:
    advisor = Advisor(settings.replace(cache_dir=model_cache), embeddings=real_embeddings)
    manifest, built = advisor.build_index()
    assert built and manifest.fingerprint == real_embeddings.fingerprint
    answer = advisor.answer("Welke regio's kozen voor een centrumgemeente bij de sociale recherche?",
                            generator="extractive")
    assert not answer.refused and answer.kind == "answer" and answer.generator == "extractive"
    assert answer.citations
    for citation in answer.citations:
        assert any(citation.chunk_id == h.chunk_id and citation.quote in h.text for h in answer.sources)
    assert advisor.index.build == _current(settings, real_embeddings)
