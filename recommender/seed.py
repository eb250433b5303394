"""Put the demo personas and the fund catalogue into a database.

Demo data goes through the same importers a bank's files do, so `make run`
exercises the real import path.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from sqlalchemy.engine import Engine

from recommender import importer
from recommender.store import repositories

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeedReport:
    customers: int
    accounts: int
    transactions_inserted: int
    transactions_unchanged: int
    assessments: int


def load_catalogue(engine: Engine, path=None) -> str:
    """Load the fund catalogue file (default: the packaged demo catalogue). Returns its version."""
    from recommender.catalogue import load_fund_catalogue

    frame = load_fund_catalogue(path)
    return repositories.store_catalogue(engine, frame, str(path or "recommender/data/funds.csv"))


def load_demo_data(engine: Engine, demo) -> SeedReport:
    """Import a ``recommender.demo.DemoData`` bundle. Re-running with the same
    bundle changes nothing; assessments are added only for customers without one."""
    customers = importer.import_customers(engine, demo.customers)
    accounts = importer.import_accounts(engine, demo.accounts)
    transactions = importer.import_transactions(engine, demo.transactions)
    added = 0
    for row in demo.risk_assessments.to_dict("records"):
        if repositories.latest_assessment(engine, row["customer_id"]) is not None:
            continue
        repositories.add_assessment(
            engine, row["customer_id"], answers=row["answers"], risk_level=row["risk_level"],
            assessed_at=_start_of_day(row["assessed_at"]), expires_at=_start_of_day(row["expires_at"]),
            total_points=row.get("total_points"), channel="demo")
        added += 1
    return SeedReport(customers.rows_total, accounts.rows_total, transactions.rows_inserted,
                      transactions.rows_unchanged, added)


def _start_of_day(day) -> datetime:
    if isinstance(day, datetime):
        return day if day.tzinfo else day.replace(tzinfo=timezone.utc)
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return datetime.combine(day, time.min, tzinfo=timezone.utc)
