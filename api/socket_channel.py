"""The web widget's channel: socket.io, speaking Rasa's socket.io channel events.

Events, as in Rasa's ``SocketIOInput`` (so Rasa web-chat clients work):

- client ``session_request`` ``{"session_id": id|null}`` -> server ``session_confirm`` id
- client ``user_uttered`` ``{"message": text, "session_id": id}``
- server ``bot_uttered``: ``{"text"}``, ``{"text", "quick_replies": [{content_type, title, payload}]}``,
  ``{"attachment": {"type": "image", ...}}`` or ``{"custom": payload}`` (our charts)
- server ``chat_error`` ``{"error": message}`` for a message that was refused

Connecting needs a customer's chat token in the socket.io auth payload
(``{"token": "..."}``); the conversation is bound to that customer. A token
that expires while connected ends the connection at the next message.
"""
from __future__ import annotations

import logging
import time
import uuid
from typing import Any, Optional

import socketio

from api.chat_service import ChatService, MessageRejected
from api.security import AuthError, conversation_id, verify_customer_token

log = logging.getLogger("finbot.socket")


def rasa_socket_messages(message: dict) -> list[dict]:
    """One collected Rasa message -> the bot_uttered payloads Rasa's socket.io channel sends."""
    out: list[dict] = []
    text = message.get("text")
    if text:
        parts = [part for part in text.strip().split("\n\n") if part] or [text]
        out.extend({"text": part} for part in parts)
    if message.get("buttons"):
        quick = [{"content_type": "text", "title": b.get("title"), "payload": b.get("payload")}
                 for b in message["buttons"]]
        if out:
            out[-1]["quick_replies"] = quick
        else:
            out.append({"text": "", "quick_replies": quick})
    if message.get("image"):
        out.append({"attachment": {"type": "image", "payload": {"src": message["image"]}}})
    if message.get("custom") is not None:
        out.append({"custom": message["custom"]})
    return out


def create_socket_server(app, allowed_origins: Optional[list] = None) -> socketio.AsyncServer:
    """A socket.io server whose handlers use ``app.state`` (chat service, token secret).

    Browsers may connect from our own origin and from ``allowed_origins`` (the bank's
    pages, FINBOT_CORS_ORIGINS); clients that send no Origin (servers, tests) are allowed.
    """
    extra = set(allowed_origins or ())

    def origin_allowed(origin: Optional[str], environ: dict) -> bool:
        scheme = {"ws": "http", "wss": "https"}.get(environ.get("wsgi.url_scheme"), environ.get("wsgi.url_scheme"))
        own = f"{scheme or 'http'}://{environ.get('HTTP_HOST', '')}"  # the page this server itself serves
        return origin is None or origin == own or origin in extra

    sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins=origin_allowed)

    @sio.event
    async def connect(sid: str, environ: dict, auth: Optional[dict] = None):
        token = (auth or {}).get("token") if isinstance(auth, dict) else None
        if not token:
            raise socketio.exceptions.ConnectionRefusedError("a chat token is required (auth: {token})")
        try:
            principal = verify_customer_token(app.state.token_secret, token)
            exp = _expiry(token)
        except AuthError as refused:
            raise socketio.exceptions.ConnectionRefusedError(refused.message) from None
        await sio.save_session(sid, {"customer_id": principal.customer_id, "exp": exp, "session_id": None})

    @sio.on("session_request")
    async def session_request(sid: str, data: Any = None):
        data = data if isinstance(data, dict) else {}
        session_id = str(data.get("session_id") or uuid.uuid4().hex)
        async with sio.session(sid) as session:
            try:
                # Rooms are per customer: another customer choosing the same id joins a different room.
                room = conversation_id(session["customer_id"], session_id)
            except ValueError as exc:
                await sio.emit("chat_error", {"error": str(exc)}, room=sid)
                return
            session["session_id"], session["room"] = session_id, room
        await sio.enter_room(sid, room)
        await sio.emit("session_confirm", session_id, room=sid)

    @sio.on("user_uttered")
    async def user_uttered(sid: str, data: Any = None):
        data = data if isinstance(data, dict) else {}
        session = await sio.get_session(sid)
        if session.get("exp") and session["exp"] <= time.time():
            await sio.emit("chat_error", {"error": "chat token expired; please sign in again"}, room=sid)
            await sio.disconnect(sid)
            return
        chat: Optional[ChatService] = getattr(app.state, "chat", None)
        if chat is None:
            await sio.emit("chat_error", {"error": "the assistant is starting; try again shortly"}, room=sid)
            return
        sender = str(data.get("session_id") or session.get("session_id") or sid)
        try:
            turn = await chat.chat(sender=sender, text=data.get("message"), customer_id=session["customer_id"],
                                   channel="socketio")
        except MessageRejected as exc:
            await sio.emit("chat_error", {"error": str(exc)}, room=sid)
            return
        except Exception:  # logged by ChatService; the customer gets an apology, not a trace
            await sio.emit("chat_error", {"error": "sorry, something went wrong; please try again"}, room=sid)
            return
        # To the session's room, so every tab of this conversation sees the reply.
        room = session["room"] if session.get("session_id") == sender else sid
        for message in turn.messages:
            for payload in rasa_socket_messages(message):
                await sio.emit("bot_uttered", payload, room=room)

    return sio


def _expiry(token: str) -> Optional[float]:
    import jwt

    claims = jwt.decode(token, options={"verify_signature": False})
    return float(claims["exp"]) if "exp" in claims else None
