"""A rebuild to kill half-way: `python -m tests.slow_rebuild` rebuilds the index the environment's settings name
(a folder, or a Chroma server with ADVISOR_CHROMA_URL), prints "embedding" once it has started, then waits a minute."""

from __future__ import annotations

import time

from advisor.corpus.knowledge import load_knowledge
from advisor.index import build_index
from advisor.settings import Settings
from tests.conftest import FakeEmbeddings


class SlowEmbeddings(FakeEmbeddings):
    def embed_documents(self, texts, progress=False):
        print("embedding", flush=True)
        time.sleep(60)
        return super().embed_documents(texts)


if __name__ == "__main__":
    settings = Settings.from_env()
    build_index(settings, load_knowledge(settings), SlowEmbeddings(size=32), rebuild=True)
