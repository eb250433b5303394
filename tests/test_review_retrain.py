"""Retraining from the logs: the review queue, reviewing (API, page, CLI), reviewed training data,
privacy, and `finbot retrain` (lock, dry run, interruptions, a refused and a promoted candidate).

Real things throughout: conversations are played through ``bot.runtime.BotRuntime`` with the
session's ``ci_model`` into Rasa's SQL tracker store on a copy of the demo database, and one more
conversation is saved through Rasa's own ``SQLTrackerStore`` with chosen scores (a deterministic
low-confidence message). The NLU data is a private copy (``bot.training.NLU_DATA`` points at it),
so nothing here writes into the checkout's ``nlu_data/``. The two slow tests train two small models
(the ci config with one epoch, refused; the ci config, promoted over it).
"""
from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
import threading
import time
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from bot import registry, review
from bot.training import PROJECT_ROOT, config_path
from recommender.store.db import migrate, open_database

TODAY = date(2026, 3, 15)
LANGS = ("zh", "en", "mixed")


# --------------------------------------------------------------------------- helpers and fixtures


def copy_sqlite(source_url: str, target: Path) -> str:
    """A consistent copy of an SQLite database (the write-ahead log included), via SQLite's backup."""
    source = sqlite3.connect(source_url[len("sqlite:///"):])
    destination = sqlite3.connect(target)
    source.backup(destination)
    source.close()
    destination.close()
    return f"sqlite:///{target}"


@pytest.fixture(scope="module")
def nlu_copy(tmp_path_factory, ci_model):
    """A private copy of nlu_data/ that training, evaluation and export use for this module."""
    import bot.training

    root = tmp_path_factory.mktemp("nlu") / "nlu_data"
    shutil.copytree(PROJECT_ROOT / "nlu_data", root, ignore=shutil.ignore_patterns("reviewed"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bot.training, "NLU_DATA", root)
        yield root


def _say(runtime, conversation: str, text: str, customer: str | None = None) -> dict:
    turn = asyncio.run(runtime.handle(text, conversation, metadata={"customer_id": customer} if customer else None))
    return {"conversation": conversation, "text": text, "intent": turn.intent.get("name"),
            "confidence": turn.intent.get("confidence")}


def _stored_conversation(url: str, domain) -> list[dict]:
    """One conversation saved the way Rasa stores every tracker (SQLTrackerStore.save), with chosen scores."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.runtime import make_tracker_store

    def said(text, intent, confidence, ranking=(), entities=()):
        parse = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": list(entities),
                 "intent_ranking": [{"name": intent, "confidence": confidence}, *ranking]}
        return UserUttered(text, intent=parse["intent"], entities=list(entities), parse_data=parse)

    events = [
        ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
        said("我想用 5万 买点 bond fund", "request_recommendation", 0.55,
             entities=[{"entity": "amount", "start": 4, "end": 6, "value": 50000},
                       {"entity": "language", "start": 0, "end": 19, "value": "zh"}]),
        BotUttered("你想投资多久？"), ActionExecuted("action_listen"),
        said("/affirm", "affirm", 1.0),                    # a button's payload: never queued
        ActionExecuted("action_listen"),
        said("嗯那个东西", "nlu_fallback", 0.4, ranking=[{"name": "ask_fund_info", "confidence": 0.31}]),
        BotUttered("抱歉，我没听懂。"), ActionExecuted("action_listen"),
        ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
        said("不对", "deny", 0.97),                         # a new session: it corrects nothing from the last one
    ]
    store = make_tracker_store(url, domain=domain)
    asyncio.run(store.save(DialogueStateTracker.from_events("student/rv-stored", events)))
    return [{"conversation": "student/rv-stored", "text": t, "intent": i, "confidence": c} for t, i, c in (
        ("我想用 5万 买点 bond fund", "request_recommendation", 0.55), ("嗯那个东西", "nlu_fallback", 0.4),
        ("不对", "deny", 0.97))]


@pytest.fixture(scope="module")
def chats(tmp_path_factory, demo_database, ci_model):
    """A copy of the demo database whose tracker store holds real conversations; returns (url, turns)."""
    from bot.actions.context import use_service
    from bot.runtime import BotRuntime, make_lock_store, make_tracker_store
    from recommender.service import RecommenderService

    folder = tmp_path_factory.mktemp("review-chats")
    shutil.copy(demo_database, folder / "finbot.db")
    url = f"sqlite:///{folder / 'finbot.db'}"
    engine = open_database(url)
    migrate(engine)
    use_service(RecommenderService(engine, today=lambda: TODAY))
    runtime = BotRuntime(ci_model, tracker_store=make_tracker_store(url), lock_store=make_lock_store(""))
    threads = [
        [("salaried_saver/rv-correct", "我卡里还有多少钱", "salaried_saver"),
         ("salaried_saver/rv-correct", "不是这个，我想问上个月花了多少", None)],
        [("retiree/rv-handoff", "what's my balance", "retiree"),
         ("retiree/rv-handoff", "let me talk to a person", None)],
        [("~anon/rv-en", "how much did I spend on dining last month", None),
         ("~anon/rv-en", "that's not what I asked", None)],
        [("~anon/rv-probe", text, None) for text in ("钱", "fund", "qwzx plorb vvv", "多少", "嗯", "你好")],
    ]
    turns = [_say(runtime, *step) for thread in threads for step in thread]
    turns += _stored_conversation(url, runtime.agent.domain)
    engine.dispose()
    return url, turns


def expected_reasons(turns: list[dict], threshold: float = 0.6) -> dict:
    """(conversation, text) -> reasons, by the rules of bot/review.py applied to what the model did."""
    expected = {}
    for index, turn in enumerate(turns):
        reasons = []
        if turn["intent"] == "nlu_fallback":
            reasons.append("fallback")
        elif turn["confidence"] < threshold:
            reasons.append("low_confidence")
        following = turns[index + 1] if index + 1 < len(turns) else None
        if following and following["conversation"] == turn["conversation"] and not (
                turn["conversation"] == "student/rv-stored" and following["text"] == "不对"):  # new session
            if review.is_correction(following["text"]):
                reasons.append("correction")
            if following["intent"] == "human_handoff":
                reasons.append("handoff")
        if reasons:
            expected[(turn["conversation"], turn["text"])] = reasons
    return expected


@pytest.fixture(scope="module")
def gathered(chats, tmp_path_factory):
    """A copy of ``chats`` after one gather: (url, engine, GatherResult)."""
    url = copy_sqlite(chats[0], tmp_path_factory.mktemp("gathered") / "finbot.db")
    engine = open_database(url)
    return url, engine, review.gather(engine)


@pytest.fixture
def fresh(chats, tmp_path):
    """A private, gathered copy for tests that change the queue: (url, engine)."""
    url = copy_sqlite(chats[0], tmp_path / "finbot.db")
    engine = open_database(url)
    review.gather(engine)
    return url, engine


def item_by_text(engine, text: str) -> dict:
    (item,) = [i for i in review.list_items(engine, None, limit=1000) if i["text"] == text]
    return item


# --------------------------------------------------------------------------- the rules


@pytest.mark.parametrize("text", [
    "不是这个", "不对，我问的是余额", "你理解错了", "我不是问这个", "答非所问", "我的意思是上个月",
    "that's not what I asked", "That’s not what I meant", "wrong answer", "no I meant my savings", "No, I meant bonds",
    "you misunderstood", "that's wrong"])
def test_corrections_are_recognised_in_both_languages(text):
    assert review.is_correction(text)


@pytest.mark.parametrize("text", ["对不对", "这个基金对不对我胃口", "不对劲吧", "what's my balance", "谢谢", "not bad",
                                  "I want the wrong-way ETF", "我想买基金"])
def test_ordinary_messages_are_not_corrections(text):
    assert not review.is_correction(text)


def test_message_language_is_split_like_the_held_out_data():
    assert [review.message_language(t) for t in ("我卡里还有多少钱", "what's my balance", "我想买 index fund",
                                                 "A股怎么样", "000198")] == ["zh", "en", "mixed", "zh", "zh"]


@pytest.mark.parametrize("text, personal", [
    ("我的手机是 13800138000", True), ("call me on 138-0013-8000", True), ("卡号 6222 0212 3456 7890", True),
    ("身份证110101199003077777", True), ("mail me at li.lei@example.com", True), ("买 000198 五万", False),
    ("2026-03-15 花了多少", False), ("100000元买债基", False)])
def test_the_export_screens_out_numbers_and_addresses_that_identify_people(text, personal):
    assert bool(review._PERSONAL.search(text)) is personal


# --------------------------------------------------------------------------- gathering


def test_gather_queues_fallback_low_confidence_correction_and_handoff(chats, gathered):
    _, turns = chats
    _, engine, result = gathered
    items = review.list_items(engine, None, limit=1000)
    found = {(i["conversation_id"], i["text"]): i["reasons"] for i in items}
    expected = expected_reasons(turns)
    assert found == expected
    # what the model did, so the rules above were really exercised (the ci model's answers)
    assert {r for reasons in found.values() for r in reasons} == {"fallback", "low_confidence", "correction", "handoff"}
    assert result.added == len(items) and result.scanned == len(turns) and result.threshold == 0.6

    corrected = item_by_text(engine, "我卡里还有多少钱")
    assert corrected["follow_up"] == "不是这个，我想问上个月花了多少" and "correction" in corrected["reasons"]
    assert corrected["customer_id"] == "salaried_saver" and corrected["conversation_id"] == "salaried_saver/rv-correct"
    assert corrected["predicted_intent"] == "check_balance" and corrected["status"] == "pending"
    handed_off = item_by_text(engine, "what's my balance")
    assert "handoff" in handed_off["reasons"] and handed_off["follow_up"] == "let me talk to a person"
    assert handed_off["language"] == "en" and handed_off["customer_id"] == "retiree"

    low = item_by_text(engine, "我想用 5万 买点 bond fund")
    assert low["reasons"] == ["low_confidence"] and low["confidence"] == pytest.approx(0.55)
    assert low["language"] == "mixed" and low["predicted_intent"] == "request_recommendation"
    assert low["predicted_entities"] == [{"entity": "amount", "start": 4, "end": 6, "value": "5万"}]  # language dropped
    fallback = item_by_text(engine, "嗯那个东西")
    assert fallback["reasons"] == ["fallback"]
    # behind the fallback, the model's best real guess is what a reviewer confirms or corrects
    assert fallback["predicted_intent"] == "ask_fund_info" and fallback["confidence"] == pytest.approx(0.31)
    assert not [i for i in items if i["text"] in ("/affirm", "不对")]   # a payload; a correction across sessions
    assert all(i["customer_id"] is None for i in items if i["conversation_id"].startswith("~anon/"))


def test_gathering_twice_adds_nothing_and_a_late_correction_updates_the_pending_item(chats, tmp_path, ci_model):
    from bot.runtime import BotRuntime, make_lock_store, make_tracker_store

    url = copy_sqlite(chats[0], tmp_path / "finbot.db")
    engine = open_database(url)
    first = review.gather(engine)
    assert first.added > 0
    again = review.gather(engine)
    assert (again.added, again.updated, again.by_reason) == (0, 0, {})
    before = review.list_items(engine, None, limit=1000)

    # The customer corrects the bot after the last gather: the item gains the reason, no new item.
    runtime = BotRuntime(ci_model, tracker_store=make_tracker_store(url), lock_store=make_lock_store(""))
    asyncio.run(runtime.handle("wrong answer", "~anon/rv-probe"))
    later = review.gather(engine)
    assert later.added + later.updated >= 1
    greeted = item_by_text(engine, "你好")  # the last message of the probe thread, answered by "wrong answer"
    assert "correction" in greeted["reasons"] and greeted["follow_up"] == "wrong answer"
    assert len(review.list_items(engine, None, limit=1000)) == len(before) + later.added
    # the unique index is the last word, whatever the code above it does
    with pytest.raises(Exception, match="UNIQUE|unique"):
        with engine.begin() as connection:
            row = dict(before[0])
            row.pop("id")
            connection.execute(review.ITEMS.insert().values(**row))


def test_gather_since_and_threshold(chats, tmp_path):
    engine = open_database(copy_sqlite(chats[0], tmp_path / "finbot.db"))
    assert review.gather(engine, since=datetime.now(timezone.utc)).added == 0
    strict = review.gather(engine, threshold=0.9999)
    assert strict.by_reason["low_confidence"] > 1
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        review.gather(engine, threshold=1.5)


# --------------------------------------------------------------------------- reviewing over HTTP


@pytest.fixture
def api(fresh, tmp_path):
    """The real app (no bot loaded) on a gathered copy: (client, keys, engine)."""
    from api.main import create_app
    from api.security import create_api_key, issue_customer_token
    from api.settings import ApiSettings

    url, engine = fresh
    settings = ApiSettings(database_url=url, data_dir=tmp_path, today=TODAY.isoformat(), load_bot=False,
                           token_secret="review-tests-" + "s" * 40)
    keys = {scope: create_api_key(engine, f"test {scope}", [scope])[0] for scope in ("review", "admin", "chat")}
    keys["customer"] = issue_customer_token(settings.token_secret, "salaried_saver", 600)[0]
    with TestClient(create_app(settings)) as client:
        yield client, keys, engine


def test_review_api_needs_a_key_with_the_review_scope(api):
    client, keys, _ = api
    assert client.get("/v1/review/items").status_code == 401
    assert client.get("/v1/review/items", headers={"X-API-Key": "fbk_0000000000000000_" + "x" * 30}).status_code == 401
    customer = client.get("/v1/review/items", headers={"Authorization": f"Bearer {keys['customer']}"})
    assert customer.status_code == 403  # a customer's chat token never reads other people's messages
    for path in ("/v1/review/items", "/v1/review/labels", "/v1/review/items/1"):
        assert client.get(path, headers={"X-API-Key": keys["chat"]}).status_code == 403
    assert client.post("/v1/review/items/1", json={"decision": "discard"},
                       headers={"X-API-Key": keys["chat"]}).status_code == 403
    reviewer = client.get("/v1/review/items", headers={"X-API-Key": keys["review"]})
    admin = client.get("/v1/review/items?status=all", headers={"X-API-Key": keys["admin"]})
    assert reviewer.status_code == 200 and admin.status_code == 200
    assert reviewer.json()["counts"]["pending"] == len(reviewer.json()["items"]) > 0


def test_review_api_validates_against_the_domain(api, nlu_copy):
    client, keys, engine = api
    headers = {"X-API-Key": keys["review"]}
    item = item_by_text(engine, "我想用 5万 买点 bond fund")

    def decide(body, item_id=item["id"]):
        return client.post(f"/v1/review/items/{item_id}", json=body, headers=headers)

    cases = [
        ({"decision": "correct", "intent": "buy_stocks"}, "unknown intent 'buy_stocks'"),
        ({"decision": "correct", "intent": "faq"}, "choose one of its sub-intents (faq/account_security"),
        ({"decision": "correct"}, "an intent is required"),
        ({"decision": "correct", "intent": "request_recommendation", "entities": [{"entity": "salary", "value": "5万"}]},
         "unknown entity 'salary'"),
        ({"decision": "correct", "intent": "request_recommendation",
          "entities": [{"entity": "amount", "value": "10万"}]},
         "'10万' does not occur in the message"),
        ({"decision": "correct", "intent": "request_recommendation", "entities": [
            {"entity": "amount", "value": "5万"}, {"entity": "fund_type", "start": 5, "end": 7}]}, "overlap"),
        ({"decision": "correct", "intent": "request_recommendation",
          "entities": [{"entity": "amount", "start": 3, "end": 99}]},
         "outside the message"),
        ({"decision": "confirm", "intent": "buy_fund"}, "send decision 'correct'"),
    ]
    for body, fragment in cases:
        reply = decide(body)
        assert reply.status_code == 422 and fragment in reply.json()["detail"], (body, reply.json())
    assert decide({"decision": "approve"}).status_code == 422
    assert decide({"decision": "discard"}, item_id=999999).status_code == 404
    assert client.get("/v1/review/items?status=maybe", headers=headers).status_code == 422
    assert item_by_text(engine, item["text"])["status"] == "pending"  # nothing was recorded

    corrected = decide({"decision": "correct", "intent": "request_recommendation", "reviewer": "alice",
                        "entities": [{"entity": "amount", "value": "5万"},
                                     {"entity": "fund_type", "value": "bond fund"}]})
    assert corrected.status_code == 200, corrected.json()
    body = corrected.json()
    assert body["status"] == "corrected" and body["reviewed_intent"] == "request_recommendation"
    assert body["reviewed_entities"] == [{"entity": "amount", "start": 4, "end": 6, "value": "5万"},
                                         {"entity": "fund_type", "start": 10, "end": 19, "value": "bond fund"}]
    assert body["reviewer"].startswith("alice (key ") and body["reviewed_at"]
    # confirming the model's guess keeps its entities; the fallback's guess is what gets confirmed
    fallback = item_by_text(engine, "嗯那个东西")
    confirmed = decide({"decision": "confirm"}, item_id=fallback["id"]).json()
    assert confirmed["status"] == "confirmed" and confirmed["reviewed_intent"] == "ask_fund_info"
    labels = client.get("/v1/review/labels", headers=headers).json()
    assert "faq/fees" in labels["intents"] and not {"faq", "nlu_fallback"} & set(labels["intents"])
    assert "language" not in labels["entities"] and "amount" in labels["entities"]
    pending = client.get("/v1/review/items", headers=headers).json()
    assert item["id"] not in [i["id"] for i in pending["items"]] and pending["counts"]["corrected"] == 1
    # the exported example names the reviewer, not the key
    review.export_reviewed(engine)
    written = (nlu_copy / "mixed" / "reviewed" / "request_recommendation.yml").read_text(encoding="utf-8")
    assert "[5万](amount)" in written and "[bond fund](fund_type)" in written
    assert 'reviewer: "alice"' in written and "key" not in written


def test_review_page_is_our_own_static_page_with_a_strict_policy(api):
    client, _, _ = api
    page = client.get("/review")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    html = page.text
    assert "sessionStorage" in html and "X-API-Key" in html and "/v1/review/items" in html
    assert not re.search(r"<script[^>]+src=", html) and "http://" not in html and "https://" not in html
    assert "innerHTML" not in html  # customers' text is only ever inserted as text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy and "unsafe-inline" not in policy.split(
        "style-src")[0]
    import base64
    import hashlib

    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    assert f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'" in policy


@pytest.fixture
def review_server(fresh, tmp_path):
    """`uvicorn` serving the app without a bot model (the review page needs none) on a gathered copy."""
    import os
    import socket
    import subprocess
    import sys

    import httpx

    url, engine = fresh
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": url, "FINBOT_DATA_DIR": str(tmp_path), "FINBOT_LOAD_BOT": "0",
           "FINBOT_TOKEN_SECRET": "review-browser-" + "x" * 40, "RASA_TELEMETRY_ENABLED": "false"}
    log = open(tmp_path / "server.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "api.main:app_factory", "--host",
                                "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 300  # importing TensorFlow and Rasa on a busy 2-core machine
        while True:
            assert process.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            assert time.time() < deadline, "the server did not answer /health in 300 s"
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield base, engine
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_review_page_works_in_a_real_browser(review_server):
    """Debian's Chromium: the page's script runs under its own Content-Security-Policy, asks for the key,
    lists the queue, records a correction and shows the domain's refusal of an unknown entity."""
    CHROMIUM = Path("/usr/bin/chromium")  # as tests/test_widget_browser.py
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); the review page's browser test cannot run")
    from playwright.sync_api import sync_playwright

    from api.security import create_api_key

    base, engine = review_server
    key = create_api_key(engine, "browser reviewer", ["review"])[0]
    pending = review.counts(engine)["pending"]
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"])
        page = browser.new_context().new_page()
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda message: problems.append(message.text)
                if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
        failed_requests: list[tuple] = []
        page.on("response", lambda response: failed_requests.append(
            (response.request.method, response.url.replace(base, ""), response.status))
            if response.status >= 400 else None)
        page.goto(f"{base}/review")
        page.locator("#key").fill(key)
        page.locator("#reviewer").fill("dora")
        page.locator("#reviewer").dispatch_event("change")
        page.locator("#login-form button").click()
        page.locator(".item").first.wait_for(timeout=30_000)
        assert page.locator(".item").count() == pending
        assert f"pending {pending}" in page.locator("#counts").inner_text()

        card = page.locator(".item", has_text="我想用 5万 买点 bond fund")
        card.locator("select").select_option("request_recommendation")
        card.locator("textarea").fill("amount=5万\nfund_type=bond fund")
        card.locator("button.correct").click()
        page.locator(".item", has_text="我想用 5万 买点 bond fund").locator(".status", has_text="corrected").wait_for()

        other = page.locator(".item", has_text="嗯那个东西")
        other.locator("textarea").fill("salary=那个")
        other.locator("button.correct").click()
        other.locator(".error", has_text="unknown entity 'salary'").wait_for()

        page.reload()  # the key stays for this tab: no second login
        page.locator(".item").first.wait_for(timeout=30_000)
        assert page.locator("#login").is_hidden() and page.locator(".item").count() == pending - 1
        browser.close()
    item = item_by_text(engine, "我想用 5万 买点 bond fund")
    assert item["status"] == "corrected" and item["reviewer"].startswith("dora (key ")
    assert [(e["entity"], e["value"]) for e in item["reviewed_entities"]] == [("amount", "5万"),
                                                                             ("fund_type", "bond fund")]
    assert item_by_text(engine, "嗯那个东西")["status"] == "pending"
    # no script error and no refused script (a CSP violation is a console error); one expected 422
    assert problems == []
    assert failed_requests == [("POST", f"/v1/review/items/{item_by_text(engine, '嗯那个东西')['id']}", 422)]


# --------------------------------------------------------------------------- the CLI


def _cli_runner(url: str, home, monkeypatch, capsys):
    """run(*argv) -> (exit code, printed output) of `finbot ...` in-process on ``url``, data in ``home``."""
    from api.cli import main

    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FINBOT_DATA_DIR", str(home))

    def run(*argv):
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    return run


@pytest.fixture
def cli(fresh, tmp_path, monkeypatch, capsys):
    """`finbot ...` in-process against a gathered copy; returns run(*argv) -> (code, output)."""
    url, engine = fresh
    run = _cli_runner(url, tmp_path, monkeypatch, capsys)
    run.engine = engine
    return run


def test_cli_lists_labels_confirms_and_discards(cli):
    code, out = cli("review", "list")
    assert code == 0 and "我卡里还有多少钱" in out and "correction" in out and re.search(r"\d+ pending", out)
    engine = cli.engine
    item = item_by_text(engine, "我卡里还有多少钱")
    code, out = cli("review", "label", str(item["id"]), "ask_spending", "--by", "bob")
    assert code == 0 and "corrected" in out and "-> ask_spending" in out and "by bob" in out
    spending = item_by_text(engine, "how much did I spend on dining last month")
    code, out = cli("review", "label", str(spending["id"]), "ask_spending", "--entity", "category=dining",
                    "--entity", "time_period=last month", "--by", "bob")
    assert code == 0 and "category=dining time_period=last month" in out
    code, out = cli("review", "label", str(spending["id"]), "ask_spending", "--entity", "category")
    assert code == 2 and "expected NAME=TEXT" in out
    code, out = cli("review", "label", str(spending["id"]), "check_my_horoscope")
    assert code == 2 and "unknown intent 'check_my_horoscope'" in out
    handoff = item_by_text(engine, "what's my balance")
    assert cli("review", "confirm", str(handoff["id"]))[0] == 0
    assert item_by_text(engine, "what's my balance")["status"] == "confirmed"
    nonsense = item_by_text(engine, "嗯那个东西")
    assert cli("review", "discard", str(nonsense["id"]), "--by", "bob")[0] == 0
    code, out = cli("review", "list", "--status", "all")
    assert "discarded" in out and "confirmed" in out
    assert cli("review", "confirm", "987654")[0] == 2
    code, out = cli("review", "gather")
    assert code == 0 and "0 new review items" in out


# --------------------------------------------------------------------------- reviewed training data


def _reviewed_files(root: Path) -> list[Path]:
    return sorted(root.glob("*/reviewed/*.yml"))


def test_export_writes_reviewed_examples_with_provenance_and_never_a_held_out_one(fresh, nlu_copy):
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.training import nlu_training_paths

    _, engine = fresh
    spending = item_by_text(engine, "how much did I spend on dining last month")
    review.review(engine, spending["id"], "correct", intent="ask_spending", reviewer="alice",
                  entities=[{"entity": "category", "value": "dining"},
                            {"entity": "time_period", "value": "last month"}])
    mixed = item_by_text(engine, "我想用 5万 买点 bond fund")
    review.review(engine, mixed["id"], "correct", intent="request_recommendation", reviewer="bob",
                  entities=[{"entity": "amount", "value": "5万"}])
    review.review(engine, item_by_text(engine, "嗯那个东西")["id"], "confirm", reviewer="bob")
    review.review(engine, item_by_text(engine, "what's my balance")["id"], "confirm", reviewer="bob")
    # a reviewed message that is also a held-out example must not reach training
    held_out_text = load_data(str(nlu_copy / "zh" / "test.yml")).intent_examples[0].get("text")
    leak = _insert_item(engine, held_out_text, "zh", event_id=10_000_001, customer="salaried_saver")
    review.review(engine, leak, "correct", intent="greet", reviewer="carol")
    # nor one from the development split, which chooses between models
    dev_text = load_data(str(nlu_copy / "en" / "dev.yml")).intent_examples[0].get("text")
    dev_leak = _insert_item(engine, dev_text, "en", event_id=10_000_003, customer="salaried_saver")
    review.review(engine, dev_leak, "correct", intent="greet", reviewer="carol")
    personal = _insert_item(engine, "我的手机是 13800138000 帮我查余额", "zh", event_id=10_000_002)
    review.review(engine, personal, "correct", intent="check_balance", reviewer="carol")

    result = review.export_reviewed(engine)
    assert {(e.language, e.intent) for e in result.examples} == {
        ("en", "ask_spending"), ("mixed", "request_recommendation"), ("zh", "ask_fund_info")}
    skipped = {s.item_id: s for s in result.skipped}
    assert skipped[leak].reason == "held_out" and "nlu_data/zh/test.yml" in skipped[leak].message
    assert skipped[dev_leak].reason == "held_out" and "nlu_data/en/dev.yml" in skipped[dev_leak].message
    assert skipped[personal].reason == "personal_data"
    assert skipped[item_by_text(engine, "what's my balance")["id"]].reason == "in_training"
    assert "evaluation split" in result.summary()

    files = _reviewed_files(nlu_copy)
    assert files == sorted([nlu_copy / "en" / "reviewed" / "ask_spending.yml",
                            nlu_copy / "mixed" / "reviewed" / "request_recommendation.yml",
                            nlu_copy / "zh" / "reviewed" / "ask_fund_info.yml"])
    english = (nlu_copy / "en" / "reviewed" / "ask_spending.yml").read_text(encoding="utf-8")
    assert "how much did I spend on [dining](category) [last month](time_period)" in english
    assert f"review_item: {spending['id']}" in english and 'reviewer: "alice"' in english
    assert f'reviewed_on: "{datetime.now(timezone.utc).date().isoformat()}"' in english
    everything = "".join(f.read_text(encoding="utf-8") for f in files)
    for private in ("salaried_saver", "retiree", "~anon", "rv-en", "rv-probe", "student", "13800138000",
                    held_out_text, dev_text):
        assert private not in everything  # only message text, never who said it
    # Rasa reads it as training data, with the entities and the provenance as example metadata
    data = load_data(str(nlu_copy / "en" / "reviewed"))
    (message,) = data.intent_examples
    assert message.get("intent") == "ask_spending" and message.get("metadata")["example"]["reviewer"] == "alice"
    assert {e["entity"] for e in message.get("entities")} == {"category", "time_period"}
    assert nlu_copy / "en" / "reviewed" in nlu_training_paths()
    assert nlu_copy / "zh" / "train" in nlu_training_paths()  # still beside the hand-written data

    # the held-out split stays clean: the check of tests/test_nlu_data.py, over train + reviewed
    for language in LANGS:
        seen = {review.normalise(m.get("text")) for path in nlu_training_paths() if path.parent.name == language
                for m in load_data(str(path)).intent_examples}
        tested = [m.get("text") for m in load_data(str(nlu_copy / language / "test.yml")).intent_examples]
        assert not [t for t in tested if review.normalise(t) in seen]

    # exporting again changes nothing; a change of mind leaves the data at the next export
    assert not review.export_reviewed(engine).changed
    review.review(engine, spending["id"], "discard", reviewer="alice")
    again = review.export_reviewed(engine)
    assert again.changed and again.removed == [nlu_copy / "en" / "reviewed" / "ask_spending.yml"]
    assert nlu_copy / "en" / "reviewed" not in nlu_training_paths()
    assert review.export_reviewed(engine, write=False).files == again.files


def _insert_item(engine, text: str, language: str, event_id: int, customer: str | None = None) -> int:
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        return connection.execute(review.ITEMS.insert().values(
            source_event_id=event_id, conversation_id=f"{customer or '~anon'}/x", customer_id=customer, said_at=now,
            text=text, language=language, predicted_intent="greet", confidence=0.3, predicted_entities=[],
            reasons=["low_confidence"], status="pending", gathered_at=now)).inserted_primary_key[0]


def test_real_reviewed_data_in_the_checkout_never_leaks_into_an_evaluation_split():
    """Whatever `finbot review export` wrote into this checkout (often nothing) obeys the same rule."""
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.training import SPLITS

    reviewed = sorted((PROJECT_ROOT / "nlu_data").glob("*/reviewed"))
    held_out = {review.normalise(m.get("text")) for language in LANGS for split in SPLITS
                for m in load_data(str(PROJECT_ROOT / "nlu_data" / language / f"{split}.yml")).intent_examples}
    for folder in reviewed:
        leaked = [m.get("text") for m in load_data(str(folder)).intent_examples
                  if review.normalise(m.get("text")) in held_out]
        assert not leaked, f"{folder}: evaluation examples in reviewed data: {leaked[:5]}"


# --------------------------------------------------------------------------- privacy


def test_a_customers_export_and_erasure_include_their_review_items(api, nlu_copy):
    client, keys, engine = api
    headers = {"X-API-Key": keys["admin"]}
    # the customer's gathered message, and one more that a reviewer turned into training data
    gathered_ones = [i for i in review.list_items(engine, None, limit=1000) if i["customer_id"] == "salaried_saver"]
    assert gathered_ones
    extra = _insert_item(engine, "上个月那笔 Starbucks 花了多少", "mixed", event_id=10_000_003, customer="salaried_saver")
    review.review(engine, extra, "correct", intent="ask_spending", reviewer="alice")
    assert any(e.item_id == extra for e in review.export_reviewed(engine).examples)
    mine = [i for i in review.list_items(engine, None, limit=1000) if i["customer_id"] == "salaried_saver"]

    export = client.get("/v1/customers/salaried_saver/export", headers=headers).json()
    assert [i["text"] for i in export["review_items"]] == [i["text"] for i in mine]
    assert export["review_items"][0]["conversation_id"].startswith("salaried_saver/")
    others = client.get("/v1/customers/retiree/export", headers=headers).json()["review_items"]
    assert others and all(i["customer_id"] == "retiree" for i in others)

    erased = client.delete("/v1/customers/salaried_saver", headers=headers).json()
    assert erased["deleted"]["review_items"] == len(mine) and erased["deleted"]["conversations"] >= 1
    assert not [i for i in review.list_items(engine, None, limit=1000) if i["customer_id"] == "salaried_saver"]
    after_export = client.get("/v1/customers/salaried_saver/export", headers=headers)
    # the customer row itself is gone (nothing had to be retained), or kept blank with no review items
    assert after_export.status_code == 404 or after_export.json()["review_items"] == []
    assert [i for i in review.list_items(engine, None, limit=1000) if i["customer_id"] == "retiree"]
    # the reviewed example leaves the training data at the next export (the queue is the source)
    after = review.export_reviewed(engine)
    assert all(e.item_id != extra for e in after.examples)
    assert "Starbucks" not in "".join(f.read_text(encoding="utf-8") for f in _reviewed_files(nlu_copy))
    # and a gather does not bring it back: the conversation went with the customer
    assert review.gather(engine).added == 0


# --------------------------------------------------------------------------- `finbot retrain`: cheap parts


@pytest.fixture(scope="module")
def ci_report(ci_model, nlu_copy):
    """The ci model's held-out report, computed once and reused to register it in several databases."""
    from bot.evaluation import evaluate_model

    started = time.perf_counter()
    report = evaluate_model(ci_model).to_dict()
    print(f"\nci model held-out evaluation: {time.perf_counter() - started:.1f} s")
    return report


def serving_ci(engine, ci_model, ci_report, models_dir: Path) -> registry.VersionInfo:
    """The ci model registered and serving, as `finbot setup` leaves a fresh installation."""
    models_dir.mkdir(parents=True, exist_ok=True)
    archive = models_dir / "ci.tar.gz"
    shutil.copy(ci_model, archive)
    sidecar = ci_model.with_name("ci.json")
    if sidecar.exists():
        shutil.copy(sidecar, models_dir / "ci.json")
    info = registry.register_model(engine, archive, source="setup", config_file=config_path("ci"), report=ci_report)
    registry.promote(engine, info.version, by="test setup")
    return registry.get_version(engine, info.version)


@pytest.fixture
def retrain_home(chats, tmp_path, monkeypatch, capsys, ci_model, ci_report, nlu_copy):
    """A data folder with the ci model serving and a gathered, partly reviewed queue; run(*argv) -> (code, out)."""
    url = copy_sqlite(chats[0], tmp_path / "finbot.db")
    engine = open_database(url)
    migrate(engine)
    serving_ci(engine, ci_model, ci_report, tmp_path / "models")
    run = _cli_runner(url, tmp_path, monkeypatch, capsys)
    run.engine, run.home = engine, tmp_path
    return run


def registry_state(engine) -> tuple:
    return ([(v.version, v.status) for v in registry.list_versions(engine)],
            [(d.action, d.version) for d in registry.decisions(engine)], registry.serving_model(engine))


def test_dry_run_gathers_and_reports_without_training_or_writing(retrain_home, nlu_copy):
    before = registry_state(retrain_home.engine)
    files_before = _reviewed_files(nlu_copy)
    code, out = retrain_home("retrain", "--dry-run", "--config", "ci")
    assert code == 0, out
    assert "dry run" in out and "gathered: read" in out and "new review items" in out and "review queue:" in out
    assert "would export:" in out and "no training: dry run" in out
    assert registry_state(retrain_home.engine) == before and _reviewed_files(nlu_copy) == files_before
    assert sorted(p.name for p in (retrain_home.home / "models").iterdir()) == ["ci.json", "ci.tar.gz"]
    assert review.counts(retrain_home.engine)["pending"] > 0


def test_a_second_retrain_is_refused_while_one_runs(retrain_home):
    from bot.retrain import retrain_lock

    engine, home = retrain_home.engine, retrain_home.home
    held, release = threading.Event(), threading.Event()

    def first_run():  # another process's run, as far as the lock is concerned: the kernel's flock
        with retrain_lock(engine, home):
            held.set()
            release.wait(120)

    holder = threading.Thread(target=first_run)
    holder.start()
    try:
        assert held.wait(10)
        code, out = retrain_home("retrain", "--dry-run")  # refused at once: had it queued, it would return 0
        assert code == 75 and "another `finbot retrain` is running" in out and "pid " in out
        assert review.counts(engine)["pending"] == 0  # it did nothing, not even a gather
    finally:
        release.set()
        holder.join(10)
    code, out = retrain_home("retrain", "--dry-run")
    assert code == 0 and "gathered" in out  # the lock went with the first run


def test_the_postgresql_advisory_lock_refuses_a_second_run(pg_engine, tmp_path):
    from bot.retrain import RetrainBusy, retrain, retrain_lock

    with retrain_lock(pg_engine, tmp_path) as lock:
        assert "advisory lock" in lock
        with pytest.raises(RetrainBusy, match="PostgreSQL advisory lock"):
            retrain(pg_engine, models_dir=tmp_path / "models", lock_dir=tmp_path, dry_run=True)
        # another connection sees the lock too (as another machine's run would)
        other = open_database(pg_engine.url.render_as_string(hide_password=False))
        with pytest.raises(RetrainBusy):
            with retrain_lock(other, tmp_path):
                pass
    report = retrain(pg_engine, models_dir=tmp_path / "models", lock_dir=tmp_path, dry_run=True)
    assert report.gathered.scanned == 0 and not (tmp_path / "retrain.lock").exists()  # no events table, no file lock


def _fake_rasa_train(ci_model, *, interrupt: bool):
    """Stands in for rasa.api.train: writes an archive as training does, then is interrupted or returns."""
    from rasa.model_training import TrainingResult

    def train(domain, config, training_files, output, fixed_model_name=None, force_training=False, **_options):
        archive = Path(output) / f"{fixed_model_name}.tar.gz"
        shutil.copy(ci_model, archive)
        if interrupt:
            raise KeyboardInterrupt("Ctrl-C while the archive was being written")
        return TrainingResult(model=str(archive), code=0)

    return train


def test_an_interrupted_training_leaves_the_registry_and_the_serving_model_untouched(retrain_home, ci_model,
                                                                                     monkeypatch):
    import rasa.api

    before = registry_state(retrain_home.engine)
    monkeypatch.setattr(rasa.api, "train", _fake_rasa_train(ci_model, interrupt=True))
    code, out = retrain_home("retrain", "--config", "ci", "--always-train")
    assert code == 130 and "interrupted" in out and "nothing was promoted; ci keeps serving" in out
    assert registry_state(retrain_home.engine) == before
    assert sorted(p.name for p in (retrain_home.home / "models").iterdir()) == ["ci.json", "ci.tar.gz"]


def test_a_failure_after_training_before_registration_removes_the_archive(retrain_home, ci_model, monkeypatch):
    import rasa.api

    import bot.evaluation

    before = registry_state(retrain_home.engine)

    def evaluation_fails(*_args, **_kwargs):
        raise RuntimeError("the held-out evaluation crashed")

    monkeypatch.setattr(rasa.api, "train", _fake_rasa_train(ci_model, interrupt=False))
    monkeypatch.setattr(bot.evaluation, "evaluate_model", evaluation_fails)  # registration evaluates first
    code, out = retrain_home("retrain", "--config", "ci", "--always-train")
    assert code == 2 and "retrain failed: RuntimeError: the held-out evaluation crashed" in out
    assert "nothing was promoted; ci keeps serving" in out
    assert registry_state(retrain_home.engine) == before
    assert sorted(p.name for p in (retrain_home.home / "models").iterdir()) == ["ci.json", "ci.tar.gz"]
    assert not (retrain_home.home / "tensorboard").exists() or not any((retrain_home.home / "tensorboard").iterdir())


# --------------------------------------------------------------------------- `finbot retrain`: real training (slow)


def temp_config(folder: Path, name: str, intent_epochs: int) -> Path:
    """The ci config with ``intent_epochs`` for our intent classifier (the held-out scores' classifier)."""
    config = yaml.safe_load(config_path("ci").read_text(encoding="utf-8"))
    for step in config["pipeline"]:
        if step["name"].endswith("FinbotTFIntentClassifier"):
            step["epochs"] = intent_epochs
        if step["name"] == "ResponseSelector":
            step["epochs"] = 5  # faq sub-intents; not scored by the held-out split, so keep it short
    path = folder / f"{name}.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def review_some(engine) -> None:
    """What a reviewer would do with the probe conversations."""
    review.review(engine, item_by_text(engine, "how much did I spend on dining last month")["id"], "correct",
                  intent="ask_spending", reviewer="alice",
                  entities=[{"entity": "category", "value": "dining"},
                            {"entity": "time_period", "value": "last month"}])
    review.review(engine, item_by_text(engine, "我想用 5万 买点 bond fund")["id"], "correct",
                  intent="request_recommendation", reviewer="alice", entities=[{"entity": "amount", "value": "5万"}])
    review.review(engine, item_by_text(engine, "嗯那个东西")["id"], "correct", intent="ask_fund_info",
                  reviewer="alice")


@pytest.fixture(scope="module")
def worse_run(chats, tmp_path_factory, ci_model, ci_report, nlu_copy):
    """`finbot retrain` with a worse config (one epoch) against the serving ci model."""
    from api.cli import main

    home = tmp_path_factory.mktemp("retrain-worse")
    url = copy_sqlite(chats[0], home / "finbot.db")
    engine = open_database(url)
    migrate(engine)
    serving_ci(engine, ci_model, ci_report, home / "models")
    review.gather(engine)
    review_some(engine)
    config = temp_config(home, "ci_one_epoch", intent_epochs=1)
    with pytest.MonkeyPatch.context() as env, _Capture() as out:
        env.setenv("DATABASE_URL", url)
        env.setenv("FINBOT_DATA_DIR", str(home))
        started = time.perf_counter()
        code = main(["retrain", "--config", str(config), "--by", "test"])
        seconds = time.perf_counter() - started
        again = main(["retrain", "--config", str(config), "--by", "test"])
    print(f"\nretrain with the one-epoch config (train, evaluate both, gate): {seconds:.0f} s")
    return engine, home, code, out.text, again


class _Capture:
    """Collect what the CLI prints inside a module-scoped fixture (capsys is per test)."""

    def __enter__(self):
        import contextlib
        import io

        self.buffer = io.StringIO()
        self._redirect = contextlib.redirect_stdout(self.buffer)
        self._redirect_err = contextlib.redirect_stderr(self.buffer)
        self._redirect.__enter__()
        self._redirect_err.__enter__()
        return self

    def __exit__(self, *exc):
        self._redirect_err.__exit__(*exc)
        self._redirect.__exit__(*exc)
        self.text = self.buffer.getvalue()
        return False


def test_retrain_refuses_a_worse_candidate_with_reasons(worse_run, nlu_copy):
    engine, home, code, out, _ = worse_run
    print(out)
    assert code == 0, out
    candidate = [v for v in registry.list_versions(engine) if v.source == "retrain"]
    assert len(candidate) == 1 and candidate[0].status == "refused"
    assert registry.get_version(engine, "serving").version == "ci"
    assert registry.serving_model(engine) == (home / "models" / "ci.tar.gz").resolve()
    decision = registry.decisions(engine)[-1]
    assert decision.action == "refuse" and decision.version == candidate[0].version and decision.decided_by == "test"
    assert any(re.match(r"(accuracy|macro_f1) (zh|en|mixed) drops", r) for r in decision.gate["reasons"])
    # the report: what was gathered and exported, both models per language, the gate's reasons, the outcome
    for expected in ("gathered: read", "exported: 3 reviewed examples", f"candidate {candidate[0].version}: trained in",
                     "ci (evaluated now)", "gate: REFUSE", "result: refused; ci keeps serving", "parse p95"):
        assert expected in out
    assert re.search(r"^\s+zh\s+\d\.\d{3}\s+\d\.\d{3}", out, re.M)
    assert all(f"  - {reason}" in out for reason in decision.gate["reasons"])
    assert [str(p.relative_to(nlu_copy)) for p in _reviewed_files(nlu_copy)] == [
        "en/reviewed/ask_spending.yml", "mixed/reviewed/request_recommendation.yml", "zh/reviewed/ask_fund_info.yml"]
    # the same inputs again: nothing new to learn, no second training
    assert worse_run[4] == 0 and len([v for v in registry.list_versions(engine) if v.source == "retrain"]) == 1


def test_review_to_retrain_cycle_promotes_a_better_candidate(worse_run, chats, tmp_path, monkeypatch, capsys,
                                                             ci_model, nlu_copy):
    """Conversations -> gather -> review (API and CLI) -> retrain -> the gate promotes -> it serves."""
    from api.cli import main
    from api.main import create_app
    from api.security import create_api_key
    from api.settings import ApiSettings

    worse_engine, _, _, _, _ = worse_run
    worse = [v for v in registry.list_versions(worse_engine) if v.source == "retrain"][0]
    # This installation serves the one-epoch model; a retrain with the ci config should beat it.
    url = copy_sqlite(chats[0], tmp_path / "finbot.db")
    engine = open_database(url)
    migrate(engine)
    (tmp_path / "models").mkdir()
    archive = tmp_path / "models" / worse.path.name
    shutil.copy(worse.path, archive)
    registry.register_model(engine, archive, source="train", config_file=Path(worse.config_name), report=worse.report)
    registry.promote_if_nothing_serving(engine, worse.version, by="test setup")

    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FINBOT_DATA_DIR", str(tmp_path))
    assert main(["review", "gather"]) == 0
    key = create_api_key(engine, "reviewer", ["review"])[0]
    settings = ApiSettings(database_url=url, data_dir=tmp_path, load_bot=False, token_secret="t" * 40)
    with TestClient(create_app(settings), headers={"X-API-Key": key}) as client:
        pending = {i["text"]: i for i in client.get("/v1/review/items").json()["items"]}
        decided = client.post(f"/v1/review/items/{pending['how much did I spend on dining last month']['id']}", json={
            "decision": "correct", "intent": "ask_spending", "reviewer": "alice",
            "entities": [{"entity": "category", "value": "dining"}, {"entity": "time_period", "value": "last month"}]})
        assert decided.status_code == 200
        assert client.post(f"/v1/review/items/{pending['嗯那个东西']['id']}",
                           json={"decision": "confirm", "reviewer": "alice"}).status_code == 200
    relabelled = pending["我想用 5万 买点 bond fund"]["id"]  # the model missed the fund type: a real correction
    assert main(["review", "label", str(relabelled), "request_recommendation", "--entity", "amount=5万",
                 "--entity", "fund_type=bond fund", "--by", "bob"]) == 0
    assert review.get_item(engine, relabelled)["status"] == "corrected"

    config = temp_config(tmp_path, "ci_retrain", intent_epochs=15)
    # The CI model's entities come from rules that also read the intent, so a far better intent model can
    # move entity F1 by a point or two either way; this installation's policy tolerates 3 points there
    # (the shipped policy tolerates none; test_registry tests the gate itself).
    policy = tmp_path / "promotion_policy.yml"
    policy.write_text(yaml.safe_dump({**vars(registry.GatePolicy.load()), "entity_f1_max_drop_points": 3.0}))
    monkeypatch.setenv("FINBOT_PROMOTION_POLICY", str(policy))
    capsys.readouterr()
    started = time.perf_counter()
    code = main(["retrain", "--config", str(config), "--conversations",
                 "--conversation-paths", str(PROJECT_ROOT / "tests" / "conversations" / "language.yml")])
    seconds = time.perf_counter() - started
    out = capsys.readouterr().out
    print(out)
    print(f"review-to-retrain cycle (train, evaluate both, conversation tests, gate): {seconds:.0f} s")
    assert code == 0, out

    candidate = [v for v in registry.list_versions(engine) if v.source == "retrain"]
    assert len(candidate) == 1
    candidate = candidate[0]
    assert candidate.status == "serving" and registry.serving_model(engine) == candidate.path
    assert registry.get_version(engine, worse.version).status == "retired"
    assert "gate: PROMOTE" in out
    assert f"result: promoted; {candidate.version} now serves (replacing {worse.version})" in out
    assert "exported: 3 reviewed examples" in out and "conversation tests on the candidate:" in out
    suite = candidate.report["conversation_suite"]
    assert suite["passed"] + suite["failed"] >= 2 and suite["failed"] == 0, suite
    assert candidate.overall_accuracy() > registry.get_version(engine, worse.version).overall_accuracy()
    # it was trained from the reviewed data: the registry's NLU fingerprint covers the reviewed folders
    from bot.training import data_fingerprints, nlu_training_paths

    assert candidate.nlu_sha256 == data_fingerprints()["nlu"]
    assert {p.parent.name for p in nlu_training_paths() if p.name == "reviewed"} == set(LANGS)
    (decision,) = [d for d in registry.decisions(engine) if d.version == candidate.version]
    assert decision.action == "promote" and decision.decided_by.startswith("finbot retrain (")
    # a running server follows the serving version (api.model_watcher): this is the archive it loads
    from api.model_watcher import registry_model

    assert registry_model(engine) == candidate.path
