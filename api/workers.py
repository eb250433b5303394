"""Several serving workers, each with its own listening socket (``SO_REUSEPORT``).

uvicorn's ``--workers`` binds one socket in the parent and lets every worker
accept from it. A client that opens its keep-alive connections in a burst (the
bank's backend with a connection pool, the benchmark) then often lands every
connection on whichever worker woke first: measured on 2 workers with 8
clients, about half the runs had one worker doing all the work and the other
idle, at half the throughput.

Here each worker binds its own socket to the same address with
``SO_REUSEPORT``, and Linux spreads new connections over the workers' sockets
(by a hash of the client's address and port). uvicorn's own supervisor still
starts, health-checks and restarts the workers and handles the signals.

A worker binds before loading the model but listens only once its start-up is
done (asyncio's ``create_server`` calls ``listen``), so no connection waits
on a worker that is still loading.

The hash spreads connections evenly only on average: 8 connections over 2
workers end 4/4 in about a quarter of cases and 6/2 or worse in a third, and
a kept-alive connection stays where it landed. So the workers also keep their
shares even (``ConnectionShares``): each publishes its number of open
connections in memory shared by the workers, and a worker holding more than
its share answers with ``Connection: close`` (``ShedExtraConnections``); the
client's next connection is hashed afresh. Websocket connections count but
are never closed.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import socket
import sys
from typing import Optional

import uvicorn
from uvicorn.supervisors import Multiprocess


def reuse_port_supported() -> bool:
    """Linux spreads connections over SO_REUSEPORT sockets; other systems (macOS) don't balance them."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def bind_reuse_port(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) with SO_REUSEPORT, not yet listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    return sock


class ConnectionShares:
    """Open connections per worker, in memory shared by the workers of one ``finbot serve``.

    Made by the supervisor and handed to each worker when it is spawned. A
    worker claims a free slot (or the slot of a worker that died) and writes
    its own count; reads of the others' counts take no lock, since an answer a
    moment old only delays a shed by one response.
    """

    def __init__(self, workers: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._lock = context.Lock()
        self._pids = context.RawArray("q", workers)
        self._counts = context.RawArray("q", workers)

    def claim(self) -> int:
        with self._lock:
            for slot, pid in enumerate(self._pids):
                if pid == 0 or not _alive(pid):
                    self._pids[slot], self._counts[slot] = os.getpid(), 0
                    return slot
        raise RuntimeError("more workers than connection-share slots")

    def over_share(self, slot: int, open_connections: int) -> bool:
        """Record this worker's count; True when it holds more than an even share of all connections."""
        self._counts[slot] = open_connections
        counts = [count for pid, count in zip(self._pids, self._counts) if pid]
        return open_connections > math.ceil(sum(counts) / max(1, len(counts)))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Balance:
    """This worker's slot and server, set when the worker starts (None outside `finbot serve --workers N`)."""

    def __init__(self, shares: ConnectionShares, slot: int, server: uvicorn.Server) -> None:
        self.shares, self.slot, self.server = shares, slot, server

    def should_shed(self) -> bool:
        return self.shares.over_share(self.slot, len(self.server.server_state.connections))


balance: Optional[_Balance] = None


class ShedExtraConnections:
    """ASGI middleware: ``Connection: close`` on HTTP responses of a worker above its share."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        worker = balance
        if scope["type"] != "http" or worker is None:
            await self.app(scope, receive, send)
            return

        async def send_or_shed(message) -> None:
            if message["type"] == "http.response.start" and worker.should_shed():
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, send_or_shed)


class ReusePortWorker:
    """The target uvicorn's supervisor runs in each worker process (pickled, so a class, not a closure)."""

    def __init__(self, config: uvicorn.Config, shares: ConnectionShares) -> None:
        self.config, self.shares = config, shares

    def __call__(self, sockets: list[socket.socket] | None = None) -> None:
        global balance

        sock = bind_reuse_port(self.config.host, self.config.port)
        server = uvicorn.Server(self.config)
        balance = _Balance(self.shares, self.shares.claim(), server)
        server.run(sockets=[sock])


class PortUnavailable(RuntimeError):
    """The address is taken by a program that did not ask to share it."""


def run_workers(config: uvicorn.Config) -> None:
    """Serve ``config.workers`` processes, each on its own SO_REUSEPORT socket, until a signal stops them.

    Raises PortUnavailable before any worker starts when another program holds the address.
    (Another finbot, or any program of the same user that also sets SO_REUSEPORT, would
    share the port instead: Linux allows that within one user.)
    """
    # Bound (not listening) for the supervisor's lifetime: a taken port fails here, once,
    # rather than in every worker and every restart.
    try:
        reservation = bind_reuse_port(config.host, config.port)
    except OSError as exc:
        raise PortUnavailable(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}") from exc
    try:
        Multiprocess(config, target=ReusePortWorker(config, ConnectionShares(config.workers)), sockets=[]).run()
    finally:
        reservation.close()
