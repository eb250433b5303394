"""Hot reload: every worker follows the registry's serving model.

Each worker polls ``bot.registry.serving_model`` (one indexed row) every
FINBOT_MODEL_POLL_SECONDS. When the serving version changes (a promotion or a
rollback), the worker loads the new archive in a thread while it keeps
answering on the old one, then swaps: messages in flight finish on the model
they started on (BotRuntime.handle takes a snapshot), new ones use the new
model. No restart, no dropped request. FINBOT_MODEL pins a model and turns
this off.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Optional

from bot.training import PROJECT_ROOT

log = logging.getLogger("finbot.models")


def registry_model(engine) -> Optional[Path]:
    """The serving version's archive (absolute), or None if the registry has none (or no table yet)."""
    from bot import registry

    try:
        path = registry.serving_model(engine)
    except Exception as exc:  # an unmigrated database has no registry: fall back, don't crash the server
        log.debug("model registry unavailable: %s", exc)
        return None
    if path is None:
        return None
    return path if path.is_absolute() else PROJECT_ROOT / path


async def follow_serving_model(app, interval_seconds: float) -> None:
    """Runs for the life of the app (a lifespan task)."""
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await reload_if_changed(app)
        except Exception:  # keep serving the current model; try again at the next poll
            log.exception("could not switch to the newly promoted model")


async def reload_if_changed(app) -> bool:
    """Swap to the registry's serving model if it differs; True if a swap happened."""
    chat = getattr(app.state, "chat", None)
    wanted = await asyncio.to_thread(registry_model, app.state.engine)
    if chat is None or wanted is None or wanted.resolve() == chat.runtime.model_path.resolve():
        return False
    if not wanted.exists():
        log.error("promoted model %s is not on this machine's disk; still serving %s", wanted,
                  chat.runtime.model_path.name)
        return False
    log.info("switching from %s to %s", chat.runtime.model_path.name, wanted.name)
    await asyncio.to_thread(chat.runtime.swap, wanted)
    return True
