"""The review queue over HTTP, for the bank's staff (scope ``review``; never a customer's token).

    GET  /v1/review/items?status=pending   the queue, oldest first, with counts per status
    GET  /v1/review/items/{id}             one item
    POST /v1/review/items/{id}             {"decision": "confirm"|"correct"|"discard", "intent": ..., "entities": [...]}
    GET  /v1/review/labels                 the intents and entities a reviewer may choose
    GET  /review                           a small page that does the above (asks for an API key)

The work is done by bot.review; intents and entities are checked against the
domain (422 with the reason when they are not in it).
"""
from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import List, Literal, Optional

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from api.deps import get_engine, require_scope
from api.security import Principal
from bot import review as queue
from recommender.store.models import REVIEW_STATUSES

router = APIRouter(tags=["review"])
_PAGE = Path(__file__).resolve().parent.parent / "web" / "review.html"


class EntityIn(BaseModel):
    entity: str = Field(..., description="an entity of the domain, e.g. amount")
    value: Optional[str] = Field(None, description="the words of the message it covers (first occurrence)")
    start: Optional[int] = Field(None, ge=0, description="or: character offsets in the message")
    end: Optional[int] = Field(None, ge=1)


class DecisionIn(BaseModel):
    decision: Literal["confirm", "correct", "discard"]
    intent: Optional[str] = Field(None, description="correct: what the message means (e.g. check_balance, faq/fees)")
    entities: Optional[List[EntityIn]] = Field(None, description="correct: the entities it mentions")
    reviewer: Optional[str] = Field(None, max_length=100, description="who decided (recorded with the key's id)")


def _out(item: dict) -> dict:
    return {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in item.items()}


@router.get("/v1/review/items", summary="The review queue, oldest first, with counts per status")
def list_review_items(status_filter: Optional[str] = Query("pending", alias="status",
                                                          description=f"one of {', '.join(REVIEW_STATUSES)}, or all"),
                      limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0),
                      engine: Engine = Depends(get_engine),
                      _principal: Principal = Depends(require_scope("review"))) -> dict:
    wanted = None if status_filter == "all" else status_filter
    try:
        items = queue.list_items(engine, wanted, limit=limit, offset=offset)
    except queue.ReviewError as problem:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(problem)) from None
    return {"items": [_out(i) for i in items], "counts": queue.counts(engine)}


@router.get("/v1/review/labels", summary="The intents and entities a reviewer may choose")
def review_labels(_principal: Principal = Depends(require_scope("review"))) -> dict:
    labels = queue.labels()
    return {"intents": list(labels.intents), "entities": list(labels.entities)}


@router.get("/v1/review/items/{item_id}", summary="One review item")
def get_review_item(item_id: int, engine: Engine = Depends(get_engine),
                    _principal: Principal = Depends(require_scope("review"))) -> dict:
    try:
        return _out(queue.get_item(engine, item_id))
    except queue.ReviewItemNotFound as missing:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(missing)) from None


@router.post("/v1/review/items/{item_id}", summary="Confirm, correct or discard a queued message")
def decide_review_item(item_id: int, body: DecisionIn, engine: Engine = Depends(get_engine),
                       principal: Principal = Depends(require_scope("review"))) -> dict:
    who = f"{body.reviewer.strip()} (key {principal.key_id})" if body.reviewer and body.reviewer.strip() \
        else f"key {principal.key_id}"
    entities = None if body.entities is None else [e.dict(exclude_none=True) for e in body.entities]
    try:
        item = queue.review(engine, item_id, body.decision, intent=body.intent, entities=entities, reviewer=who)
    except queue.ReviewItemNotFound as missing:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(missing)) from None
    except queue.ReviewError as problem:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(problem)) from None
    return _out(item)


@router.get("/review", include_in_schema=False)
def review_page() -> HTMLResponse:
    """The page is static; it holds no data until the reviewer gives an API key.

    Its one inline script is allowed by hash, nothing else runs: message text is
    customers' input and is only ever inserted as text.
    """
    page = _PAGE.read_text(encoding="utf-8")
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    policy = (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
              f"connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    return HTMLResponse(page, headers={"Content-Security-Policy": policy, "Referrer-Policy": "no-referrer",
                                       "Cache-Control": "no-store"})
