# ceping: `make run` starts the server, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 0.0.0.0
PORT   ?= 5000
ASYNC  ?= eventlet

.PHONY: run test lint format bench-writer clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/python app.py serve --demo --host $(HOST) --port $(PORT) --async-mode $(ASYNC)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/python -m pytest

bench-writer: $(VENV)/.installed
	$(BIN)/python bench/writer.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
