"""Import customers, accounts and transactions from CSV or JSON files.

A file is accepted or rejected as a whole:

1. *Validate* every row, streaming the file in chunks of ``chunk_rows``
   (pandas, vectorised). Every bad row is named by line number and reason;
   if there is any, ``ImportRejected`` is raised and nothing is written.
2. *Write* in one database transaction: rows go to a temporary staging
   table, rows whose bank id already exists with *different* content are
   reported as conflicts (and the transaction rolled back), and only rows
   not yet present are inserted. Importing the same file twice changes
   nothing the second time.

Line numbers: for CSV, the header is line 1 and the first data row line 2
(one record per line; quoted newlines are not supported). For JSON Lines it
is the line of the record; for a JSON array, the record's 1-based position
("record N").

Amounts are decimal strings converted to integer cents with string
arithmetic, so no float ever touches money.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Connection, Engine

from recommender import schema
from recommender.store.models import Account, Customer, ImportBatch

_AMOUNT_PATTERN = r"^([+-]?)(\d{1,13})(?:\.(\d{1,2}))?$"
_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
_SQL_PARAM_BATCH = 900  # stays under SQLite's bound-parameter limit


@dataclass(frozen=True)
class RowError:
    line: int            # line number (or record number for JSON arrays)
    column: str | None   # the offending column, None for a whole-row problem
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column!r}" if self.column else "")
        return f"{where}: {self.reason}"


class ImportRejected(Exception):
    """The file was rejected as a whole; nothing was written."""

    def __init__(self, source: str, errors: Sequence[RowError], error_count: int, rows_total: int):
        self.source = source
        self.errors = list(errors)
        self.error_count = error_count
        self.rows_total = rows_total
        shown = "\n".join(f"  {e}" for e in self.errors[:20])
        more = f"\n  ... and {error_count - 20} more" if error_count > 20 else ""
        super().__init__(
            f"{source}: rejected, {error_count} problem(s) in a file of {rows_total} row(s); "
            f"nothing was written\n{shown}{more}"
        )


@dataclass(frozen=True)
class ImportReport:
    kind: str
    source: str
    rows_total: int
    rows_inserted: int
    rows_unchanged: int      # already present with the same content (or updated in place for master data)
    batch_id: int | None
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows_total / self.seconds if self.seconds > 0 else float("inf")


# --------------------------------------------------------------------------- reading


@dataclass
class _Chunk:
    frame: pd.DataFrame       # all columns as str, "" for missing values
    lines: np.ndarray         # line (or record) number of each row


@dataclass
class _Source:
    name: str
    sha256: str
    columns: list[str]
    chunks: callable          # () -> Iterator[_Chunk], callable again for a second pass
    line_label: str = "line"


def _sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _as_text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for col in frame.columns:
        frame[col] = frame[col].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)).str.strip()
    return frame


def _open_source(source, chunk_rows: int, fmt: str | None, encoding: str = "utf-8-sig") -> _Source:
    if isinstance(source, pd.DataFrame):
        frame = _as_text_frame(source.reset_index(drop=True))
        blob = frame.to_csv(index=False).encode()

        def frame_chunks() -> Iterator[_Chunk]:
            for start in range(0, len(frame), chunk_rows):
                part = frame.iloc[start:start + chunk_rows].reset_index(drop=True)
                yield _Chunk(part, np.arange(start + 2, start + 2 + len(part)))

        return _Source("<frame>", hashlib.sha256(blob).hexdigest(), list(frame.columns), frame_chunks)

    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    sha = _sha256_of_file(path)

    if fmt == "csv":
        try:
            header = pd.read_csv(path, dtype=str, nrows=0, encoding=encoding)
        except UnicodeDecodeError:
            raise ImportRejected(str(path), [RowError(1, None, f"file is not {encoding} text (for GBK exports "
                                                               "pass encoding='gbk')")], 1, 0) from None
        except pd.errors.EmptyDataError:
            raise ImportRejected(str(path), [RowError(1, None, "file is empty (no header line)")], 1, 0) from None
        columns = [c.strip() for c in header.columns]

        def csv_chunks() -> Iterator[_Chunk]:
            reader = pd.read_csv(
                path, dtype=str, keep_default_na=False, chunksize=chunk_rows,
                encoding=encoding, skip_blank_lines=False,
            )
            start = 0
            try:
                for part in reader:
                    part.columns = columns
                    part = part.fillna("").apply(lambda s: s.str.strip())
                    yield _Chunk(part.reset_index(drop=True), np.arange(start + 2, start + 2 + len(part)))
                    start += len(part)
            except pd.errors.ParserError as exc:
                # pandas says e.g. "Expected 10 fields in line 7, saw 11".
                found = re.search(r"line (\d+)", str(exc))
                line = int(found.group(1)) if found else start + 2
                raise ImportRejected(str(path), [RowError(line, None, f"malformed CSV: {exc}".strip())], 1,
                                     start) from None
            except UnicodeDecodeError:
                raise ImportRejected(str(path), [RowError(start + 2, None, f"file is not {encoding} text")], 1,
                                     start) from None

        return _Source(str(path), sha, columns, csv_chunks)

    if fmt in ("jsonl", "ndjson"):
        def jsonl_records() -> Iterator[tuple[int, dict]]:
            with path.open(encoding="utf-8-sig") as fh:
                for number, line in enumerate(fh, start=1):
                    if line.strip():
                        yield number, _parse_json_record(line, number)

        return _json_source(path, sha, jsonl_records, chunk_rows, "line")

    if fmt == "json":
        def array_records() -> Iterator[tuple[int, dict]]:
            # parse_float/parse_int keep the literal text: 0.1 stays "0.1", never a float.
            data = json.loads(path.read_text(encoding="utf-8-sig"), parse_float=str, parse_int=str)
            if not isinstance(data, list):
                raise ImportRejected(str(path), [RowError(1, None, "a JSON file must hold an array of objects")], 1, 0)
            for number, record in enumerate(data, start=1):
                if not isinstance(record, dict):
                    raise ImportRejected(str(path), [RowError(number, None, "record is not a JSON object")], 1, len(data))
                yield number, record

        return _json_source(path, sha, array_records, chunk_rows, "record")

    raise ValueError(f"{path}: unknown file format {fmt!r} (use .csv, .json or .jsonl)")


def _parse_json_record(line: str, number: int) -> dict:
    try:
        record = json.loads(line, parse_float=str, parse_int=str)
    except json.JSONDecodeError as exc:
        return {"__error__": f"not valid JSON: {exc.msg}"}
    if not isinstance(record, dict):
        return {"__error__": "record is not a JSON object"}
    return record


def _json_source(path: Path, sha: str, records, chunk_rows: int, label: str) -> _Source:
    columns: list[str] = []
    for _, record in records():
        columns = [c for c in record if c != "__error__"]
        if columns:
            break

    def json_chunks() -> Iterator[_Chunk]:
        batch, numbers = [], []
        for number, record in records():
            batch.append(record)
            numbers.append(number)
            if len(batch) == chunk_rows:
                yield _Chunk(_as_text_frame(pd.DataFrame.from_records(batch)), np.array(numbers))
                batch, numbers = [], []
        if batch:
            yield _Chunk(_as_text_frame(pd.DataFrame.from_records(batch)), np.array(numbers))

    return _Source(str(path), sha, columns, json_chunks, label)


# --------------------------------------------------------------------------- validation helpers


class _Errors:
    """Collects row errors: the first ``limit`` in full, all of them counted."""

    def __init__(self, limit: int):
        self.limit = limit
        self.items: list[RowError] = []
        self.count = 0
        self.chunk_bad: np.ndarray | None = None  # rows of the current chunk with any error

    def start_chunk(self, rows: int) -> None:
        self.chunk_bad = np.zeros(rows, dtype=bool)

    def add_mask(self, chunk: _Chunk, mask: pd.Series | np.ndarray, column: str | None, reason) -> None:
        mask = np.asarray(mask, dtype=bool)
        if self.chunk_bad is not None:
            self.chunk_bad |= mask
        hits = int(mask.sum())
        if not hits:
            return
        self.count += hits
        room = self.limit - len(self.items)
        if room <= 0:
            return
        positions = np.flatnonzero(mask)[:room]
        for pos in positions:
            text_reason = reason(chunk.frame.iloc[pos]) if callable(reason) else reason
            self.items.append(RowError(int(chunk.lines[pos]), column, text_reason))

    def add(self, error: RowError) -> None:
        self.count += 1
        if len(self.items) < self.limit:
            self.items.append(error)


def _check_columns(source: _Source, required: Sequence[str], optional: Sequence[str]) -> None:
    missing = [c for c in required if c not in source.columns]
    if missing:
        errors = [RowError(1, c, f"missing required column {c!r}") for c in missing]
        raise ImportRejected(source.name, errors, len(errors), 0)


def _ensure_columns(chunk: _Chunk, columns: Sequence[str]) -> None:
    for col in columns:
        if col not in chunk.frame.columns:
            chunk.frame[col] = ""


def _check_required(chunk: _Chunk, errors: _Errors, required: Sequence[str]) -> None:
    if "__error__" in chunk.frame.columns:
        bad = chunk.frame["__error__"] != ""
        errors.add_mask(chunk, bad, None, lambda row: row["__error__"])
    for col in required:
        errors.add_mask(chunk, chunk.frame[col] == "", col, f"{col} is empty")


def _check_length(chunk: _Chunk, errors: _Errors, column: str, max_len: int) -> None:
    errors.add_mask(chunk, chunk.frame[column].str.len() > max_len, column, f"{column} is longer than {max_len} characters")


def parse_amount_cents(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Decimal strings ("-35.5", "1200", "+0.07") -> (int64 cents, valid mask).

    Exact: the integer and fraction parts are combined as integers.
    """
    parts = values.str.extract(_AMOUNT_PATTERN)
    valid = parts[1].notna()
    sign = np.where(parts[0] == "-", -1, 1)
    whole = pd.to_numeric(parts[1].where(valid, "0")).astype("int64")
    frac = parts[2].fillna("").str.ljust(2, "0").where(valid, "00").astype("int64")
    cents = (sign * (whole * 100 + frac)).astype("int64")
    return pd.Series(cents, index=values.index), valid


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """YYYY-MM-DD strings -> (datetime64 dates, valid mask). Impossible dates are invalid."""
    shaped = values.str.match(_DATE_PATTERN)
    parsed = pd.to_datetime(values.where(shaped), format="%Y-%m-%d", errors="coerce")
    return parsed, parsed.notna()


def _lookup(connection: Connection, column, wanted: Sequence[str], *extra) -> dict[str, tuple]:
    """Rows of ``column``'s table for the given keys, in parameter-safe batches."""
    found: dict[str, tuple] = {}
    wanted = list(wanted)
    for start in range(0, len(wanted), _SQL_PARAM_BATCH):
        batch = wanted[start:start + _SQL_PARAM_BATCH]
        for row in connection.execute(select(column, *extra).where(column.in_(batch))):
            found[row[0]] = tuple(row[1:])
    return found


# --------------------------------------------------------------------------- transactions

_TXN_COLUMNS = ("transaction_id", "customer_id", "account_id", "booked_at", "amount_cents", "currency",
                "description", "counterparty", "counterparty_account", "mcc")


def _parse_transactions(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """String columns -> typed columns ready for the database, plus validity masks."""
    booked, date_ok = parse_dates(frame["booked_at"])
    cents, amount_ok = parse_amount_cents(frame["amount"])
    clean = pd.DataFrame({
        "transaction_id": frame["transaction_id"],
        "customer_id": frame["customer_id"],
        "account_id": frame["account_id"],
        "booked_at": booked.dt.date,
        "amount_cents": cents,
        "currency": frame["currency"].str.upper(),
        "description": frame["description"],
        "counterparty": _none_if_empty(frame["counterparty"]),
        "counterparty_account": _none_if_empty(frame["counterparty_account"]),
        "mcc": _none_if_empty(frame["mcc"]),
    })
    return clean, date_ok, amount_ok


def _none_if_empty(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values != "", None)


def _validate_transactions(chunk: _Chunk, connection: Connection, errors: _Errors) -> pd.DataFrame:
    """Row-level checks of one chunk; returns the typed rows (bad ones included)."""
    _ensure_columns(chunk, schema.TRANSACTION_OPTIONAL)
    frame = chunk.frame
    errors.start_chunk(len(frame))
    _check_required(chunk, errors, schema.TRANSACTION_REQUIRED)
    for col, limit in (("transaction_id", 64), ("customer_id", 64), ("account_id", 64), ("description", 500),
                       ("counterparty", 200), ("counterparty_account", 64)):
        _check_length(chunk, errors, col, limit)

    clean, date_ok, amount_ok = _parse_transactions(frame)
    errors.add_mask(chunk, (frame["booked_at"] != "") & ~date_ok, "booked_at",
                    lambda r: f"unparsable date {r['booked_at']!r} (expected YYYY-MM-DD)")
    errors.add_mask(chunk, (frame["amount"] != "") & ~amount_ok, "amount",
                    lambda r: f"unparsable amount {r['amount']!r} (expected a decimal like -35.50)")
    currency = clean["currency"]
    errors.add_mask(chunk, (frame["currency"] != "") & ~currency.isin(schema.KNOWN_CURRENCIES), "currency",
                    lambda r: f"unknown currency {r['currency']!r} (accepted: {', '.join(schema.KNOWN_CURRENCIES)})")
    mcc = frame["mcc"]
    errors.add_mask(chunk, (mcc != "") & ~mcc.str.fullmatch(r"\d{4}"), "mcc",
                    lambda r: f"MCC {r['mcc']!r} is not 4 digits")

    customers = _lookup(connection, Customer.customer_id, frame.loc[frame["customer_id"] != "", "customer_id"].unique())
    errors.add_mask(chunk, (frame["customer_id"] != "") & ~frame["customer_id"].isin(customers.keys()), "customer_id",
                    lambda r: f"unknown customer {r['customer_id']!r}")
    accounts = _lookup(connection, Account.account_id, frame.loc[frame["account_id"] != "", "account_id"].unique(),
                       Account.customer_id, Account.currency)
    known_account = frame["account_id"].isin(accounts.keys())
    errors.add_mask(chunk, (frame["account_id"] != "") & ~known_account, "account_id",
                    lambda r: f"unknown account {r['account_id']!r}")
    owner = frame["account_id"].map({a: v[0] for a, v in accounts.items()})
    account_currency = frame["account_id"].map({a: v[1] for a, v in accounts.items()})
    errors.add_mask(chunk, known_account & (frame["customer_id"] != "") & (owner != frame["customer_id"]), "account_id",
                    lambda r: f"account {r['account_id']!r} does not belong to customer {r['customer_id']!r}")
    errors.add_mask(chunk, known_account & currency.isin(schema.KNOWN_CURRENCIES) & (account_currency != currency),
                    "currency", lambda r: f"currency {r['currency']!r} differs from the account's "
                                          f"{accounts[r['account_id']][1]!r}")
    return clean


def import_transactions(engine: Engine, source, *, fmt: str | None = None, chunk_rows: int = 50_000,
                        max_reported_errors: int = 1_000, encoding: str = "utf-8-sig") -> ImportReport:
    """Import a transactions file (path to .csv/.json/.jsonl, or a DataFrame of strings).

    One pass, one database transaction: each chunk is validated and its good
    rows go to a temporary staging table; then SQL finds bank ids used twice
    in the file for different transactions and ids already stored with
    different content. Any problem: ``ImportRejected`` listing all of them,
    and the transaction rolls back, so nothing is written.
    """
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc)
    src = _open_source(source, chunk_rows, fmt, encoding)
    _check_columns(src, schema.TRANSACTION_REQUIRED, schema.TRANSACTION_OPTIONAL)

    errors = _Errors(max_reported_errors)
    rows_total = 0
    with engine.begin() as connection:
        staging = _create_staging_table(connection)
        for chunk in src.chunks():
            rows_total += len(chunk.frame)
            clean = _validate_transactions(chunk, connection, errors)
            clean.insert(0, "line", chunk.lines)
            _bulk_insert(connection, staging, clean[~errors.chunk_bad])
        connection.execute(text(f"CREATE INDEX {_STAGING}_id ON {_STAGING} (transaction_id, line)"))
        # Temporary tables get no automatic statistics; without them PostgreSQL
        # plans the joins below as if the table were empty.
        connection.execute(text(f"ANALYZE {_STAGING}"))
        for line, txn, first_line in connection.execute(text(_IN_FILE_DUPLICATES)):
            errors.add(RowError(int(line), "transaction_id",
                                f"transaction_id {txn!r} already used on line {first_line} for a different transaction"))
        for line, txn in connection.execute(text(_STORED_CONFLICTS)):
            errors.add(RowError(int(line), "transaction_id",
                                f"transaction_id {txn!r} was already imported with a different account, date or amount"))
        if errors.count:
            # Leaving the block by exception rolls the whole transaction back.
            raise ImportRejected(src.name, sorted(errors.items, key=lambda e: e.line), errors.count, rows_total)

        batch_id = connection.execute(insert(ImportBatch).values(
            kind="transactions", source_name=src.name[-500:], source_sha256=src.sha256, rows_total=rows_total,
            rows_inserted=0, rows_unchanged=0, started_at=started_at, finished_at=started_at,
        )).inserted_primary_key[0]
        connection.execute(text(_INSERT_NEW), {"batch": batch_id})
        inserted = connection.execute(
            text("SELECT count(*) FROM transactions WHERE import_batch_id = :batch"), {"batch": batch_id}
        ).scalar_one()
        connection.execute(ImportBatch.__table__.update().where(ImportBatch.id == batch_id).values(
            rows_inserted=inserted, rows_unchanged=rows_total - inserted, finished_at=datetime.now(timezone.utc),
        ))
        staging.drop(connection)
    return ImportReport("transactions", src.name, rows_total, int(inserted), rows_total - int(inserted),
                        int(batch_id), time.perf_counter() - started)


_STAGING = "finbot_staging_transactions"
_STAGING_COLUMNS = ("line",) + _TXN_COLUMNS
# The first row of each bank id in the file is the one that counts.
_FIRST_OF_ID = f"(SELECT transaction_id, MIN(line) AS first_line FROM {_STAGING} GROUP BY transaction_id)"
_IN_FILE_DUPLICATES = f"""
SELECT s.line, s.transaction_id, d.first_line
FROM {_STAGING} s
JOIN {_FIRST_OF_ID} d ON d.transaction_id = s.transaction_id
JOIN {_STAGING} f ON f.transaction_id = s.transaction_id AND f.line = d.first_line
WHERE s.line <> d.first_line
  AND (s.account_id <> f.account_id OR s.booked_at <> f.booked_at OR s.amount_cents <> f.amount_cents)
ORDER BY s.line"""
_STORED_CONFLICTS = f"""
SELECT s.line, s.transaction_id
FROM {_STAGING} s JOIN transactions t ON t.transaction_id = s.transaction_id
WHERE t.account_id <> s.account_id OR t.booked_at <> s.booked_at OR t.amount_cents <> s.amount_cents
ORDER BY s.line"""
_INSERT_NEW = f"""
INSERT INTO transactions ({", ".join(_TXN_COLUMNS)}, import_batch_id)
SELECT {", ".join("s." + c for c in _TXN_COLUMNS)}, :batch
FROM {_STAGING} s
WHERE NOT EXISTS (SELECT 1 FROM {_STAGING} e WHERE e.transaction_id = s.transaction_id AND e.line < s.line)
  AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.transaction_id = s.transaction_id)"""


def _bulk_insert(connection: Connection, table, frame: pd.DataFrame) -> None:
    """Fast path for many rows: COPY on PostgreSQL, executemany on SQLite; no ORM."""
    if frame.empty:
        return
    columns = ", ".join(frame.columns)
    if connection.dialect.name == "postgresql":
        # COPY is PostgreSQL's bulk path; empty unquoted CSV fields load as NULL.
        buffer = io.StringIO()
        frame.to_csv(buffer, header=False, index=False)
        buffer.seek(0)
        cursor = connection.connection.cursor()
        cursor.copy_expert(f"COPY {table.name} ({columns}) FROM STDIN WITH (FORMAT csv)", buffer)
        cursor.close()
        return
    # DB drivers bind Python ints, not numpy ones.
    frame = frame.astype({c: object for c in frame.columns if frame[c].dtype.kind in "iu"})
    rows = list(frame.itertuples(index=False, name=None))
    placeholders = ", ".join("?" for _ in frame.columns)
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) VALUES ({placeholders})", rows)


def _create_staging_table(connection: Connection):
    from sqlalchemy import BigInteger, Column, Date, Integer, MetaData, String, Table

    staging = Table(
        _STAGING, MetaData(),
        Column("line", Integer), Column("transaction_id", String(64)), Column("customer_id", String(64)),
        Column("account_id", String(64)), Column("booked_at", Date), Column("amount_cents", BigInteger),
        Column("currency", String(3)), Column("description", String(500)), Column("counterparty", String(200)),
        Column("counterparty_account", String(64)), Column("mcc", String(4)),
        prefixes=["TEMPORARY"],
    )
    staging.drop(connection, checkfirst=True)
    staging.create(connection)
    return staging


# --------------------------------------------------------------------------- master data


def _insert_or_update(engine: Engine, key_column, rows: list[dict], on_insert: dict | None = None) -> int:
    """Master data: update rows whose key exists, insert the others, in one
    transaction. Returns how many were inserted."""
    table = key_column.table
    inserted = 0
    with engine.begin() as connection:
        existing = _lookup(connection, key_column, [r[key_column.key] for r in rows])
        for row in rows:
            if row[key_column.key] in existing:
                connection.execute(table.update().where(key_column == row[key_column.key]).values(**row))
            else:
                connection.execute(insert(table).values(**(on_insert or {}), **row))
                inserted += 1
    return inserted


def import_customers(engine: Engine, source, *, fmt: str | None = None, encoding: str = "utf-8-sig") -> ImportReport:
    """Insert new customers and update the name/language/segment of known ones."""
    started = time.perf_counter()
    src = _open_source(source, 1_000_000, fmt, encoding)
    _check_columns(src, schema.CUSTOMER_REQUIRED, schema.CUSTOMER_OPTIONAL)
    errors = _Errors(1_000)
    rows: list[dict] = []
    seen: dict[str, int] = {}
    for chunk in src.chunks():
        _ensure_columns(chunk, schema.CUSTOMER_OPTIONAL)
        f = chunk.frame
        _check_required(chunk, errors, schema.CUSTOMER_REQUIRED)
        _check_length(chunk, errors, "customer_id", 64)
        _check_length(chunk, errors, "name", 200)
        errors.add_mask(chunk, (f["language"] != "") & ~f["language"].isin(schema.LANGUAGES), "language",
                        lambda r: f"unknown language {r['language']!r} (accepted: zh, en)")
        year_ok = f["birth_year"].str.fullmatch(r"(19|20)\d{2}") | (f["birth_year"] == "")
        errors.add_mask(chunk, ~year_ok, "birth_year", lambda r: f"birth_year {r['birth_year']!r} is not a year")
        for pos, cid in enumerate(f["customer_id"]):
            if cid in seen:
                errors.add(RowError(int(chunk.lines[pos]), "customer_id", f"customer {cid!r} repeats line {seen[cid]}"))
            seen.setdefault(cid, int(chunk.lines[pos]))
        for record in f.to_dict("records"):
            rows.append({
                "customer_id": record["customer_id"], "name": record["name"], "language": record["language"],
                "birth_year": int(record["birth_year"]) if record["birth_year"] else None,
                "segment": record["segment"] or None,
            })
    if errors.count:
        raise ImportRejected(src.name, sorted(errors.items, key=lambda e: e.line), errors.count, len(rows))
    inserted = _insert_or_update(engine, Customer.customer_id, rows,
                                 on_insert={"created_at": datetime.now(timezone.utc)})
    return ImportReport("customers", src.name, len(rows), inserted, len(rows) - inserted, None,
                        time.perf_counter() - started)


def import_accounts(engine: Engine, source, *, fmt: str | None = None, encoding: str = "utf-8-sig") -> ImportReport:
    """Insert new accounts and refresh the reported balance of known ones."""
    started = time.perf_counter()
    src = _open_source(source, 1_000_000, fmt, encoding)
    _check_columns(src, schema.ACCOUNT_REQUIRED, schema.ACCOUNT_OPTIONAL)
    errors = _Errors(1_000)
    rows: list[dict] = []
    with engine.connect() as connection:
        for chunk in src.chunks():
            _ensure_columns(chunk, schema.ACCOUNT_OPTIONAL)
            f = chunk.frame
            _check_required(chunk, errors, schema.ACCOUNT_REQUIRED)
            _check_length(chunk, errors, "account_id", 64)
            errors.add_mask(chunk, (f["account_type"] != "") & ~f["account_type"].isin(schema.ACCOUNT_TYPES),
                            "account_type", lambda r: f"unknown account_type {r['account_type']!r} "
                                                      f"(accepted: {', '.join(schema.ACCOUNT_TYPES)})")
            currency = f["currency"].str.upper()
            errors.add_mask(chunk, (f["currency"] != "") & ~currency.isin(schema.KNOWN_CURRENCIES), "currency",
                            lambda r: f"unknown currency {r['currency']!r}")
            cents, amount_ok = parse_amount_cents(f["balance"])
            errors.add_mask(chunk, (f["balance"] != "") & ~amount_ok, "balance",
                            lambda r: f"unparsable amount {r['balance']!r}")
            as_of, date_ok = parse_dates(f["balance_as_of"])
            errors.add_mask(chunk, (f["balance_as_of"] != "") & ~date_ok, "balance_as_of",
                            lambda r: f"unparsable date {r['balance_as_of']!r} (expected YYYY-MM-DD)")
            customers = _lookup(connection, Customer.customer_id, f["customer_id"].unique())
            errors.add_mask(chunk, (f["customer_id"] != "") & ~f["customer_id"].isin(customers.keys()),
                            "customer_id", lambda r: f"unknown customer {r['customer_id']!r}")
            existing = _lookup(connection, Account.account_id, f["account_id"].unique(), Account.customer_id)
            moved = f["account_id"].map(lambda a: existing.get(a, (None,))[0])
            errors.add_mask(chunk, moved.notna() & (moved != f["customer_id"]), "customer_id",
                            lambda r: f"account {r['account_id']!r} belongs to another customer")
            for pos, record in enumerate(f.to_dict("records")):
                rows.append({
                    "account_id": record["account_id"], "customer_id": record["customer_id"],
                    "account_type": record["account_type"], "currency": currency.iat[pos],
                    "name": record["name"] or None, "balance_cents": int(cents.iat[pos]),
                    "balance_as_of": as_of.iat[pos].date() if date_ok.iat[pos] else None,
                })
    if errors.count:
        raise ImportRejected(src.name, sorted(errors.items, key=lambda e: e.line), errors.count, len(rows))
    inserted = _insert_or_update(engine, Account.account_id, rows)
    return ImportReport("accounts", src.name, len(rows), inserted, len(rows) - inserted, None,
                        time.perf_counter() - started)
