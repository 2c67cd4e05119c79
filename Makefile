# Two commands set everything up: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOME_DIR := $(CURDIR)
DEMO_EXPORT := corpus/exports/qn2019-association.txt

.PHONY: demo test install bench notebooks serve screenshots lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Reinstall when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,notebooks]'
	touch $(STAMP)

install: $(STAMP)

IX := $(BIN)/indexer --home $(HOME_DIR)

# The main job on the bundled export: import, the stages, the index, then a few searches.
demo: $(STAMP)
	$(IX) build $(DEMO_EXPORT)
	$(IX) status
	$(IX) search 'ubérisation' --limit 2
	$(IX) search "l'etat" --limit 2
	$(IX) search '"data centers"' --limit 1 --context 120
	$(IX) facets 'plateforme OR plateformes' --field site --field entity --top 5
	@echo
	@echo "To read it in a browser: make serve  (or: $(IX) serve), then open http://127.0.0.1:8000/"

# The reading room on this home (loopback only; see docs/reader.md to serve a team).
serve: $(STAMP)
	$(IX) serve

# The README's screenshots, taken by the browser tests, written into docs/img.
screenshots: $(STAMP)
	INDEXER_SCREENSHOTS=docs $(BIN)/python -m pytest -q tests/web/test_reader_browser.py -k screenshots

# The browser the web tests use (Debian's chromium, when run as root; else they skip), wget
# for the WARC import tests (likewise), Xapian for the yardsticks' test (likewise), the
# architecture (import-linter contracts in pyproject.toml), then the suite.
test: $(STAMP)
	sh scripts/install-test-browser.sh
	sh scripts/install-test-tools.sh
	sh scripts/install-bench-tools.sh
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

# The quick benchmarks at their small sizes; each writes its figures to docs/ (see
# docs/benchmarks.md for the larger runs and the command behind each table). The engines'
# yardsticks need Debian's python3-xapian (installed when root; else Xapian is skipped).
bench: $(STAMP)
	sh scripts/install-bench-tools.sh $(BIN)/python
	$(BIN)/python -m bench.bench_analysis
	$(BIN)/python -m bench.bench_align
	$(BIN)/python -m bench.bench_engines 10000
	$(BIN)/python -m bench.bench_web 10000 --merge

notebooks: $(STAMP)
	$(BIN)/python -m pip install -q jupyterlab
	$(BIN)/jupyter lab notebooks/

lint: $(STAMP)
	$(BIN)/python -m pip install -q ruff
	$(BIN)/ruff check indexer tests bench

clean:
	rm -rf $(VENV) corpus/indexer.sqlite* corpus/cache index/current index/builds
