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
