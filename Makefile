# Two commands on a fresh machine: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: install demo test test-load lint bench bench-quick clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@sh scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev,postgres,web]'
	@touch $@

demo: install
	@sh scripts/demo.sh

test: install
	$(BIN)/pytest

# Concurrent importers at full size (issue 11): minutes of work, so apart from `make test`.
test-load: install
	$(BIN)/pytest -m load tests/test_load.py

lint: install
	$(BIN)/ruff check mishaps tests bench && $(BIN)/ruff format --check mishaps tests bench && $(BIN)/mypy

bench: install
	$(BIN)/python bench/run.py

bench-quick: install
	$(BIN)/python bench/run.py --quick

clean:
	rm -rf $(VENV) out .pytest_cache
