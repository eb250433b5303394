"""What the service knows about the bot model on disk.

The bot issue adds training; until then the state is reported honestly as
"not_trained". Kept apart so /health and `finbot setup` agree.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.training import latest_model


@dataclass(frozen=True)
class ModelState:
    state: str               # "ready" | "not_trained"
    path: str | None
    size_bytes: int | None

    def to_dict(self) -> dict:
        return {"state": self.state, "path": self.path, "size_bytes": self.size_bytes}


def current_model(models_dir: Path) -> ModelState:
    newest = latest_model(models_dir)
    if newest is None:
        return ModelState("not_trained", None, None)
    return ModelState("ready", str(newest), newest.stat().st_size)
