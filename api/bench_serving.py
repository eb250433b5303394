"""`finbot bench serve`: our server against stock `rasa run` + `rasa run actions`.

Both serve the same trained model on a copy of the same demo database (as of
FINBOT_TODAY 2026-03-15) and get the same scripted conversations over Rasa's
REST webhook (``{"sender", "message", "metadata": {"customer_id"}}``), at each
concurrency level, for a fixed time after a warm-up. Each simulated user runs
a script from start to end under a fresh sender id, then starts again.

Stock Rasa: one Sanic process, in-memory tracker store, actions over HTTP in
a separate rasa_sdk server. Ours: uvicorn workers (two on two cores, with the
Redis conversation lock when Redis is reachable), actions in-process, trackers in
the SQL tracker store (a handicap we keep: it is what production runs).
"""
from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import httpx

PERSONAS = ("salaried_saver", "freelancer", "overspender", "retiree", "student", "high_earner")
SCRIPTS = (
    ("你好", "我卡里还有多少钱", "上个月餐饮花了多少", "我每个月能存多少钱", "我的风险等级是什么", "谢谢", "再见"),
    ("hi", "what's my balance", "how much did I spend last month", "what did I earn last month",
     "am I saving enough", "thanks", "bye"),
    ("你好", "给我推荐点基金，我有两万块", "三年", "为什么推荐这些", "谢谢"),
    ("hello", "上个月 dining 花了多少", "what is a money market fund", "赎回多久到账", "bye"),
)
BENCH_TODAY = "2026-03-15"


@dataclass
class LevelResult:
    users: int
    seconds: float
    latencies_ms: list = field(default_factory=list)
    errors: int = 0

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        return percentile(self.latencies_ms, p)


def percentile(values, p: float) -> float:
    """The nearest-rank ``p``th percentile of ``values`` (nan when there are none)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until(check, seconds: float, what: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{what} not ready after {seconds:.0f} s:\n{log.read_text(errors='replace')[-2000:]}")


def _redis_reachable(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


class Deployment:
    """A started server (ours or stock) and how to post to it."""

    def __init__(self, name: str, url: str, processes: list, headers: dict | None = None, note: str = ""):
        self.name, self.url, self.processes, self.headers, self.note = name, url, processes, headers or {}, note

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _base_env(work: Path, database: Path) -> dict:
    return {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "FINBOT_DATA_DIR": str(work),
            "FINBOT_TODAY": BENCH_TODAY, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


def start_ours(work: Path, database: Path, model: Optional[Path], workers: int, redis_url: str) -> Deployment:
    """``model`` None: follow the registry in ``database`` (hot reload every second)."""
    from api.security import create_api_key
    from recommender.store.db import open_database

    port = _free_port()
    env = {**_base_env(work, database), "FINBOT_LOG_LEVEL": "warning", "FINBOT_TOKEN_SECRET": uuid.uuid4().hex * 2}
    env.pop("FINBOT_MODEL", None)
    if model is not None:
        env["FINBOT_MODEL"] = str(model)
    else:
        env["FINBOT_MODEL_POLL_SECONDS"] = "1"
    note = f"{workers} worker(s)"
    if workers > 1:
        env["FINBOT_REDIS_URL"] = redis_url
        note += f", Redis conversation lock {redis_url}"
    note += f", parse cache {env.get('FINBOT_PARSE_CACHE_SIZE', 'default')} (FINBOT_PARSE_CACHE_SIZE)"
    note += f", TensorFlow threads {env.get('FINBOT_TF_THREADS') or 'default'} (FINBOT_TF_THREADS)"
    log = work / "ours.log"
    process = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers",
                                str(workers)], env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until(lambda: httpx.get(f"{url}/ready", timeout=2).status_code == 200, 600, "finbot", process, log)
    except RuntimeError:
        process.kill()
        raise
    pids: set = set()

    def every_worker_ready() -> bool:  # new connections land on whichever worker accepts first
        reply = httpx.get(f"{url}/ready", timeout=2)
        if reply.status_code == 200:
            pids.add(reply.json()["worker_pid"])
        return len(pids) >= workers

    _wait_until(every_worker_ready, 600, "every finbot worker", process, log)
    key, _ = create_api_key(open_database(env["DATABASE_URL"]), "benchmark", ["chat"])
    return Deployment("finbot", url, [process], {"X-API-Key": key}, note + ", SQL tracker store, in-process actions")


def start_stock(work: Path, database: Path, model: Path) -> Deployment:
    env = {**_base_env(work, database), "FINBOT_SENDER_IS_CUSTOMER": "0"}
    actions_port, rasa_port = _free_port(), _free_port()
    (work / "credentials.yml").write_text("rest:\n")
    (work / "endpoints.yml").write_text(f"action_endpoint:\n  url: http://127.0.0.1:{actions_port}/webhook\n")
    rasa = Path(sys.executable).with_name("rasa")
    actions_log, rasa_log = work / "rasa-actions.log", work / "rasa.log"
    actions = subprocess.Popen([str(rasa), "run", "actions", "--actions", "bot.actions", "--port", str(actions_port)],
                               env=env, stdout=open(actions_log, "wb"), stderr=subprocess.STDOUT)
    server = subprocess.Popen([str(rasa), "run", "--model", str(model), "--port", str(rasa_port),
                               "--credentials", str(work / "credentials.yml"),
                               "--endpoints", str(work / "endpoints.yml")],
                              env=env, stdout=open(rasa_log, "wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{rasa_port}"
    try:
        _wait_until(lambda: httpx.get(f"http://127.0.0.1:{actions_port}/health", timeout=2).status_code == 200,
                    300, "rasa run actions", actions, actions_log)
        _wait_until(lambda: httpx.get(f"{url}/webhooks/rest/", timeout=2).status_code == 200, 600, "rasa run",
                    server, rasa_log)
    except RuntimeError:
        server.kill()
        actions.kill()
        raise
    return Deployment("stock rasa", url, [server, actions],
                      note="rasa run (1 Sanic process, in-memory trackers) + rasa run actions")


async def _user(client: httpx.AsyncClient, deployment: Deployment, index: int, stop_at: float, warm_until: float,
                result: LevelResult) -> None:
    script, persona = SCRIPTS[index % len(SCRIPTS)], PERSONAS[index % len(PERSONAS)]
    while time.perf_counter() < stop_at:
        sender = f"bench-{uuid.uuid4().hex[:12]}"
        for text in script:
            if time.perf_counter() >= stop_at:
                return
            started = time.perf_counter()
            try:
                reply = await client.post(f"{deployment.url}/webhooks/rest/webhook", headers=deployment.headers,
                                          json={"sender": sender, "message": text,
                                                "metadata": {"customer_id": persona}})
                ok = reply.status_code == 200 and isinstance(reply.json(), list)
            except httpx.HTTPError:
                ok = False
            if started >= warm_until:
                if ok:
                    result.latencies_ms.append((time.perf_counter() - started) * 1000)
                else:
                    result.errors += 1


async def drive(deployment: Deployment, users: int, seconds: float, warm_up: float,
                during=None) -> LevelResult:
    """``during``: a blocking callable run in a thread a third of the way into the measured time."""
    result = LevelResult(users, seconds)
    limits = httpx.Limits(max_connections=users + 4, max_keepalive_connections=users + 4)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        now = time.perf_counter()
        work = [_user(client, deployment, i, now + warm_up + seconds, now + warm_up, result) for i in range(users)]
        if during is not None:
            async def later():
                await asyncio.sleep(warm_up + seconds / 3)
                await asyncio.to_thread(during)
            work.append(later())
        await asyncio.gather(*work)
    return result


class Promotion:
    """Register two versions of the model (the same weights under two names) in the
    benchmark's database, serve the first, and promote the second under load."""

    def __init__(self, model: Path, work: Path, template: Path, out) -> None:
        from bot import registry
        from recommender.store.db import open_database

        self.registry, self.out = registry, out
        first, self.second = work / "bench-a.tar.gz", work / "bench-b.tar.gz"
        shutil.copy(model, first)
        shutil.copy(model, self.second)
        engine = open_database(f"sqlite:///{template}")
        out("promotion under load: evaluating the model once for the registry ...")
        self.report = registry.register_model(engine, first, source="bench").report
        registry.promote(engine, "bench-a", by="finbot bench", reason="serving at start", force=True)
        engine.dispose()
        self.url = self.database_url = None
        self.switched_after: Optional[float] = None

    def promote(self) -> None:
        from recommender.store.db import open_database

        engine = open_database(self.database_url)
        self.registry.register_model(engine, self.second, source="bench", report=self.report)
        started = time.perf_counter()
        self.registry.promote(engine, "bench-b", by="finbot bench", reason="promotion under load", force=True)
        engine.dispose()
        while time.perf_counter() - started < 120:
            if httpx.get(f"{self.url}/ready", timeout=5).json().get("model") == "bench-b.tar.gz":
                self.switched_after = time.perf_counter() - started
                return
            time.sleep(0.25)


def _row(name: str, r: LevelResult) -> str:
    return (f"{name:11} {r.users:>5} {r.throughput:>9.1f} {r.percentile(50):>8.0f} {r.percentile(95):>8.0f} "
            f"{r.percentile(99):>8.0f} {r.errors:>7}")


def build_demo_database(path: Path) -> None:
    """A new SQLite database at ``path``: the schema, the fund catalogue and the demo
    personas' 12 months of data up to BENCH_TODAY."""
    from datetime import date

    from recommender.demo import generate_demo_data
    from recommender.seed import load_catalogue, load_demo_data
    from recommender.store.db import migrate, open_database

    engine = open_database(f"sqlite:///{path}")
    migrate(engine)
    load_catalogue(engine)
    load_demo_data(engine, generate_demo_data(seed=42, months=12, as_of=date.fromisoformat(BENCH_TODAY)))
    engine.dispose()


def run_benchmark(model: Path, levels: list[int], seconds: float, warm_up: float, workers: int,
                  redis_url: str, include_stock: bool = True, out=print, promote_at: Optional[int] = None) -> dict:
    """Start each deployment in turn (never both at once: they share two cores) and drive it."""
    work = Path(tempfile.mkdtemp(prefix="finbot-bench-"))
    template = work / "template.db"
    build_demo_database(template)
    if workers > 1 and not _redis_reachable(redis_url):
        out(f"Redis not reachable at {redis_url}: running our server with 1 worker")
        workers = 1
    promotion = Promotion(model, work, template, out) if promote_at else None
    starters = [("finbot", lambda d: start_ours(d, d / "finbot.db", None if promotion else model, workers,
                                                 redis_url))]
    if include_stock:
        starters.append(("stock rasa", lambda d: start_stock(d, d / "finbot.db", model)))
    results: dict[str, list[LevelResult]] = {}
    notes = {}
    try:
        _run_all(starters, work, template, levels, seconds, warm_up, results, notes, out, promotion, promote_at)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _report(model, levels, seconds, warm_up, results, notes, out)
    if promotion is not None and promote_at in levels:
        during = results["finbot"][levels.index(promote_at)]
        switched = f"every request after {promotion.switched_after:.1f} s saw it" if promotion.switched_after \
            else "the switch was not seen within 120 s"
        out(f"\npromotion under load at {promote_at} users: {len(during.latencies_ms)} answered, "
            f"{during.errors} failed; bench-a -> bench-b, {switched}")
    return {name: [(r.users, r.throughput, r.percentile(50), r.percentile(95), r.percentile(99), r.errors)
                   for r in rows] for name, rows in results.items()}


def _run_all(starters, work, template, levels, seconds, warm_up, results, notes, out, promotion=None,
             promote_at=None) -> None:
    for name, start in starters:
        folder = work / name.replace(" ", "-")
        folder.mkdir()
        shutil.copy(template, folder / "finbot.db")
        out(f"starting {name} ...")
        deployment = start(folder)
        notes[name] = deployment.note
        if name == "finbot" and promotion is not None:
            promotion.url, promotion.database_url = deployment.url, f"sqlite:///{folder / 'finbot.db'}"
        try:
            results[name] = [asyncio.run(drive(deployment, users, seconds, warm_up,
                                               during=promotion.promote if (name == "finbot" and promotion
                                                                            and users == promote_at) else None))
                             for users in levels]
        finally:
            deployment.stop()


def _report(model, levels, seconds, warm_up, results, notes, out) -> None:
    out(f"\nmodel {model.name}; {seconds:.0f} s per level after {warm_up:.0f} s warm-up; REST webhook")
    for name, note in notes.items():
        out(f"  {name}: {note}")
    out(f"\n{'server':11} {'users':>5} {'msg/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for index, users in enumerate(levels):
        for name in results:
            out(_row(name, results[name][index]))
    if "stock rasa" in results:
        out("")
        for index, users in enumerate(levels):
            ours, stock = results["finbot"][index], results["stock rasa"][index]
            ratio = ours.throughput / stock.throughput if stock.throughput else float("inf")
            out(f"{users:>3} users: finbot {ratio:.1f}x stock throughput, p95 {ours.percentile(95):.0f} ms "
                f"vs {stock.percentile(95):.0f} ms")
