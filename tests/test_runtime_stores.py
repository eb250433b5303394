"""The serving runtime's stores: Rasa's SQL tracker store on SQLite and PostgreSQL
(conversations survive a restart), and the Redis lock store that keeps one
conversation on one worker at a time."""
from __future__ import annotations

import asyncio
import shutil
import time

import pytest

from recommender.service import RecommenderService
from recommender.store.db import migrate, open_database

@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, demo_database):
    """The demo personas on SQLite (a copy) or in a private PostgreSQL schema."""
    if request.param == "sqlite":
        shutil.copy(demo_database, tmp_path / "finbot.db")
        return f"sqlite:///{tmp_path / 'finbot.db'}"
    from datetime import date

    from recommender.demo import generate_demo_data
    from recommender.seed import load_catalogue, load_demo_data

    url = request.getfixturevalue("pg_url")
    engine = open_database(url)
    migrate(engine)
    load_catalogue(engine)
    load_demo_data(engine, generate_demo_data(seed=42, months=12, as_of=date(2026, 3, 15)))
    engine.dispose()
    return url


def test_conversations_are_kept_in_the_sql_tracker_store_across_restarts(database_url, ci_model):
    from datetime import date

    from bot.actions.context import use_service
    from bot.runtime import BotRuntime, make_lock_store, make_tracker_store

    use_service(RecommenderService(open_database(database_url), today=lambda: date(2026, 3, 15)))
    runtime = BotRuntime(ci_model, tracker_store=make_tracker_store(database_url), lock_store=make_lock_store(""))
    turn = asyncio.run(runtime.handle("我卡里还有多少钱", "salaried_saver/s1", metadata={"customer_id": "salaried_saver"}))
    assert turn.actions == ["action_check_balance"] and turn.slots["customer_id"] == "salaried_saver"

    # A new runtime (a restarted worker) reads the same conversation from the database.
    restarted = BotRuntime(ci_model, tracker_store=make_tracker_store(database_url), lock_store=make_lock_store(""))
    lines = asyncio.run(restarted.transcript("salaried_saver/s1"))
    assert lines[0] == {**lines[0], "sender": "user", "text": "我卡里还有多少钱"}
    assert any(line["sender"] == "bot" and "¥" in (line["text"] or "") for line in lines)
    follow_up = asyncio.run(restarted.handle("谢谢", "salaried_saver/s1"))
    assert follow_up.slots["customer_id"] == "salaried_saver"  # still bound, no metadata needed


def test_redis_lock_store_serialises_one_conversation(redis_url):
    from bot.lock_store import ConversationLockStore
    from bot.runtime import make_lock_store
    from rasa.core.lock_store import RedisLockStore

    store = make_lock_store(redis_url)
    assert isinstance(store, ConversationLockStore) and isinstance(store, RedisLockStore)  # Rasa: multi-worker safe
    conversation = f"lock-test-{time.time_ns()}"
    order: list[str] = []

    async def worker(name: str, hold: float) -> None:
        async with store.lock(conversation, wait_time_in_seconds=0.05):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    async def both() -> None:
        first = asyncio.create_task(worker("a", 0.4))
        await asyncio.sleep(0.1)
        await asyncio.gather(first, worker("b", 0.0))
        assert await store.holder(conversation) is None  # released

    asyncio.run(both())
    assert order == ["a in", "a out", "b in", "b out"]
    assert make_lock_store("").__class__.__name__ == "InMemoryLockStore"


def test_redis_lock_is_released_on_error_and_outlives_a_dead_holder_only_until_it_expires(redis_url):
    import redis

    from bot.lock_store import KEY_PREFIX, ConversationLockStore
    from rasa.core.lock_store import LockError

    store, direct = ConversationLockStore(redis_url), redis.Redis.from_url(redis_url)
    conversation = f"lock-test-{time.time_ns()}"

    async def failing_turn() -> None:
        async with store.lock(conversation):
            assert await store.holder(conversation) is not None
            raise ValueError("the action failed")

    with pytest.raises(ValueError):
        asyncio.run(failing_turn())  # a second event loop: the store makes a client for it
    assert asyncio.run(store.holder(conversation)) is None

    # a worker died holding the lock for 0.3 s: the next message waits that long, then gets it
    direct.set(KEY_PREFIX + conversation, "dead-worker", px=300)

    async def next_turn() -> float:
        started = time.perf_counter()
        async with store.lock(conversation):
            return time.perf_counter() - started

    waited = asyncio.run(next_turn())
    assert 0.2 < waited < 2.0, waited

    # held longer than a lock may live: LockError, and the holder's lock is left alone
    direct.set(KEY_PREFIX + conversation, "slow-worker", px=5000)

    async def impatient_turn() -> None:
        async with store.lock(conversation, lock_lifetime=0.2):
            pass

    with pytest.raises(LockError, match="stayed locked"):
        asyncio.run(impatient_turn())
    assert direct.get(KEY_PREFIX + conversation) == b"slow-worker"

    # a lock that expired under a slow turn and was taken over is not released by the slow turn
    direct.delete(KEY_PREFIX + conversation)

    async def turn_outliving_its_lock() -> None:
        async with store.lock(conversation, lock_lifetime=0.1):
            await asyncio.sleep(0.2)
            direct.set(KEY_PREFIX + conversation, "next-message", px=5000)

    asyncio.run(turn_outliving_its_lock())
    assert direct.get(KEY_PREFIX + conversation) == b"next-message"
    direct.delete(KEY_PREFIX + conversation)
