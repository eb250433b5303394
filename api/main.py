"""The one ASGI application: `finbot serve`, or `uvicorn --factory api.main:asgi_app`.

``create_app`` builds the FastAPI app (REST, webhooks, widget, metrics);
``asgi_app`` wraps it with the socket.io server for the web widget.
"""
from __future__ import annotations

import asyncio
import logging
import os
from contextlib import asynccontextmanager

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

import socketio
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from api import metrics
from api.routes import action_server, chat, customers, health, recommendations, review, web
from api.model_watcher import follow_serving_model
from api.security import AuthError, load_token_secret
from api.settings import ApiSettings, get_api_settings
from api.socket_channel import create_socket_server
from api.workers import ShedExtraConnections
from bot.actions.context import use_service
from recommender.service import CatalogueMissing, RecommenderService, UnknownCustomer
from recommender.store.db import open_database
from recommender.version import code_version

log = logging.getLogger("finbot.api")


def _serving_model(settings: ApiSettings, engine):
    """FINBOT_MODEL if pinned, else the registry's serving version, else the newest archive."""
    from api.model_watcher import registry_model
    from bot.training import latest_model

    return settings.model or registry_model(engine) or latest_model(settings.models_dir)


def _load_bot(app: FastAPI, settings: ApiSettings) -> None:
    """Load the model with in-process actions, SQL trackers and the lock store (blocking)."""
    from api.chat_service import ChatService
    from bot.actions.context import use_service
    from bot.runtime import BotRuntime, make_lock_store, make_tracker_store
    from bot.tf_threads import limit_tensorflow_threads

    model = _serving_model(settings, app.state.engine)
    if model is None:
        log.warning("no trained model in %s: chat is unavailable until `finbot train`", settings.models_dir)
        return
    use_service(app.state.service)
    if settings.tf_threads:
        limit_tensorflow_threads(settings.tf_threads, log.warning)
    runtime = BotRuntime(model, tracker_store=make_tracker_store(settings.effective_database_url,
                                                                 cached_conversations=settings.tracker_cache_size),
                         lock_store=make_lock_store(settings.redis_url), parse_cache_size=settings.parse_cache_size)
    app.state.chat = ChatService(runtime)
    log.info("serving model %s", model)


async def _start_bot(app: FastAPI, settings: ApiSettings) -> None:
    """Load the serving model, then follow the registry for promotions (runs for the life of the app)."""
    try:
        await asyncio.to_thread(_load_bot, app, settings)
    except Exception as exc:  # keep answering /health and the REST API; /ready reports why chat is down
        log.exception("could not load the bot model")
        app.state.bot_state, app.state.bot_error = "failed", f"{type(exc).__name__}: {exc}"[:300]
        return
    app.state.bot_state = "serving" if app.state.chat is not None else "no_model"
    if settings.model is None and settings.model_poll_seconds > 0:
        await follow_serving_model(app, settings.model_poll_seconds)


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or get_api_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from bot.runtime import new_action_executor

        app.state.engine = open_database(settings.effective_database_url, keep_connections=True)
        app.state.service = RecommenderService(app.state.engine, today=settings.clock(),
                                               categorised_cache_size=settings.categorised_cache_size)
        use_service(app.state.service)   # in-process actions share its engine, clock and caches
        app.state.token_secret = load_token_secret(settings.token_secret, settings.data_dir)
        app.state.action_executor = new_action_executor()
        app.state.chat = None
        app.state.bot_state, app.state.bot_error = ("loading", None) if settings.load_bot else ("off", None)
        # The model loads in the background: /health answers at once, /ready says 503 until it is in.
        starter = asyncio.create_task(_start_bot(app, settings)) if settings.load_bot else None
        yield
        if starter is not None:
            starter.cancel()
        use_service(None)
        app.state.engine.dispose()

    app = FastAPI(
        title="finbot",
        version=code_version(),
        description="Bilingual financial assistant for banks: chat, spending insight and suitable fund suggestions.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.add_middleware(metrics.HttpMetricsMiddleware)
    if settings.cors_origin_list:
        # The widget on the bank's own pages fetches transcripts with a chat token.
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origin_list, allow_credentials=False,
                           allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type"])
    for module in (health, chat, customers, recommendations, action_server, web, review):
        app.include_router(module.router)

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics():
        return metrics.metrics_response()

    @app.exception_handler(AuthError)
    async def _refused(_request: Request, exc: AuthError):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(status_code=exc.status, content={"detail": exc.message}, headers=headers)

    @app.exception_handler(UnknownCustomer)
    async def _unknown_customer(_request: Request, exc: UnknownCustomer):
        return JSONResponse(status_code=404, content={"detail": f"no customer {exc.args[0]!r}"})

    @app.exception_handler(CatalogueMissing)
    async def _no_catalogue(_request: Request, exc: CatalogueMissing):
        return JSONResponse(status_code=503, content={"detail": str(exc)})

    return app


def asgi_app(settings: ApiSettings | None = None):
    """The FastAPI app with the widget's socket.io server in front (path /socket.io/)."""
    settings = settings or get_api_settings()
    app = create_app(settings)
    sio = create_socket_server(app, settings.cors_origin_list)
    app.state.sio = sio
    # outermost: it decides on every HTTP response, the socket.io channel's polling included
    return ShedExtraConnections(socketio.ASGIApp(sio, other_asgi_app=app, socketio_path="socket.io"))


def app_factory():
    """Used by `uvicorn --factory` so each worker builds its own app."""
    return asgi_app()
