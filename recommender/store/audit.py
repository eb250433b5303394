"""The recommendation audit trail: append-only, hash-chained records.

Each record's ``record_hash`` is the SHA-256 of its canonical JSON content
(every stored field, including ``prev_hash``). ``prev_hash`` is the previous
record's hash (64 zeros for the first) and is UNIQUE in the database, so two
writers can never both extend the same record: the loser gets an integrity
error and retries on the new end of the chain. Writers also queue before
reading the chain's end (an advisory lock on PostgreSQL, ``BEGIN IMMEDIATE``
on SQLite), so retries are rare. Database triggers refuse
UPDATE and DELETE. ``verify_chain`` recomputes every hash.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from recommender.store.models import RecommendationRecord

GENESIS_HASH = "0" * 64
_CHAIN_LOCK_KEY = 0x46494E424F54  # "FINBOT": advisory lock id for appends on PostgreSQL
_HASHED_FIELDS = ("customer_id", "created_at", "channel", "request", "features", "assessment_id",
                  "questionnaire_level", "effective_level", "catalogue_version", "policy_fingerprint",
                  "decisions", "output", "code_version", "prev_hash")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    record_hash: str
    content: dict  # every hashed field, created_at as an ISO string


def record_hash(content: dict) -> str:
    canonical = json.dumps({k: content[k] for k in _HASHED_FIELDS}, sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _utc_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def append_record(engine: Engine, *, customer_id: str, channel: str, request: dict, features: dict,
                  assessment_id: int | None, questionnaire_level: str | None, effective_level: str | None,
                  catalogue_version: str, policy_fingerprint: str, decisions: list, output: dict,
                  code_version: str, created_at: datetime | None = None, retries: int = 5) -> AuditEntry:
    """Append one recommendation to the chain and return it with its hash."""
    created = (created_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    for attempt in range(retries):
        with engine.begin() as connection:
            # Writers queue here instead of racing for the chain's end.
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
            elif connection.dialect.name == "sqlite":
                # pysqlite would only BEGIN (deferred) at the INSERT, after the read;
                # taking the write lock first waits on busy_timeout instead.
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            last = connection.execute(
                select(RecommendationRecord.record_hash).order_by(RecommendationRecord.id.desc()).limit(1)
            ).scalar()
            content = {
                "customer_id": customer_id, "created_at": _utc_iso(created), "channel": channel,
                "request": request, "features": features, "assessment_id": assessment_id,
                "questionnaire_level": questionnaire_level, "effective_level": effective_level,
                "catalogue_version": catalogue_version, "policy_fingerprint": policy_fingerprint,
                "decisions": decisions, "output": output, "code_version": code_version,
                "prev_hash": last or GENESIS_HASH,
            }
            digest = record_hash(content)
            try:
                new_id = connection.execute(insert(RecommendationRecord).values(
                    **{**content, "created_at": created}, record_hash=digest)).inserted_primary_key[0]
            except IntegrityError:
                if attempt == retries - 1:
                    raise
                continue  # another writer extended the chain first: retry on the new end
        return AuditEntry(int(new_id), digest, content)
    raise RuntimeError("unreachable")


def get_record(engine: Engine, record_id: int) -> AuditEntry | None:
    with engine.connect() as connection:
        row = connection.execute(
            select(RecommendationRecord).where(RecommendationRecord.id == record_id)).mappings().first()
    return _entry(row) if row else None


def latest_record_for(engine: Engine, customer_id: str) -> AuditEntry | None:
    with engine.connect() as connection:
        row = connection.execute(
            select(RecommendationRecord).where(RecommendationRecord.customer_id == customer_id)
            .order_by(RecommendationRecord.id.desc()).limit(1)).mappings().first()
    return _entry(row) if row else None


def _entry(row) -> AuditEntry:
    content = {k: row[k] for k in _HASHED_FIELDS}
    content["created_at"] = _utc_iso(row["created_at"])
    return AuditEntry(int(row["id"]), row["record_hash"], content)


@dataclass(frozen=True)
class ChainReport:
    records: int
    first_broken_id: int | None   # None: the whole chain verifies
    problem: str | None


def verify_chain(engine: Engine) -> ChainReport:
    """Recompute every record's hash and check each links to its predecessor."""
    expected_prev = GENESIS_HASH
    count = 0
    with engine.connect() as connection:
        rows = connection.execute(select(RecommendationRecord).order_by(RecommendationRecord.id)).mappings()
        for row in rows:
            count += 1
            entry = _entry(row)
            if entry.content["prev_hash"] != expected_prev:
                return ChainReport(count, entry.id, "prev_hash does not match the previous record's hash")
            if record_hash(entry.content) != entry.record_hash:
                return ChainReport(count, entry.id, "record content does not match its hash")
            expected_prev = entry.record_hash
    return ChainReport(count, None, None)
