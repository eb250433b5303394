"""The one ASGI application: `uvicorn api.main:app` or `finbot serve`."""
from __future__ import annotations

import os
from contextlib import asynccontextmanager

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.routes import customers, health, recommendations
from api.settings import ApiSettings, get_api_settings
from recommender.service import CatalogueMissing, RecommenderService, UnknownCustomer
from recommender.store.db import open_database
from recommender.version import code_version


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or get_api_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.engine = open_database(settings.effective_database_url)
        app.state.service = RecommenderService(app.state.engine, today=settings.clock())
        yield
        app.state.engine.dispose()

    app = FastAPI(
        title="finbot",
        version=code_version(),
        description="Bilingual financial assistant for banks: chat, spending insight and suitable fund suggestions.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.include_router(health.router)
    app.include_router(customers.router)
    app.include_router(recommendations.router)

    @app.exception_handler(UnknownCustomer)
    async def _unknown_customer(_request: Request, exc: UnknownCustomer):
        return JSONResponse(status_code=404, content={"detail": f"no customer {exc.args[0]!r}"})

    @app.exception_handler(CatalogueMissing)
    async def _no_catalogue(_request: Request, exc: CatalogueMissing):
        return JSONResponse(status_code=503, content={"detail": str(exc)})

    return app


def app_factory() -> FastAPI:
    """Used by `uvicorn --factory` so each worker builds its own app."""
    return create_app()
