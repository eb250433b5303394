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


def _run_python(code: str) -> str:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_a_tuning_worker_runs_tensorflow_on_one_thread():
    """Two workers on 2 cores: each worker's TensorFlow gets one thread (bot/tuning/study.py)."""
    setup = "import tensorflow as tf\nfrom bot.tuning.study import _one_tensorflow_thread\nlines = []\n"
    fresh = _run_python(setup + "_one_tensorflow_thread(lines.append)\n"
                                "print(tf.config.threading.get_intra_op_parallelism_threads(),"
                                " tf.config.threading.get_inter_op_parallelism_threads(), len(lines))\n")
    assert fresh == "1 1 0"
    started = _run_python(setup + "tf.constant(1) + 1\n"          # TensorFlow has started: too late
                                  "_one_tensorflow_thread(lines.append)\nprint(lines)\n")
    assert "TensorFlow keeps its default threads in this process" in started
