"""bot/tuning/interrupts.py: a SIGTERM that was swallowed is delivered again until it is caught."""
from __future__ import annotations

import os
import signal
import time

import pytest

from bot.tuning import interrupts


def _sleep_until_interrupted(seconds: float, send: bool = False) -> bool:
    try:
        if send:
            os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(seconds)
    except KeyboardInterrupt:
        return True
    return False


def test_a_lost_sigterm_is_sent_again_and_stops_after_caught(monkeypatch):
    monkeypatch.setattr(interrupts, "RESEND_SECONDS", 0.2)
    with interrupts.sigterm_interrupts():
        # Dropped without caught(), as Python drops an exception raised in a gc callback:
        assert _sleep_until_interrupted(1.0, send=True)
        assert _sleep_until_interrupted(1.0), "the signal was not sent again"
        interrupts.caught()
        assert not _sleep_until_interrupted(0.6), "re-sent after caught()"
        # clean-up after caught() is not cut short either
        assert not _sleep_until_interrupted(0.3, send=True)


def test_the_previous_handler_is_back_after_the_block():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        with interrupts.sigterm_interrupts():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1.0)
    assert signal.getsignal(signal.SIGTERM) is before
