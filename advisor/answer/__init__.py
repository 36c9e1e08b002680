"""Stage 4, the answer: the engine (``engine``) passes one analysed question through the evidence gate (``gate``,
``topic``, and ``needs``: what it asks for specifically and whether the report gives it), writes the answer
extractively (``extractive``) or with an LLM (``generation``, ``guard``), checks every citation (``citations``,
``support``), rewrites follow-ups (``conversation``) and refuses plainly (``refusals``). What it returns is an
``Answer`` (``answers``)."""

from advisor.answer.answers import Answer
from advisor.answer.citations import Citation
from advisor.answer.engine import AnswerEngine
from advisor.answer.gate import EvidenceGate, GateDecision, GateThresholds

__all__ = ["Answer", "AnswerEngine", "Citation", "EvidenceGate", "GateDecision", "GateThresholds"]
