"""RecommenderService keeps categorised transaction windows (recommender/service.py):
what it answers from memory equals what it computes afresh, and a change to the
customer's data (an import, an account's type, an erasure) is seen at once.
Also: open_database(keep_connections=True) reuses its SQLite connections."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from recommender import importer
from recommender.demo import generate_demo_data
from recommender.seed import load_catalogue, load_demo_data
from recommender.service import RecommenderService, UnknownCustomer
from recommender.store.db import migrate, open_database
from recommender.store.privacy import erase_customer_data

TODAY = date(2026, 3, 15)
HEADER = "transaction_id,customer_id,account_id,booked_at,amount,currency,description,counterparty,mcc\n"


@pytest.fixture
def bank(any_engine, tmp_path):
    """Alice with a current account, a card and three transactions in February 2026."""
    (tmp_path / "customers.csv").write_text("customer_id,name,language\nalice,王小丽,zh\n", encoding="utf-8")
    (tmp_path / "accounts.csv").write_text(
        "account_id,customer_id,account_type,currency,balance,balance_as_of\n"
        "A-CUR,alice,current,CNY,1200.50,2026-02-28\nA-CARD,alice,credit_card,CNY,-300.00,2026-02-28\n",
        encoding="utf-8")
    importer.import_customers(any_engine, tmp_path / "customers.csv")
    importer.import_accounts(any_engine, tmp_path / "accounts.csv")
    _import(any_engine, tmp_path, "t1.csv",
            "T1,alice,A-CUR,2026-02-03,-35.50,CNY,美团外卖-订单8812,,5812\n"
            "T2,alice,A-CUR,2026-02-10,18000,CNY,代发工资,ACME Ltd,\n"
            "T3,alice,A-CARD,2026-02-12,-120.00,CNY,盒马鲜生,,5411\n")
    return any_engine


def _import(engine, folder, name: str, rows: str) -> None:
    path = folder / name
    path.write_text(HEADER + rows, encoding="utf-8")
    importer.import_transactions(engine, path)


def _february(service: RecommenderService) -> pd.DataFrame:
    return service.categorised("alice", date(2026, 2, 1), date(2026, 2, 28))[0]


def _counting(monkeypatch, name: str) -> list:
    """Count the runs of one of the service's real functions (categorise, a summary): they still run."""
    import recommender.service as service_module

    calls, real = [], getattr(service_module, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(service_module, name, counted)
    return calls


def test_a_repeated_window_is_categorised_once_and_equals_a_fresh_computation(bank, monkeypatch):
    calls = _counting(monkeypatch, "categorise")
    cached = RecommenderService(bank, today=lambda: TODAY)
    first, second = _february(cached), _february(cached)
    assert len(calls) == 1
    assert_frame_equal(first, second)
    assert_frame_equal(second, _february(RecommenderService(bank, today=lambda: TODAY, categorised_cache_size=0)))
    assert len(calls) == 2 and len(first) == 3


def test_a_new_import_in_the_window_is_seen_at_once(bank, tmp_path):
    service = RecommenderService(bank, today=lambda: TODAY)
    before = service.spending("alice", date(2026, 2, 1), date(2026, 2, 28))
    _import(bank, tmp_path, "t2.csv", "T4,alice,A-CUR,2026-02-20,-64.00,CNY,星巴克,,5814\n")
    after = service.spending("alice", date(2026, 2, 1), date(2026, 2, 28))
    assert len(_february(service)) == 4
    assert after != before
    assert after == RecommenderService(bank, today=lambda: TODAY, categorised_cache_size=0).spending(
        "alice", date(2026, 2, 1), date(2026, 2, 28))


def test_an_import_outside_the_window_keeps_the_entry(bank, tmp_path, monkeypatch):
    service = RecommenderService(bank, today=lambda: TODAY)
    _february(service)
    calls = _counting(monkeypatch, "categorise")
    _import(bank, tmp_path, "t3.csv", "T5,alice,A-CUR,2026-03-02,-10.00,CNY,便利店,,5499\n")
    assert len(_february(service)) == 3 and calls == []


def test_a_changed_account_type_is_seen_at_once(bank, tmp_path):
    service = RecommenderService(bank, today=lambda: TODAY)
    before = _february(service)
    (tmp_path / "accounts2.csv").write_text(
        "account_id,customer_id,account_type,currency,balance,balance_as_of\n"
        "A-CARD,alice,savings,CNY,0,2026-02-28\n", encoding="utf-8")
    importer.import_accounts(bank, tmp_path / "accounts2.csv")
    after = _february(service)
    fresh = RecommenderService(bank, today=lambda: TODAY, categorised_cache_size=0)
    assert_frame_equal(after, _february(fresh))
    assert set(after.columns) == set(before.columns)


def test_the_caller_owns_the_frame_it_gets(bank):
    service = RecommenderService(bank, today=lambda: TODAY)
    first = _february(service)
    first["amount_cents"] = 0
    first.drop(first.index, inplace=True)
    assert len(_february(service)) == 3 and (_february(service)["amount_cents"] != 0).all()


def test_an_erased_customer_is_not_answered_from_memory(bank):
    service = RecommenderService(bank, today=lambda: TODAY)
    assert len(_february(service)) == 3
    erase_customer_data(bank, "alice")
    try:
        remaining = _february(service)
    except UnknownCustomer:
        return                                   # the customer row went with the data
    assert remaining.empty                       # the row stayed (retained records): no transactions left


def test_the_cache_keeps_only_the_newest_windows(bank, monkeypatch):
    service = RecommenderService(bank, today=lambda: TODAY, categorised_cache_size=2)
    windows = [(date(2026, 2, 1), date(2026, 2, d)) for d in (10, 20, 28)]
    for start, end in windows:
        service.categorised("alice", start, end)
    calls = _counting(monkeypatch, "categorise")
    service.categorised("alice", *windows[2])
    service.categorised("alice", *windows[1])
    assert calls == []                           # the two newest are kept
    service.categorised("alice", *windows[0])
    assert len(calls) == 1                       # the oldest was dropped


def test_summaries_are_kept_with_their_window_and_equal_a_fresh_computation(bank, monkeypatch):
    spending, income, features = (_counting(monkeypatch, name)
                                  for name in ("spending_summary", "income_summary", "compute_features"))
    cached = RecommenderService(bank, today=lambda: TODAY)
    fresh = RecommenderService(bank, today=lambda: TODAY, categorised_cache_size=0)
    february = (date(2026, 2, 1), date(2026, 2, 28))
    for _ in range(3):
        assert cached.spending("alice", *february, category="dining") == fresh.spending(
            "alice", *february, category="dining")
        assert cached.income("alice", *february) == fresh.income("alice", *february)
        assert cached.features("alice") == fresh.features("alice")
    assert (len(spending), len(income), len(features)) == (4, 4, 4)  # once cached, three times fresh
    # another question about the same window is computed, not confused with the first
    assert cached.spending("alice", *february)["total_cents"] != cached.spending(
        "alice", *february, category="dining")["total_cents"]
    assert len(spending) == 5


def test_a_kept_summary_is_the_callers_own_and_follows_new_data(bank, tmp_path):
    service = RecommenderService(bank, today=lambda: TODAY)
    february = (date(2026, 2, 1), date(2026, 2, 28))
    first = service.spending("alice", *february)
    first["total_cents"] = 0
    first["top_merchants"].clear()
    again = service.spending("alice", *february)
    assert again["total_cents"] == 15550 and len(again["top_merchants"]) == 2
    _import(bank, tmp_path, "t2.csv", "T4,alice,A-CUR,2026-02-20,-64.00,CNY,星巴克,,5814\n")
    assert service.spending("alice", *february)["total_cents"] == 15550 + 6400


def test_kept_features_follow_a_new_balance(bank, tmp_path):
    service = RecommenderService(bank, today=lambda: TODAY)
    before = service.features("alice")
    (tmp_path / "balances.csv").write_text(
        "account_id,customer_id,account_type,currency,balance,balance_as_of\n"
        "A-CUR,alice,current,CNY,50000.00,2026-03-14\n", encoding="utf-8")
    importer.import_accounts(bank, tmp_path / "balances.csv")  # no transaction changes
    after = service.features("alice")
    assert after.liquid_balance_cents - before.liquid_balance_cents == 5_000_000 - 120050
    assert after == RecommenderService(bank, today=lambda: TODAY, categorised_cache_size=0).features("alice")


def test_kept_connections_are_reused_and_see_other_writers(tmp_path):
    url = f"sqlite:///{tmp_path / 'finbot.db'}"
    writer = open_database(url)
    migrate(writer)
    load_catalogue(writer)
    load_demo_data(writer, generate_demo_data(seed=42, months=2, as_of=TODAY))
    kept = open_database(url, keep_connections=True)
    connects = []
    from sqlalchemy import event, text

    event.listen(kept, "connect", lambda *args: connects.append(1))
    service = RecommenderService(kept, today=lambda: TODAY)
    customer = service.accounts("salaried_saver")["customer_id"].iloc[0]
    for _ in range(5):
        service.features(customer)
    assert len(connects) == 1                    # one SQLite connection, reused (was one per query)
    with writer.begin() as connection:
        connection.execute(text("UPDATE customers SET name = 'renamed' WHERE customer_id = :c"), {"c": customer})
    assert service.customer(customer).name == "renamed"
    with kept.connect() as connection:           # the pragmas still hold on the kept connection
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    kept.dispose()
    writer.dispose()
