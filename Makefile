VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/setup.sh
	bash scripts/setup.sh

## The main job: scan → plan → build → serve → replay traffic with corrections → retrain → compare.
demo: setup
	$(BIN)/agentforge dynamize sample_apps/support_desk --out out/support_desk --replace --report report.json

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy agentforge

## The whole test suite, lint and types included (what CI runs).
test: lint
	$(BIN)/pytest
