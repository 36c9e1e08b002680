"""Stage 3, retrieval: the question analysed once (``question``: language, terms, cues, the injection screen of
``safety``), the Dutch analyser (``analysis``), BM25 (``lexical``), and the hybrid retriever that fuses both sides
with the index's dense search (``hybrid``), returning ``Hit``s within ``Filters`` (``hits``)."""

from advisor.retrieval.analysis import DutchAnalyser
from advisor.retrieval.hits import Filters, Hit, source_label
from advisor.retrieval.hybrid import FusionConfig, HybridRetriever, RetrievalTrace
from advisor.retrieval.lexical import LexicalIndex
from advisor.retrieval.question import MAX_QUERY_CHARS, QueryError, Question, QuestionReader, check_query

__all__ = ["MAX_QUERY_CHARS", "DutchAnalyser", "Filters", "FusionConfig", "Hit", "HybridRetriever", "LexicalIndex",
           "QueryError", "Question", "QuestionReader", "RetrievalTrace", "check_query", "source_label"]
