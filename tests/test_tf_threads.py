"""bot/tf_threads.py: TensorFlow's threads limited per process, before it starts."""
from __future__ import annotations

import subprocess
import sys

import pytest

SETUP = "import tensorflow as tf\nfrom bot.tf_threads import limit_tensorflow_threads\nlines = []\n"


def _run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("threads", [1, 2])
def test_the_limit_holds_when_set_before_tensorflow_starts(threads):
    shown = _run_python(SETUP + f"print(limit_tensorflow_threads({threads}, lines.append),"
                                " tf.config.threading.get_intra_op_parallelism_threads(),"
                                " tf.config.threading.get_inter_op_parallelism_threads(), len(lines))\n")
    assert shown == f"True {threads} {threads} 0"


def test_too_late_is_said_and_changes_nothing():
    shown = _run_python(SETUP + "tf.constant(1) + 1\n"          # TensorFlow has started
                                "print(limit_tensorflow_threads(1, lines.append),"
                                " tf.config.threading.get_intra_op_parallelism_threads(), lines)\n")
    assert shown.startswith("False 0 ") and "TensorFlow keeps its default threads in this process" in shown


def test_serving_workers_read_the_limit_from_the_environment(monkeypatch):
    from pydantic import ValidationError

    from api.settings import ApiSettings

    monkeypatch.delenv("FINBOT_TF_THREADS", raising=False)
    assert ApiSettings().tf_threads == 0                      # TensorFlow's default unless configured
    monkeypatch.setenv("FINBOT_TF_THREADS", "1")
    assert ApiSettings().tf_threads == 1
    monkeypatch.setenv("FINBOT_TF_THREADS", "-1")
    with pytest.raises(ValidationError):
        ApiSettings()


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
