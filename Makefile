# Two commands on a fresh machine: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: install demo test test-slow lint bench bench-quick clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@sh scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev,postgres,web]'
	@touch $@

demo: install
	@sh scripts/demo.sh

# On every core (pytest-xdist): each test has its own database, PostgreSQL schema and port.
test: install
	$(BIN)/pytest -n auto

# The slow tests, CI's share (.ci/run): processes under load, whole summaries, then the
# concurrent importers at full size (issue 11), alone: they time each other's waits.
test-slow: install
	$(BIN)/pytest -n auto -m "slow and not load"
	$(BIN)/pytest -m load

lint: install
	$(BIN)/ruff check mishaps tests bench && $(BIN)/ruff format --check mishaps tests bench && $(BIN)/mypy

bench: install
	$(BIN)/python bench/run.py

bench-quick: install
	$(BIN)/python bench/run.py --quick

clean:
	rm -rf $(VENV) out .pytest_cache
