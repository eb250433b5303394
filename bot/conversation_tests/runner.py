"""Running conversations: in-process through the whole bot, or against a server by URL.

In-process (the default) every conversation gets its own copy of a seeded
SQLite database (catalogue + the six demo personas as of the conversation's
date, plus its fixture customer if it names one), its own recommender
service and its own "today", so conversations are independent and run
concurrently on one event loop. NLU, dialogue policies, the custom actions,
the recommender and the audit trail all run for real.

By URL the conversations talk to ``POST /v1/chat`` of a running server, which
uses its own database and date. Conversations with the same customer then run
one after another (one may change what the next sees: a questionnaire, a
purchase); different customers run concurrently.
"""
from __future__ import annotations

import asyncio
import difflib
import shutil
import tempfile
import time
import traceback
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Dict, List, Optional

from bot.conversation_tests.checks import Observed, StepOutcome, check_step
from bot.conversation_tests.format import Conversation, FormatError, Step

DEMO_SEED, DEMO_MONTHS = 42, 12


@dataclass
class StepResult:
    step: Step
    observed: Optional[Observed]
    outcome: StepOutcome

    @property
    def passed(self) -> bool:
        return self.outcome.passed


@dataclass
class ConversationResult:
    conversation: Conversation
    steps: List[StepResult] = field(default_factory=list)
    error: Optional[str] = None      # the conversation could not be set up or a step raised
    seconds: float = 0.0
    conversation_id: str = ""

    @property
    def passed(self) -> bool:
        return self.error is None and len(self.steps) == len(self.conversation.steps) and all(
            s.passed for s in self.steps)

    @property
    def failed_steps(self) -> List[StepResult]:
        return [s for s in self.steps if not s.passed]


class Session:
    """One conversation with the bot."""

    async def send(self, text: str) -> Observed:  # pragma: no cover - interface
        raise NotImplementedError


# --------------------------------------------------------------------------- in-process


def seed_template(path: Path, day: date) -> Path:
    """A migrated SQLite file with the fund catalogue and the demo personas as of ``day``."""
    from recommender.demo import generate_demo_data
    from recommender.seed import load_catalogue, load_demo_data
    from recommender.store.db import migrate, open_database

    engine = open_database(f"sqlite:///{path}")
    try:
        migrate(engine)
        load_catalogue(engine)
        load_demo_data(engine, generate_demo_data(seed=DEMO_SEED, months=DEMO_MONTHS, as_of=day))
    finally:
        engine.dispose()  # closes the last connection, so the WAL is folded into the file we copy
    return path


class _InProcessSession(Session):
    def __init__(self, runtime, conversation_id: str, customer: Optional[str]) -> None:
        self.runtime, self.conversation_id, self.customer = runtime, conversation_id, customer

    async def send(self, text: str) -> Observed:
        metadata = {"customer_id": self.customer} if self.customer else None
        started = time.perf_counter()
        turn = await self.runtime.handle(text, self.conversation_id, metadata=metadata, channel="test")
        latency = (time.perf_counter() - started) * 1000
        return Observed(messages=turn.messages, intent=turn.intent, entities=turn.entities, actions=turn.actions,
                        slots=turn.slots, latency_ms=latency, language=turn.slots.get("language"))


class InProcessBot:
    """The whole bot in this process, a fresh database per conversation.

    ``policy`` runs the recommender with another policy (to try a threshold
    change against the suite); ``default_today`` is the date of conversations
    that do not set one.
    """

    def __init__(self, model_path: Path, default_today: date, policy=None, work_dir: Optional[Path] = None,
                 runtime=None) -> None:
        from recommender.policy import DEFAULT_POLICY

        self.model_path = Path(model_path)
        self.default_today = default_today
        self.policy = policy or DEFAULT_POLICY
        self._own_dir = work_dir is None
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix="finbot-conversations-"))
        self.runtime = runtime  # a loaded bot.runtime.BotRuntime to reuse (tests), else loaded by start()
        self.notes: List[str] = []
        self._templates: Dict[date, Path] = {}
        self._template_lock = None

    @property
    def description(self) -> str:
        return (f"in-process with model {self.model_path.name}: a fresh database per conversation "
                f"(demo personas, seed {DEMO_SEED}), today {self.default_today.isoformat()} unless a conversation "
                f"sets it")

    async def start(self) -> None:
        from bot.runtime import BotRuntime

        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._template_lock = asyncio.Lock()  # bound to the loop the suite runs on
        if self.runtime is None:
            started = time.perf_counter()
            self.runtime = await asyncio.to_thread(BotRuntime, self.model_path)
            self.notes.append(f"model loaded in {time.perf_counter() - started:.1f} s")

    async def stop(self) -> None:
        if self._own_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def unknown_names(self, conversation: Conversation) -> List[FormatError]:
        """Intents, actions, entities and slots the model's domain does not know (typos)."""
        domain = self.runtime.agent.domain
        known = {
            "intent": set(domain.intents), "action": set(domain.action_names_or_texts),
            "entity": set(domain.entities), "slot": {slot.name for slot in domain.slots},
        }
        problems: List[FormatError] = []
        for step in conversation.steps:
            named = []
            for key, value in step.expect.items():
                if key == "intent":
                    named.append((key, "intent", value))
                elif key == "action":
                    named.append((key, "action", value))
                elif key == "actions":
                    named.extend((key, "action", v) for v in value)
                elif key == "entities":
                    named.extend((key, "entity", v) for v in value)
                elif key == "slots":
                    named.extend((key, "slot", v) for v in value)
            for key, kind, name in named:
                if name not in known[kind]:
                    close = difflib.get_close_matches(name, sorted(known[kind]), n=1, cutoff=0.6)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    problems.append(FormatError(conversation.path, step.check_lines.get(key, step.line),
                                                f"the model has no {kind} {name!r}{hint}"))
        return problems

    async def _template(self, day: date) -> Path:
        async with self._template_lock:  # seed each date once, however many conversations use it
            if day not in self._templates:
                path = self.work_dir / f"template-{day.isoformat()}.db"
                started = time.perf_counter()
                self._templates[day] = await asyncio.to_thread(seed_template, path, day)
                self.notes.append(f"demo database as of {day.isoformat()} seeded in "
                                  f"{time.perf_counter() - started:.1f} s")
            return self._templates[day]

    @asynccontextmanager
    async def session(self, conversation: Conversation, conversation_id: str) -> AsyncIterator[Session]:
        from bot.actions.context import using_service
        from bot.clock import today_is
        from bot.conversation_tests.fixtures import load_fixture
        from recommender.service import RecommenderService
        from recommender.store.db import open_database

        day = conversation.today or self.default_today
        template = await self._template(day)
        database = self.work_dir / f"{conversation_id}.db"
        await asyncio.to_thread(shutil.copy, template, database)
        engine = open_database(f"sqlite:///{database}")
        try:
            if conversation.fixture is not None:
                await asyncio.to_thread(load_fixture, engine, conversation.fixture,
                                        self.policy.questionnaire_validity_days)
            service = RecommenderService(engine, policy=self.policy, today=lambda: day)
            # Context variables: this task's NLU and actions see this database and date only.
            with today_is(day), using_service(service):
                yield _InProcessSession(self.runtime, conversation_id, conversation.customer)
        finally:
            engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)


# --------------------------------------------------------------------------- by URL


class _RemoteSession(Session):
    def __init__(self, client, url: str, headers: Dict[str, str], sender_id: str, customer: Optional[str]) -> None:
        self.client, self.url, self.headers = client, url, headers
        self.sender_id, self.customer = sender_id, customer

    async def send(self, text: str) -> Observed:
        body = {"sender_id": self.sender_id, "message": text, "customer_id": self.customer}
        started = time.perf_counter()
        response = await self.client.post(f"{self.url}/v1/chat", json=body, headers=self.headers)
        latency = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"POST /v1/chat answered {response.status_code}: {response.text[:300]}")
        data = response.json()
        return Observed(messages=data.get("messages") or [], intent=data.get("intent") or {},
                        entities=data.get("entities") or [], actions=data.get("actions") or [],
                        slots=data.get("slots") or {}, latency_ms=latency, language=data.get("language"))


class RemoteBot:
    """A running finbot server (black box): its own database, model and date."""

    def __init__(self, url: str, api_key: Optional[str], timeout_seconds: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.headers = {"X-API-Key": api_key} if api_key else {}
        self.timeout_seconds = timeout_seconds
        self.client = None
        self.notes: List[str] = []
        self._customer_locks: Dict[Optional[str], asyncio.Lock] = {}

    @property
    def description(self) -> str:
        return (f"the server at {self.url}: its own database, model and date are used (a conversation's "
                f"`today:` and customer fixtures do not apply)")

    async def start(self) -> None:
        import httpx

        self.client = httpx.AsyncClient(timeout=self.timeout_seconds)

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.aclose()

    def unknown_names(self, conversation: Conversation) -> List[FormatError]:
        return []  # the server's domain is not ours to read

    @asynccontextmanager
    async def session(self, conversation: Conversation, conversation_id: str) -> AsyncIterator[Session]:
        if conversation.fixture is not None:
            raise RuntimeError("customer fixture files need the in-process runner (the server uses its own "
                               "database); name a customer the server knows")
        # Same customer: one conversation at a time (each may change what the next one sees).
        lock = self._customer_locks.setdefault(conversation.customer, asyncio.Lock())
        async with lock:
            yield _RemoteSession(self.client, self.url, self.headers, conversation_id, conversation.customer)


# --------------------------------------------------------------------------- running


async def run_conversation(target, conversation: Conversation) -> ConversationResult:
    """Every step of one conversation; never raises (a failure is recorded in the result)."""
    conversation_id = f"conversation-test-{uuid.uuid4().hex[:12]}"
    result = ConversationResult(conversation, conversation_id=conversation_id)
    started = time.perf_counter()
    try:
        async with target.session(conversation, conversation_id) as session:
            for step in conversation.steps:
                try:
                    observed = await session.send(step.user)
                except Exception as exc:
                    result.steps.append(StepResult(step, None, StepOutcome(error=_describe(exc))))
                    break  # the conversation's state is unknown now; later steps are not run
                result.steps.append(StepResult(step, observed, StepOutcome(check_step(step.expect, observed))))
    except Exception as exc:
        result.error = _describe(exc)
    result.seconds = time.perf_counter() - started
    return result


async def run_all(target, conversations: List[Conversation], jobs: int = 4,
                  on_result: Optional[Callable[[ConversationResult], Any]] = None) -> List[ConversationResult]:
    """Run conversations ``jobs`` at a time; ``on_result`` sees each result in the given order."""
    limit = asyncio.Semaphore(max(1, jobs))

    async def one(conversation: Conversation) -> ConversationResult:
        async with limit:
            return await run_conversation(target, conversation)

    tasks = [asyncio.create_task(one(c)) for c in conversations]
    results = []
    for task in tasks:
        result = await task
        if on_result is not None:
            on_result(result)
        results.append(result)
    return results


def _describe(exc: BaseException) -> str:
    frames = traceback.format_exception(type(exc), exc, exc.__traceback__)
    tail = "".join(frames[-3:]).strip()
    return f"{type(exc).__name__}: {exc}\n{tail}"
