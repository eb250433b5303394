"""Promotion and rollback reach a running server without a restart or a failed request.

A real uvicorn process follows the model registry (no FINBOT_MODEL pin). While
a client keeps chatting, a second version is promoted and then rolled back;
every worker switches and not one request fails.
"""
from __future__ import annotations

import shutil
import threading
import time
import uuid

import httpx

from api.security import create_api_key
from recommender.store.db import open_database


def _wait_for_model(url: str, name: str, seconds: float = 120) -> float:
    started = time.time()
    while time.time() - started < seconds:
        if httpx.get(f"{url}/ready", timeout=5).json().get("model") == name:
            return time.time() - started
        time.sleep(0.25)
    raise AssertionError(f"server still not serving {name} after {seconds} s")


def test_promotion_and_rollback_switch_the_running_server_with_zero_failed_requests(
        tmp_path, demo_database, ci_model, server_starter):
    from bot import registry

    base = tmp_path / "base.db"
    shutil.copy(demo_database, base)
    engine = open_database(f"sqlite:///{base}")
    first = tmp_path / "model-a.tar.gz"
    second = tmp_path / "model-b.tar.gz"
    shutil.copy(ci_model, first)
    shutil.copy(ci_model, second)  # the same weights under another version: the switch is what is tested
    first_version = registry.register_model(engine, first, source="test")  # evaluated on the held-out split
    registry.promote(engine, "model-a", by="test", reason="first model", force=True)
    engine.dispose()

    server_dir = tmp_path / "server"
    server_dir.mkdir()
    process, url, env = server_starter(server_dir, base, None, extra_env={"FINBOT_MODEL_POLL_SECONDS": "0.5"})
    try:
        live = open_database(env["DATABASE_URL"])
        key, _ = create_api_key(live, "hot reload test", ["chat"])
        assert httpx.get(f"{url}/ready").json()["model"] == "model-a.tar.gz"

        outcomes: list[int] = []
        stop = threading.Event()

        def keep_chatting() -> None:
            with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=30) as client:
                while not stop.is_set():
                    sender = f"load-{uuid.uuid4().hex[:8]}"
                    for text in ("你好", "我卡里还有多少钱", "上个月花了多少钱", "thanks"):
                        reply = client.post("/v1/chat", json={"sender_id": sender, "message": text,
                                                              "customer_id": "salaried_saver"})
                        outcomes.append(reply.status_code)

        load = threading.Thread(target=keep_chatting)
        load.start()
        time.sleep(2)
        registry.register_model(live, second, source="test", report=first_version.report)  # same weights
        registry.promote(live, "model-b", by="test", reason="better model", force=True)
        switch_seconds = _wait_for_model(url, "model-b.tar.gz")
        time.sleep(2)
        registry.rollback(live, by="test", reason="roll back")
        rollback_seconds = _wait_for_model(url, "model-a.tar.gz")
        time.sleep(1)
        stop.set()
        load.join(timeout=60)
        print(f"switch {switch_seconds:.1f} s, rollback {rollback_seconds:.1f} s, {len(outcomes)} requests")
        assert len(outcomes) > 20
        assert [code for code in outcomes if code != 200] == []
    finally:
        process.terminate()
        process.wait(timeout=30)
