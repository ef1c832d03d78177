# Two entry points on a fresh Debian machine: `make run` and `make test`.
# Each creates .venv on first use and installs the project into it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run serve test lint pytest clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,lint]'
	touch $(STAMP)

# For now the app is the local image host; the desktop window comes with issue #4.
run: $(STAMP)
	$(BIN)/imgur-desktop serve

serve: run

lint: $(STAMP)
	$(BIN)/ruff check imgur_desktop tests $(wildcard benchmarks)
	$(BIN)/mypy imgur_desktop

pytest: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
