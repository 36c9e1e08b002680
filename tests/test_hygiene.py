"""Security hygiene: no question text or API key in logs or messages, telemetry off, loopback by default, login."""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from advisor.cli import build_parser
from advisor.index.base import chroma_settings
from advisor.logs import describe_error, loggable, redact_secrets
from tests.conftest import free_port

SECRET_KEY = "sk-test-0123456789abcdef"


def test_questions_are_logged_only_when_enabled() -> None:
    question = "Hoe werkt de sociale recherche in Twente?"
    hidden = loggable(question, env={})
    assert "Twente" not in hidden and hidden.startswith(f"<{len(question)} chars #")
    assert loggable(question, env={}) == hidden and loggable("iets anders", env={}) != hidden
    assert "Twente" in loggable(question, env={"ADVISOR_LOG_QUESTIONS": "1"})


def test_errors_are_described_without_their_message() -> None:
    try:
        raise ValueError("de vraag van de gebruiker: Twente")
    except ValueError as error:
        described = describe_error(error)
    assert described.startswith("ValueError at test_hygiene.py:") and "Twente" not in described


def test_secrets_from_the_environment_are_redacted() -> None:
    env = {"OPENAI_API_KEY": SECRET_KEY, "ADVISOR_CHROMA_TOKEN": "tok-987654", "HOME": "/root"}
    text = f"401 for key {SECRET_KEY} and token tok-987654 in /root"
    assert redact_secrets(text, env) == "401 for key *** and token *** in /root"


class _EchoingAuthServer(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that rejects every key and quotes it back, as careless servers do."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.dumps({"error": {"message": f"Invalid key: {self.headers.get('Authorization')}"}}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.mark.real_model
def test_an_api_key_quoted_back_by_a_backend_is_never_shown_or_logged(real_advisor, monkeypatch, caplog) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET_KEY)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingAuthServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    caplog.set_level(logging.DEBUG)
    try:
        generator = f"openai:any@http://127.0.0.1:{server.server_address[1]}/v1"
        answer = real_advisor.answer("Welke regio's kozen voor een centrumgemeente bij de sociale recherche?",
                                     generator=generator)
    finally:
        server.shutdown()
        server.server_close()
    assert answer.generator == "extractive" and answer.notices  # fell back, and said why
    assert "401" in answer.notices[0] or "Authentication" in answer.notices[0]
    shown = json.dumps(answer.to_json()) + caplog.text
    assert SECRET_KEY not in shown and SECRET_KEY[-8:] not in shown


@pytest.mark.real_model
def test_the_app_logs_no_question_text(client, caplog) -> None:
    caplog.set_level(logging.INFO)
    marker = "Zwolle-Kampen-markeerwoord"
    client.predict(f"Werkt {marker} samen bij uitkeringsfraude?", "[]", "extractive", api_name="/ask")
    records = [r for r in caplog.records if r.name.startswith("advisor")]
    assert any("api ask <" in r.getMessage() for r in records)  # the request was logged, as length and digest
    assert marker not in caplog.text


@pytest.mark.real_model
def test_telemetry_is_off_and_the_app_binds_to_loopback_by_default(client) -> None:
    import os

    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert chroma_settings().anonymized_telemetry is False
    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"


@pytest.mark.real_model
def test_login_is_required_when_configured(real_advisor, monkeypatch) -> None:
    from gradio_client import Client

    from advisor.ui.serve import launch

    monkeypatch.setenv("ADVISOR_UI_USER", "ambtenaar")
    monkeypatch.setenv("ADVISOR_UI_PASSWORD", "geheim-wachtwoord")
    port = free_port()
    blocks = launch(real_advisor, host="127.0.0.1", port=port, block=False)
    try:
        url = f"http://127.0.0.1:{port}/"
        with pytest.raises(urllib.error.HTTPError) as refused:  # the API is closed without a session
            urllib.request.urlopen(url + "config", timeout=30)
        assert refused.value.code == 401
        with pytest.raises(Exception, match="(?i)login|auth|401|credentials"):
            Client(url, verbose=False, auth=("ambtenaar", "fout")).predict("x", "[]", "extractive", api_name="/ask")
        answer = Client(url, verbose=False, auth=("ambtenaar", "geheim-wachtwoord")).predict(
            "Welke regio's kozen voor een centrumgemeente bij de sociale recherche?", "[]", "extractive",
            api_name="/ask")
        assert answer["citations"]
    finally:
        blocks.close()
