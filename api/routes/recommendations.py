"""Audit records of recommendations, the fund catalogue and the questionnaire."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, status

from api.deps import get_service, require_scope
from api.schemas import AuditRecordOut
from recommender import questionnaire
from recommender.service import RecommenderService
from recommender.store import audit

router = APIRouter(prefix="/v1", tags=["recommendations"])


@router.get("/recommendations/{record_id}", response_model=AuditRecordOut,
            summary="One audit record: inputs, features, questionnaire, decisions, output, code version",
            dependencies=[Depends(require_scope("audit:read"))])
def audit_record(record_id: int, service: RecommenderService = Depends(get_service)):
    entry = audit.get_record(service.engine, record_id)
    if entry is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no recommendation {record_id}")
    return AuditRecordOut(id=entry.id, record_hash=entry.record_hash, content=entry.content)


@router.get("/audit/verify", summary="Recompute the audit hash chain",
            dependencies=[Depends(require_scope("audit:read"))])
def verify(service: RecommenderService = Depends(get_service)):
    report = audit.verify_chain(service.engine)
    return {"records": report.records, "intact": report.first_broken_id is None,
            "first_broken_id": report.first_broken_id, "problem": report.problem}


@router.get("/funds", summary="The fund catalogue (synthetic demo figures unless the bank loaded its own)")
def funds(service: RecommenderService = Depends(get_service)):
    frame = service.catalogue()
    columns = ["fund_code", "name_zh", "name_en", "fund_type", "risk_rating", "min_purchase_cents",
               "redemption_days", "min_holding_days", "subscription_fee_pct", "management_fee_pct",
               "return_1y_pct", "return_3y_annualised_pct", "volatility_pct", "max_drawdown_pct", "synthetic"]
    return {"catalogue_version": frame.attrs["catalogue_version"], "funds": frame[columns].to_dict("records")}


@router.get("/funds/{fund_code}", summary="One fund")
def fund(fund_code: str, service: RecommenderService = Depends(get_service)):
    frame = service.catalogue()
    match = frame[frame["fund_code"] == fund_code]
    if match.empty:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no fund {fund_code!r} in the catalogue")
    row = match.iloc[0].to_dict()
    row["inception_date"] = str(row["inception_date"].date())
    return row


@router.get("/questionnaire", summary="The risk questionnaire: questions, options and points")
def questions():
    return {
        "version": questionnaire.QUESTIONNAIRE_VERSION,
        "questions": [
            {"id": q.id, "text_zh": q.text_zh, "text_en": q.text_en,
             "options": [{"id": o.id, "label_zh": o.label_zh, "label_en": o.label_en, "points": o.points}
                         for o in q.options]}
            for q in questionnaire.QUESTIONS
        ],
    }
