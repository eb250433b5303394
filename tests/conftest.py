"""Shared fixtures: real databases (an SQLite file per test; PostgreSQL when reachable)."""
from __future__ import annotations

import os
import uuid

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

import pytest
from sqlalchemy import create_engine, text

from recommender.store.db import migrate, open_database

POSTGRES_URL = os.environ.get("FINBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'finbot.db'}"


@pytest.fixture
def engine(sqlite_url):
    """A migrated SQLite database in a fresh file."""
    eng = open_database(sqlite_url)
    migrate(eng)
    yield eng
    eng.dispose()


def _postgres_reachable() -> str | None:
    try:
        probe = create_engine(POSTGRES_URL, future=True, connect_args={"connect_timeout": 3})
        with probe.connect() as connection:
            connection.execute(text("SELECT 1"))
        probe.dispose()
        return None
    except Exception as exc:  # any failure means: skip, and say why
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {type(exc).__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def postgres_unreachable_reason():
    return _postgres_reachable()


@pytest.fixture
def pg_url(postgres_unreachable_reason):
    """A URL to an empty, private PostgreSQL schema, dropped after the test."""
    if postgres_unreachable_reason:
        if os.environ.get("FINBOT_REQUIRE_POSTGRES"):
            pytest.fail(f"FINBOT_REQUIRE_POSTGRES is set but {postgres_unreachable_reason}")
        pytest.skip(postgres_unreachable_reason)
    schema_name = f"finbot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, future=True)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema_name}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema_name}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema_name}" CASCADE'))
    admin.dispose()


@pytest.fixture
def pg_engine(pg_url):
    eng = open_database(pg_url)
    migrate(eng)
    yield eng
    eng.dispose()


REDIS_URL = os.environ.get("FINBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")


@pytest.fixture
def redis_url() -> str:
    """Redis for the conversation lock; skipped when unreachable, failed instead when FINBOT_REQUIRE_REDIS is set."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(REDIS_URL)
    try:
        socket.create_connection((parts.hostname, parts.port or 6379), timeout=1).close()
    except OSError as exc:
        if os.environ.get("FINBOT_REQUIRE_REDIS"):
            pytest.fail(f"FINBOT_REQUIRE_REDIS is set but Redis at {REDIS_URL} is unreachable: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")
    return REDIS_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request):
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("engine")
    return request.getfixturevalue("pg_engine")


# ---- a trained bot model, shared by every test that needs one ----------------------


@pytest.fixture(scope="session")
def ci_model(tmp_path_factory):
    """The small test model (bot/configs/ci.yml), trained once per test run.

    Reused across runs in the same checkout when FINBOT_TEST_MODEL_CACHE
    points at a folder and the training fingerprint is unchanged.
    """
    from pathlib import Path

    from bot.training import config_path, training_fingerprint

    os.environ.setdefault("RASA_CACHE_DIRECTORY", str(tmp_path_factory.mktemp("rasa-cache")))
    cache = Path(os.environ.get("FINBOT_TEST_MODEL_CACHE") or tmp_path_factory.mktemp("models"))
    cache.mkdir(parents=True, exist_ok=True)
    fingerprint = training_fingerprint(config_path("ci"))
    archive, stamp = cache / "ci.tar.gz", cache / "ci.fingerprint"
    if archive.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return archive
    from bot.training import train_model

    trained = train_model(cache, config="ci", name="ci")
    stamp.write_text(fingerprint)
    return trained.path


# ---- a seeded database and a running server ----------------------------------------

DEMO_TODAY = "2026-03-15"


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory):
    """An SQLite file with the catalogue and the six demo personas as of DEMO_TODAY.

    Session-wide and read-only by convention: tests that write copy it first
    (``shutil.copy``), which is much faster than generating the data again.
    """
    from datetime import date

    from recommender.demo import generate_demo_data
    from recommender.seed import load_catalogue, load_demo_data

    path = tmp_path_factory.mktemp("demo-db") / "finbot.db"
    eng = open_database(f"sqlite:///{path}")
    migrate(eng)
    load_catalogue(eng)
    load_demo_data(eng, generate_demo_data(seed=42, months=12, as_of=date.fromisoformat(DEMO_TODAY)))
    eng.dispose()
    return path


class LiveServer:
    """A real `uvicorn` process serving the test model on a copy of the demo database."""

    def __init__(self, url: str, database_url: str, admin_key: str, token_secret: str, data_dir):
        self.url, self.database_url = url, database_url
        self.admin_key, self.token_secret, self.data_dir = admin_key, token_secret, data_dir

    def headers(self) -> dict:
        return {"X-API-Key": self.admin_key}


def start_server(tmp_dir, database_file, model, extra_env=None, workers=1):
    """Start uvicorn on a free port; returns (process, url) once /ready answers 200."""
    import shutil
    import socket
    import subprocess
    import sys
    import time

    import httpx

    db_copy = tmp_dir / "finbot.db"
    shutil.copy(database_file, db_copy)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_copy}", "FINBOT_DATA_DIR": str(tmp_dir),
           "FINBOT_TODAY": DEMO_TODAY, "FINBOT_DEMO_MODE": "1",
           "FINBOT_TOKEN_SECRET": "test-secret-" + "x" * 40, "RASA_TELEMETRY_ENABLED": "false",
           **(extra_env or {})}
    env.pop("FINBOT_MODEL", None)
    if model is not None:  # pinned; None = follow the model registry (hot reload)
        env["FINBOT_MODEL"] = str(model)
    log = open(tmp_dir / "server.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.main:app_factory", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {(tmp_dir / 'server.log').read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                return process, url, env
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"server not ready in 180 s: {(tmp_dir / 'server.log').read_text()[-3000:]}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, demo_database, ci_model):
    from api.security import create_api_key

    tmp_dir = tmp_path_factory.mktemp("live-server")
    process, url, env = start_server(tmp_dir, demo_database, ci_model)
    key, _record = create_api_key(open_database(env["DATABASE_URL"]), "tests", ["admin"])
    yield LiveServer(url, env["DATABASE_URL"], key, env["FINBOT_TOKEN_SECRET"], tmp_dir)
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="session")
def server_starter():
    """``start_server`` for tests that need a server of their own (e.g. hot reload)."""
    return start_server
