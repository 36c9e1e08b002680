"""Stage 1, the corpus: the report cleaned (``clean``), split into sections (``sections``), its 35 cases joined to
their curated cards (``cases``), cut into chunks (``chunks``), all of it parsed once (``knowledge``); and the cue
words and thresholds the later stages read (``rules``)."""

from advisor.corpus.cases import CaseCard, CaseDataError, filter_cases
from advisor.corpus.chunks import Chunk
from advisor.corpus.knowledge import CorpusMissingError, Knowledge, load_knowledge, load_report
from advisor.corpus.rules import Cues, Rules, load_rules
from advisor.corpus.sections import THEMES, ReportFormatError, Section, split_sections

__all__ = ["THEMES", "CaseCard", "CaseDataError", "Chunk", "CorpusMissingError", "Cues", "Knowledge",
           "ReportFormatError", "Rules", "Section", "filter_cases", "load_knowledge", "load_report", "load_rules",
           "split_sections"]
