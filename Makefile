# Qyzmet — two commands from a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
QY     := $(BIN)/qyzmet
STAMP  := $(VENV)/.installed

.PHONY: run test setup db demo lint bench bench-smoke ci screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	$(QY) i18n_compile

db: setup
	$(QY) migrate --noinput
	$(QY) check_services
	$(QY) exchange_sync

demo: db
	$(QY) demo_load

## Sets everything up and serves http://127.0.0.1:8000 (SQLite, in-process background work),
## with the card payments sandbox (its own process, test cards on its page) on SANDBOX_PORT
## beside it; stopping the server stops the sandbox.
SANDBOX_PORT ?= 8025
run: export QYZMET_PUBLIC_BASE_URL ?= http://127.0.0.1:8000
run: export QYZMET_PAYMENT_SANDBOX_URL ?= http://127.0.0.1:$(SANDBOX_PORT)
run: demo
	$(QY) demo_logins
	@echo "Card payments sandbox: $$QYZMET_PAYMENT_SANDBOX_URL (state in var/sandbox.sqlite3)"
	@$(QY) payments_sandbox --quiet & sandbox=$$!; \
	trap 'kill $$sandbox 2>/dev/null; wait $$sandbox 2>/dev/null' EXIT INT TERM; \
	$(QY) runserver 127.0.0.1:8000

## Sets up the same way and runs the whole test suite.
test: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports --config pyproject.toml
	$(BIN)/mypy --config-file pyproject.toml
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy --config-file pyproject.toml

## Small PNGs of the main pages (Kazakh, 1280 and 320 px) into docs/ux/, from a fresh demo.
screenshots: setup
	QYZMET_UX_DIR=$(CURDIR)/docs/ux CI=true $(BIN)/pytest -q -p no:cacheprovider \
		tests/browser/test_every_page.py -k test_ux_screenshots

bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-smoke: setup
	$(BIN)/python -m bench --smoke

clean:
	rm -rf $(VENV) var
