"""Logging without the users' words: questions appear in logs only when ADVISOR_LOG_QUESTIONS=1.

    >>> log.info("answered %s in %d ms", loggable(question), ms)    # '<58 chars #3f2a9c1e>' by default
    >>> log.error("answering failed: %s", describe_error(error))     # 'TimeoutError at answering.py:301'
    >>> redact_secrets(str(error))                                    # API keys from the environment -> ***
"""

from __future__ import annotations

import hashlib
import logging
import os
import traceback

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def questions_logged(env: dict[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get("ADVISOR_LOG_QUESTIONS", "").strip().lower() in {"1", "true", "yes"}


def loggable(text: str, env: dict[str, str] | None = None) -> str:
    """The text itself when logging questions is enabled, else its length and a short digest (enough to tell
    repeated questions apart, not to read them)."""
    if questions_logged(env):
        return repr(text)
    digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:8]
    return f"<{len(text)} chars #{digest}>"


_SECRET_NAMES = ("KEY", "TOKEN", "SECRET", "PASSWORD")


def redact_secrets(text: str, env: dict[str, str] | None = None) -> str:
    """The text with the value of every secret-looking environment variable (…KEY, …TOKEN, …SECRET, …PASSWORD)
    replaced by ***, for messages that may quote a request (a backend's error echoing the API key)."""
    env = os.environ if env is None else env
    for name, value in env.items():
        if len(value) >= 6 and any(part in name.upper() for part in _SECRET_NAMES) and value in text:
            text = text.replace(value, "***")
    return text


def describe_error(error: BaseException) -> str:
    """The error's type and where it was raised, without its message (messages can quote the input)."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return type(error).__name__
    last = frames[-1]
    return f"{type(error).__name__} at {os.path.basename(last.filename)}:{last.lineno} in {last.name}"


def configure(level: int = logging.INFO) -> None:
    """Plain logging to stderr for the shells; third-party libraries stay at WARNING."""
    logging.basicConfig(level=level, format=FORMAT)
    for noisy in ("httpx", "chromadb", "urllib3", "gradio", "sentence_transformers", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
