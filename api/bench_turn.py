"""`finbot bench turn`: what one chat turn costs our server, without HTTP or concurrency.

The serving benchmark (`finbot bench serve`) says how fast the whole service
is; this one says where a turn's time goes. It runs the serving benchmark's
scripted conversations one message at a time through ``BotRuntime`` (the
object every channel calls: NLU with the parse cache, dialogue, in-process
actions, the cached SQL tracker store) on a fresh demo database as of the
serving benchmark's date, and prints the latency per turn and the slowest
messages. ``--profile N`` also prints cProfile's N most expensive functions;
the actions then run on the profiled thread (they normally run in a worker
thread, which cProfile does not see), which the note under the table says.
"""
from __future__ import annotations

import asyncio
import cProfile
import io
import os
import pstats
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from api.bench_serving import BENCH_TODAY, PERSONAS, SCRIPTS, build_demo_database, percentile


def run_turn_benchmark(model: Path, conversations: int = 24, warm_up: int = 4, profile_rows: int = 0,
                       parse_cache_size: int = 5000, categorised_cache_size: int = 256, out=print) -> dict:
    """Time ``conversations`` scripted conversations after ``warm_up`` unmeasured ones; returns the figures."""
    from datetime import date

    from bot.actions.context import use_service
    from bot.runtime import BotRuntime, make_lock_store, make_tracker_store
    from recommender.service import RecommenderService
    from recommender.store.db import open_database

    work = Path(tempfile.mkdtemp(prefix="finbot-bench-turn-"))
    previous_today = os.environ.get("FINBOT_TODAY")
    os.environ["FINBOT_TODAY"] = BENCH_TODAY          # the entity normaliser reads "上个月" against this day
    url = f"sqlite:///{work / 'finbot.db'}"
    engine = None
    try:
        build_demo_database(work / "finbot.db")
        engine = open_database(url, keep_connections=True)
        use_service(RecommenderService(engine, today=lambda: date.fromisoformat(BENCH_TODAY),
                                       categorised_cache_size=categorised_cache_size))
        runtime = BotRuntime(model, tracker_store=make_tracker_store(url, cached_conversations=1000),
                             lock_store=make_lock_store(""), parse_cache_size=parse_cache_size)
        asyncio.run(_conversations(runtime, range(warm_up), {}))
        latencies: dict[str, list[float]] = {}
        profiler = cProfile.Profile() if profile_rows else None
        if profiler is not None:
            _run_actions_inline(runtime)
            profiler.enable()
        started = time.perf_counter()
        turns = asyncio.run(_conversations(runtime, range(warm_up, warm_up + conversations), latencies))
        elapsed = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
    finally:
        use_service(None)
        if engine is not None:
            engine.dispose()
        if previous_today is None:
            os.environ.pop("FINBOT_TODAY", None)
        else:
            os.environ["FINBOT_TODAY"] = previous_today
        shutil.rmtree(work, ignore_errors=True)
    every = [ms for values in latencies.values() for ms in values]
    figures = {"turns": turns, "ms_per_turn": elapsed * 1000 / turns,
               "p50_ms": percentile(every, 50), "p95_ms": percentile(every, 95), "p99_ms": percentile(every, 99)}
    out(f"model {model.name}; {conversations} conversations, {turns} turns, one at a time, in process; "
        f"parse cache {parse_cache_size or 'off'}, categorised windows {categorised_cache_size or 'off'}")
    out(f"{figures['ms_per_turn']:.1f} ms per turn (wall); p50 {figures['p50_ms']:.1f} / "
        f"p95 {figures['p95_ms']:.1f} / p99 {figures['p99_ms']:.1f} ms")
    out("\nslowest messages (mean ms, turns):")
    for text, values in sorted(latencies.items(), key=lambda kv: -statistics.fmean(kv[1]))[:8]:
        out(f"  {statistics.fmean(values):7.1f} {len(values):4d}  {text}")
    if profiler is not None:
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(profile_rows)
        out("\nprofile (actions run on the profiled thread; wall time above includes the profiler):")
        out(buffer.getvalue())
    return figures


async def _conversations(runtime, indexes, latencies: dict) -> int:
    turns = 0
    for index in indexes:
        script, persona = SCRIPTS[index % len(SCRIPTS)], PERSONAS[index % len(PERSONAS)]
        sender = f"bench-turn-{uuid.uuid4().hex[:12]}"
        for text in script:
            started = time.perf_counter()
            await runtime.handle(text, sender, metadata={"customer_id": persona})
            latencies.setdefault(text, []).append((time.perf_counter() - started) * 1000)
            turns += 1
    return turns


def _run_actions_inline(runtime) -> None:
    """Let the profiler see the actions: run them on the event loop's thread."""
    endpoint = runtime.agent.action_endpoint

    async def request(method="post", subpath=None, content_type="application/json", compress=False, **kwargs):
        return await endpoint.run_on_this_loop(kwargs.get("json") or {})

    endpoint.request = request

