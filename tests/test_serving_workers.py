"""`finbot serve --workers 2`: each worker listens on its own SO_REUSEPORT socket (api/workers.py),
so a burst of new connections reaches both workers instead of whichever woke first, and a worker
above its share of kept-alive connections sheds them until the shares are even."""
from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from api.workers import reuse_port_supported

pytestmark = pytest.mark.skipif(
    not reuse_port_supported(), reason="SO_REUSEPORT balancing is Linux-only; elsewhere uvicorn shares one socket")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening_sockets(port: int) -> int:
    """LISTEN rows (state 0A) for 127.0.0.1:port in the kernel's TCP table."""
    local = f"0100007F:{port:04X}"
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows if row.split()[1] == local and row.split()[3] == "0A")


def _parent_pid(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def _serve(tmp_path, database_file, redis_url, port) -> subprocess.Popen:
    shutil.copy(database_file, tmp_path / "finbot.db")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "RASA_TELEMETRY_ENABLED": "false",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'finbot.db'}", "FINBOT_DATA_DIR": str(tmp_path),
           "FINBOT_LOAD_BOT": "0", "FINBOT_REDIS_URL": redis_url, "FINBOT_TOKEN_SECRET": "test-secret-" + "x" * 40}
    finbot = Path(sys.executable).with_name("finbot")
    return subprocess.Popen([str(finbot), "serve", "--workers", "2", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=open(tmp_path / "serve.log", "wb"), stderr=subprocess.STDOUT)


def test_each_worker_listens_and_connections_are_spread_evenly(tmp_path, demo_database, redis_url):
    port = _free_port()
    server = _serve(tmp_path, demo_database, redis_url, port)
    try:
        deadline = time.time() + 180
        while _listening_sockets(port) < 2:  # a worker listens only once its start-up is done
            assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            assert time.time() < deadline, "workers not listening after 180 s"
            time.sleep(0.5)
        assert _listening_sockets(port) == 2  # one per worker, not one shared

        def new_connection(_):
            with httpx.Client(timeout=10) as client:  # a connection of its own
                return client.get(f"http://127.0.0.1:{port}/ready").json()["worker_pid"]

        with ThreadPoolExecutor(16) as pool:  # opened together, like a client's connection pool
            pids = list(pool.map(new_connection, range(16)))
        # Linux hashes each connection to one socket: all 16 on one worker has odds of 1 in 32,768.
        assert len(set(pids)) == 2, pids
        assert {_parent_pid(pid) for pid in pids} == {server.pid}

        # 8 kept-alive connections, each used again and again: whichever way they were hashed,
        # the worker above its share closes connections until each worker holds 4
        clients = [httpx.Client(timeout=10) for _ in range(8)]
        try:
            def keep_asking(client) -> tuple[int, int]:
                sheds = 0
                for _ in range(40):
                    reply = client.get(f"http://127.0.0.1:{port}/ready")
                    sheds += reply.headers.get("connection") == "close"
                    time.sleep(0.005)
                return reply.json()["worker_pid"], sheds

            with ThreadPoolExecutor(8) as pool:
                finals = list(pool.map(keep_asking, clients))
            assert sorted(Counter(pid for pid, _ in finals).values()) == [4, 4], finals
            assert sum(sheds for _, sheds in finals) < 8 * 40 / 2  # shedding stops once the shares are even
            with ThreadPoolExecutor(8) as pool:  # and stays stopped
                assert [sheds for _, sheds in pool.map(keep_asking, clients)] == [0] * 8
        finally:
            for client in clients:
                client.close()

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
        assert _listening_sockets(port) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_a_port_held_by_another_program_is_reported_before_any_worker_starts(tmp_path, demo_database, redis_url):
    with socket.socket() as other:  # a listener that did not ask to share its port
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        server = _serve(tmp_path, demo_database, redis_url, port)
        assert server.wait(timeout=60) == 1
    log = (tmp_path / "serve.log").read_text()
    assert f"error: cannot listen on 127.0.0.1:{port}: Address already in use" in log
    assert "Traceback" not in log and "Started parent process" not in log


def test_connection_shares_name_the_worker_above_an_even_share():
    from api.workers import ConnectionShares

    shares = ConnectionShares(3)
    first = shares.claim()
    assert first == 0 and not shares.over_share(first, 3)  # alone: everything is its share
    second = shares.claim()                          # one process claiming twice stands in for two workers
    assert second == 1
    assert shares.over_share(second, 1) is False     # 3 + 1 over 2 workers: up to 2 each
    assert shares.over_share(first, 3) is True       # 3 is above that
    assert shares.over_share(first, 2) is False
    assert shares.over_share(second, 3) is False     # 2 + 3: up to 3 each
