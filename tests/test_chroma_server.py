"""The Chroma server store on its own (what it shares with the local store is in test_store_contract.py): a server
that is down or goes away mid-run, a bearer token that is never shown, malformed URLs, and the real model answering
from a real `chroma run` server."""

from __future__ import annotations

import pytest

from advisor.index import IndexProblem, IndexUnavailableError, build_index, fingerprint_of, model_key, open_index
from advisor.index.server_store import server_store
from advisor.service import Advisor
from advisor.settings import Settings
from tests.chroma_server import running_chroma
from tests.conftest import empty_server, free_port


@pytest.fixture
def settings(chroma_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings from the environment with ADVISOR_CHROMA_URL set; the server starts each test empty."""
    monkeypatch.setenv("ADVISOR_CHROMA_URL", chroma_url)
    empty_server(chroma_url)
    return Settings.from_env()


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
    assert advisor.index.build == server_store(settings.chroma_url).current(model_key(fingerprint_of(real_embeddings)))
