VENV ?= .venv
VLLM_VENV ?= .venv-vllm
CREWAI_VENV ?= .venv-crewai
BIN := $(VENV)/bin

.PHONY: setup setup-vllm setup-crewai setup-mpnet demo test lint

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/setup.sh
	bash scripts/setup.sh

## vLLM's CPU build in its own virtualenv, for the back-end suite (tests/backends).
setup-vllm: $(VLLM_VENV)/.installed

$(VLLM_VENV)/.installed: scripts/setup_vllm.sh
	VLLM_VENV=$(VLLM_VENV) bash scripts/setup_vllm.sh

## CrewAI in its own virtualenv (it pins ~90 packages of its own), for the CrewAI bridge test.
setup-crewai: $(CREWAI_VENV)/.installed

$(CREWAI_VENV)/.installed: scripts/setup_crewai.sh pyproject.toml
	CREWAI_VENV=$(CREWAI_VENV) bash scripts/setup_crewai.sh

## all-mpnet-base-v2, the stronger sentence encoder (AGENTFORGE_RETRIEVER=mpnet), into $AGENTFORGE_HOME/models.
setup-mpnet: setup
	bash scripts/setup_mpnet.sh

## The main job: scan → plan → build → serve → replay traffic with corrections → retrain → compare.
demo: setup
	$(BIN)/agentforge dynamize sample_apps/support_desk --out out/support_desk --replace --report report.json

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy agentforge

## The whole test suite, lint and types included (what CI runs).
test: lint setup-vllm setup-crewai setup-mpnet
	$(BIN)/pytest
