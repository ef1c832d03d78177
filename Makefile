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

# The desktop app, on the embedded local image host (started in the background if needed).
run: $(STAMP)
	$(BIN)/imgur-desktop

# The local image host alone, in the foreground.
serve: $(STAMP)
	$(BIN)/imgur-desktop serve

lint: $(STAMP)
	$(BIN)/ruff check imgur_desktop tests $(wildcard benchmarks)
	$(BIN)/mypy imgur_desktop

pytest: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
