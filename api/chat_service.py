"""One path for every channel: check the message, bind the customer, run the bot.

REST, /v1/chat and the socket.io widget all call ``ChatService.chat``; the
channels differ only in how they authenticate and how they shape replies.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Optional

from api import metrics
from api.security import conversation_id

log = logging.getLogger("finbot.chat")
MAX_MESSAGE_CHARS = 2_000


class MessageRejected(ValueError):
    """The message itself is unusable (empty, too long, bad sender id): a 4xx."""


class ChatService:
    def __init__(self, runtime) -> None:
        self.runtime = runtime

    @property
    def model_name(self) -> str:
        return self.runtime.model_path.name

    async def chat(self, *, sender: str, text: Any, customer_id: Optional[str], channel: str,
                   output_channel=None):
        """Handle one message; returns bot.runtime.Turn. Raises MessageRejected for bad input."""
        if not isinstance(text, str) or not text.strip():
            raise MessageRejected("message must be a non-empty string")
        if len(text) > MAX_MESSAGE_CHARS:
            raise MessageRejected(f"message is longer than {MAX_MESSAGE_CHARS} characters")
        try:
            conversation = conversation_id(customer_id, sender)
        except ValueError as exc:
            raise MessageRejected(str(exc)) from None
        metadata = {"customer_id": customer_id} if customer_id else None
        started = time.perf_counter()
        try:
            turn = await self.runtime.handle(text, conversation, metadata=metadata, channel=channel,
                                             output_channel=output_channel)
        except Exception:
            metrics.ERRORS.labels(channel).inc()
            log.exception("message failed in conversation %s", conversation)
            raise
        metrics.record_turn(channel, turn.intent.get("name"), time.perf_counter() - started)
        return turn

    async def transcript(self, *, sender: str, customer_id: Optional[str]) -> list:
        try:
            conversation = conversation_id(customer_id, sender)
        except ValueError as exc:
            raise MessageRejected(str(exc)) from None
        return await self.runtime.transcript(conversation)
