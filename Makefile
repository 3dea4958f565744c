# The two quick-start commands: `make demo` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint fixtures bench mutation

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# A batch grade of an example class built from the kit's own files (autograder/instructor/demo.py):
# the gradebook, the summary and every student's feedback land in demo-out/gradebook/.
demo: $(STAMP)
	$(BIN)/python -m autograder.instructor.demo demo-out

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

fixtures: $(STAMP)
	$(BIN)/python -m autograder.authoring.fixtures

bench: $(STAMP)
	$(BIN)/python bench/student_loop.py
	$(BIN)/python bench/grade_one.py
	$(BIN)/python bench/sandbox.py

# The grader's mutation score (cosmic-ray, the `mutation` extra): killed / non-equivalent mutants
# of each reference module, judged by the public and hidden checks; report in build/mutation/.
mutation: $(STAMP)
	$(BIN)/cosmic-ray --version >/dev/null 2>&1 || $(BIN)/python -m pip install --quiet -e '.[mutation]'
	$(BIN)/python bench/mutation.py
