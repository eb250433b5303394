"""A per-conversation "today" for code that runs inside one conversation.

Conversation tests run many conversations at once in one process, each with
its own date ("today is 2026-03-15", so 上个月 means February). A context
variable carries that date to the NLU entity normaliser; it flows into the
actions too, because the in-process executor copies the context into its
worker thread. Outside such a block ``fixed_today()`` is None and every
component falls back to its usual clock (config, FINBOT_TODAY, the real date).
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Iterator, Optional

_today: ContextVar[Optional[date]] = ContextVar("finbot_conversation_today", default=None)


def fixed_today() -> Optional[date]:
    """The date fixed for the current conversation, if any."""
    return _today.get()


@contextmanager
def today_is(day: date) -> Iterator[None]:
    """Within this block (and tasks and threads started from it), today is ``day``."""
    token = _today.set(day)
    try:
        yield
    finally:
        _today.reset(token)


def environment_today() -> date:
    """FINBOT_TODAY if set (demo data, benchmarks), else the server's date."""
    configured = os.environ.get("FINBOT_TODAY")
    return date.fromisoformat(configured) if configured else date.today()


def current_day() -> date:
    """The day a message is read on: the conversation's fixed date, else ``environment_today()``."""
    return fixed_today() or environment_today()
