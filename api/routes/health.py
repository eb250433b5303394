"""Liveness and readiness for load balancers and orchestrators."""
from __future__ import annotations

import os

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from api.deps import get_engine, get_settings
from api.models_state import current_model
from api.settings import ApiSettings
from recommender.store import repositories
from recommender.store.db import current_revision, head_revision
from recommender.version import code_version

router = APIRouter(tags=["health"])


def _database_state(engine: Engine) -> dict:
    try:
        revision = current_revision(engine)
        state = {
            "reachable": True,
            "backend": engine.dialect.name,
            "revision": revision,
            "head": head_revision(),
        }
        state["migrated"] = revision == state["head"]
        state["customers"] = repositories.count_customers(engine) if state["migrated"] else None
        return state
    except Exception as exc:  # the point of /health is to report, not to raise
        return {"reachable": False, "backend": engine.dialect.name, "error": f"{type(exc).__name__}: {exc}"[:300]}


def _serving_model(request: Request) -> str | None:
    chat = getattr(request.app.state, "chat", None)
    return chat.model_name if chat is not None else None


@router.get("/health", summary="Service health: database and model state")
def health(request: Request, engine: Engine = Depends(get_engine),
           settings: ApiSettings = Depends(get_settings)) -> dict:
    database = _database_state(engine)
    healthy = database.get("reachable") and database.get("migrated")
    return {
        "status": "ok" if healthy else "degraded",
        "version": code_version(),
        "database": database,
        "model": {**current_model(settings.models_dir).to_dict(), "serving": _serving_model(request),
                  **_load_state(request)},
    }


def _load_state(request: Request) -> dict:
    """This worker's bot: off (FINBOT_LOAD_BOT=0), loading, serving, no_model, or failed (with the error)."""
    state = {"load": getattr(request.app.state, "bot_state", "off")}
    error = getattr(request.app.state, "bot_error", None)
    if error:
        state["load_error"] = error
    return state


@router.get("/ready", summary="Readiness: 200 only when the database is migrated and the bot model is loaded")
def ready(request: Request, engine: Engine = Depends(get_engine), settings: ApiSettings = Depends(get_settings)):
    database = _database_state(engine)
    problems = []
    if not (database.get("reachable") and database.get("migrated")):
        problems.append("database not reachable or not migrated")
    if settings.load_bot and _serving_model(request) is None:
        load = _load_state(request)
        problems.append({"loading": "bot model still loading",
                         "failed": f"bot model failed to load: {load.get('load_error')}",
                         "no_model": "no trained bot model (run `finbot train`)"}.get(load["load"], "bot model not loaded"))
    if not problems:
        # The worker's pid lets a multi-worker deployment check that every worker is up.
        return {"ready": True, "model": _serving_model(request), "worker_pid": os.getpid()}
    return JSONResponse(status_code=503, content={"ready": False, "problems": problems, "database": database})
