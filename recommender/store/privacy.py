"""A customer's data: everything we hold (export), and erasure within retention rules.

Erasure deletes what no law obliges the bank to keep: transactions, accounts,
hand-off transcripts, chat messages queued for review (bot/review.py) and
risk assessments that no record depends on. It keeps the suitability evidence
a fund distributor must retain (the hash-chained recommendation audit
records, the purchase requests the customer confirmed, and the risk
assessments they cite); the customer row then stays with its name blanked,
because those records reference it. The caller is told exactly what was
deleted and what was kept, and why.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine

from recommender.store.models import (Account, Customer, HandoffRequest, PurchaseRequest, RecommendationRecord,
                                      ReviewItem, RiskAssessment, Transaction)

RETENTION_REASON = ("kept as suitability evidence under fund-distribution record-keeping rules; "
                    "erase at the end of the bank's retention period")
_TABLES = (("accounts", Account), ("transactions", Transaction), ("risk_assessments", RiskAssessment),
           ("recommendations", RecommendationRecord), ("purchase_requests", PurchaseRequest),
           ("handoff_requests", HandoffRequest), ("review_items", ReviewItem))


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def export_customer_data(engine: Engine, customer_id: str) -> dict | None:
    """Every row about the customer, table by table (amounts in cents); None if unknown."""
    with engine.connect() as connection:
        customer = connection.execute(select(Customer.__table__).where(
            Customer.customer_id == customer_id)).mappings().first()
        if customer is None:
            return None
        out: dict[str, Any] = {"customer": {k: _plain(v) for k, v in customer.items()}}
        for name, model in _TABLES:
            table = model.__table__
            rows = connection.execute(select(table).where(table.c.customer_id == customer_id)
                                      .order_by(*table.primary_key.columns)).mappings()
            out[name] = [{k: _plain(v) for k, v in row.items()} for row in rows]
    return out


def erase_customer_data(engine: Engine, customer_id: str) -> dict | None:
    """Delete what may be deleted, in one transaction; report deleted and retained counts."""
    with engine.begin() as connection:
        exists = connection.execute(select(Customer.customer_id).where(
            Customer.customer_id == customer_id)).first()
        if exists is None:
            return None
        deleted: dict[str, int] = {}
        for name, model in (("transactions", Transaction), ("accounts", Account),
                            ("handoff_requests", HandoffRequest), ("review_items", ReviewItem)):
            deleted[name] = connection.execute(delete(model).where(model.customer_id == customer_id)).rowcount
        cited = select(RecommendationRecord.assessment_id).where(RecommendationRecord.assessment_id.isnot(None))
        cited_by_purchase = select(PurchaseRequest.assessment_id).where(PurchaseRequest.assessment_id.isnot(None))
        deleted["risk_assessments"] = connection.execute(delete(RiskAssessment).where(
            RiskAssessment.customer_id == customer_id, RiskAssessment.id.not_in(cited),
            RiskAssessment.id.not_in(cited_by_purchase))).rowcount
        retained = {
            name: len(connection.execute(select(model.id).where(model.customer_id == customer_id)).all())
            for name, model in (("recommendations", RecommendationRecord), ("purchase_requests", PurchaseRequest),
                                ("risk_assessments", RiskAssessment))
        }
        if any(retained.values()):
            connection.execute(update(Customer).where(Customer.customer_id == customer_id).values(
                name="", birth_year=None, segment=None))
            deleted["customers"] = 0
        else:
            deleted["customers"] = connection.execute(
                delete(Customer).where(Customer.customer_id == customer_id)).rowcount
    return {"customer_id": customer_id, "deleted": deleted,
            "retained": {k: v for k, v in retained.items() if v},
            "retention_reason": RETENTION_REASON if any(retained.values()) else None}
