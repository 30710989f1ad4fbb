# The two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed

.PHONY: run test test-clock lint format clean package package-check lock lock-check bench docs fuzz

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "is ignored" || true
	@$(BIN)/python -m pip install --quiet -e '.[dev]' 2>&1 | grep -v "is ignored" || true
	@$(BIN)/python -c "import shared, pgserver, functions_framework" 
	@.ci/portable-pgvector $(BIN)/python
	@touch $(STAMP)

# The benchmarks need the `bench` extra (matplotlib, for the chart) on top of dev.
$(BENCH_STAMP): $(STAMP)
	@$(BIN)/python -m pip install --quiet -e '.[dev,bench]' 2>&1 | grep -v "is ignored" || true
	@$(BIN)/python -c "import matplotlib"
	@touch $(BENCH_STAMP)

run: $(STAMP)
	$(BIN)/segp serve

# The console's browser tests drive Debian's chromium: .ci/chromium installs it when missing.
# The suite's modules are spread over TEST_WORKERS processes (pytest-xdist, a module
# stays on one worker), each with its own embedded PostgreSQL; TEST_WORKERS=0 runs it
# in this process.
TEST_WORKERS ?= 2
test: $(STAMP)
	@.ci/chromium >/dev/null
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# The modules that read the time, again: with the clock a year ahead (libfaketime,
# Debian's `faketime`, installed when missing) and in a time zone with DST (.ci/clock-runs).
test-clock: $(STAMP)
	.ci/clock-runs

# The contract tests, long (the suite runs them bounded): many more generated requests
# and stateful scenarios, every check schemathesis has, fresh randomness each run (a
# failure prints the seed that reproduces it). See docs/development/index.md.
fuzz: $(STAMP)
	SEGP_CONTRACT_FUZZ=long $(BIN)/python -m pytest tests/web/test_contract_fuzz.py \
		tests/web/test_contract_stateful.py --timeout 0 --basetemp=.pytest-fuzz

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Every benchmark against its target, in its own embedded PostgreSQL under a temporary
# SEGP_HOME; writes bench/results/latest.json and bench/results/curves.png.
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench

# The documentation site (mkdocs.yml, docs/) into site/, strict: a broken link or a
# missing page fails. The generated pages are written first (python -m docsgen).
docs: $(STAMP)
	$(BIN)/python -m docsgen
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# The resolved dependency set, committed: `make lock` after changing pyproject.toml's
# dependencies (it keeps every pin that still fits; `uv lock --upgrade` takes newer
# releases); `make lock-check` fails when uv.lock no longer matches pyproject.toml.
lock: $(STAMP)
	$(BIN)/uv lock

lock-check: $(STAMP)
	$(BIN)/python infra/scripts/lock_check.py

# The source archive every function deploys from (dist/segp-source.zip, with the
# requirements of uv.lock), and the check that it boots each function in a clean venv.
package: $(STAMP)
	$(BIN)/python infra/scripts/package.py

package-check: package
	$(BIN)/python infra/scripts/package_check.py dist/segp-source.zip

clean:
	rm -rf $(VENV) .segp .mypy_cache .ruff_cache dist .pytest-tmp .pytest-clock .pytest-fuzz site docs/api
