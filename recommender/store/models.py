"""Database tables. Money is integer cents (BIGINT), percentages are NUMERIC.

Schema changes go through an Alembic migration in ``migrations/versions``;
``tests/test_migrations.py`` fails if these models and the migrations differ.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import TypeDecorator

# Stable constraint names so migrations are reproducible on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
Base = declarative_base(metadata=MetaData(naming_convention=NAMING))

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class ExactDecimal(TypeDecorator):
    """NUMERIC where the database has it; on SQLite (whose NUMERIC is a float)
    a decimal string, so values read back exactly as written."""

    impl = Numeric(9, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(Numeric(9, 4))

    def process_bind_param(self, value, dialect):
        if value is None or dialect.name != "sqlite":
            return value
        return str(Decimal(str(value)).quantize(Decimal("0.0001")))

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(str(value))


Percent = ExactDecimal()


class Customer(Base):
    __tablename__ = "customers"
    customer_id = Column(String(64), primary_key=True)  # the bank's customer id
    name = Column(String(200), nullable=False)
    language = Column(String(2), nullable=False)  # preferred reply language: zh | en
    birth_year = Column(Integer)
    segment = Column(String(32))
    created_at = Column(DateTime(timezone=True), nullable=False)
    __table_args__ = (CheckConstraint("language IN ('zh', 'en')", name="language"),)


class Account(Base):
    __tablename__ = "accounts"
    account_id = Column(String(64), primary_key=True)  # the bank's account id
    customer_id = Column(String(64), ForeignKey("customers.customer_id"), nullable=False, index=True)
    account_type = Column(String(32), nullable=False)
    currency = Column(String(3), nullable=False)
    name = Column(String(200))
    # Balance as the bank reported it at balance_as_of (negative = owed on a card).
    balance_cents = Column(BigInteger, nullable=False)
    balance_as_of = Column(Date, nullable=False)


class ImportBatch(Base):
    """One accepted import file: who can later tell where a row came from."""

    __tablename__ = "import_batches"
    id = Column(BigId, primary_key=True, autoincrement=True)
    kind = Column(String(32), nullable=False)  # customers | accounts | transactions | funds
    source_name = Column(String(500), nullable=False)
    source_sha256 = Column(String(64), nullable=False)
    rows_total = Column(BigInteger, nullable=False)
    rows_inserted = Column(BigInteger, nullable=False)
    rows_unchanged = Column(BigInteger, nullable=False)
    started_at = Column(DateTime(timezone=True), nullable=False)
    finished_at = Column(DateTime(timezone=True), nullable=False)


class Transaction(Base):
    __tablename__ = "transactions"
    id = Column(BigId, primary_key=True, autoincrement=True)
    # The bank's own id: re-importing it changes nothing.
    transaction_id = Column(String(64), nullable=False, unique=True)
    customer_id = Column(String(64), ForeignKey("customers.customer_id"), nullable=False)
    account_id = Column(String(64), ForeignKey("accounts.account_id"), nullable=False)
    booked_at = Column(Date, nullable=False)
    amount_cents = Column(BigInteger, nullable=False)  # + money in, - money out
    currency = Column(String(3), nullable=False)
    description = Column(String(500), nullable=False)
    counterparty = Column(String(200))
    counterparty_account = Column(String(64))
    mcc = Column(String(4))
    import_batch_id = Column(BigId, ForeignKey("import_batches.id"))
    __table_args__ = (
        Index("ix_transactions_customer_booked", "customer_id", "booked_at"),
        Index("ix_transactions_account_booked", "account_id", "booked_at"),
    )


class CatalogueVersion(Base):
    __tablename__ = "fund_catalogue_versions"
    version = Column(String(32), primary_key=True)  # sha256 prefix of the source file
    source_name = Column(String(500), nullable=False)
    fund_count = Column(Integer, nullable=False)
    loaded_at = Column(DateTime(timezone=True), nullable=False)


class Fund(Base):
    __tablename__ = "funds"
    fund_code = Column(String(6), primary_key=True)
    name_zh = Column(String(200), nullable=False)
    name_en = Column(String(200), nullable=False)
    manager_zh = Column(String(200), nullable=False)
    manager_en = Column(String(200), nullable=False)
    fund_type = Column(String(32), nullable=False)
    risk_rating = Column(String(2), nullable=False)
    currency = Column(String(3), nullable=False)
    subscription_fee_pct = Column(Percent, nullable=False)
    management_fee_pct = Column(Percent, nullable=False)
    custody_fee_pct = Column(Percent, nullable=False)
    redemption_days = Column(Integer, nullable=False)
    min_holding_days = Column(Integer, nullable=False)
    min_purchase_cents = Column(BigInteger, nullable=False)
    return_1y_pct = Column(Percent, nullable=False)
    return_3y_annualised_pct = Column(Percent, nullable=False)
    volatility_pct = Column(Percent, nullable=False)
    max_drawdown_pct = Column(Percent, nullable=False)
    inception_date = Column(Date, nullable=False)
    synthetic = Column(Boolean, nullable=False)  # demo figures, not market data
    catalogue_version = Column(String(32), ForeignKey("fund_catalogue_versions.version"), nullable=False)


class RiskAssessment(Base):
    """A completed risk questionnaire. Valid from assessed_at until expires_at."""

    __tablename__ = "risk_assessments"
    id = Column(BigId, primary_key=True, autoincrement=True)
    customer_id = Column(String(64), ForeignKey("customers.customer_id"), nullable=False, index=True)
    questionnaire_version = Column(String(32), nullable=False)
    answers = Column(JSON, nullable=False)  # question id -> option id
    total_points = Column(Integer)
    risk_level = Column(String(2), nullable=False)  # C1..C5
    assessed_at = Column(DateTime(timezone=True), nullable=False)
    expires_at = Column(DateTime(timezone=True), nullable=False)
    channel = Column(String(32), nullable=False)  # chat | branch | api | demo
    __table_args__ = (CheckConstraint("risk_level IN ('C1','C2','C3','C4','C5')", name="risk_level"),)


class RecommendationRecord(Base):
    """Audit record of one recommendation. Append-only (database triggers refuse
    UPDATE and DELETE) and hash-chained: record_hash covers this record's content
    and prev_hash, and prev_hash is unique, so the chain cannot fork."""

    __tablename__ = "recommendations"
    id = Column(BigId, primary_key=True, autoincrement=True)
    customer_id = Column(String(64), ForeignKey("customers.customer_id"), nullable=False, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False)
    channel = Column(String(32), nullable=False)
    request = Column(JSON, nullable=False)
    features = Column(JSON, nullable=False)
    assessment_id = Column(BigId, ForeignKey("risk_assessments.id"))
    questionnaire_level = Column(String(2))
    effective_level = Column(String(2))
    catalogue_version = Column(String(32), nullable=False)
    policy_fingerprint = Column(String(32), nullable=False)
    decisions = Column(JSON, nullable=False)
    output = Column(JSON, nullable=False)
    code_version = Column(String(64), nullable=False)
    prev_hash = Column(String(64), nullable=False, unique=True)
    record_hash = Column(String(64), nullable=False, unique=True)


class PurchaseRequest(Base):
    """A fund purchase the customer confirmed in chat. finbot records the
    request; the bank's order system executes it (status moves on there)."""

    __tablename__ = "purchase_requests"
    id = Column(BigId, primary_key=True, autoincrement=True)
    customer_id = Column(String(64), ForeignKey("customers.customer_id"), nullable=False, index=True)
    fund_code = Column(String(6), nullable=False)
    amount_cents = Column(BigInteger, nullable=False)
    fund_risk_rating = Column(String(2), nullable=False)
    customer_level = Column(String(2), nullable=False)  # the level the suitability check used
    assessment_id = Column(BigId, ForeignKey("risk_assessments.id"))
    status = Column(String(16), nullable=False)  # requested
    channel = Column(String(32), nullable=False)
    conversation_id = Column(String(128))
    created_at = Column(DateTime(timezone=True), nullable=False)
    __table_args__ = (CheckConstraint("amount_cents > 0", name="positive_amount"),)


class HandoffRequest(Base):
    """A customer asked for a person; the transcript goes to the agent desk."""

    __tablename__ = "handoff_requests"
    id = Column(BigId, primary_key=True, autoincrement=True)
    customer_id = Column(String(64), ForeignKey("customers.customer_id"), index=True)
    conversation_id = Column(String(128), nullable=False)
    reason = Column(String(500))
    language = Column(String(2))
    transcript = Column(JSON, nullable=False)  # [{"speaker": "user"|"bot", "text": ..., "at": ...}]
    status = Column(String(16), nullable=False)  # open
    created_at = Column(DateTime(timezone=True), nullable=False)


class ApiKey(Base):
    """A credential of the bank's backend. Only a SHA-256 of the secret is kept.

    The key shown once at creation is ``fbk_<key_id>_<secret>``; ``key_id`` finds
    the row, the hash checks the secret. Rotation is create-new then revoke-old.
    """

    __tablename__ = "api_keys"
    key_id = Column(String(16), primary_key=True)
    name = Column(String(100), nullable=False)
    secret_sha256 = Column(String(64), nullable=False)
    scopes = Column(String(500), nullable=False)  # space-separated, e.g. "chat customers:read"
    created_at = Column(DateTime(timezone=True), nullable=False)
    expires_at = Column(DateTime(timezone=True))
    revoked_at = Column(DateTime(timezone=True))
    last_used_at = Column(DateTime(timezone=True))


# ---- the model registry (bot/registry.py) -----------------------------------------

MODEL_STATUSES = ("candidate", "serving", "retired", "refused")


class ModelVersion(Base):
    """One trained bot model: its archive, what it was trained from, and how good it is.

    ``status``: candidate (registered, not decided), serving (the one the
    server loads), retired (served before), refused (the promotion gate said
    no). The partial unique index allows at most one serving row; promotion
    retires the old one and serves the new one in the same transaction.
    """

    __tablename__ = "model_versions"
    version = Column(String(64), primary_key=True)  # the archive's name without .tar.gz
    archive_path = Column(String(1000), nullable=False)
    config_name = Column(String(200), nullable=False)  # e.g. bot/configs/ci.yml
    config_text = Column(Text, nullable=False)  # the config file as it was at training time
    fingerprint = Column(String(64), nullable=False)  # bot.training.training_fingerprint: every input
    nlu_sha256 = Column(String(64), nullable=False)  # the training data, part by part
    domain_sha256 = Column(String(64), nullable=False)
    stories_sha256 = Column(String(64), nullable=False)
    code_version = Column(String(64), nullable=False)
    source = Column(String(32), nullable=False)  # train | setup | tune | retrain | register
    trained_at = Column(DateTime(timezone=True), nullable=False)
    training_seconds = Column(Float, nullable=False)
    size_bytes = Column(BigInteger, nullable=False)
    tensorboard_dir = Column(String(1000))
    report = Column(JSON)  # held-out evaluation: bot.evaluation.Report.to_dict() + when it ran
    status = Column(String(16), nullable=False)
    registered_at = Column(DateTime(timezone=True), nullable=False)
    status_changed_at = Column(DateTime(timezone=True), nullable=False)
    __table_args__ = (
        CheckConstraint("status IN ('candidate', 'serving', 'retired', 'refused')", name="status"),
        Index("uq_model_versions_one_serving", "status", unique=True,
              sqlite_where=text("status = 'serving'"), postgresql_where=text("status = 'serving'")),
    )


class ModelDecision(Base):
    """Promotion history: every promotion, refusal and rollback, who made it, when and why."""

    __tablename__ = "model_decisions"
    id = Column(BigId, primary_key=True, autoincrement=True)
    version = Column(String(64), ForeignKey("model_versions.version"), nullable=False, index=True)
    action = Column(String(16), nullable=False)  # promote | refuse | rollback
    previous_version = Column(String(64), ForeignKey("model_versions.version"))  # serving before
    forced = Column(Boolean, nullable=False)  # promoted although the gate refused
    decided_by = Column(String(200), nullable=False)
    decided_at = Column(DateTime(timezone=True), nullable=False)
    reason = Column(String(1000), nullable=False)
    gate = Column(JSON)  # bot.registry.GateDecision.to_dict(): verdict, reasons, every check
    __table_args__ = (CheckConstraint("action IN ('promote', 'refuse', 'rollback')", name="action"),)


# ---- the review queue (bot/review.py) ----------------------------------------------

REVIEW_STATUSES = ("pending", "confirmed", "corrected", "discarded")


class ReviewItem(Base):
    """A customer's chat message queued for a person to check its intent and entities.

    Gathered from Rasa's tracker store (table ``events``, one row per event)
    when the message went to the fallback, scored low, or the customer's next
    message corrected the bot or asked for a human. ``source_event_id`` (the
    event's id) is unique, so gathering twice adds nothing. Confirmed and
    corrected items become training data (``nlu_data/<language>/reviewed/``);
    the rows hold message text, so a customer's erasure deletes them.
    """

    __tablename__ = "review_items"
    id = Column(BigId, primary_key=True, autoincrement=True)
    source_event_id = Column(BigInteger, nullable=False, unique=True)  # events.id of the user message
    conversation_id = Column(String(255), nullable=False, index=True)  # <customer_id>/<sender>
    customer_id = Column(String(64), index=True)  # from the conversation id; None for anonymous chats
    said_at = Column(DateTime(timezone=True), nullable=False)
    text = Column(Text, nullable=False)
    language = Column(String(8), nullable=False)  # zh | en | mixed (both scripts)
    predicted_intent = Column(String(100))  # the model's best real intent (behind nlu_fallback if it fell back)
    confidence = Column(Float)
    predicted_entities = Column(JSON, nullable=False)  # [{"entity", "start", "end", "value"}]
    reasons = Column(JSON, nullable=False)  # ["fallback", "low_confidence", "correction", "handoff"]
    follow_up = Column(Text)  # the customer's next message, when it was a correction or a handoff
    status = Column(String(16), nullable=False, index=True)
    reviewed_intent = Column(String(100))
    reviewed_entities = Column(JSON)
    reviewer = Column(String(200))
    reviewed_at = Column(DateTime(timezone=True))
    gathered_at = Column(DateTime(timezone=True), nullable=False)
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'confirmed', 'corrected', 'discarded')", name="status"),
        CheckConstraint("language IN ('zh', 'en', 'mixed')", name="language"),
    )
