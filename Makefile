# The two quick-start commands: `make demo` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint fixtures bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The public checks on the reference solutions (all pass) and on the stubs (all fail).
# `autograder check` exits 1 when checks fail; anything higher is a broken kit.
demo: $(STAMP)
	@echo "== The reference solutions (solutions/) =="
	@$(BIN)/autograder check --dir solutions --quiet; test $$? -le 1
	@echo
	@echo "== The stubs as students get them (exercises/) =="
	@$(BIN)/autograder check --dir exercises --quiet; test $$? -le 1

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

fixtures: $(STAMP)
	$(BIN)/python -m autograder.fixtures

bench: $(STAMP)
	$(BIN)/python bench/student_loop.py
