# ceping: `make run` starts the server, `make test` runs every test, `make test-fast` the quick
# ones (no server, no browser: a run before each commit).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 0.0.0.0
PORT   ?= 5000
WORKERS ?= auto
ASYNC  ?= gevent
PHONES ?= 3000
DOWNLOADS ?= 20
SOAK_PHONES  ?= 1000
SOAK_MINUTES ?= 10

.PHONY: run test test-fast lint format translations bench bench-writer bench-handler bench-downloads soak clean

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
	$(BIN)/mypy

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Tests in parallel on every core (pytest-xdist); a module's server and browser tests share a
# worker (conftest.py). WORKERS=0 runs them in this process, one by one.
XDIST := -n $(WORKERS) --dist loadgroup

# The tests keep their compiled modules (and pytest its rewritten asserts) between runs, even
# where the environment says not to write bytecode: every xdist worker compiles them otherwise.
test test-fast: export PYTHONDONTWRITEBYTECODE =

test: lint
	$(BIN)/python -m pytest $(XDIST)

# Pure units and Flask's and Flask-SocketIO's test clients: no subprocess, no browser.
test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest $(XDIST) -m "not server and not browser"

# After changing any text shown to users: extract it, update the English catalog, translate the
# new entries in translations/en/LC_MESSAGES/messages.po, and run this again to compile.
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F translations/babel.cfg --no-location --sort-output \
		-k BadInput -k NotFound -k Refused:2 -k MoveRefused:2 -k RuleError -k Unauthorized \
		-k CepingError -k Unconfirmed:2 -k WorkerDied -k RenderFailed -o translations/messages.pot .
	$(BIN)/pybabel update -N -i translations/messages.pot -d translations -l en
	$(BIN)/pybabel compile -d translations

# The load benchmark: N phones on the real server beside a bare Flask-SocketIO server.
bench: $(VENV)/.installed
	$(BIN)/python bench/load.py --phones $(PHONES) --mode $(ASYNC)

bench-writer: $(VENV)/.installed
	$(BIN)/python bench/writer.py

bench-handler: $(VENV)/.installed
	$(BIN)/python bench/handler.py --phones $(PHONES)

# The soak run: SOAK_PHONES phones connected for SOAK_MINUTES minutes, voting; memory and errors.
# The PDFs with N phones connected: download times, and vote acks while documents are built.
bench-downloads: $(VENV)/.installed
	$(BIN)/python bench/downloads.py --phones $(PHONES) --downloads $(DOWNLOADS) --mode $(ASYNC)

soak: $(VENV)/.installed
	$(BIN)/python bench/soak.py --phones $(SOAK_PHONES) --minutes $(SOAK_MINUTES) --mode $(ASYNC)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
