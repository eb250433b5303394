"""Benchmarks that print their figures (`finbot bench ...`, `make bench`).

Benchmarks measure; tests check behaviour. Nothing here asserts a speed.
"""
from __future__ import annotations

import shutil
import tempfile
import time
from datetime import date, datetime, timedelta
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


# --------------------------------------------------------------------------- recommender


def typed_transactions(frame: pd.DataFrame) -> pd.DataFrame:
    """Bank-file string columns -> the typed frame the recommender steps take."""
    out = frame.copy()
    out["amount_cents"], _ = importer.parse_amount_cents(out.pop("amount"))
    out["booked_at"] = pd.to_datetime(out["booked_at"], format="%Y-%m-%d")
    for column in ("counterparty", "counterparty_account", "mcc"):
        out[column] = out[column].where(out[column] != "", None)
    return out


def typed_accounts(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["balance_cents"], _ = importer.parse_amount_cents(out.pop("balance"))
    return out


def _percentiles(samples_ms: list[float]) -> str:
    values = np.array(samples_ms)
    return (f"p50 {np.percentile(values, 50):.1f} ms, p95 {np.percentile(values, 95):.1f} ms, "
            f"max {values.max():.1f} ms over {len(values)} runs")


def bench_recommend(runs: int = 200, customers: int = 50, seed: int = 3) -> int:
    """One customer's recommendation latency, ~1,000 transactions over 12 months:
    (a) the pure pipeline on in-memory frames, (b) end to end through the
    service: database read, categorise, features, recommend, audit write."""
    from recommender.catalogue import load_fund_catalogue
    from recommender.categorise import categorise
    from recommender.features import compute_features
    from recommender.pipeline import Assessment, RecommendationRequest, recommend
    from recommender.seed import load_catalogue
    from recommender.service import RecommenderService
    from recommender.store import repositories

    as_of = date(2026, 3, 15)
    population = generate_population_for_bench(customers, seed, as_of)
    transactions = typed_transactions(population.transactions)
    accounts = typed_accounts(population.accounts)
    per_customer = transactions.groupby("customer_id").size()
    print(f"customers: {customers}, transactions per customer: median {int(per_customer.median())}, "
          f"max {int(per_customer.max())}")
    catalogue = load_fund_catalogue()
    ids = list(population.customers["customer_id"])
    by_customer = {cid: frame for cid, frame in transactions.groupby("customer_id")}
    accounts_by = {cid: frame for cid, frame in accounts.groupby("customer_id")}
    assessment = Assessment(1, "C4", as_of - timedelta(days=30), as_of + timedelta(days=300))
    request = RecommendationRequest(10_000_000, 60)

    def pipeline_once(cid: str) -> None:
        categorised = categorise(by_customer[cid], accounts_by[cid])
        features = compute_features(categorised, accounts_by[cid], as_of)
        recommend(features, assessment, catalogue, request, as_of)

    pipeline_once(ids[0])  # warm: trains the merchant classifier, fills model-portfolio caches
    samples = []
    for i in range(runs):
        started = time.perf_counter()
        pipeline_once(ids[i % len(ids)])
        samples.append((time.perf_counter() - started) * 1000)
    print(f"pipeline (in memory):            {_percentiles(samples)}")

    workdir = Path(tempfile.mkdtemp(prefix="finbot-bench-"))
    try:
        engine = open_database(f"sqlite:///{workdir / 'bench.db'}")
        migrate(engine)
        load_catalogue(engine)
        importer.import_customers(engine, population.customers)
        importer.import_accounts(engine, population.accounts)
        importer.import_transactions(engine, population.transactions)
        for cid in ids:
            repositories.add_assessment(engine, cid, answers={}, risk_level="C4",
                                        assessed_at=datetime.combine(as_of, datetime.min.time()),
                                        validity_days=365, channel="bench")
        service = RecommenderService(engine, today=lambda: as_of)
        service.recommend(ids[0], request, channel="bench")
        samples = []
        for i in range(runs):
            started = time.perf_counter()
            service.recommend(ids[i % len(ids)], request, channel="bench")
            samples.append((time.perf_counter() - started) * 1000)
        print(f"service (SQLite read + audit):   {_percentiles(samples)}")
        engine.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def generate_population_for_bench(customers: int, seed: int, as_of: date):
    from recommender.demo import generate_population

    return generate_population(customers, months=12, seed=seed, as_of=as_of, transactions_per_month=85)


def bench_features(customers: int = 100_000, chunk_customers: int = 10_000, seed: int = 11) -> int:
    """Batch feature throughput: categorise + features for ``customers``
    customers (~1,000 transactions each), generated and processed in chunks so
    memory stays bounded. Only categorise + features are timed."""
    from recommender.categorise import categorise
    from recommender.features import compute_features_batch

    as_of = date(2026, 3, 15)
    total_rows = 0
    timed = 0.0
    done = 0
    chunk_seed = seed
    while done < customers:
        size = min(chunk_customers, customers - done)
        population = generate_population_for_bench(size, chunk_seed, as_of)
        transactions = typed_transactions(population.transactions)
        accounts = typed_accounts(population.accounts)
        started = time.perf_counter()
        features = compute_features_batch(categorise(transactions, accounts), accounts, as_of)
        timed += time.perf_counter() - started
        assert len(features) == size
        total_rows += len(transactions)
        done += size
        chunk_seed += 1
        print(f"  {done:,} customers, {total_rows:,} transactions, {total_rows / timed:,.0f} transactions/s so far",
              flush=True)
    print(f"batch features: {done:,} customers, {total_rows:,} transactions in {timed:.1f} s "
          f"= {total_rows / timed:,.0f} transactions/s ({done / timed:,.0f} customers/s)")
    return 0
