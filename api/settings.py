"""Settings of the HTTP service, on top of the shared store settings."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from pydantic import Field

from recommender.settings import Settings, load_settings


class ApiSettings(Settings):
    host: str = Field("127.0.0.1", env="FINBOT_HOST")
    port: int = Field(8000, env="FINBOT_PORT")
    workers: int = Field(1, env="FINBOT_WORKERS")
    log_level: str = Field("info", env="FINBOT_LOG_LEVEL")
    # The model archive to serve; empty = the newest in data/models.
    model: Optional[Path] = Field(None, env="FINBOT_MODEL")
    # How often each worker checks the registry for a newly promoted model (0 = never).
    model_poll_seconds: float = Field(5.0, env="FINBOT_MODEL_POLL_SECONDS")
    # Redis for the per-conversation lock (bot/lock_store.py). Needed when FINBOT_WORKERS > 1 (or several replicas).
    redis_url: str = Field("", env="FINBOT_REDIS_URL")
    # Conversations each worker keeps in memory between turns (bot/tracker_cache.py); 0 reads every turn from SQL.
    tracker_cache_size: int = Field(1000, env="FINBOT_TRACKER_CACHE_SIZE", ge=0)
    # Message texts whose NLU parse each worker reuses, per model and day (bot/parse_cache.py); 0 parses every message.
    parse_cache_size: int = Field(5000, env="FINBOT_PARSE_CACHE_SIZE", ge=0)
    # Threads each worker's TensorFlow may use (bot/tf_threads.py); 0 = TensorFlow's default (a pool per core).
    tf_threads: int = Field(0, env="FINBOT_TF_THREADS", ge=0)
    # HS256 key for customer chat tokens (>= 32 chars); empty = a random key in data_dir.
    token_secret: str = Field("", env="FINBOT_TOKEN_SECRET")
    token_ttl_seconds: int = Field(900, env="FINBOT_TOKEN_TTL_SECONDS")
    # Demo mode: the page may issue chat tokens for the demo personas. Never in production.
    demo_mode: bool = Field(False, env="FINBOT_DEMO_MODE")
    # Origins of the bank's pages that embed the widget (comma-separated), e.g.
    # "https://www.bank.example,https://m.bank.example". Empty = same origin only.
    cors_origins: str = Field("", env="FINBOT_CORS_ORIGINS")
    # Load the bot at startup. Off only for tests of the REST API alone.
    load_bot: bool = Field(True, env="FINBOT_LOAD_BOT")


    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip().rstrip("/") for origin in self.cors_origins.split(",") if origin.strip()]


def get_api_settings() -> ApiSettings:
    return load_settings(ApiSettings)
