# nrel_research — the two commands a user needs:
#   make reproduce   execute every notebook on the bundled data; executed notebooks + HTML index in reports/
#   make test        lint, unit tests, doctests and every notebook executed from a clean kernel (fast mode)
# Both create a local virtual environment (.venv) on first use; only Python >= 3.11 is needed.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.nrel-installed
# slow-marked Monte Carlo tests are deselected; run them with: make test PYTEST_ARGS="-m slow"
PYTEST_ARGS ?= -m "not slow"

.PHONY: help install reproduce test lint format lock clean

help:
	@echo "make reproduce  - run every notebook (full mode) and write reports/index.html"
	@echo "make test       - ruff + pytest (unit tests, doctests, notebooks in fast mode)"
	@echo "make install    - create $(VENV) and install the package with pinned dependencies"
	@echo "make lint       - ruff check + format check"
	@echo "make format     - apply ruff formatting and safe fixes"
	@echo "make lock       - re-pin constraints.txt from the current environment"
	@echo "make clean      - remove $(VENV), reports/ and caches"

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "nrel_research needs Python >= 3.11; run: make PYTHON=python3.11 ...")'
	@test -x $(BIN)/python || { echo "creating virtual environment $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "installing nrel_research and its pinned dependencies into $(VENV) (first run takes a few minutes)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

reproduce: $(STAMP)
	$(BIN)/nrel reproduce --notebooks notebooks --output reports

test: $(STAMP) lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable --disable-pip-version-check \
	  | grep -v -i '^nrel-research' > constraints.txt
	@echo "constraints.txt re-pinned; run make test before committing it"

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
