"""Read and write access to customers, accounts, transactions, funds and risk
assessments. Functions take an Engine or Connection and return plain data
(dataclasses, dicts, pandas frames), never ORM objects, so callers in the bot
or the API do not hold sessions open.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection, Engine

from recommender.store.models import (
    Account,
    CatalogueVersion,
    Customer,
    Fund,
    RiskAssessment,
    Transaction,
)

TRANSACTION_FRAME_COLUMNS = (
    "transaction_id", "customer_id", "account_id", "booked_at", "amount_cents", "currency",
    "description", "counterparty", "counterparty_account", "mcc",
)
ACCOUNT_FRAME_COLUMNS = ("account_id", "customer_id", "account_type", "currency", "name", "balance_cents",
                         "balance_as_of")


@dataclass(frozen=True)
class CustomerRecord:
    customer_id: str
    name: str
    language: str
    birth_year: int | None
    segment: str | None


@dataclass(frozen=True)
class AssessmentRecord:
    assessment_id: int
    customer_id: str
    questionnaire_version: str
    answers: dict
    total_points: int | None
    risk_level: str
    assessed_at: datetime
    expires_at: datetime
    channel: str

    def is_valid_on(self, day: date) -> bool:
        return self.expires_at.date() >= day


# --------------------------------------------------------------------------- customers


def get_customer(bind: Engine | Connection, customer_id: str) -> CustomerRecord | None:
    with _connect(bind) as connection:
        row = connection.execute(select(Customer).where(Customer.customer_id == customer_id)).mappings().first()
    return _customer(row) if row else None


def list_customers(bind: Engine | Connection) -> list[CustomerRecord]:
    with _connect(bind) as connection:
        rows = connection.execute(select(Customer).order_by(Customer.customer_id)).mappings().all()
    return [_customer(r) for r in rows]


def count_customers(bind: Engine | Connection) -> int:
    with _connect(bind) as connection:
        return connection.execute(select(func.count()).select_from(Customer)).scalar_one()


def _customer(row) -> CustomerRecord:
    return CustomerRecord(row["customer_id"], row["name"], row["language"], row["birth_year"], row["segment"])


# --------------------------------------------------------------------------- accounts and transactions


def accounts_frame(bind: Engine | Connection, customer_id: str | None = None) -> pd.DataFrame:
    """One row per account; balance_cents int64, balance_as_of a date."""
    query = select(*[getattr(Account, c) for c in ACCOUNT_FRAME_COLUMNS]).order_by(Account.account_id)
    if customer_id is not None:
        query = query.where(Account.customer_id == customer_id)
    with _connect(bind) as connection:
        rows = connection.execute(query).all()
    frame = pd.DataFrame(rows, columns=list(ACCOUNT_FRAME_COLUMNS))
    frame["balance_cents"] = frame["balance_cents"].astype("int64")
    return frame


def transactions_frame(bind: Engine | Connection, customer_id: str | None = None,
                       start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Transactions (inclusive date range) as the recommender expects them:
    booked_at datetime64, amount_cents int64, optional columns None when absent."""
    query = select(*[getattr(Transaction, c) for c in TRANSACTION_FRAME_COLUMNS])
    if customer_id is not None:
        query = query.where(Transaction.customer_id == customer_id)
    if start is not None:
        query = query.where(Transaction.booked_at >= start)
    if end is not None:
        query = query.where(Transaction.booked_at <= end)
    query = query.order_by(Transaction.booked_at, Transaction.transaction_id)
    with _connect(bind) as connection:
        rows = connection.execute(query).all()
    frame = pd.DataFrame(rows, columns=list(TRANSACTION_FRAME_COLUMNS))
    frame["booked_at"] = pd.to_datetime(frame["booked_at"])
    frame["amount_cents"] = frame["amount_cents"].astype("int64")
    return frame


def transactions_signature(bind: Engine | Connection, customer_id: str, start: date | None = None,
                           end: date | None = None) -> tuple:
    """What tells whether ``transactions_frame`` for these arguments may have changed:
    the rows' count, lowest and highest id, sum of amounts and newest import batch.
    Rows are never updated in place (a re-imported id changes nothing): an import
    adds rows under a new import batch, an erasure removes them. Only rows deleted
    and re-inserted outside the importer, with the same ids, count and sum, would
    go unnoticed."""
    query = select(func.count(), func.min(Transaction.id), func.max(Transaction.id),
                   func.coalesce(func.sum(Transaction.amount_cents), 0),
                   func.max(Transaction.import_batch_id)).where(Transaction.customer_id == customer_id)
    if start is not None:
        query = query.where(Transaction.booked_at >= start)
    if end is not None:
        query = query.where(Transaction.booked_at <= end)
    with _connect(bind) as connection:
        return tuple(connection.execute(query).one())


def count_transactions(bind: Engine | Connection) -> int:
    with _connect(bind) as connection:
        return connection.execute(select(func.count()).select_from(Transaction)).scalar_one()


# --------------------------------------------------------------------------- fund catalogue

_FUND_PERCENT_COLUMNS = ("subscription_fee_pct", "management_fee_pct", "custody_fee_pct", "return_1y_pct",
                         "return_3y_annualised_pct", "volatility_pct", "max_drawdown_pct")


def store_catalogue(bind: Engine, catalogue: pd.DataFrame, source_name: str) -> str:
    """Replace the fund catalogue with ``catalogue`` (the frame returned by
    ``recommender.catalogue.load_fund_catalogue``). Returns its version; storing
    the same version again changes nothing."""
    version = catalogue.attrs["catalogue_version"]
    with bind.begin() as connection:
        known = connection.execute(
            select(CatalogueVersion.version).where(CatalogueVersion.version == version)).scalar()
        current = current_catalogue_version(connection)
        if known and current == version:
            return version
        if not known:
            connection.execute(insert(CatalogueVersion).values(
                version=version, source_name=source_name[-500:], fund_count=len(catalogue),
                loaded_at=datetime.now(timezone.utc)))
        connection.execute(delete(Fund))
        rows = []
        for record in catalogue.to_dict("records"):
            row = {c.name: record[c.name] for c in Fund.__table__.columns
                   if c.name in record and c.name not in ("synthetic", "catalogue_version")}
            for col in _FUND_PERCENT_COLUMNS:
                # The catalogue frame carries percentages as floats for ranking; the
                # database keeps the decimal the file had (4 places).
                row[col] = Decimal(str(record[col])).quantize(Decimal("0.0001"))
            row["inception_date"] = pd.Timestamp(record["inception_date"]).date()
            row["synthetic"] = str(record["synthetic"]).lower() == "true"
            row["catalogue_version"] = version
            rows.append(row)
        connection.execute(insert(Fund), rows)
    return version


def current_catalogue_version(bind: Engine | Connection) -> str | None:
    with _connect(bind) as connection:
        return connection.execute(select(Fund.catalogue_version).limit(1)).scalar()


def catalogue_frame(bind: Engine | Connection) -> pd.DataFrame:
    """The stored catalogue, in the same shape as ``load_fund_catalogue``."""
    with _connect(bind) as connection:
        rows = connection.execute(select(Fund).order_by(Fund.fund_code)).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows])
    if frame.empty:
        return frame
    for col in _FUND_PERCENT_COLUMNS:
        frame[col] = frame[col].astype("float64")
    frame["risk_level"] = frame["risk_rating"].str[1].astype("int64")
    frame["min_purchase_cents"] = frame["min_purchase_cents"].astype("int64")
    frame["redemption_days"] = frame["redemption_days"].astype("int64")
    frame["min_holding_days"] = frame["min_holding_days"].astype("int64")
    frame["inception_date"] = pd.to_datetime(frame["inception_date"])
    frame.attrs["catalogue_version"] = frame["catalogue_version"].iloc[0]
    return frame


# --------------------------------------------------------------------------- risk assessments


def add_assessment(bind: Engine | Connection, customer_id: str, *, answers: dict, risk_level: str,
                   assessed_at: datetime, validity_days: int | None = None, expires_at: datetime | None = None,
                   total_points: int | None = None, questionnaire_version: str = "v1",
                   channel: str = "chat") -> int:
    """Store a completed questionnaire; returns its id. Give validity_days or expires_at."""
    if expires_at is None:
        if validity_days is None:
            raise ValueError("give validity_days or expires_at")
        expires_at = assessed_at + timedelta(days=validity_days)
    with _begin(bind) as connection:
        return connection.execute(insert(RiskAssessment).values(
            customer_id=customer_id, questionnaire_version=questionnaire_version, answers=answers,
            total_points=total_points, risk_level=risk_level, assessed_at=assessed_at, expires_at=expires_at,
            channel=channel)).inserted_primary_key[0]


def latest_assessment(bind: Engine | Connection, customer_id: str) -> AssessmentRecord | None:
    """The customer's most recent questionnaire, valid or not (callers check expiry)."""
    query = (select(RiskAssessment).where(RiskAssessment.customer_id == customer_id)
             .order_by(RiskAssessment.assessed_at.desc(), RiskAssessment.id.desc()).limit(1))
    with _connect(bind) as connection:
        row = connection.execute(query).mappings().first()
    if row is None:
        return None
    return AssessmentRecord(
        assessment_id=row["id"], customer_id=row["customer_id"], questionnaire_version=row["questionnaire_version"],
        answers=row["answers"], total_points=row["total_points"], risk_level=row["risk_level"],
        assessed_at=_aware(row["assessed_at"]), expires_at=_aware(row["expires_at"]), channel=row["channel"])


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; everything finbot stores is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# --------------------------------------------------------------------------- helpers


class _Borrowed:
    """Use a caller's Connection as is, or open one from an Engine."""

    def __init__(self, bind, transactional: bool):
        self.bind, self.transactional, self.ctx = bind, transactional, None

    def __enter__(self) -> Connection:
        if isinstance(self.bind, Connection):
            return self.bind
        self.ctx = self.bind.begin() if self.transactional else self.bind.connect()
        return self.ctx.__enter__()

    def __exit__(self, *exc):
        if self.ctx is not None:
            return self.ctx.__exit__(*exc)
        return False


def _connect(bind) -> _Borrowed:
    return _Borrowed(bind, transactional=False)


def _begin(bind) -> _Borrowed:
    return _Borrowed(bind, transactional=True)


# --------------------------------------------------------------------------- requests from the chat


def add_purchase_request(bind: Engine | Connection, *, customer_id: str, fund_code: str, amount_cents: int,
                         fund_risk_rating: str, customer_level: str, assessment_id: int | None,
                         channel: str, conversation_id: str | None) -> int:
    from recommender.store.models import PurchaseRequest

    if amount_cents <= 0:
        raise ValueError("a purchase needs a positive amount")
    with _begin(bind) as connection:
        return connection.execute(insert(PurchaseRequest).values(
            customer_id=customer_id, fund_code=fund_code, amount_cents=amount_cents,
            fund_risk_rating=fund_risk_rating, customer_level=customer_level, assessment_id=assessment_id,
            status="requested", channel=channel, conversation_id=conversation_id,
            created_at=datetime.now(timezone.utc))).inserted_primary_key[0]


def purchase_requests(bind: Engine | Connection, customer_id: str) -> list[dict]:
    from recommender.store.models import PurchaseRequest

    with _connect(bind) as connection:
        rows = connection.execute(select(PurchaseRequest).where(PurchaseRequest.customer_id == customer_id)
                                  .order_by(PurchaseRequest.id)).mappings().all()
    return [dict(r) for r in rows]


def add_handoff_request(bind: Engine | Connection, *, customer_id: str | None, conversation_id: str,
                        reason: str | None, language: str | None, transcript: list[dict]) -> int:
    from recommender.store.models import HandoffRequest

    with _begin(bind) as connection:
        return connection.execute(insert(HandoffRequest).values(
            customer_id=customer_id, conversation_id=conversation_id, reason=(reason or "")[:500] or None,
            language=language, transcript=transcript, status="open",
            created_at=datetime.now(timezone.utc))).inserted_primary_key[0]


def handoff_requests(bind: Engine | Connection, conversation_id: str) -> list[dict]:
    from recommender.store.models import HandoffRequest

    with _connect(bind) as connection:
        rows = connection.execute(select(HandoffRequest).where(HandoffRequest.conversation_id == conversation_id)
                                  .order_by(HandoffRequest.id)).mappings().all()
    return [dict(r) for r in rows]
