"""The web chat widget in a real browser (Debian's Chromium driven by Playwright) against a live server.

One customer journey through the demo page: pick a persona, chat in Chinese (a spending chart),
switch the interface to English, take a fund suggestion by clicking a quick reply (an allocation
chart), then reload and see the same conversation again. Figures shown are checked against the
REST API and the stored transcript, not against constants.
"""
from __future__ import annotations

import os
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-quic", "--disable-component-update",
                 "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PERSONAS = {"salaried_saver", "freelancer", "overspender", "retiree", "student", "high_earner"}
REPLY_TIMEOUT_MS = 60_000  # a bot turn on a busy 2-core machine; normally 1-3 s

BOT = "[data-testid=finbot-message][data-sender=bot]"
USER = "[data-testid=finbot-message][data-sender=user]"


def yuan(cents: int) -> str:
    """What the widget must show for integer cents: ¥1,234.50."""
    sign = "-" if cents < 0 else ""
    return f"{sign}¥{Decimal(abs(cents)) / 100:,.2f}"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium); the widget's browser test cannot run"
        if os.environ.get("FINBOT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"FINBOT_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def send(page, text: str) -> None:
    """Type a message, send it, and wait until the bot has answered with at least one bubble."""
    bots_before = page.locator(BOT).count()
    page.get_by_test_id("finbot-input").fill(text)
    page.get_by_test_id("finbot-send").click()
    wait_for_bot(page, bots_before)


def wait_for_bot(page, bots_before: int) -> None:
    page.wait_for_function("([selector, n]) => document.querySelectorAll(selector).length > n",
                           arg=[BOT, bots_before], timeout=REPLY_TIMEOUT_MS)


def conversation(page) -> list[tuple[str, str]]:
    """Every bubble, in order, as (sender, visible text)."""
    return [(bubble.get_attribute("data-sender"), bubble.inner_text().strip())
            for bubble in page.get_by_test_id("finbot-message").all()]


def test_widget_chat_in_a_real_browser(browser, live_server):
    started = time.perf_counter()
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))

    # The demo page lists the six personas, each described in both languages.
    page.goto(f"{live_server.url}/")
    personas = page.get_by_test_id("persona")
    assert {personas.nth(i).get_attribute("data-persona") for i in range(personas.count())} == PERSONAS
    high_earner = page.locator("[data-testid=persona][data-persona=high_earner]")
    assert "Michael Lin" in high_earner.inner_text() and "年终奖" in high_earner.inner_text()

    # Picking one fetches a demo token and mounts the widget, in the browser's language (zh-CN).
    high_earner.click()
    page.wait_for_selector("[data-testid=finbot-status][data-state=online]", timeout=30_000)
    assert high_earner.get_attribute("aria-pressed") == "true"
    assert "余额" in page.get_by_test_id("finbot-input").get_attribute("placeholder")
    assert "我的余额是多少" in page.get_by_test_id("finbot-suggestions").inner_text()

    # --- Chinese: a greeting, then last month's spending with a bar chart -----------------------
    send(page, "你好")
    assert page.locator(USER).last.inner_text() == "你好"
    greeting = page.locator(BOT).last.inner_text()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in greeting), greeting  # answered in Chinese

    send(page, "上个月花了多少钱")
    chart = page.locator(".finbot-chart[data-kind=spending_by_category]")
    chart.wait_for(timeout=REPLY_TIMEOUT_MS)
    # The same figures the REST API gives for last month (February 2026 with FINBOT_TODAY=2026-03-15).
    spending = httpx.get(f"{live_server.url}/v1/customers/high_earner/spending", headers=live_server.headers(),
                         params={"start": "2026-02-01", "end": "2026-02-28"}, timeout=30).json()
    by_category = {k: v for k, v in spending["by_category"].items() if v > 0}
    total = spending["total_cents"]
    answer = page.locator(BOT).filter(has_text="一共花了").last.inner_text()
    assert yuan(total) in answer, (answer, total)
    svg = chart.locator("svg")
    assert svg.get_attribute("role") == "img" and "¥" in svg.get_attribute("aria-label")
    assert svg.locator("title").count() == 1
    bars = chart.locator(".finbot-bar")
    assert bars.count() == len(by_category) > 0
    shown = {bars.nth(i).get_attribute("data-category"): bars.nth(i).locator(".finbot-bar-value").text_content()
             for i in range(bars.count())}
    assert shown == {category: yuan(cents) for category, cents in by_category.items()}
    assert chart.locator(".finbot-chart-total").inner_text().endswith(yuan(total))

    # Message text is text, never markup.
    hostile = '<img src=x onerror="window.__finbotXss=1">你好'
    send(page, hostile)
    assert page.locator(USER).last.inner_text() == hostile
    assert page.locator("[data-testid=finbot-messages] img").count() == 0
    assert page.evaluate("window.__finbotXss") is None

    # --- English: switch the interface, ask for funds, answer the form with a quick reply ------
    page.get_by_test_id("finbot-language").click()
    assert page.get_by_test_id("finbot-language").inner_text() == "中文"
    assert "spending" in page.get_by_test_id("finbot-input").get_attribute("placeholder")
    assert "Recommend me some funds" in page.get_by_test_id("finbot-suggestions").inner_text()

    send(page, "recommend me some funds")
    assert "invest" in page.locator(BOT).last.inner_text()
    send(page, "50000")
    horizon = page.get_by_test_id("finbot-quick-reply").filter(has_text="Over 3 years")
    horizon.wait_for(timeout=REPLY_TIMEOUT_MS)
    bots_before = page.locator(BOT).count()
    horizon.click()
    wait_for_bot(page, bots_before)
    # The customer sees the button's title as their message, not its payload.
    assert page.locator(USER).last.inner_text() == "Over 3 years"
    assert horizon.is_disabled()  # answered buttons retire
    donut = page.locator(".finbot-chart[data-kind=allocation]")
    donut.wait_for(timeout=REPLY_TIMEOUT_MS)
    page.get_by_test_id("finbot-quick-reply").filter(has_text="Why these?").wait_for(timeout=REPLY_TIMEOUT_MS)
    suggestion = page.locator(BOT).filter(has_text="here is how I'd place").last.inner_text()
    assert "CNY 50,000.00" in suggestion

    # The chart draws exactly the payload the bot stored (read back as the widget does).
    session_id = page.evaluate("localStorage.getItem('finbot-demo:high_earner:session')")
    token = page.evaluate("JSON.parse(localStorage.getItem('finbot-demo')).token")
    assert session_id and token
    lines = httpx.get(f"{live_server.url}/v1/chat/{session_id}/transcript",
                      headers={"Authorization": f"Bearer {token}"}, timeout=30).json()["messages"]
    payload = [line["custom"]["chart"] for line in lines
               if line.get("custom", {}).get("chart", {}).get("kind") == "allocation"][-1]
    slices = donut.locator(".finbot-slice")
    assert slices.count() == len(payload["labels"]) > 0
    assert [int(slices.nth(i).get_attribute("data-cents")) for i in range(slices.count())] == payload["values_cents"]
    assert [slices.nth(i).get_attribute("data-fund-code") for i in range(slices.count())] == payload["fund_codes"]
    legend = donut.locator(".finbot-legend-item")
    for i, (label, cents) in enumerate(zip(payload["labels"], payload["values_cents"])):
        assert label in legend.nth(i).inner_text() and yuan(cents) in legend.nth(i).inner_text()
    assert sum(payload["values_cents"]) == 50_000_00
    assert "¥50,000.00" in donut.locator("svg").text_content()

    assert page.get_by_test_id("finbot-notice").count() == 0  # no chat_error along the way
    before_reload = conversation(page)
    assert [text for sender, text in before_reload if sender == "user"] == [
        "你好", "上个月花了多少钱", hostile, "recommend me some funds", "50000", "Over 3 years"]

    # --- Reload: the demo page remounts the same persona and redraws the conversation ----------
    page.reload()
    page.get_by_test_id("finbot-history-divider").wait_for(timeout=30_000)
    page.wait_for_selector("[data-testid=finbot-status][data-state=online]", timeout=30_000)
    assert conversation(page) == before_reload
    assert page.locator(".finbot-chart[data-kind=spending_by_category] .finbot-bar").count() == len(by_category)
    assert page.locator(".finbot-chart[data-kind=allocation] .finbot-slice").count() == len(payload["labels"])
    assert page.get_by_test_id("finbot-language").inner_text() == "中文"  # the language choice is kept too

    # The conversation goes on after the reload, in the same session.
    send(page, "what's my balance")
    assert "CNY" in page.locator(BOT).last.inner_text()
    assert page.evaluate("localStorage.getItem('finbot-demo:high_earner:session')") == session_id

    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".finbot-chart[data-kind=allocation]").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "widget.png"))
    assert page_errors == []
    context.close()
    print(f"widget browser journey: {time.perf_counter() - started:.1f} s")


MOUNT_WITH_BAD_TOKEN = """refresh => {
    window.tokenCalls = 0;
    const getToken = () => {
        window.tokenCalls += 1;
        return fetch('/demo/chat-tokens', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                           body: JSON.stringify({persona: 'retiree'})})
            .then(response => response.json()).then(body => body.token);
    };
    if (window.widget) window.widget.destroy();
    window.widget = FinbotWidget.mount({container: '#chat', token: 'not-a-valid-token',
                                        storageKey: 'refresh-test-' + refresh, getToken: refresh ? getToken : null});
}"""


def test_widget_replaces_a_refused_token_or_says_so(browser, live_server):
    """A bank page's token was refused: with getToken the widget fetches a new one and carries on;
    without it, it tells the customer politely and stops (no retry loop, no trace)."""
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.goto(f"{live_server.url}/")

    page.evaluate(MOUNT_WITH_BAD_TOKEN, True)
    page.wait_for_selector("[data-testid=finbot-status][data-state=online]", timeout=30_000)
    send(page, "what's my balance")
    assert "CNY" in page.locator(BOT).last.inner_text()
    assert page.evaluate("window.tokenCalls") == 1
    assert page.get_by_test_id("finbot-notice").count() == 0

    page.evaluate(MOUNT_WITH_BAD_TOKEN, False)
    notice = page.get_by_test_id("finbot-notice")
    notice.wait_for(timeout=30_000)
    assert "sign in again" in notice.inner_text()
    assert page.get_by_test_id("finbot-status").get_attribute("data-state") == "stopped"
    assert "Traceback" not in page.content() and "token" not in notice.inner_text().lower()
    assert page_errors == []
    context.close()
