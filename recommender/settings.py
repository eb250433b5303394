"""Runtime settings, read once from the environment (12-factor style).

Every entry point (CLI, API, bot actions, tests) builds one ``Settings`` and
passes it down; nothing else reads ``os.environ``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Type, TypeVar

from pydantic import BaseSettings, Field, ValidationError, validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    # Where finbot keeps its files (SQLite database, models, logs).
    data_dir: Path = Field(PROJECT_ROOT / "data", env="FINBOT_DATA_DIR")
    # SQLAlchemy URL. Empty means an SQLite file in data_dir.
    database_url: str = Field("", env="DATABASE_URL")
    # Rows per chunk when streaming an import file.
    import_chunk_rows: int = Field(50_000, env="FINBOT_IMPORT_CHUNK_ROWS")
    # How many row errors an import reports in full (the count is always exact).
    import_max_reported_errors: int = Field(1_000, env="FINBOT_IMPORT_MAX_ERRORS")

    # Fix "today" (YYYY-MM-DD) for demos and reproducible tests; empty = the real date.
    today: str = Field("", env="FINBOT_TODAY")
    # Categorised transaction windows each process keeps (recommender/service.py); 0 = none.
    categorised_cache_size: int = Field(256, env="FINBOT_CATEGORISED_CACHE_SIZE", ge=0)

    class Config:
        env_file = None

    @validator("*", pre=True)
    def _empty_means_unset(cls, value, field):
        # "FINBOT_PORT=" in a unit file or compose file means "not set", as it
        # already does for the text settings; pydantic would reject "" as a number.
        if isinstance(value, str) and not value.strip() and field.outer_type_ is not str:
            return field.default
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'finbot.db'}"

    def clock(self):
        """A callable returning today's date (fixed when FINBOT_TODAY is set)."""
        from datetime import date

        if self.today:
            fixed = date.fromisoformat(self.today)
            return lambda: fixed
        return date.today

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"


class SettingsError(ValueError):
    """An environment variable holds a value finbot cannot use; the message names it."""


SettingsT = TypeVar("SettingsT", bound=Settings)


def load_settings(settings_class: Type[SettingsT]) -> SettingsT:
    """``settings_class()`` read from the environment, with errors that name the variable."""
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    try:
        return settings_class()
    except ValidationError as error:
        problems = []
        for item in error.errors():
            field = settings_class.__fields__.get(str(item["loc"][0]))
            variable = field.field_info.extra.get("env", field.name.upper()) if field else str(item["loc"][0])
            problems.append(f"{variable}={os.environ.get(variable, '')!r}: {item['msg']}")
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None


def get_settings() -> Settings:
    return load_settings(Settings)
