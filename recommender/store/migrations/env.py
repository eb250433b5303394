"""Alembic environment. finbot runs migrations programmatically
(``recommender.store.db.migrate``), passing an open connection."""
from alembic import context
from sqlalchemy import create_engine

from recommender.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # plain `alembic` CLI use
        engine = create_engine(config.get_main_option("sqlalchemy.url"), future=True)
        with engine.begin() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("finbot migrations run online only: use `finbot db upgrade`")
run_migrations_online()
