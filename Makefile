# The two commands a newcomer needs:  make run   and   make test
# Everything goes through uv and the committed uv.lock.

SHELL := /bin/bash
export RASA_TELEMETRY_ENABLED := false

UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif

.PHONY: run test test-all bench bench-import bench-recommend bench-serve setup serve sync ensure-uv clean help

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

# Demo mode (the page issues chat tokens for the demo personas) only for this local run.
run: setup
	@FINBOT_DEMO_MODE=$${FINBOT_DEMO_MODE:-1} $(UV) run finbot serve

test: sync
	@$(UV) run pytest -m "not slow"

test-all: sync
	@$(UV) run pytest

bench: bench-import bench-recommend bench-serve

bench-import: sync
	@$(UV) run finbot bench import --rows $${ROWS:-1000000}

bench-recommend: sync
	@$(UV) run finbot bench recommend

# Our server vs stock `rasa run` + `rasa run actions` on the newest trained model.
bench-serve: sync
	@$(UV) run finbot bench serve --users $${USERS:-1,8,32} --seconds $${SECONDS_PER_LEVEL:-30}

clean:
	rm -rf data/finbot.db data/finbot.db-wal data/finbot.db-shm .pytest_cache
