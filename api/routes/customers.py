"""Customer data for the bank's backend: balances, spending, income, features,
risk assessment, recommendations, export and erasure.

Every route needs an API key with the named scope; a customer's own chat
token may read (never write) that customer's data."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Optional

from fastapi import APIRouter, Depends, HTTPException, Query, status

from api.deps import customer_scope, get_service, require_scope
from api.schemas import (
    AssessmentOut,
    BalancesOut,
    CustomerOut,
    QuestionnaireIn,
    RecommendationIn,
    RecommendationOut,
)
from recommender.schema import SPENDING_CATEGORIES
from recommender.pipeline import RecommendationRequest
from recommender.service import RecommenderService

router = APIRouter(prefix="/v1/customers", tags=["customers"])


def _period(service: RecommenderService, start: Optional[date], end: Optional[date]) -> tuple[date, date]:
    """Default period: the last complete calendar month."""
    if start is None and end is None:
        first_of_month = service.today().replace(day=1)
        end = first_of_month - timedelta(days=1)
        return end.replace(day=1), end
    if start is None or end is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "give both start and end, or neither")
    if end < start:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, f"end {end} is before start {start}")
    return start, end


@router.get("", response_model=list[CustomerOut], summary="All customers",
            dependencies=[Depends(require_scope("customers:read"))])
def list_customers(service: RecommenderService = Depends(get_service)):
    from recommender.store import repositories

    return [CustomerOut(customer_id=c.customer_id, name=c.name, language=c.language)
            for c in repositories.list_customers(service.engine)]


@router.get("/{customer_id}/balances", response_model=BalancesOut, summary="Account balances",
             dependencies=[Depends(customer_scope("customers:read"))])
def balances(customer_id: str, service: RecommenderService = Depends(get_service)):
    accounts = service.accounts(customer_id)
    totals = accounts.groupby("currency")["balance_cents"].sum() if len(accounts) else {}
    return BalancesOut(customer_id=customer_id, accounts=accounts.to_dict("records"),
                       total_by_currency_cents={k: int(v) for k, v in dict(totals).items()})


@router.get("/{customer_id}/spending", summary="Spending by category for a period, with top merchants and "
                                                "the change against the period before",
             dependencies=[Depends(customer_scope("customers:read"))])
def spending(customer_id: str,
             start: Optional[date] = Query(None, description="first day, YYYY-MM-DD (default: last month)"),
             end: Optional[date] = Query(None, description="last day, inclusive"),
             category: Optional[str] = Query(None, description=f"one of {', '.join(SPENDING_CATEGORIES)}"),
             service: RecommenderService = Depends(get_service)):
    if category is not None and category not in SPENDING_CATEGORIES:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY,
                            f"unknown category {category!r}; expected one of {', '.join(SPENDING_CATEGORIES)}")
    start, end = _period(service, start, end)
    return service.spending(customer_id, start, end, category)


@router.get("/{customer_id}/income", summary="Income by category for a period",
             dependencies=[Depends(customer_scope("customers:read"))])
def income(customer_id: str, start: Optional[date] = Query(None), end: Optional[date] = Query(None),
           service: RecommenderService = Depends(get_service)):
    start, end = _period(service, start, end)
    return service.income(customer_id, start, end)


@router.get("/{customer_id}/features", summary="The financial features the recommender uses, with units",
             dependencies=[Depends(customer_scope("customers:read"))])
def features(customer_id: str, service: RecommenderService = Depends(get_service)):
    values = service.features(customer_id)
    return {"customer_id": customer_id, "features": values.to_dict(), "units": dict(values.UNITS)}


@router.get("/{customer_id}/risk-assessment", response_model=AssessmentOut,
            summary="The customer's latest risk questionnaire result",
             dependencies=[Depends(customer_scope("customers:read"))])
def risk_assessment(customer_id: str, service: RecommenderService = Depends(get_service)):
    record = service.assessment(customer_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"customer {customer_id!r} has no risk assessment")
    return _assessment_out(record, service.today())


@router.post("/{customer_id}/risk-assessments", response_model=AssessmentOut, status_code=201,
             summary="Score and store a completed risk questionnaire",
             dependencies=[Depends(customer_scope("customers:write"))])
def record_questionnaire(customer_id: str, body: QuestionnaireIn, service: RecommenderService = Depends(get_service)):
    try:
        record = service.record_questionnaire(customer_id, body.answers, channel="api")
    except ValueError as problem:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(problem)) from None
    return _assessment_out(record, service.today())


@router.post("/{customer_id}/recommendations", response_model=RecommendationOut, status_code=201,
             summary="Recommend funds for the customer; the result is stored in the audit trail",
             dependencies=[Depends(customer_scope("customers:write"))])
def create_recommendation(customer_id: str, body: RecommendationIn,
                          service: RecommenderService = Depends(get_service)):
    amount_cents = None if body.amount_cny is None else int(body.amount_cny * 100)
    request = RecommendationRequest(amount_cents=amount_cents, horizon_months=body.horizon_months,
                                    fund_type=body.fund_type)
    audited = service.recommend(customer_id, request, channel="api")
    return RecommendationOut(audit_id=audited.audit_id, audit_hash=audited.audit_hash,
                             recommendation=audited.result.to_dict())


def _assessment_out(record, today: date) -> AssessmentOut:
    return AssessmentOut(assessment_id=record.assessment_id, risk_level=record.risk_level,
                         total_points=record.total_points, assessed_at=record.assessed_at.isoformat(),
                         expires_at=record.expires_at.isoformat(), valid=record.is_valid_on(today),
                         questionnaire_version=record.questionnaire_version)


@router.get("/{customer_id}/export", summary="Everything held about the customer, conversations included",
            dependencies=[Depends(require_scope("customers:read"))])
def export_customer(customer_id: str, service: RecommenderService = Depends(get_service)) -> dict:
    from api.conversations import export_conversations
    from recommender.store.privacy import export_customer_data

    data = export_customer_data(service.engine, customer_id)
    if data is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no customer {customer_id!r}")
    data["conversations"] = export_conversations(service.engine, customer_id)
    return data


@router.delete("/{customer_id}", summary="Erase the customer's data and conversations (audit evidence is kept)",
               dependencies=[Depends(require_scope("customers:delete"))])
def erase_customer(customer_id: str, service: RecommenderService = Depends(get_service)) -> dict:
    from api.conversations import delete_conversations
    from recommender.store.privacy import erase_customer_data

    report = erase_customer_data(service.engine, customer_id)
    if report is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no customer {customer_id!r}")
    report["deleted"]["conversations"] = delete_conversations(service.engine, customer_id)
    return report
