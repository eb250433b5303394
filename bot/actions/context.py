"""What every action needs: the recommender service, the customer, the language.

The service is built once per process from the environment (DATABASE_URL,
FINBOT_TODAY, ...). The API server injects its own instance with
``use_service`` so actions run in-process on the same engine and clock.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Dict, Iterator, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from recommender.service import RecommenderService

_service: Optional[RecommenderService] = None
_lock = threading.Lock()
# A service for the current conversation only (conversation tests run many
# conversations at once, each on its own database and date). Context vars
# reach the actions: the in-process executor copies the context into its thread.
_conversation_service: ContextVar[Optional[RecommenderService]] = ContextVar("finbot_conversation_service",
                                                                            default=None)


def use_service(service: Optional[RecommenderService]) -> None:
    """Make actions use this service (the API server's, a test's); None: one built from the environment."""
    global _service
    _service = service


@contextmanager
def using_service(service: RecommenderService) -> Iterator[None]:
    """Within this block (and the actions it runs), actions use ``service``."""
    token = _conversation_service.set(service)
    try:
        yield
    finally:
        _conversation_service.reset(token)


def service() -> RecommenderService:
    global _service
    override = _conversation_service.get()
    if override is not None:
        return override
    with _lock:
        if _service is None:
            from recommender.settings import get_settings
            from recommender.store.db import open_database

            settings = get_settings()
            _service = RecommenderService(open_database(settings.effective_database_url, keep_connections=True),
                                         today=settings.clock(),
                                         categorised_cache_size=settings.categorised_cache_size)
        return _service


def language(tracker: Tracker) -> str:
    """Reply language: the slot the LanguageDetector fills each turn; zh by default."""
    value = tracker.get_slot("language")
    return value if value in ("zh", "en") else "zh"


def customer_id(tracker: Tracker) -> Optional[str]:
    """The customer bound to this conversation (set at session start), else None."""
    return tracker.get_slot("customer_id")


def say(dispatcher: CollectingDispatcher, tracker: Tracker, zh: str, en: str, **kwargs: Any) -> None:
    """Utter the variant in the conversation's language."""
    dispatcher.utter_message(text=zh if language(tracker) == "zh" else en, **kwargs)


def pick(tracker: Tracker, zh: Any, en: Any) -> Any:
    return zh if language(tracker) == "zh" else en


def buttons(tracker: Tracker, items: List[tuple]) -> List[Dict[Text, Text]]:
    """[(zh title, en title, payload)] -> Rasa buttons in the conversation's language."""
    return [{"title": pick(tracker, zh, en), "payload": payload} for zh, en, payload in items]


def entity_value(tracker: Tracker, entity: str) -> Any:
    """The normalised value of an entity in the latest message (None if absent or not normalised)."""
    for item in (tracker.latest_message or {}).get("entities", []):
        if item.get("entity") == entity and item.get("normalised", True):
            return item.get("value")
    return None


def require_customer(dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[str]:
    """The customer id, or a polite explanation that this chat is not linked to one."""
    cid = customer_id(tracker)
    if cid is None:
        say(dispatcher, tracker,
            "这个对话还没有关联到你的账户，请从网银或手机银行登录后再问我。",
            "This chat isn't linked to your account yet. Please sign in through online or mobile banking first.")
    return cid
