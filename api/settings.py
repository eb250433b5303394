"""Settings of the HTTP service, on top of the shared store settings."""
from __future__ import annotations

import os

from pydantic import Field

from recommender.settings import Settings


class ApiSettings(Settings):
    host: str = Field("127.0.0.1", env="FINBOT_HOST")
    port: int = Field(8000, env="FINBOT_PORT")
    workers: int = Field(1, env="FINBOT_WORKERS")
    log_level: str = Field("info", env="FINBOT_LOG_LEVEL")


def get_api_settings() -> ApiSettings:
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    return ApiSettings()
