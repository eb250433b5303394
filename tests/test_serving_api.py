"""The served channels against a real uvicorn process: REST shapes, /v1/chat, the Rasa
action-server protocol, socket.io, auth, malformed input, export and erasure, metrics.

The server (``live_server`` in conftest) runs the small test model with SQL
trackers on a copy of the demo database, as `finbot serve` would.
"""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from api.security import create_api_key, issue_customer_token, revoke_api_key
from recommender.store.db import open_database


def _sender() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def server(live_server):
    return live_server


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def _token(server, customer: str, ttl: int = 600, now=None) -> str:
    return issue_customer_token(server.token_secret, customer, ttl, now=now)[0]


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _key(server, *scopes: str) -> str:
    return create_api_key(open_database(server.database_url), f"test {' '.join(scopes)}", scopes)[0]


# --- REST shapes ------------------------------------------------------------------------------

def test_rasa_rest_webhook_keeps_rasas_request_and_response_shapes(server, http):
    sender = _sender()
    reply = http.post("/webhooks/rest/webhook", json={"sender": sender, "message": "我卡里还有多少钱"},
                      headers=_bearer(_token(server, "salaried_saver")))
    assert reply.status_code == 200
    messages = reply.json()
    assert isinstance(messages, list) and messages
    assert all(m["recipient_id"] == sender for m in messages)
    assert all(set(m) <= {"recipient_id", "text", "buttons", "image", "custom", "attachment"} for m in messages)
    assert "¥" in " ".join(m.get("text", "") for m in messages)


def test_bank_backend_chats_for_a_named_customer_with_an_api_key(server, http):
    key = _key(server, "chat")
    reply = http.post("/webhooks/rest/webhook", headers={"X-API-Key": key},
                      json={"sender": _sender(), "message": "what's my balance",
                            "metadata": {"customer_id": "retiree"}})
    assert reply.status_code == 200
    assert "balance" in " ".join(m.get("text", "") for m in reply.json()).lower()


def test_v1_chat_returns_intent_actions_slots_and_chart_payloads(server, http):
    token = _token(server, "salaried_saver")
    sender = _sender()
    body = http.post("/v1/chat", headers=_bearer(token), json={"sender_id": sender, "message": "上个月花了多少钱"}).json()
    assert body["intent"]["name"] == "ask_spending" and 0 < body["intent"]["confidence"] <= 1
    assert body["actions"] == ["action_spending"]
    assert body["slots"]["customer_id"] == "salaried_saver" and body["language"] == "zh"
    charts = [m["custom"]["chart"] for m in body["messages"] if "custom" in m]
    assert charts and charts[0]["kind"] == "spending_by_category"
    assert len(charts[0]["labels"]) == len(charts[0]["values_cents"])
    assert all(isinstance(v, int) for v in charts[0]["values_cents"])
    assert body["sender_id"] == sender and body["latency_ms"] > 0


def test_transcript_shows_the_conversation_to_its_owner_only(server, http):
    sender = _sender()
    owner = _token(server, "freelancer")
    http.post("/v1/chat", headers=_bearer(owner), json={"sender_id": sender, "message": "hello"})
    mine = http.get(f"/v1/chat/{sender}/transcript", headers=_bearer(owner)).json()["messages"]
    assert [line["sender"] for line in mine][:2] == ["user", "bot"] and mine[0]["text"] == "hello"
    # Another customer using the same sender id sees an empty, separate conversation.
    other = http.get(f"/v1/chat/{sender}/transcript", headers=_bearer(_token(server, "student"))).json()
    assert other["messages"] == []


def test_the_same_sender_id_never_reaches_another_customers_data(server, http):
    sender = _sender()
    http.post("/v1/chat", headers=_bearer(_token(server, "high_earner")), json={"sender_id": sender, "message": "hi"})
    body = http.post("/v1/chat", headers=_bearer(_token(server, "student")),
                     json={"sender_id": sender, "message": "what's my balance"}).json()
    assert body["slots"]["customer_id"] == "student"
    export = http.get("/v1/customers/high_earner/export", headers=server.headers()).json()
    balances = http.get("/v1/customers/student/balances", headers=server.headers()).json()
    text = " ".join(m.get("text", "") for m in body["messages"])
    student_accounts = [a["account_id"][-4:] for a in balances["accounts"]]
    assert any(suffix in text for suffix in student_accounts)
    assert not any(a["account_id"][-4:] in text for a in export["accounts"])


# --- who may see what -------------------------------------------------------------------------

@pytest.mark.parametrize("headers, status, reason", [
    ({}, 401, "missing credentials"),
    ({"X-API-Key": "fbk_0123456789abcdef_" + "x" * 43}, 401, "invalid API key"),
    ({"X-API-Key": "not-a-key"}, 401, "invalid chat token"),
    ({"Authorization": "Bearer not.a.jwt"}, 401, "invalid chat token"),
])
def test_bad_credentials_are_refused_without_data(http, headers, status, reason):
    reply = http.get("/v1/customers/salaried_saver/balances", headers=headers)
    assert reply.status_code == status
    assert reply.json() == {"detail": reply.json()["detail"]} and reason in reply.json()["detail"]


def test_expired_token_is_refused(server, http):
    stale = _token(server, "salaried_saver", ttl=60, now=datetime.now(timezone.utc) - timedelta(hours=1))
    reply = http.post("/v1/chat", headers=_bearer(stale), json={"sender_id": _sender(), "message": "balance"})
    assert reply.status_code == 401 and "expired" in reply.json()["detail"]


def test_token_signed_with_another_secret_is_refused(http):
    forged = issue_customer_token("another-secret-" + "y" * 40, "salaried_saver", 600)[0]
    reply = http.get("/v1/customers/salaried_saver/balances", headers=_bearer(forged))
    assert reply.status_code == 401


def test_token_for_another_customer_is_forbidden(server, http):
    token = _token(server, "student")
    reply = http.get("/v1/customers/high_earner/balances", headers=_bearer(token))
    assert reply.status_code == 403 and "accounts" not in reply.text
    chat = http.post("/v1/chat", headers=_bearer(token),
                     json={"sender_id": _sender(), "message": "balance", "customer_id": "high_earner"})
    assert chat.status_code == 403
    # Its own read-only data is fine; writing is not.
    assert http.get("/v1/customers/student/balances", headers=_bearer(token)).status_code == 200
    assert http.post("/v1/customers/student/recommendations", headers=_bearer(token),
                     json={"amount_cny": "1000", "horizon_months": 12}).status_code == 403


def test_scopes_limit_a_key_and_revocation_takes_effect(server, http):
    reader = _key(server, "customers:read")
    assert http.get("/v1/customers/retiree/balances", headers={"X-API-Key": reader}).status_code == 200
    assert http.post("/v1/chat", headers={"X-API-Key": reader},
                     json={"sender_id": _sender(), "message": "hi"}).status_code == 403
    assert http.delete("/v1/customers/retiree", headers={"X-API-Key": reader}).status_code == 403
    revoke_api_key(open_database(server.database_url), reader.split("_")[1])
    reply = http.get("/v1/customers/retiree/balances", headers={"X-API-Key": reader})
    assert reply.status_code == 401 and "revoked" in reply.json()["detail"]


def test_chat_tokens_are_issued_only_for_existing_customers_and_with_the_scope(server, http):
    issuer = _key(server, "tokens")
    issued = http.post("/v1/customers/retiree/chat-tokens", headers={"X-API-Key": issuer}, json={"ttl_seconds": 300})
    assert issued.status_code == 201 and issued.json()["customer_id"] == "retiree"
    chat = http.post("/v1/chat", headers=_bearer(issued.json()["token"]), json={"sender_id": _sender(), "message": "hi"})
    assert chat.status_code == 200 and chat.json()["customer_id"] == "retiree"
    assert http.post("/v1/customers/nobody/chat-tokens", headers={"X-API-Key": issuer}).status_code == 404
    assert http.post("/v1/customers/retiree/chat-tokens", headers={"X-API-Key": _key(server, "chat")}).status_code == 403


# --- malformed input --------------------------------------------------------------------------

@pytest.mark.parametrize("body, fragment", [
    (b"{not json", "JSON"),
    (json.dumps({"sender_id": "a"}).encode(), "message"),
    (json.dumps({"sender_id": "a", "message": "   "}).encode(), "non-empty"),
    (json.dumps({"sender_id": "a", "message": "x" * 2001}).encode(), "longer than"),
    (json.dumps({"sender_id": "a/b", "message": "hi"}).encode(), "sender must be"),
])
def test_malformed_chat_bodies_get_a_4xx_that_says_what_is_wrong(server, http, body, fragment):
    reply = http.post("/v1/chat", content=body,
                      headers={**_bearer(_token(server, "salaried_saver")), "content-type": "application/json"})
    assert 400 <= reply.status_code < 500
    assert fragment.lower() in reply.text.lower()


def test_unknown_customer_named_by_the_backend_is_404(server, http):
    reply = http.post("/v1/chat", headers={"X-API-Key": _key(server, "chat")},
                      json={"sender_id": _sender(), "message": "hi", "customer_id": "nobody"})
    assert reply.status_code == 404 and "nobody" in reply.json()["detail"]


def test_nonsense_gets_the_fallback_not_an_error(server, http):
    body = http.post("/v1/chat", headers=_bearer(_token(server, "salaried_saver")),
                     json={"sender_id": _sender(), "message": "qwzx plorb 🙃 vvv"}).json()
    assert body["messages"] and all(m.get("text") for m in body["messages"][:1])
    assert "Traceback" not in json.dumps(body)


# --- the Rasa action-server protocol -----------------------------------------------------------

def _rasa_action_call(action: str, customer: str) -> dict:
    """The request body a stock Rasa server sends to an action server (RemoteAction)."""
    import rasa
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

    from bot.training import DOMAIN

    domain = Domain.load(str(DOMAIN))
    tracker = DialogueStateTracker.from_events("rasa-user", [
        SlotSet("customer_id", customer), SlotSet("language", "en"),
        UserUttered("what's my balance", intent={"name": "check_balance", "confidence": 1.0}),
    ], slots=domain.slots)
    return {"next_action": action, "sender_id": tracker.sender_id,
            "tracker": tracker.current_state(EventVerbosity.ALL), "domain": domain.as_dict(),
            "version": rasa.__version__}


def test_action_server_webhook_runs_our_actions_for_a_stock_rasa(server, http):
    key = _key(server, "actions")
    reply = http.post("/webhook", params={"token": key}, json=_rasa_action_call("action_check_balance", "retiree"))
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"events", "responses"}
    assert "balance" in " ".join(r.get("text") or "" for r in body["responses"]).lower()


def test_action_server_refuses_unknown_actions_and_bad_bodies(server, http):
    headers = {"X-API-Key": _key(server, "actions")}
    missing = http.post("/webhook", headers=headers, json=_rasa_action_call("action_does_not_exist", "retiree"))
    assert missing.status_code == 404
    assert missing.json()["action_name"] == "action_does_not_exist" and missing.json()["error"]
    no_tracker = http.post("/webhook", headers=headers, json={"next_action": "action_check_balance"})
    assert no_tracker.status_code == 400 and "tracker" in no_tracker.json()["error"]
    assert http.post("/webhook", headers=headers, content=b"[").status_code == 400
    assert http.post("/webhook", json=_rasa_action_call("action_check_balance", "retiree")).status_code == 401
    chat_only = {"X-API-Key": _key(server, "chat")}
    assert http.post("/webhook", headers=chat_only,
                     json=_rasa_action_call("action_check_balance", "retiree")).status_code == 403


# --- socket.io (the widget's channel) ----------------------------------------------------------

def _socket_conversation(url: str, token: str | None, session_id: str, message: str) -> list:
    """One message over socket.io with python-socketio's own client (websocket transport)."""
    import threading

    import socketio

    client = socketio.Client(reconnection=False)
    received: list = []
    confirmed, answered = threading.Event(), threading.Event()

    @client.on("bot_uttered")
    def _bot(data):
        received.append(data)
        answered.set()

    client.on("session_confirm", lambda _id: confirmed.set())
    client.connect(url, auth={"token": token} if token else None, transports=["websocket"],
                   socketio_path="socket.io", wait_timeout=10)
    try:
        client.emit("session_request", {"session_id": session_id})
        assert confirmed.wait(10), "no session_confirm"
        client.emit("user_uttered", {"message": message, "session_id": session_id})
        assert answered.wait(30), "no bot_uttered"
        time.sleep(0.5)  # the rest of this turn's messages
    finally:
        client.disconnect()
    return received


def test_socketio_speaks_rasas_events_with_quick_replies(server):
    replies = _socket_conversation(server.url, _token(server, "salaried_saver"), _sender(), "你能做什么")
    assert replies and all(set(r) & {"text", "quick_replies", "custom", "attachment"} for r in replies)
    assert any(r.get("text") for r in replies)


def test_socketio_refuses_a_connection_without_a_token(server):
    import socketio

    with pytest.raises(socketio.exceptions.ConnectionError):
        _socket_conversation(server.url, None, _sender(), "hi")


# --- export and erasure -----------------------------------------------------------------------

def _import_customer(server, customer_id: str, folder) -> None:
    from recommender import importer

    engine = open_database(server.database_url)

    def file(name: str, rows: list) -> str:
        path = folder / f"{name}.json"
        path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        return str(path)

    importer.import_customers(engine, file("customers", [
        {"customer_id": customer_id, "name": "测试客户", "language": "zh"}]))
    importer.import_accounts(engine, file("accounts", [{
        "account_id": f"{customer_id}-CUR", "customer_id": customer_id, "account_type": "current",
        "currency": "CNY", "balance": "12345.67", "balance_as_of": "2026-03-14"}]))
    importer.import_transactions(engine, file("transactions", [{
        "transaction_id": f"{customer_id}-T{i}", "customer_id": customer_id, "account_id": f"{customer_id}-CUR",
        "booked_at": f"2026-02-{i + 1:02d}", "amount": "-88.00", "currency": "CNY", "description": "星巴克咖啡"}
        for i in range(5)]))


def test_export_then_erase_a_customer_keeps_only_the_audit_evidence(server, http, tmp_path):
    customer = f"erase-{uuid.uuid4().hex[:8]}"
    _import_customer(server, customer, tmp_path)
    sender = _sender()
    http.post("/v1/chat", headers=_bearer(_token(server, customer)), json={"sender_id": sender, "message": "我的余额"})
    questionnaire = http.get("/v1/questionnaire").json()
    answers = {q["id"]: q["options"][0]["id"] for q in questionnaire["questions"]}
    assert http.post(f"/v1/customers/{customer}/risk-assessments", headers=server.headers(),
                     json={"answers": answers}).status_code == 201
    assert http.post(f"/v1/customers/{customer}/recommendations", headers=server.headers(),
                     json={"amount_cny": "1000", "horizon_months": 12}).status_code == 201

    export = http.get(f"/v1/customers/{customer}/export", headers=server.headers()).json()
    assert export["customer"]["name"] == "测试客户"
    assert len(export["transactions"]) == 5 and export["transactions"][0]["amount_cents"] == -8800
    assert len(export["recommendations"]) == 1 and len(export["risk_assessments"]) == 1
    assert [e.get("text") for e in export["conversations"][sender] if e["type"] == "user"] == ["我的余额"]

    erased = http.delete(f"/v1/customers/{customer}", headers=server.headers()).json()
    assert erased["deleted"]["transactions"] == 5 and erased["deleted"]["accounts"] == 1
    assert erased["deleted"]["conversations"] == 1
    assert erased["retained"] == {"recommendations": 1, "risk_assessments": 1} and erased["retention_reason"]
    after = http.get(f"/v1/customers/{customer}/export", headers=server.headers()).json()
    assert after["transactions"] == [] and after["conversations"] == {} and after["customer"]["name"] == ""
    assert http.get("/v1/audit/verify", headers=server.headers()).json()["intact"] is True
    assert http.delete("/v1/customers/nobody", headers=server.headers()).status_code == 404


# --- metrics and health -----------------------------------------------------------------------

def test_metrics_count_messages_intents_and_requests(server, http):
    http.post("/v1/chat", headers=_bearer(_token(server, "retiree")), json={"sender_id": _sender(), "message": "hello"})
    assert http.post("/v1/chat", json={"sender_id": _sender(), "message": "hello"}).status_code == 401
    assert http.get("/no/such/page").status_code == 404
    text = http.get("/metrics").text
    assert 'finbot_http_requests_total{method="POST",route="/v1/chat",status="401"}' in text
    assert 'finbot_http_requests_total{method="GET",route="unmatched",status="404"}' in text
    assert 'finbot_messages_total{channel="v1"}' in text
    assert 'finbot_intents_total{intent="greet"}' in text
    assert 'finbot_http_requests_total{method="POST",route="/v1/chat",status="200"}' in text
    assert "finbot_message_seconds_bucket" in text


def test_ready_reports_the_serving_model(server, http):
    body = http.get("/ready").json()
    assert body["ready"] is True and body["model"].endswith(".tar.gz")


def test_socketio_refuses_a_page_from_an_unknown_origin(server, http):
    """A foreign page must not open a chat socket (FINBOT_CORS_ORIGINS lists the bank's pages)."""
    handshake = "/socket.io/?EIO=4&transport=polling"
    foreign = http.get(handshake, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 400
    own = http.get(handshake, headers={"Origin": server.url})
    assert own.status_code == 200 and own.text.startswith("0{")  # engine.io "open" packet
