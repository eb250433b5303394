"""`finbot bench turn` runs the scripted conversations through BotRuntime and says where the time goes."""
from __future__ import annotations

import os


def test_turn_benchmark_times_every_scripted_turn_and_profiles_the_actions(ci_model):
    from api.bench_serving import SCRIPTS
    from api.bench_turn import run_turn_benchmark

    lines = []
    before = os.environ.get("FINBOT_TODAY")
    figures = run_turn_benchmark(ci_model, conversations=2, warm_up=1, profile_rows=400, out=lines.append)
    assert figures["turns"] == len(SCRIPTS[1]) + len(SCRIPTS[2])     # conversations 1 and 2 after the warm-up
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
    report = "\n".join(lines)
    assert "ms per turn" in report and any(text in report for text in SCRIPTS[1])   # slowest messages listed
    assert "run_on_this_loop" in report                              # the actions ran where cProfile sees them
    assert "recommender/service.py" in report                        # ... down into the recommender
    assert os.environ.get("FINBOT_TODAY") == before                  # the benchmark's date does not leak
