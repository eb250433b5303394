"""FastAPI dependencies: settings and the database engine live on app.state."""
from __future__ import annotations

from fastapi import Request
from sqlalchemy.engine import Engine

from api.settings import ApiSettings


def get_settings(request: Request) -> ApiSettings:
    return request.app.state.settings


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_service(request: Request):
    """The process-wide RecommenderService (built at startup)."""
    return request.app.state.service
