"""The recommendation audit trail is append-only, hash-chained and tamper-evident."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import insert, text

from recommender.store import audit
from recommender.store.audit_triggers import drop_append_only_triggers
from recommender.store.models import Customer


@pytest.fixture
def db(any_engine):
    with any_engine.begin() as connection:
        connection.execute(insert(Customer).values(customer_id="c1", name="A", language="zh",
                                                   created_at=datetime.now(timezone.utc)))
    return any_engine


def _append(engine, n: int = 0, **overrides):
    fields = dict(customer_id="c1", channel="test", request={"amount_cents": 2_000_000 + n, "horizon_months": 36},
                  features={"savings_rate": 0.31, "emergency_fund_months": 1.8}, assessment_id=None,
                  questionnaire_level="C3", effective_level="C2", catalogue_version="abc123",
                  policy_fingerprint="p1", decisions=[{"fund_code": "900001", "decision": "selected"}],
                  output={"holdings": [{"fund_code": "900001", "amount_cents": 2_000_000 + n}], "note": "中文"},
                  code_version="test")
    fields.update(overrides)
    return audit.append_record(engine, **fields)


def test_records_chain_to_their_predecessor(db):
    first, second, third = (_append(db, i) for i in range(3))
    assert first.content["prev_hash"] == audit.GENESIS_HASH
    assert second.content["prev_hash"] == first.record_hash
    assert third.content["prev_hash"] == second.record_hash
    assert audit.verify_chain(db) == audit.ChainReport(3, None, None)


def test_stored_record_reads_back_with_the_same_hash(db):
    written = _append(db)
    read = audit.get_record(db, written.id)
    assert read.content == written.content
    assert audit.record_hash(read.content) == written.record_hash
    assert audit.latest_record_for(db, "c1").id == written.id
    assert audit.get_record(db, 9999) is None


def test_tampering_behind_the_triggers_is_detected(db):
    for i in range(3):
        _append(db, i)
    # A DBA with enough rights could drop the triggers; the chain still tells.
    with db.begin() as connection:
        drop_append_only_triggers(connection, "recommendations")
        connection.execute(text("UPDATE recommendations SET effective_level = 'C5' WHERE id = 2"))
    report = audit.verify_chain(db)
    assert report.first_broken_id == 2 and "content" in report.problem


def test_deleting_a_record_behind_the_triggers_breaks_the_chain(db):
    for i in range(3):
        _append(db, i)
    with db.begin() as connection:
        drop_append_only_triggers(connection, "recommendations")
        connection.execute(text("DELETE FROM recommendations WHERE id = 2"))
    report = audit.verify_chain(db)
    assert report.first_broken_id == 3 and "prev_hash" in report.problem


def test_concurrent_writers_keep_one_linear_chain(db):
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for i in range(5):
                _append(db, offset * 100 + i)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert audit.verify_chain(db) == audit.ChainReport(20, None, None)
