"""The serving tracker store keeps conversations in memory between turns (bot/tracker_cache.py).

Checked against Rasa's own SQLTrackerStore on SQLite and PostgreSQL: the same
rows in the database, the same trackers read back, and never a stale tracker
when another worker or a deletion changed the conversation.
"""
from __future__ import annotations

import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from sqlalchemy import create_engine, text

from bot.runtime import make_tracker_store
from bot.training import DOMAIN


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(DOMAIN))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'trackers.db'}"
    return request.getfixturevalue("pg_url")


def _turn(text_: str, number: int) -> list:
    """The events one message adds: the customer's words, an action, a slot, the bot's answer."""
    return [UserUttered(text_, {"name": "check_balance", "confidence": 0.9}, timestamp=1000.0 + number),
            ActionExecuted("action_check_balance", timestamp=1000.1 + number),
            SlotSet("customer_id", "salaried_saver", timestamp=1000.2 + number),
            BotUttered(f"answer {number}", timestamp=1000.3 + number),
            ActionExecuted("action_listen", timestamp=1000.4 + number)]


async def _chat(store, sender: str, texts: list[str], first: int = 0) -> None:
    """What the processor does per message: get (or create) the tracker, add the turn's events, save."""
    for number, text_ in enumerate(texts, start=first):
        tracker = await store.get_or_create_tracker(sender)
        tracker.update_with_events(_turn(text_, number), None, override_timestamp=False)
        await store.save(tracker)


def _rows(url: str, sender: str) -> list[tuple]:
    engine = create_engine(url, future=True)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT type_name, intent_name, action_name, data FROM events "
                                       "WHERE sender_id = :s ORDER BY id"), {"s": sender}).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def test_the_cached_store_writes_and_reads_exactly_what_rasas_store_does(database_url, domain, tmp_path):
    cached = make_tracker_store(database_url, domain=domain, cached_conversations=10)
    stock_url = f"sqlite:///{tmp_path / 'stock.db'}"
    stock = make_tracker_store(stock_url, domain=domain)
    texts = ["余额多少", "how much did I spend", "谢谢", "bye"]

    asyncio.run(_chat(cached, "c1", texts))
    asyncio.run(_chat(stock, "c1", texts))

    assert cached.hits == len(texts) - 1   # the first message creates (Rasa's save), then memory
    ours, rasas = _rows(database_url, "c1"), _rows(stock_url, "c1")
    assert len(rasas) == 1 + 5 * len(texts)
    assert ours[0][:3] == rasas[0][:3]      # the tracker's opening action_listen, stamped with the time of creation
    assert ours[1:] == rasas[1:]
    fresh = make_tracker_store(database_url, domain=domain)          # another worker, reading SQL only
    read_back = asyncio.run(fresh.retrieve("c1"))
    in_memory = asyncio.run(cached.retrieve("c1"))
    assert cached.hits == len(texts)
    assert [e.as_dict() for e in in_memory.events] == [e.as_dict() for e in read_back.events]
    assert in_memory.current_slot_values() == read_back.current_slot_values()


def test_a_turn_written_by_another_worker_is_never_hidden_by_the_cache(database_url, domain):
    worker_a = make_tracker_store(database_url, domain=domain, cached_conversations=10)
    worker_b = make_tracker_store(database_url, domain=domain, cached_conversations=10)
    asyncio.run(_chat(worker_a, "c2", ["hi", "balance"]))
    asyncio.run(_chat(worker_b, "c2", ["spending"], first=2))      # the next message landed on worker B

    seen_by_a = asyncio.run(worker_a.retrieve("c2"))
    assert [e.text for e in seen_by_a.events if isinstance(e, UserUttered)] == ["hi", "balance", "spending"]
    hits = worker_a.hits
    seen_by_a.update_with_events(_turn("thanks", 3), None, override_timestamp=False)
    asyncio.run(worker_a.save(seen_by_a))
    assert [e.text for e in asyncio.run(worker_b.retrieve("c2")).events
            if isinstance(e, UserUttered)] == ["hi", "balance", "spending", "thanks"]
    assert worker_a.hits == hits                                    # a miss, as it must be


def test_a_failed_turn_leaves_nothing_unsaved_in_the_cache(database_url, domain):
    store = make_tracker_store(database_url, domain=domain, cached_conversations=10)
    asyncio.run(_chat(store, "c3", ["hi", "balance", "more"]))
    tracker = asyncio.run(store.retrieve("c3"))
    tracker.update_with_events(_turn("never saved", 9), None, override_timestamp=False)   # the turn fails before save
    again = asyncio.run(store.retrieve("c3"))
    assert again is not tracker
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["hi", "balance", "more"]


def test_a_deleted_conversation_is_gone_from_the_cache_too(database_url, domain):
    store = make_tracker_store(database_url, domain=domain, cached_conversations=10)
    asyncio.run(_chat(store, "c4", ["hi", "balance"]))
    engine = create_engine(database_url, future=True)
    with engine.begin() as connection:                          # what DELETE /v1/customers/{id}/data does
        connection.execute(text("DELETE FROM events WHERE sender_id = 'c4'"))
    engine.dispose()
    assert asyncio.run(store.retrieve("c4")) is None


def test_the_cache_holds_at_most_the_configured_number_of_conversations(domain, tmp_path):
    store = make_tracker_store(f"sqlite:///{tmp_path / 't.db'}", domain=domain, cached_conversations=2)
    for sender in ("a", "b", "c"):
        asyncio.run(_chat(store, sender, ["hi", "balance"]))
    assert list(store._kept) == ["b", "c"]
    misses = store.misses
    asyncio.run(store.retrieve("a"))
    assert store.misses == misses + 1                           # evicted: read from SQL, still correct


def test_a_write_waiting_for_sqlites_lock_does_not_stall_other_conversations(domain, tmp_path):
    """Another process holds the write lock: the save waits, while the same event loop keeps serving."""
    import sqlite3

    url = f"sqlite:///{tmp_path / 'locked.db'}"
    store = make_tracker_store(url, domain=domain, cached_conversations=10)
    asyncio.run(_chat(store, "c1", ["余额多少", "how much did I spend"]))      # cached and lent-able now
    other_worker = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    other_worker.execute("BEGIN IMMEDIATE")                                     # holds the write lock

    async def scenario():
        ticks = 0
        tracker = await store.get_or_create_tracker("c1")
        tracker.update_with_events(_turn("谢谢", 2), None, override_timestamp=False)
        saving = asyncio.create_task(store.save(tracker))
        while ticks < 20:                  # other conversations' work, on the same loop, while the write waits
            await asyncio.sleep(0.01)
            ticks += 1
        assert not saving.done()           # still waiting for the lock
        other_worker.execute("COMMIT")
        await asyncio.wait_for(saving, 30)
        return ticks

    assert asyncio.run(scenario()) == 20
    other_worker.close()
    assert len(_rows(url, "c1")) == 1 + 5 * 3
