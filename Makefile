# The two commands a newcomer needs:  make run   and   make test
# Everything goes through uv and the committed uv.lock.

SHELL := /bin/bash
export RASA_TELEMETRY_ENABLED := false

UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif

.PHONY: run test test-all bench bench-import setup serve sync ensure-uv clean help

help:
	@echo "make run      install, set up the database with demo data, start http://127.0.0.1:8000"
	@echo "make test     the default test suite (what CI runs)"
	@echo "make test-all the default suite plus tests marked slow"
	@echo "make bench    benchmarks (import speed); they print their figures"

ensure-uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

sync: ensure-uv
	@$(UV) sync --frozen --quiet

setup: sync
	@$(UV) run finbot setup

serve: sync
	@$(UV) run finbot serve

run: setup
	@$(UV) run finbot serve

test: sync
	@$(UV) run pytest -m "not slow"

test-all: sync
	@$(UV) run pytest

bench: bench-import

bench-import: sync
	@$(UV) run finbot bench import --rows $${ROWS:-1000000}

clean:
	rm -rf data/finbot.db data/finbot.db-wal data/finbot.db-shm .pytest_cache
