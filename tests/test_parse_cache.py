"""The parse cache (bot/parse_cache.py): a reused parse is the parse the model
gives, never one from another day, and the cache stays within its bound."""
from __future__ import annotations

import asyncio
from datetime import date

import pytest

from bot.clock import today_is
from bot.parse_cache import MAX_TEXT_CHARS, ParseCache, install


class CountingParser:
    """A processor whose parse_message returns a fresh dict per call and counts calls:
    enough to check the cache's bookkeeping (the model itself is exercised below)."""

    def __init__(self) -> None:
        self.calls = []

    async def parse_message(self, message, tracker=None, only_output_properties=True):
        self.calls.append(message.text)
        return {"text": message.text, "intent": {"name": "greet", "confidence": 0.9}, "entities": []}


class Text:
    def __init__(self, text) -> None:
        self.text = text


def _parse(cache, text):
    return asyncio.run(cache.parse_message(Text(text)))


def test_a_repeated_text_is_parsed_once_and_the_least_recently_used_text_leaves_first():
    processor = CountingParser()
    cache = install(processor, size=2)
    for text in ("hi", "hi", "余额", "hi", "thanks", "余额"):
        _parse(cache, text)
    # "余额" was the least recently used when "thanks" came in, so it is parsed again.
    assert processor.calls == ["hi", "余额", "thanks", "余额"]
    assert (cache.hits, cache.misses) == (2, 4)


def test_a_caller_changing_its_parse_does_not_change_the_next_one():
    cache = ParseCache(CountingParser(), size=10)
    first = _parse(cache, "hello")
    first["intent"]["name"] = "changed"
    first["entities"].append({"entity": "amount"})
    assert _parse(cache, "hello") == {"text": "hello", "intent": {"name": "greet", "confidence": 0.9},
                                      "entities": []}


def test_long_texts_and_non_text_messages_are_not_cached():
    processor = CountingParser()
    cache = ParseCache(processor, size=10)
    long_text = "我" * (MAX_TEXT_CHARS + 1)
    for text in (long_text, long_text, None, None):
        _parse(cache, text)
    assert processor.calls == [long_text, long_text, None, None] and cache.hits == 0


def test_size_zero_leaves_the_processor_alone():
    processor = CountingParser()
    original = processor.parse_message
    assert install(processor, size=0) is None
    assert processor.parse_message == original


@pytest.fixture(scope="module")
def agent(ci_model):
    from bot.runtime import load_agent

    return load_agent(ci_model)


def test_a_cached_parse_equals_the_models_own_parse(agent):
    from rasa.core.channels.channel import UserMessage

    processor = agent.processor
    texts = ["我卡里还有多少钱", "how much did I spend on dining last month", "上个月 dining 花了多少",
             "给我推荐点基金，我有两万块", "/greet", "asdkjh qwe"]
    uncached = [asyncio.run(processor.parse_message(UserMessage(t, sender_id="a"))) for t in texts]
    cache = ParseCache(processor, size=100)
    first = [asyncio.run(cache.parse_message(UserMessage(t, sender_id="b"))) for t in texts]
    again = [asyncio.run(cache.parse_message(UserMessage(t, sender_id="c"))) for t in texts]
    assert cache.hits == len(texts) and cache.misses == len(texts)
    assert first == uncached and again == uncached


def test_relative_periods_are_never_served_from_another_day(agent):
    from rasa.core.channels.channel import UserMessage

    cache = ParseCache(agent.processor, size=100)

    def period(day):
        with today_is(day):
            parse = asyncio.run(cache.parse_message(UserMessage("上个月餐饮花了多少", sender_id="d")))
        return next(e["value"] for e in parse["entities"] if e["entity"] == "time_period")

    march, april = period(date(2026, 3, 15)), period(date(2026, 4, 15))
    assert march["start"] == "2026-02-01" and april["start"] == "2026-03-01"
    assert period(date(2026, 3, 15)) == march and cache.hits == 1
