# The two commands of the README: `make run` and `make test`. Both set up .venv on their own.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export USERLINK_ENVIRONMENT ?= development

PACKAGES := server sdk backend examples/customer_backend examples/device_app examples/demo

.PHONY: run test lint typecheck pytest bench demo screenshots install clean

$(STAMP): constraints.txt requirements-dev.txt $(addsuffix /pyproject.toml,$(PACKAGES))
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt \
		$(addprefix -e ./,$(PACKAGES)) -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

# The data directory (USERLINK_DATA_DIR, default ~/.local/share/userlink) gets a settings file
# saying development once, so that `.venv/bin/userlink …` works anywhere afterwards, like here.
run: $(STAMP)
	$(BIN)/userlink settings --init-development
	$(BIN)/userlink migrate
	$(BIN)/userlink serve --bootstrap-dev-app

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy $(addsuffix /src,$(PACKAGES))

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

demo: $(STAMP)
	$(BIN)/python -m userlink_demo

bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || { echo "make bench drives wrk, which is not installed: apt-get install -y wrk" >&2; exit 1; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The dashboard's main pages photographed by Debian's chromium into docs/screenshots/ (a server on a
# throwaway SQLite database with sample data; testing/userlink_testing/screenshots.py).
screenshots: $(STAMP)
	@test -x /usr/bin/chromium || { echo "make screenshots drives chromium, which is not installed: apt-get install -y chromium" >&2; exit 1; }
	PYTHONPATH=testing $(BIN)/python -m userlink_testing.screenshots docs/screenshots

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
