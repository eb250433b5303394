"""Running the bot inside our own process: a Rasa Agent whose custom actions
are executed in-process instead of over HTTP.

Rasa calls ``action_endpoint.request(json=...)`` for every custom action;
``InProcessActionEndpoint`` answers that call by running rasa_sdk's
ActionExecutor directly (in a worker thread, because our actions use
blocking database calls), so there is no action server and no HTTP hop. A
rejected action (a form that could not fill its slot) is turned into the same
exception Rasa raises for an HTTP 400 from an action server.
"""
from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any, Dict, Optional, Text

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

from rasa.core.actions.action import ActionExecutionRejection
from rasa.core.agent import Agent
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection as SdkRejection
from rasa_sdk.interfaces import ActionNotFoundException

ACTIONS_PACKAGE = "bot.actions"


class InProcessActionEndpoint(EndpointConfig):
    def __init__(self, package: str = ACTIONS_PACKAGE) -> None:
        super().__init__(url=f"inprocess://{package}")
        self.executor = ActionExecutor()
        self.executor.register_package(package)

    async def request(self, method: Text = "post", subpath: Optional[Text] = None,
                      content_type: Optional[Text] = "application/json", compress: bool = False,
                      **kwargs: Any) -> Optional[Dict[Text, Any]]:
        action_call = kwargs.get("json") or {}
        return await asyncio.to_thread(self._run_blocking, action_call)

    def _run_blocking(self, action_call: Dict[Text, Any]) -> Optional[Dict[Text, Any]]:
        try:
            return asyncio.run(self.executor.run(action_call))
        except SdkRejection as rejected:
            raise ActionExecutionRejection(rejected.action_name, rejected.message) from None
        except ActionNotFoundException as missing:
            raise RasaException(f"no custom action {missing.action_name!r} in {ACTIONS_PACKAGE}") from None


def quiet_rasa_logs(level: int = logging.WARNING) -> None:
    """Rasa logs every prediction step at debug level through structlog; keep it to warnings."""
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(level)
    logging.getLogger("rasa").setLevel(level)


def load_agent(model_path: Path, tracker_store=None, lock_store=None) -> Agent:
    """An Agent for ``model_path`` with in-process actions."""
    quiet_rasa_logs()
    return Agent.load(str(model_path), action_endpoint=InProcessActionEndpoint(), tracker_store=tracker_store,
                      lock_store=lock_store)
