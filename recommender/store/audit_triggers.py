"""Database triggers that make a table append-only.

The application never updates or deletes audit records; the triggers make
sure nobody else does either, short of dropping them (which a DBA's own audit
log would show). Used by migrations, so keep the SQL stable.
"""
from __future__ import annotations

from sqlalchemy import text


def create_append_only_triggers(connection, table: str) -> None:
    if connection.dialect.name == "sqlite":
        for op in ("UPDATE", "DELETE"):
            connection.execute(text(
                f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            ))
    elif connection.dialect.name == "postgresql":
        connection.execute(text(
            f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{table} is append-only'; END; $$ LANGUAGE plpgsql"
        ))
        connection.execute(text(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        ))
        connection.execute(text(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
        ))
    else:
        raise NotImplementedError(f"append-only triggers for {connection.dialect.name}")


def drop_append_only_triggers(connection, table: str) -> None:
    if connection.dialect.name == "sqlite":
        for op in ("update", "delete"):
            connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{op}"))
    elif connection.dialect.name == "postgresql":
        connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))
        connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}"))
        connection.execute(text(f"DROP FUNCTION IF EXISTS {table}_append_only()"))
