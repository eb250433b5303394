"""Engines, sessions and schema migration.

``open_database(url)`` is what every entry point calls: it creates the SQLite
folder if needed, and returns an engine configured for the backend.
"""
from __future__ import annotations

import functools
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine, create_engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # Enforce foreign keys (off by default in SQLite), let readers run beside a
    # writer (WAL), and wait instead of failing when another writer holds the lock.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A 64 MB page cache and in-memory temp tables: large imports keep their
    # index pages and the staging table in memory instead of re-reading disk.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def open_database(url: str, keep_connections: bool = False) -> Engine:
    """An engine for ``url``. SQLite files get their parent folder created.

    SQLAlchemy 1.4 opens a new connection for every use of a SQLite file (and
    each runs the pragmas above). ``keep_connections`` keeps a pool of them
    open instead, for long-lived serving processes (the API, the bot's
    actions), where the churn was several SQLite connects per chat turn.
    An open connection may hold the newest writes in the ``-wal`` file
    until it closes: copy such a database with SQLite's backup API, not
    as a file, while that process runs.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = not parsed.database or parsed.database == ":memory:"
        if not in_memory:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        if keep_connections and not in_memory:
            # threads take turns on a pooled connection (actions run in worker threads)
            engine = create_engine(url, future=True, poolclass=QueuePool, pool_size=4,
                                   connect_args={"timeout": 30, "check_same_thread": False})
        else:
            engine = create_engine(url, future=True, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser treats % as interpolation; URLs carry %-escapes (e.g. search_path options).
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest)."""
    from alembic import command

    config = _alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    config = _alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The schema's Alembic revision, or None before the first migration."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


@functools.lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration (read once: health probes ask for it on every call)."""
    from alembic.script import ScriptDirectory
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()
