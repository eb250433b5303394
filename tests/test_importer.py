"""Importing customers, accounts and transactions: exact money, idempotency,
and bad files rejected whole with every bad line named."""
from __future__ import annotations

import json
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from recommender import importer
from recommender.importer import ImportRejected, parse_amount_cents
from recommender.store.models import ImportBatch, Transaction

HEADER = "transaction_id,customer_id,account_id,booked_at,amount,currency,description,counterparty,mcc\n"


@pytest.fixture
def bank(any_engine, tmp_path):
    """A database with two customers and their accounts."""
    (tmp_path / "customers.csv").write_text(
        "customer_id,name,language,birth_year\nalice,王小丽,zh,1990\nbob,Bob Smith,en,\n", encoding="utf-8")
    (tmp_path / "accounts.csv").write_text(
        "account_id,customer_id,account_type,currency,balance,balance_as_of\n"
        "A-CUR,alice,current,CNY,1200.50,2026-01-31\n"
        "A-CARD,alice,credit_card,CNY,-300.00,2026-01-31\n"
        "B-USD,bob,current,USD,10.00,2026-01-31\n", encoding="utf-8")
    importer.import_customers(any_engine, tmp_path / "customers.csv")
    importer.import_accounts(any_engine, tmp_path / "accounts.csv")
    return any_engine


def _write(tmp_path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return str(path)


def _stored(engine) -> list[tuple]:
    with engine.connect() as connection:
        return connection.execute(select(Transaction.transaction_id, Transaction.amount_cents, Transaction.mcc)
                                  .order_by(Transaction.transaction_id)).all()


def test_csv_import_stores_exact_cents_and_optional_fields(bank, tmp_path):
    path = _write(tmp_path, "t.csv", HEADER +
                  "T1,alice,A-CUR,2026-01-05,-35.5,CNY,美团外卖-订单8812,,5812\n"
                  "T2,alice,A-CUR,2026-01-10,18000,cny,代发工资,ACME Ltd,\n"
                  "T3,alice,A-CUR,2026-01-11,+0.07,CNY,利息,,\n"
                  "T4,bob,B-USD,2026-01-12,-12.99,USD,STARBUCKS NYC,,5814\n")
    report = importer.import_transactions(bank, path)
    assert (report.rows_total, report.rows_inserted, report.rows_unchanged) == (4, 4, 0)
    assert _stored(bank) == [("T1", -3550, "5812"), ("T2", 1800000, None), ("T3", 7, None), ("T4", -1299, "5814")]


def test_importing_the_same_file_twice_changes_nothing(bank, tmp_path):
    path = _write(tmp_path, "t.csv", HEADER + "T1,alice,A-CUR,2026-01-05,-35.50,CNY,盒马鲜生,,5411\n")
    importer.import_transactions(bank, path)
    before = _stored(bank)
    again = importer.import_transactions(bank, path)
    assert (again.rows_inserted, again.rows_unchanged) == (0, 1)
    assert _stored(bank) == before
    with bank.connect() as connection:
        batches = connection.execute(select(ImportBatch.rows_inserted).order_by(ImportBatch.id)).scalars().all()
    assert batches == [1, 0]


def test_a_file_overlapping_an_earlier_one_adds_only_the_new_rows(bank, tmp_path):
    importer.import_transactions(bank, _write(tmp_path, "a.csv", HEADER +
                                              "T1,alice,A-CUR,2026-01-05,-1.00,CNY,a,,\n"))
    report = importer.import_transactions(bank, _write(tmp_path, "b.csv", HEADER +
                                                       "T1,alice,A-CUR,2026-01-05,-1.00,CNY,a,,\n"
                                                       "T2,alice,A-CUR,2026-01-06,-2.00,CNY,b,,\n"))
    assert (report.rows_inserted, report.rows_unchanged) == (1, 1)
    assert [r[0] for r in _stored(bank)] == ["T1", "T2"]


BAD_ROWS = [
    # (row, column, words the reason must contain)
    ("X1,alice,A-CUR,2026-02-30,-1.00,CNY,d,,", "booked_at", "unparsable date"),
    ("X1,alice,A-CUR,05/01/2026,-1.00,CNY,d,,", "booked_at", "unparsable date"),
    ("X1,alice,A-CUR,2026-01-05,12k,CNY,d,,", "amount", "unparsable amount"),
    ("X1,alice,A-CUR,2026-01-05,-1.005,CNY,d,,", "amount", "unparsable amount"),
    ("X1,alice,A-CUR,2026-01-05,\"1,000.00\",CNY,d,,", "amount", "unparsable amount"),
    ("X1,alice,A-CUR,2026-01-05,-1.00,RMB,d,,", "currency", "unknown currency"),
    ("X1,carol,A-CUR,2026-01-05,-1.00,CNY,d,,", "customer_id", "unknown customer"),
    ("X1,alice,Z-NONE,2026-01-05,-1.00,CNY,d,,", "account_id", "unknown account"),
    ("X1,bob,A-CUR,2026-01-05,-1.00,CNY,d,,", "account_id", "does not belong"),
    ("X1,alice,A-CUR,2026-01-05,-1.00,USD,d,,", "currency", "differs from the account"),
    ("X1,alice,A-CUR,2026-01-05,-1.00,CNY,,,", "description", "empty"),
    (",alice,A-CUR,2026-01-05,-1.00,CNY,d,,", "transaction_id", "empty"),
    ("X1,alice,A-CUR,2026-01-05,-1.00,CNY,d,,58", "mcc", "4 digits"),
]


@pytest.mark.parametrize("row,column,reason", BAD_ROWS, ids=[r[2] + ":" + r[1] for r in BAD_ROWS])
def test_a_bad_row_rejects_the_whole_file_naming_its_line(bank, tmp_path, row, column, reason):
    good = "G1,alice,A-CUR,2026-01-05,-1.00,CNY,good row,,\n"
    path = _write(tmp_path, "bad.csv", HEADER + good + row + "\n" + good.replace("G1", "G2"))
    with pytest.raises(ImportRejected) as rejected:
        importer.import_transactions(bank, path)
    errors = rejected.value.errors
    assert any(e.line == 3 and e.column == column and reason in e.reason for e in errors), errors
    assert all(e.line == 3 for e in errors), "only the bad line is blamed"
    assert _stored(bank) == [], "nothing is written"


def test_every_bad_row_is_reported_not_just_the_first(bank, tmp_path):
    rows = "".join(f"E{i},alice,A-CUR,2026-13-0{i},-1.00,CNY,d,,\n" for i in range(1, 6))
    with pytest.raises(ImportRejected) as rejected:
        importer.import_transactions(bank, _write(tmp_path, "bad.csv", HEADER + rows), chunk_rows=2)
    assert [e.line for e in rejected.value.errors] == [2, 3, 4, 5, 6]
    assert rejected.value.error_count == 5


def test_reporting_is_capped_but_the_count_is_exact(bank, tmp_path):
    rows = "".join(f"E{i},alice,A-CUR,2026-01-01,oops,CNY,d,,\n" for i in range(50))
    with pytest.raises(ImportRejected) as rejected:
        importer.import_transactions(bank, _write(tmp_path, "bad.csv", HEADER + rows), max_reported_errors=10)
    assert len(rejected.value.errors) == 10 and rejected.value.error_count == 50


def test_missing_required_column_is_named(bank, tmp_path):
    path = _write(tmp_path, "t.csv", "transaction_id,customer_id,account_id,amount,currency,description\n"
                                     "T1,alice,A-CUR,-1.00,CNY,d\n")
    with pytest.raises(ImportRejected) as rejected:
        importer.import_transactions(bank, path)
    assert [(e.line, e.column) for e in rejected.value.errors] == [(1, "booked_at")]
    assert "missing required column" in str(rejected.value)


def test_same_id_twice_in_a_file_for_different_transactions_is_rejected(bank, tmp_path):
    path = _write(tmp_path, "t.csv", HEADER + "T1,alice,A-CUR,2026-01-05,-1.00,CNY,a,,\n"
                                              "T2,alice,A-CUR,2026-01-05,-2.00,CNY,b,,\n"
                                              "T1,alice,A-CUR,2026-01-05,-9.00,CNY,a,,\n")
    with pytest.raises(ImportRejected) as rejected:
        importer.import_transactions(bank, path)
    assert [(e.line, "line 2" in e.reason) for e in rejected.value.errors] == [(4, True)]
    assert _stored(bank) == []


def test_same_id_twice_for_the_same_transaction_counts_once(bank, tmp_path):
    path = _write(tmp_path, "t.csv", HEADER + "T1,alice,A-CUR,2026-01-05,-1.00,CNY,a,,\n" * 2)
    report = importer.import_transactions(bank, path)
    assert report.rows_inserted == 1 and _stored(bank) == [("T1", -100, None)]


def test_an_id_already_stored_with_different_content_is_a_conflict(bank, tmp_path):
    importer.import_transactions(bank, _write(tmp_path, "a.csv", HEADER + "T1,alice,A-CUR,2026-01-05,-1.00,CNY,a,,\n"))
    path = _write(tmp_path, "b.csv", HEADER + "T9,alice,A-CUR,2026-01-06,-5.00,CNY,new,,\n"
                                              "T1,alice,A-CUR,2026-01-05,-1.01,CNY,a,,\n")
    with pytest.raises(ImportRejected) as rejected:
        importer.import_transactions(bank, path)
    assert [e.line for e in rejected.value.errors] == [3]
    assert "already imported" in rejected.value.errors[0].reason
    assert _stored(bank) == [("T1", -100, None)], "T9 was not written either"


def test_malformed_csv_is_rejected_with_its_line(bank, tmp_path):
    path = _write(tmp_path, "t.csv", HEADER + "T1,alice,A-CUR,2026-01-05,-1.00,CNY,a,,\n"
                                              "T2,alice,A-CUR,2026-01-05,-1.00,CNY,a,,,,extra\n")
    with pytest.raises(ImportRejected) as rejected:
        importer.import_transactions(bank, path)
    assert rejected.value.errors[0].line == 3 and "malformed CSV" in rejected.value.errors[0].reason
    assert _stored(bank) == []


def test_gbk_encoded_export_needs_and_accepts_its_encoding(bank, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes((HEADER + "T1,alice,A-CUR,2026-01-05,-20.00,CNY,滴滴出行,,4121\n").encode("gbk"))
    with pytest.raises(ImportRejected, match="not utf-8-sig"):
        importer.import_transactions(bank, path)
    importer.import_transactions(bank, path, encoding="gbk")
    with bank.connect() as connection:
        assert connection.execute(select(Transaction.description)).scalar_one() == "滴滴出行"


def test_json_array_and_json_lines_keep_amounts_exact(bank, tmp_path):
    records = [
        {"transaction_id": "J1", "customer_id": "alice", "account_id": "A-CUR", "booked_at": "2026-01-05",
         "amount": 0.1, "currency": "CNY", "description": "json number"},
        {"transaction_id": "J2", "customer_id": "alice", "account_id": "A-CUR", "booked_at": "2026-01-06",
         "amount": "-1234567.89", "currency": "CNY", "description": "json string", "mcc": "5411"},
    ]
    importer.import_transactions(bank, _write(tmp_path, "t.json", json.dumps(records)))
    lines = [dict(r, transaction_id=r["transaction_id"] + "L") for r in records]
    importer.import_transactions(bank, _write(tmp_path, "t.jsonl", "\n".join(json.dumps(r) for r in lines)))
    assert _stored(bank) == [("J1", 10, None), ("J1L", 10, None), ("J2", -123456789, "5411"),
                             ("J2L", -123456789, "5411")]


def test_json_lines_bad_record_is_named_by_line(bank, tmp_path):
    good = {"transaction_id": "J1", "customer_id": "alice", "account_id": "A-CUR", "booked_at": "2026-01-05",
            "amount": "1.00", "currency": "CNY", "description": "ok"}
    body = json.dumps(good) + "\n{not json}\n" + json.dumps(dict(good, transaction_id="J3", amount="x")) + "\n"
    with pytest.raises(ImportRejected) as rejected:
        importer.import_transactions(bank, _write(tmp_path, "t.jsonl", body))
    assert sorted({e.line for e in rejected.value.errors}) == [2, 3]
    assert _stored(bank) == []


def test_customers_import_rejects_bad_language_and_duplicates(any_engine, tmp_path):
    path = _write(tmp_path, "c.csv", "customer_id,name,language\nc1,A,zh\nc2,B,fr\nc1,C,en\n")
    with pytest.raises(ImportRejected) as rejected:
        importer.import_customers(any_engine, path)
    assert sorted((e.line, e.column) for e in rejected.value.errors) == [(3, "language"), (4, "customer_id")]


def test_customers_and_accounts_reimport_updates_in_place(bank, tmp_path):
    importer.import_accounts(bank, _write(tmp_path, "a.csv",
                                          "account_id,customer_id,account_type,currency,balance,balance_as_of\n"
                                          "A-CUR,alice,current,CNY,99.99,2026-02-28\n"))
    with bank.connect() as connection:
        row = connection.execute(text("SELECT balance_cents FROM accounts WHERE account_id = 'A-CUR'")).one()
    assert row[0] == 9999


def test_accounts_cannot_move_to_another_customer(bank, tmp_path):
    path = _write(tmp_path, "a.csv", "account_id,customer_id,account_type,currency,balance,balance_as_of\n"
                                     "A-CUR,bob,current,CNY,1.00,2026-02-28\n")
    with pytest.raises(ImportRejected, match="belongs to another customer"):
        importer.import_accounts(bank, path)


def test_frame_source_reports_lines_as_if_it_were_a_csv(bank):
    frame = pd.DataFrame([{"transaction_id": "F1", "customer_id": "alice", "account_id": "A-CUR",
                           "booked_at": "2026-01-05", "amount": "bad", "currency": "CNY", "description": "d"}])
    with pytest.raises(ImportRejected) as rejected:
        importer.import_transactions(bank, frame)
    assert rejected.value.errors[0].line == 2


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1))
def test_amount_text_to_cents_is_exact(cents):
    text_amount = str(Decimal(cents) / 100)
    parsed, valid = parse_amount_cents(pd.Series([text_amount]))
    assert bool(valid.iloc[0]) and int(parsed.iloc[0]) == cents


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=-10**9, max_value=10**9), min_size=1, max_size=40))
def test_sum_of_imported_cents_equals_sum_of_file_amounts(tmp_path_factory, amounts):
    from recommender.store.db import migrate, open_database

    folder = tmp_path_factory.mktemp("sum")
    engine = open_database(f"sqlite:///{folder / 'db.sqlite'}")
    migrate(engine)
    importer.import_customers(engine, pd.DataFrame([{"customer_id": "c", "name": "C", "language": "en"}]))
    importer.import_accounts(engine, pd.DataFrame([{"account_id": "a", "customer_id": "c", "account_type": "current",
                                                    "currency": "CNY", "balance": "0", "balance_as_of": "2026-01-01"}]))
    frame = pd.DataFrame({"transaction_id": [f"t{i}" for i in range(len(amounts))], "customer_id": "c",
                          "account_id": "a", "booked_at": "2026-01-01",
                          "amount": [str(Decimal(a) / 100) for a in amounts], "currency": "CNY", "description": "x"})
    importer.import_transactions(engine, frame)
    with engine.connect() as connection:
        total = connection.execute(select(func.sum(Transaction.amount_cents))).scalar_one()
    assert total == sum(amounts)
    engine.dispose()
