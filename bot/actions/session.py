"""Session start: bind the conversation to one customer."""
from __future__ import annotations

import os
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.context import service


class ActionSessionStart(Action):
    """Carries slots over like Rasa's default, then binds the customer.

    The customer comes from the session metadata (``customer_id``, put there
    by the channel after it verified the customer's signed token). Only in
    the terminal (FINBOT_SENDER_IS_CUSTOMER=1: `finbot chat` and the tests) may a sender
    id that is itself a known customer id stand in for it; otherwise anyone
    could read a customer's data by choosing a sender id.
    """

    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        carried = [SlotSet(key, value) for key, value in tracker.current_slot_values().items()
                   if value is not None and key not in ("requested_slot",)]
        events.extend(carried)
        metadata = tracker.get_slot("session_started_metadata") or {}
        candidate = metadata.get("customer_id")
        if candidate is None and os.environ.get("FINBOT_SENDER_IS_CUSTOMER", "").lower() in ("1", "true", "yes"):
            candidate = tracker.sender_id
        from recommender.store import repositories

        record = repositories.get_customer(service().engine, candidate) if candidate else None
        if record is not None:
            events.append(SlotSet("customer_id", record.customer_id))
            if not tracker.get_slot("language"):
                events.append(SlotSet("language", record.language))
        events.append(ActionExecuted("action_listen"))
        return events
