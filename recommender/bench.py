"""Benchmarks that print their figures (`finbot bench ...`, `make bench`).

Benchmarks measure; tests check behaviour. Nothing here asserts a speed.
"""
from __future__ import annotations

import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from recommender import importer
from recommender.store.db import migrate, open_database

_MERCHANTS = np.array(["美团外卖", "盒马鲜生", "滴滴出行", "STARBUCKS SHANGHAI", "Uber *trip", "京东商城", "国家电网",
                       "中国移动", "永辉超市", "Amazon.cn", "携程旅行", "海底捞"])
_MCCS = np.array(["5812", "5411", "4121", "5814", "4121", "5311", "4900", "4814", "5411", "5999", "4722", "5812"])


def write_transactions_file(path: Path, rows: int, customers: int, seed: int = 1) -> pd.DataFrame:
    """A realistic-shaped transactions CSV of ``rows`` rows over ``customers``
    customers (one current account each). Returns the customers frame."""
    rng = np.random.default_rng(seed)
    customer_ids = np.array([f"BENCH{i:06d}" for i in range(customers)])
    owner = rng.integers(0, customers, rows)
    merchant = rng.integers(0, len(_MERCHANTS), rows)
    cents = -rng.integers(100, 50_000, rows)
    days = rng.integers(0, 365, rows)
    start = np.datetime64("2025-01-01")
    frame = pd.DataFrame({
        "transaction_id": np.char.add("BT", np.arange(rows).astype(str)),
        "customer_id": customer_ids[owner],
        "account_id": np.char.add("ACC-", customer_ids[owner]),
        "booked_at": (start + days.astype("timedelta64[D]")).astype(str),
        "amount": [f"{c // 100}.{c % 100:02d}" if c >= 0 else f"-{(-c) // 100}.{(-c) % 100:02d}" for c in cents],
        "currency": "CNY",
        "description": _MERCHANTS[merchant],
        "mcc": _MCCS[merchant],
    })
    frame.to_csv(path, index=False)
    return pd.DataFrame({"customer_id": customer_ids, "name": customer_ids, "language": "zh"})


def bench_import(rows: int = 1_000_000, keep: bool = False, database_url: str | None = None,
                 customers: int = 2_000) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="finbot-bench-"))
    try:
        csv_path = workdir / "transactions.csv"
        t0 = time.perf_counter()
        people = write_transactions_file(csv_path, rows, customers)
        print(f"generated {rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
        engine = open_database(database_url or f"sqlite:///{workdir / 'bench.db'}")
        migrate(engine)
        importer.import_customers(engine, people)
        importer.import_accounts(engine, pd.DataFrame({
            "account_id": "ACC-" + people["customer_id"], "customer_id": people["customer_id"],
            "account_type": "current", "currency": "CNY", "balance": "0.00", "balance_as_of": "2025-12-31"}))
        first = importer.import_transactions(engine, csv_path)
        again = importer.import_transactions(engine, csv_path)
        print(f"backend: {engine.dialect.name}")
        print(f"import (new rows):        {first.rows_total:,} rows in {first.seconds:.1f} s = "
              f"{first.rows_per_second:,.0f} rows/s ({first.rows_inserted:,} inserted)")
        print(f"re-import (all present):  {again.rows_total:,} rows in {again.seconds:.1f} s = "
              f"{again.rows_per_second:,.0f} rows/s ({again.rows_inserted:,} inserted)")
        engine.dispose()
        return 0
    finally:
        if keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
