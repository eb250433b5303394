"""Chat over HTTP: Rasa's REST channel shapes, our richer /v1/chat, transcripts and tokens."""
from __future__ import annotations

import time
from typing import Optional

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from api.chat_service import ChatService, MessageRejected
from api.deps import get_chat, get_principal, get_service, get_settings, require_scope
from api.schemas import ChatIn, ChatOut, ChatTokenIn, ChatTokenOut, DemoTokenIn, IntentOut, RasaRestIn
from api.security import AuthError, Principal, issue_customer_token
from api.settings import ApiSettings
from recommender.demo.personas import PERSONA_IDS
from recommender.service import RecommenderService

router = APIRouter(tags=["chat"])


def _bound_customer(principal: Principal, requested: Optional[str], service: RecommenderService) -> Optional[str]:
    """The customer this conversation belongs to.

    A chat token decides it (naming another customer is refused); an API key with
    the ``chat`` scope may name any existing customer, or none (anonymous chat).
    """
    if principal.kind == "customer":
        if requested not in (None, principal.customer_id):
            raise AuthError(403, "this chat token belongs to another customer")
        return principal.customer_id
    if not principal.allows("chat"):
        raise AuthError(403, "this credential lacks the 'chat' scope")
    if requested is not None:
        service.customer(requested)  # 404 for an unknown customer
    return requested


async def _run(chat: ChatService, sender: str, message: str, customer: Optional[str], channel: str):
    try:
        return await chat.chat(sender=sender, text=message, customer_id=customer, channel=channel)
    except MessageRejected as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


@router.post("/webhooks/rest/webhook", summary="Rasa REST channel: same request and response shapes")
async def rasa_rest_webhook(body: RasaRestIn, principal: Principal = Depends(get_principal),
                            chat: ChatService = Depends(get_chat),
                            service: RecommenderService = Depends(get_service)) -> list[dict]:
    requested = (body.metadata or {}).get("customer_id")
    customer = _bound_customer(principal, requested, service)
    turn = await _run(chat, body.sender, body.message, customer, "rest")
    return [{**message, "recipient_id": body.sender} for message in turn.messages]


@router.post("/v1/chat", response_model=ChatOut, summary="Chat, with the intent, actions and payloads")
async def chat_v1(body: ChatIn, principal: Principal = Depends(get_principal), chat: ChatService = Depends(get_chat),
                  service: RecommenderService = Depends(get_service)) -> ChatOut:
    customer = _bound_customer(principal, body.customer_id, service)
    started = time.perf_counter()
    turn = await _run(chat, body.sender_id, body.message, customer, "v1")
    return ChatOut(
        sender_id=body.sender_id, customer_id=customer,
        messages=[{k: v for k, v in message.items() if k != "recipient_id"} for message in turn.messages],
        intent=IntentOut(name=turn.intent.get("name"), confidence=turn.intent.get("confidence")),
        entities=[{k: e.get(k) for k in ("entity", "value", "text", "normalised") if k in e}
                  for e in turn.entities],
        actions=turn.actions, slots=turn.slots, language=turn.slots.get("language"), model=turn.model,
        latency_ms=round((time.perf_counter() - started) * 1000, 2),
    )


@router.get("/v1/chat/{sender_id}/transcript", summary="A conversation as the customer saw it")
async def transcript(sender_id: str, customer_id: Optional[str] = Query(None),
                     principal: Principal = Depends(get_principal), chat: ChatService = Depends(get_chat),
                     service: RecommenderService = Depends(get_service)) -> dict:
    customer = _bound_customer(principal, customer_id, service)
    try:
        lines = await chat.transcript(sender=sender_id, customer_id=customer)
    except MessageRejected as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return {"sender_id": sender_id, "customer_id": customer, "messages": lines}


@router.post("/v1/customers/{customer_id}/chat-tokens", response_model=ChatTokenOut, status_code=201,
             summary="Issue a short-lived chat token that binds a chat to this customer")
def chat_token(customer_id: str, request: Request, body: ChatTokenIn = ChatTokenIn(),
               _principal: Principal = Depends(require_scope("tokens")),
               service: RecommenderService = Depends(get_service)) -> ChatTokenOut:
    service.customer(customer_id)  # 404 for an unknown customer
    return _token_out(request, customer_id, body.ttl_seconds)


def _token_out(request: Request, customer_id: str, ttl: Optional[int]) -> ChatTokenOut:
    settings: ApiSettings = request.app.state.settings
    token, expires = issue_customer_token(request.app.state.token_secret, customer_id,
                                          ttl or settings.token_ttl_seconds)
    return ChatTokenOut(token=token, customer_id=customer_id, expires_at=expires.isoformat())


@router.post("/demo/chat-tokens", response_model=ChatTokenOut, status_code=201,
             summary="Demo mode only: a chat token for one of the demo personas")
def demo_token(body: DemoTokenIn, request: Request, settings: ApiSettings = Depends(get_settings),
               service: RecommenderService = Depends(get_service)) -> ChatTokenOut:
    if not settings.demo_mode:
        raise HTTPException(status_code=404, detail="demo mode is off (FINBOT_DEMO_MODE)")
    if body.persona not in PERSONA_IDS:
        raise HTTPException(status_code=422, detail=f"persona must be one of {sorted(PERSONA_IDS)}")
    service.customer(body.persona)
    return _token_out(request, body.persona, None)
