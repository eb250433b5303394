"""Rasa's action-server protocol, so a stock `rasa run` can use our actions.

Point its ``endpoints.yml`` at us::

    action_endpoint:
      url: "http://finbot:8000/webhook"
      token: "fbk_..."          # an API key with the 'actions' scope

Request: ``next_action``, ``sender_id``, ``tracker``, ``domain``, ``version``.
Response: ``events`` and ``responses``. A rejected action is 400 and an unknown
one 404, each with ``error`` and ``action_name``, exactly as rasa_sdk answers.
Inside our own server actions run in-process; this route is for other callers.
"""
from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from api.deps import action_server_principal
from bot.runtime import run_action_call

router = APIRouter(tags=["rasa action server"])


def _problem(status: int, error: str, action_name=None) -> JSONResponse:
    body = {"error": error}
    if action_name is not None:
        body["action_name"] = action_name
    return JSONResponse(status_code=status, content=body)


@router.post("/webhook", summary="Run a custom action (Rasa action-server protocol)")
async def webhook(request: Request, _principal=Depends(action_server_principal)):
    try:
        action_call = json.loads(await request.body())
    except ValueError as exc:
        return _problem(400, f"body is not JSON: {exc}")
    if not isinstance(action_call, dict):
        return _problem(400, "body must be a JSON object")
    name = action_call.get("next_action")
    if not isinstance(name, str) or not name:
        return _problem(400, "'next_action' (the action to run) is required")
    if not isinstance(action_call.get("tracker"), dict):
        return _problem(400, "'tracker' (the conversation state) is required", name)
    executor = request.app.state.action_executor
    try:
        result = await asyncio.to_thread(run_action_call, executor, action_call)
    except ActionExecutionRejection as rejected:
        return _problem(400, rejected.message, rejected.action_name)
    except ActionNotFoundException as missing:
        return _problem(404, missing.message, missing.action_name)
    return result
