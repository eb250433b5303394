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
"""
from __future__ import annotations

import socket
import sys

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


class ReusePortWorker:
    """The target uvicorn's supervisor runs in each worker process (pickled, so a class, not a closure)."""

    def __init__(self, config: uvicorn.Config) -> None:
        self.config = config

    def __call__(self, sockets: list[socket.socket] | None = None) -> None:
        sock = bind_reuse_port(self.config.host, self.config.port)
        uvicorn.Server(self.config).run(sockets=[sock])


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
        Multiprocess(config, target=ReusePortWorker(config), sockets=[]).run()
    finally:
        reservation.close()
