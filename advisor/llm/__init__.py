"""Language models by id (``generators``: extractive, local, ollama:, openai:), the local Qwen model from PyPI
packages run by llama.cpp (``local``), and the local model as a yes/no judge of answerability (``answerability``)."""

from advisor.llm.generators import EXTRACTIVE, GeneratorError, available_generators, chat_model_for

__all__ = ["EXTRACTIVE", "GeneratorError", "available_generators", "chat_model_for"]
