"""Prometheus metrics: requests, latency, messages, intents, fallbacks.

With several uvicorn workers, ``finbot serve`` sets PROMETHEUS_MULTIPROC_DIR
before the workers start, and /metrics aggregates every worker's files.
"""
from __future__ import annotations

import os
import time

from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest,
                               multiprocess)
from starlette.responses import Response

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0)

HTTP_REQUESTS = Counter("finbot_http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_LATENCY = Histogram("finbot_http_request_seconds", "HTTP request latency", ["route"], buckets=_BUCKETS)
MESSAGES = Counter("finbot_messages_total", "User messages handled", ["channel"])
MESSAGE_LATENCY = Histogram("finbot_message_seconds", "Time to handle one user message", ["channel"],
                            buckets=_BUCKETS)
INTENTS = Counter("finbot_intents_total", "Predicted intents", ["intent"])
FALLBACKS = Counter("finbot_fallbacks_total", "Messages that went to the fallback (low NLU confidence)")
ERRORS = Counter("finbot_message_errors_total", "Messages that failed inside the bot", ["channel"])


def record_turn(channel: str, intent: str | None, seconds: float) -> None:
    MESSAGES.labels(channel).inc()
    MESSAGE_LATENCY.labels(channel).observe(seconds)
    INTENTS.labels(intent or "none").inc()
    if intent == "nlu_fallback":
        FALLBACKS.inc()


class HttpMetricsMiddleware:
    """Requests and latency per route, as plain ASGI.

    Starlette's ``@app.middleware("http")`` (BaseHTTPMiddleware) runs each
    request in an extra task with memory streams between the two halves,
    which showed in the serving benchmark's profile; this only watches the
    response's status go by.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def send_noting_status(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            # The route template (/v1/customers/{customer_id}), never the raw path: bounded labels.
            label = getattr(scope.get("route"), "path", "unmatched")
            HTTP_REQUESTS.labels(scope["method"], label, str(status)).inc()
            HTTP_LATENCY.labels(label).observe(time.perf_counter() - started)


def metrics_response() -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
