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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Text

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

from rasa.core.actions.action import ActionExecutionRejection
from rasa.core.agent import Agent
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection as SdkRejection
from rasa_sdk.interfaces import ActionNotFoundException

from bot import graph_order, hot_paths, model_loading, parse_cache

ACTIONS_PACKAGE = "bot.actions"


def new_action_executor(package: str = ACTIONS_PACKAGE) -> ActionExecutor:
    executor = ActionExecutor()
    executor.register_package(package)
    return executor


def run_action_call(executor: ActionExecutor, action_call: Dict[Text, Any]) -> Optional[Dict[Text, Any]]:
    """Run one action-server request (blocking: our actions make database calls).

    Raises rasa_sdk's ActionExecutionRejection and ActionNotFoundException as they are.
    """
    return asyncio.run(executor.run(action_call))


class InProcessActionEndpoint(EndpointConfig):
    def __init__(self, package: str = ACTIONS_PACKAGE) -> None:
        super().__init__(url=f"inprocess://{package}")
        self.executor = new_action_executor(package)

    async def request(self, method: Text = "post", subpath: Optional[Text] = None,
                      content_type: Optional[Text] = "application/json", compress: bool = False,
                      **kwargs: Any) -> Optional[Dict[Text, Any]]:
        action_call = kwargs.get("json") or {}
        return await asyncio.to_thread(self._run_blocking, action_call)

    def _run_blocking(self, action_call: Dict[Text, Any]) -> Optional[Dict[Text, Any]]:
        with _as_rasa_errors():
            return run_action_call(self.executor, action_call)

    async def run_on_this_loop(self, action_call: Dict[Text, Any]) -> Optional[Dict[Text, Any]]:
        """``request`` without the worker thread (for profiling: cProfile sees one thread)."""
        with _as_rasa_errors():
            return await self.executor.run(action_call)


@contextmanager
def _as_rasa_errors() -> Iterator[None]:
    """rasa_sdk's errors as Rasa's processor expects them from an action server."""
    try:
        yield
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
    model_loading.install()  # seconds instead of minutes (bot/model_loading.py)
    hot_paths.install()  # what Rasa repeats per message, done once (bot/hot_paths.py)
    agent = Agent.load(str(model_path), action_endpoint=InProcessActionEndpoint(), tracker_store=tracker_store,
                       lock_store=lock_store)
    graph_order.install(agent.processor.graph_runner)  # the graph's order worked out once (bot/graph_order.py)
    return agent


# --- Serving: one object the channels call -------------------------------------------------

@dataclass
class Turn:
    """What one user message produced: the replies and why.

    ``messages`` are Rasa's collected output (``text``, ``buttons``, ``custom``,
    ``image``); ``actions`` are the actions run for this message, in order
    (without the final ``action_listen``); ``slots`` are the slot values after it.
    """
    conversation_id: str
    messages: List[Dict[str, Any]]
    intent: Dict[str, Any]
    entities: List[Dict[str, Any]]
    actions: List[str]
    slots: Dict[str, Any]
    model: str


class BotRuntime:
    """The serving agent plus its stores; swaps models without dropping messages.

    ``handle`` takes a snapshot of the current agent, so a message in flight
    finishes on the model it started on while ``swap`` installs the next one.
    Conversations are serialised per conversation id by the lock store
    (Redis across workers, in memory within one).
    """

    def __init__(self, model_path: Path, tracker_store=None, lock_store=None, parse_cache_size: int = 0) -> None:
        self.tracker_store = tracker_store
        self.lock_store = lock_store
        self.parse_cache_size = parse_cache_size    # texts whose parse each loaded model reuses (bot/parse_cache.py)
        self.model_path = Path(model_path)
        self.agent = self._load_warm(self.model_path)

    def swap(self, model_path: Path) -> None:
        """Load ``model_path`` and make it serve new messages (blocking; call from a thread)."""
        agent = self._load_warm(Path(model_path))
        self.agent, self.model_path = agent, Path(model_path)

    def _load_warm(self, model_path: Path) -> Agent:
        """Load, then run one throw-away turn so TensorFlow builds its graphs now and the
        first customer does not wait for it (about 1.5 s otherwise)."""
        from rasa.core.tracker_store import InMemoryTrackerStore

        agent = load_agent(model_path, tracker_store=self.tracker_store, lock_store=self.lock_store)
        processor, real_store = agent.processor, agent.processor.tracker_store
        processor.tracker_store = InMemoryTrackerStore(agent.domain)
        try:
            for text in ("你好", "hello"):
                asyncio.run(agent.handle_text(text, sender_id="~warm-up"))
        finally:
            processor.tracker_store = real_store
        parse_cache.install(processor, self.parse_cache_size)
        return agent

    async def handle(self, text: str, conversation_id: str, metadata: Optional[Dict[str, Any]] = None,
                     channel: str = "rest", output_channel=None) -> Turn:
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

        agent, model = self.agent, self.model_path.name
        collector = output_channel or CollectingOutputChannel()
        message = UserMessage(text, collector, conversation_id, input_channel=channel, metadata=metadata)
        processor = agent.processor
        # The body of Rasa's MessageProcessor.handle_message (rasa 3.6.21, pinned), kept here
        # so the tracker we just processed is in hand: intent, actions and slots for /v1/chat
        # without reading the conversation back from the tracker store.
        async with agent.lock_store.lock(conversation_id):
            tracker = await processor.log_message(message, should_save_tracker=False)
            first_new_event = _index_of_latest_user_message(tracker)
            tracker = await processor.run_action_extract_slots(collector, tracker)
            await processor._run_prediction_loop(collector, tracker)
            await processor.run_anonymization_pipeline(tracker)
            await processor.save_tracker(tracker)
        latest = tracker.latest_message
        actions = [event.action_name for event in list(tracker.events)[first_new_event:]
                   if isinstance(event, ActionExecuted) and event.action_name
                   and event.action_name not in ("action_listen", "action_extract_slots")]
        return Turn(
            conversation_id=conversation_id,
            messages=list(getattr(collector, "messages", [])),
            intent=dict(latest.intent or {}),
            entities=list(latest.entities or []),
            actions=actions,
            slots=tracker.current_slot_values(),
            model=model,
        )

    async def transcript(self, conversation_id: str) -> List[Dict[str, Any]]:
        """The conversation as the customer saw it: user and bot messages, oldest first."""
        tracker = await self.agent.tracker_store.retrieve(conversation_id)
        if tracker is None:
            return []
        lines: List[Dict[str, Any]] = []
        for event in tracker.events:
            if isinstance(event, UserUttered) and event.text is not None:
                lines.append({"sender": "user", "text": event.text, "timestamp": event.timestamp})
            elif isinstance(event, BotUttered):
                line = {"sender": "bot", "text": event.text, "timestamp": event.timestamp}
                data = event.data or {}
                for key in ("buttons", "custom", "image"):
                    if data.get(key):
                        line[key] = data[key]
                lines.append(line)
        return lines


def _index_of_latest_user_message(tracker) -> int:
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            return index
    return 0


def make_tracker_store(database_url: str, domain=None, cached_conversations: int = 0):
    """Rasa's SQL tracker store on our database (table ``events``, created by Rasa).

    ``cached_conversations`` > 0: the serving variant that keeps that many
    conversations in memory between turns, checked against the database
    on every message (bot/tracker_cache.py).
    """
    from rasa.core.tracker_store import SQLTrackerStore

    from bot.tracker_cache import CachingSQLTrackerStore

    if cached_conversations > 0:
        store = CachingSQLTrackerStore(domain=domain, host=database_url, cached_conversations=cached_conversations)
    else:
        store = SQLTrackerStore(domain=domain, host=database_url)
    if store.engine.dialect.name == "sqlite":
        from sqlalchemy.orm import sessionmaker

        from recommender.store.db import open_database

        # Rasa's engine opens a new SQLite connection per session (NullPool), each running no
        # pragmas. Ours keeps a pool open, with the same WAL, foreign keys and busy timeout as
        # finbot's own engine, so workers wait instead of failing.
        url = store.engine.url.render_as_string(hide_password=False)
        store.engine.dispose()
        store.engine = open_database(url, keep_connections=True)
        store.sessionmaker = sessionmaker(bind=store.engine)
    return store


def make_lock_store(redis_url: Optional[str]):
    """Our Redis lock store when configured (several workers; bot/lock_store.py), else Rasa's in-memory one."""
    from rasa.core.lock_store import InMemoryLockStore

    if not redis_url:
        return InMemoryLockStore()
    from bot.lock_store import ConversationLockStore

    return ConversationLockStore(redis_url)
