"""Migrations create exactly the schema the models describe, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, insert, text
from sqlalchemy.exc import DatabaseError, IntegrityError

from recommender.store.db import current_revision, downgrade, head_revision, migrate, open_database
from recommender.store.models import Base, Customer, RecommendationRecord

EXPECTED_TABLES = {"customers", "accounts", "transactions", "import_batches", "funds", "fund_catalogue_versions",
                   "purchase_requests", "handoff_requests",
                   "risk_assessments", "recommendations", "alembic_version"}


def test_upgrade_creates_every_table_at_head(any_engine):
    assert current_revision(any_engine) == head_revision()
    assert EXPECTED_TABLES <= set(inspect(any_engine).get_table_names())


def test_models_and_migrations_do_not_drift(any_engine):
    with any_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], f"models differ from migrations; write a migration: {differences}"


def test_downgrade_to_base_and_back(any_engine):
    downgrade(any_engine, "base")
    assert current_revision(any_engine) is None
    assert "customers" not in inspect(any_engine).get_table_names()
    migrate(any_engine)
    assert current_revision(any_engine) == head_revision()


def test_upgrade_is_idempotent(any_engine):
    migrate(any_engine)
    migrate(any_engine)
    assert current_revision(any_engine) == head_revision()


def _audit_row(customer_id: str) -> dict:
    return dict(customer_id=customer_id, created_at=datetime.now(timezone.utc), channel="test", request={},
                features={}, catalogue_version="v", policy_fingerprint="p", decisions=[], output={},
                code_version="c", prev_hash="0" * 64, record_hash="1" * 64)


def test_audit_records_are_append_only_in_the_database(any_engine):
    with any_engine.begin() as connection:
        connection.execute(insert(Customer).values(customer_id="c1", name="A", language="zh",
                                                   created_at=datetime.now(timezone.utc)))
        connection.execute(insert(RecommendationRecord).values(**_audit_row("c1")))
    for statement in ("UPDATE recommendations SET channel = 'x'", "DELETE FROM recommendations"):
        with pytest.raises(DatabaseError, match="append-only"):
            with any_engine.begin() as connection:
                connection.execute(text(statement))
    with any_engine.connect() as connection:
        assert connection.execute(text("SELECT channel FROM recommendations")).scalar_one() == "test"


def test_constraints_reject_unknown_language_and_level(any_engine):
    with pytest.raises(IntegrityError):
        with any_engine.begin() as connection:
            connection.execute(insert(Customer).values(customer_id="c2", name="B", language="fr",
                                                       created_at=datetime.now(timezone.utc)))


def test_sqlite_file_and_folder_are_created(tmp_path):
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'finbot.db'}"
    engine = open_database(url)
    migrate(engine)
    assert (tmp_path / "nested" / "dir" / "finbot.db").is_file()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
