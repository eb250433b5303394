"""Who may call what: API keys for the bank's backend, signed tokens for customers.

API keys look like ``fbk_<key_id>_<secret>``. Only the SHA-256 of the secret is
stored (the secret is 32 random bytes, so a slow hash adds nothing); the key
is shown once, at creation. Each key has scopes; rotation is "create a new
key, move the backend to it, revoke the old one".

A customer's chat carries a short-lived token (HS256 JWT, audience
``finbot-chat``) that the bank's backend obtains from
``POST /v1/customers/{id}/chat-tokens``. Its subject is the customer id; the
channels bind the conversation to that customer, and every conversation id
is namespaced by it, so changing a sender id never reaches another
customer's conversation or data.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Optional

import jwt
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from recommender.store.models import ApiKey

# What a key may do. "admin" implies every other scope.
SCOPES = {
    "chat": "chat on behalf of any customer (REST webhook, /v1/chat) and read transcripts",
    "tokens": "issue short-lived chat tokens for a customer",
    "customers:read": "read a customer's balances, spending, features, assessments, exports",
    "customers:write": "record questionnaires and request recommendations",
    "customers:delete": "erase a customer's data and conversations",
    "audit:read": "read audit records and verify the chain",
    "actions": "call the Rasa action-server webhook (/webhook)",
    "review": "read chat messages queued for review and label them as training data (/v1/review, /review)",
    "admin": "everything above",
}
TOKEN_AUDIENCE = "finbot-chat"
_KEY_PATTERN = re.compile(r"^fbk_([0-9a-f]{16})_([A-Za-z0-9_-]{20,100})$")
_SENDER_PATTERN = re.compile(r"^[A-Za-z0-9_.:@-]{1,63}$")  # + customer id (<= 64) fits 128


class AuthError(Exception):
    """Refused: ``status`` is 401 (who are you?) or 403 (not allowed)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# --- API keys ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Principal:
    """The caller: a bank key (``key_id``, ``scopes``) or a customer token (``customer_id``)."""
    kind: str                       # "api_key" | "customer"
    key_id: Optional[str] = None
    scopes: frozenset = frozenset()
    customer_id: Optional[str] = None

    def allows(self, scope: str) -> bool:
        return self.kind == "api_key" and ("admin" in self.scopes or scope in self.scopes)


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_api_key(engine: Engine, name: str, scopes: Iterable[str],
                   expires_at: Optional[datetime] = None) -> tuple[str, ApiKey]:
    """Store a new key and return (the full key, shown only now; its record)."""
    scopes = sorted(set(scopes))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValueError(f"unknown scopes {unknown}; choose from {sorted(SCOPES)}" if unknown
                         else "a key needs at least one scope")
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    record = dict(key_id=key_id, name=name, secret_sha256=_sha256(secret), scopes=" ".join(scopes),
                  created_at=datetime.now(timezone.utc), expires_at=expires_at)
    with engine.begin() as connection:
        connection.execute(ApiKey.__table__.insert().values(**record))
    return f"fbk_{key_id}_{secret}", ApiKey(**record)


def list_api_keys(engine: Engine) -> list:
    with engine.connect() as connection:
        return list(connection.execute(select(ApiKey.__table__).order_by(ApiKey.created_at)).mappings())


def revoke_api_key(engine: Engine, key_id: str) -> bool:
    with engine.begin() as connection:
        result = connection.execute(update(ApiKey.__table__).where(
            ApiKey.key_id == key_id, ApiKey.revoked_at.is_(None)).values(revoked_at=datetime.now(timezone.utc)))
    return result.rowcount == 1


def verify_api_key(engine: Engine, presented: str) -> Principal:
    match = _KEY_PATTERN.match(presented or "")
    if not match:
        raise AuthError(401, "malformed API key (expected fbk_<id>_<secret>)")
    key_id, secret = match.groups()
    with engine.connect() as connection:
        row = connection.execute(select(ApiKey.__table__).where(ApiKey.key_id == key_id)).mappings().first()
    # Compare a hash even for unknown ids, so timing does not reveal which ids exist.
    expected = row["secret_sha256"] if row else _sha256("no such key")
    if not hmac.compare_digest(expected, _sha256(secret)) or row is None:
        raise AuthError(401, "invalid API key")
    now = datetime.now(timezone.utc)
    if row["revoked_at"] is not None:
        raise AuthError(401, "API key revoked")
    if row["expires_at"] is not None and _aware(row["expires_at"]) <= now:
        raise AuthError(401, "API key expired")
    return Principal("api_key", key_id=key_id, scopes=frozenset(row["scopes"].split()))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# --- customer tokens ---------------------------------------------------------------------------

def load_token_secret(configured: str, data_dir: Path) -> str:
    """FINBOT_TOKEN_SECRET, else a random secret kept in the data folder (created once,
    shared by every worker on the machine). Production sets the variable."""
    if configured:
        if len(configured) < 32:
            raise ValueError("FINBOT_TOKEN_SECRET must be at least 32 characters")
        return configured
    path = data_dir / "token_secret"
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def issue_customer_token(secret: str, customer_id: str, ttl_seconds: int,
                         now: Optional[datetime] = None) -> tuple[str, datetime]:
    issued = now or datetime.now(timezone.utc)
    expires = issued + timedelta(seconds=ttl_seconds)
    claims = {"sub": customer_id, "aud": TOKEN_AUDIENCE, "iat": int(issued.timestamp()),
              "exp": int(expires.timestamp()), "jti": secrets.token_hex(8)}
    return jwt.encode(claims, secret, algorithm="HS256"), expires


def verify_customer_token(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience=TOKEN_AUDIENCE,
                            options={"require": ["sub", "exp", "aud"]})
    except jwt.ExpiredSignatureError:
        raise AuthError(401, "chat token expired") from None
    except jwt.InvalidTokenError as exc:
        raise AuthError(401, f"invalid chat token: {exc}") from None
    return Principal("customer", customer_id=str(claims["sub"]))


# --- conversation ids --------------------------------------------------------------------------

def conversation_id(customer_id: Optional[str], sender: str) -> str:
    """The tracker id for ``sender`` within one customer's space ("~anon" if none).

    Raises ValueError for a sender id outside ``[A-Za-z0-9_.:@-]{1,63}``.
    """
    if not _SENDER_PATTERN.match(sender or ""):
        raise ValueError("sender must be 1-63 characters of letters, digits and _.:@-")
    return f"{customer_id or '~anon'}/{sender}"


def conversation_prefix(customer_id: str) -> str:
    return f"{customer_id}/"
