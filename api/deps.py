"""FastAPI dependencies: settings, the database, the bot, and who is calling.

Credentials: ``X-API-Key: fbk_...`` (the bank's backend) or
``Authorization: Bearer <key or chat token>``. The Rasa action-server webhook
also accepts ``?token=`` because that is what Rasa's ``endpoints.yml`` sends.
"""
from __future__ import annotations

from typing import Callable, Optional

from fastapi import Depends, Request
from sqlalchemy.engine import Engine

from api.security import AuthError, Principal, verify_api_key, verify_customer_token
from api.settings import ApiSettings


def get_settings(request: Request) -> ApiSettings:
    return request.app.state.settings


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_service(request: Request):
    """The process-wide RecommenderService (built at startup)."""
    return request.app.state.service


def get_chat(request: Request):
    """The process-wide ChatService; 503 until a model is loaded."""
    chat = getattr(request.app.state, "chat", None)
    if chat is None:
        if getattr(request.app.state, "bot_state", None) == "loading":
            raise AuthError(503, "the assistant is starting (loading its model); try again in a few seconds")
        raise AuthError(503, "the bot model is not loaded (train one with `finbot train`, then check /health)")
    return chat


def _presented_credential(request: Request, allow_query_token: bool) -> Optional[str]:
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    if allow_query_token:
        return request.query_params.get("token")
    return None


def authenticate(request: Request, credential: Optional[str]) -> Principal:
    if not credential:
        raise AuthError(401, "missing credentials: send X-API-Key or Authorization: Bearer <token>")
    if credential.startswith("fbk_"):
        return verify_api_key(request.app.state.engine, credential)
    return verify_customer_token(request.app.state.token_secret, credential)


def get_principal(request: Request) -> Principal:
    return authenticate(request, _presented_credential(request, allow_query_token=False))


def require_scope(scope: str) -> Callable[..., Principal]:
    """A dependency that admits only API keys holding ``scope`` (or admin)."""

    def dependency(request: Request, principal: Principal = Depends(get_principal)) -> Principal:
        if not principal.allows(scope):
            raise AuthError(403, f"this credential lacks the {scope!r} scope")
        return principal

    return dependency


def action_server_principal(request: Request) -> Principal:
    principal = authenticate(request, _presented_credential(request, allow_query_token=True))
    if not principal.allows("actions"):
        raise AuthError(403, "this credential lacks the 'actions' scope")
    return principal


def customer_scope(scope: str) -> Callable[..., Principal]:
    """For /v1/customers/{customer_id}/...: a key with ``scope``, or that customer's own token."""

    def dependency(customer_id: str, principal: Principal = Depends(get_principal)) -> Principal:
        if principal.kind == "customer":
            if principal.customer_id != customer_id or scope not in ("customers:read",):
                raise AuthError(403, "a chat token gives access to its own customer's read-only data only")
            return principal
        if not principal.allows(scope):
            raise AuthError(403, f"this credential lacks the {scope!r} scope")
        return principal

    return dependency
