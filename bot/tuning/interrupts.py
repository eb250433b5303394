"""SIGTERM ends a tuning process as Ctrl-C does: a KeyboardInterrupt in the main thread.

Python prints and drops an exception raised while it runs a garbage-collection
callback, and JAX (imported with TensorFlow) registers one: a SIGTERM that
arrives during a collection was lost, and the run went on training (seen in
the test suite). So until the interruption is caught (``caught()``), the
signal is delivered again every ``RESEND_SECONDS``.
"""
from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from typing import Iterator, Optional

RESEND_SECONDS = 2.0
_caught: Optional[threading.Event] = None


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Within this block (main thread only), SIGTERM raises KeyboardInterrupt until ``caught()``."""
    global _caught
    caught, resender = threading.Event(), []

    def resend(signum: int) -> None:
        while not caught.wait(RESEND_SECONDS):
            os.kill(os.getpid(), signum)

    def interrupt(signum, frame) -> None:
        if not resender and not caught.is_set():
            resender.append(threading.Thread(target=resend, args=(signum,), name="sigterm-resend", daemon=True))
            resender[0].start()
        if not caught.is_set():
            raise KeyboardInterrupt(f"signal {signum}")

    previous, _caught = signal.signal(signal.SIGTERM, interrupt), caught
    try:
        yield
    finally:
        caught.set()
        _caught = None
        signal.signal(signal.SIGTERM, previous)


def caught() -> None:
    """Call first thing in ``except KeyboardInterrupt``: stops the re-sending, and further SIGTERMs raise nothing
    (the clean-up that follows must not be interrupted)."""
    if _caught is not None:
        _caught.set()
