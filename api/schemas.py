"""Request and response bodies of the REST API (kept apart from ORM models).

Money: requests take CNY as a decimal (string or number, at most 2 decimals);
responses give integer cents (``*_cents``) so no client ever sums floats.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Optional

from pydantic import BaseModel, Field, condecimal, conint, validator

from recommender.schema import FUND_TYPES


class Problem(BaseModel):
    detail: str


class CustomerOut(BaseModel):
    customer_id: str
    name: str
    language: str


class AccountOut(BaseModel):
    account_id: str
    account_type: str
    currency: str
    name: Optional[str]
    balance_cents: int
    balance_as_of: date


class BalancesOut(BaseModel):
    customer_id: str
    accounts: list[AccountOut]
    total_by_currency_cents: dict[str, int]


class RecommendationIn(BaseModel):
    amount_cny: Optional[condecimal(ge=Decimal("0"), max_digits=15, decimal_places=2)] = Field(
        None, description="amount to invest in CNY; omitted = the customer's investable amount")
    horizon_months: conint(ge=1, le=600) = Field(..., description="investment horizon in months")
    fund_type: Optional[str] = Field(None, description=f"restrict to one fund type: {', '.join(FUND_TYPES)}")

    @validator("fund_type")
    def _known_type(cls, value):
        if value is not None and value not in FUND_TYPES:
            raise ValueError(f"unknown fund type {value!r}; expected one of {', '.join(FUND_TYPES)}")
        return value

    class Config:
        extra = "forbid"


class RecommendationOut(BaseModel):
    audit_id: int
    audit_hash: str
    recommendation: dict[str, Any]


class QuestionnaireIn(BaseModel):
    answers: dict[str, str] = Field(..., description="question id -> option id (see GET /v1/questionnaire)")

    class Config:
        extra = "forbid"


class AssessmentOut(BaseModel):
    assessment_id: int
    risk_level: str
    total_points: Optional[int]
    assessed_at: str
    expires_at: str
    valid: bool
    questionnaire_version: str


class AuditRecordOut(BaseModel):
    id: int
    record_hash: str
    content: dict[str, Any]


# --- chat -------------------------------------------------------------------------------------

class RasaRestIn(BaseModel):
    """Rasa's REST channel request, unchanged."""
    sender: str = Field(..., description="the conversation's id on the client side")
    message: str
    metadata: Optional[dict] = Field(None, description="with an API key: may name `customer_id`")


class ChatIn(BaseModel):
    sender_id: str = Field(..., description="the conversation's id on the client side")
    message: str
    customer_id: Optional[str] = Field(None, description="API keys only; a chat token already names its customer")


class IntentOut(BaseModel):
    name: Optional[str]
    confidence: Optional[float]


class ChatOut(BaseModel):
    sender_id: str
    customer_id: Optional[str]
    messages: list[dict] = Field(..., description="replies: text, buttons, custom payloads (charts), image")
    intent: IntentOut
    entities: list[dict]
    actions: list[str] = Field(..., description="the bot actions this message triggered, in order")
    slots: dict
    language: Optional[str]
    model: str
    latency_ms: float


class ChatTokenIn(BaseModel):
    ttl_seconds: Optional[conint(ge=60, le=86_400)] = None


class ChatTokenOut(BaseModel):
    token: str
    customer_id: str
    expires_at: str


class DemoTokenIn(BaseModel):
    persona: str
