"""Rasa's SQL tracker store with the conversation kept in memory between turns.

Stock SQLTrackerStore reads every event of the conversation session back from
the database and replays them into a new tracker on every message, then
counts them again to know which events to insert: about a fifth of a turn's
CPU on our serving benchmark. Here a worker keeps the tracker it just saved
and hands it out again on the next message of that conversation, after one
indexed query proves the database has not moved on: the newest event id for
the conversation must still be the one this worker wrote. Another worker (or
a deletion through the API) changes that id, and the tracker is read from the
database as before. The database stays the only source of truth; the cache
never answers without that check.

Every query runs in a worker thread, so a worker whose write waits for
SQLite's lock (the other worker is writing) goes on serving its other
conversations meanwhile instead of stalling its event loop.

Ownership: ``retrieve`` takes the tracker out of the cache (the caller
mutates it), ``save`` puts it back. A turn that fails between the two leaves
nothing cached, so the next message reads the database. Only a tracker this
store handed out is saved the fast way (exactly the events it has gained
since); anything else goes through Rasa's own ``save``.

A kept tracker can span conversation sessions (as in Rasa's in-memory store):
``SessionStarted`` resets it, so the policies see the same state either way.

Pinned to rasa 3.6.21: ``_save_events`` writes rows the way
``SQLTrackerStore.save`` does there. A Rasa upgrade must recheck it
(tests/test_tracker_cache.py compares both).
"""
from __future__ import annotations

import asyncio
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

DEFAULT_CACHED_CONVERSATIONS = 1000


@dataclass
class _Kept:
    tracker: DialogueStateTracker
    last_event_id: Optional[int]      # the newest row for the conversation when this tracker was saved
    stored: int                       # how many of tracker.events are in the database


def _finish(coroutine):
    """Run one of SQLTrackerStore's coroutines to its end in this thread.

    In rasa 3.6.21 ``retrieve`` and ``save`` (without an event broker) never
    suspend: they are blocking database calls declared ``async``.
    """
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return finished.value
    coroutine.close()
    raise RuntimeError("SQLTrackerStore suspended: recheck bot/tracker_cache.py against this Rasa version")


class CachingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore plus a per-worker LRU of the trackers it saved (see the module docstring)."""

    def __init__(self, *args, cached_conversations: int = DEFAULT_CACHED_CONVERSATIONS, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cached_conversations = cached_conversations
        self._kept: "OrderedDict[str, _Kept]" = OrderedDict()   # saved, waiting for the next message
        self._lent: "OrderedDict[str, _Kept]" = OrderedDict()   # handed out to a turn in progress
        self._guard = threading.Lock()
        self.hits = self.misses = 0

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        with self._guard:
            kept = self._kept.pop(sender_id, None)
        if kept is not None and kept.last_event_id == await asyncio.to_thread(self._last_event_id, sender_id):
            self.hits += 1
            self._lend(sender_id, kept)
            return kept.tracker
        self.misses += 1
        tracker = await asyncio.to_thread(_finish, super().retrieve(sender_id))
        if tracker is not None:
            self._lend(sender_id, _Kept(tracker, None, len(tracker.events)))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        sender_id = tracker.sender_id
        with self._guard:
            lent = self._lent.pop(sender_id, None)
        if self.event_broker is not None:
            with self._guard:
                self._kept.pop(sender_id, None)
            await super().save(tracker)     # Rasa's way, which also streams the new events to the broker
            return
        if lent is None or lent.tracker is not tracker:
            with self._guard:
                self._kept.pop(sender_id, None)
            # Not ours to account for (a new conversation, or a tracker from elsewhere): Rasa's way, which
            # counts what is stored. Then the whole tracker is stored, so its next save can be ours.
            await asyncio.to_thread(_finish, super().save(tracker))
            self._lend(sender_id, _Kept(tracker, None, len(tracker.events)))
            return
        events = list(tracker.events)
        # ids start at 1: None means not known yet
        last_event_id = (await asyncio.to_thread(self._save_events, sender_id, events[lent.stored:])
                         or lent.last_event_id or await asyncio.to_thread(self._last_event_id, sender_id))
        self._put(self._kept, sender_id, _Kept(tracker, last_event_id, len(events)))

    def _lend(self, sender_id: str, kept: _Kept) -> None:
        self._put(self._lent, sender_id, kept)   # bounded too: turns that failed never give theirs back

    def _put(self, entries: "OrderedDict[str, _Kept]", sender_id: str, kept: _Kept) -> None:
        """Newest last; the least recently used conversations go past ``cached_conversations``."""
        with self._guard:
            entries[sender_id] = kept
            entries.move_to_end(sender_id)
            while len(entries) > self.cached_conversations:
                entries.popitem(last=False)

    def _last_event_id(self, sender_id: str) -> Optional[int]:
        import sqlalchemy as sa

        with self.session_scope() as session:
            return session.query(sa.func.max(self.SQLEvent.id)).filter(
                self.SQLEvent.sender_id == sender_id).scalar()

    def _save_events(self, sender_id: str, events: list) -> Optional[int]:
        """Insert ``events`` as SQLTrackerStore.save does; the id of the last row written (None if none)."""
        if not events:
            return None
        with self.session_scope() as session:
            rows = []
            for event in events:
                data = event.as_dict()
                rows.append(self.SQLEvent(
                    sender_id=sender_id, type_name=event.type_name, timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    action_name=data.get("name"), data=json.dumps(data)))
            session.add_all(rows)
            session.flush()                 # assigns the ids, in insertion order
            last_event_id = rows[-1].id
            session.commit()
            return last_event_id
