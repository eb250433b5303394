"""What counts as a bare answer while a purchase waits for a detail (bot.actions.advice.only_names_a_fund)."""
from __future__ import annotations

import pytest
from rasa_sdk import Tracker

from bot.actions.advice import only_names_a_fund


def _tracker(text: str, entities: list[dict]) -> Tracker:
    return Tracker("customer-1", {}, {"text": text, "entities": entities}, [], False, None, {}, None)


def _code(text: str, code: str) -> dict:
    start = text.index(code)
    return {"entity": "fund_code", "start": start, "end": start + len(code), "value": code}


@pytest.mark.parametrize("text, code, expected", [
    ("991002", "991002", True),
    (" 991002。", "991002", True),
    ("991002!", "991002", True),
    ("991002 怎么样", "991002", False),          # a question about the fund, not an answer
    ("what about 991002", "991002", False),
    ("买 991002", "991002", False),              # a purchase request of its own (buy_fund's business)
])
def test_a_code_alone_is_a_bare_answer(text, code, expected):
    assert only_names_a_fund(_tracker(text, [_code(text, code)])) is expected


def test_a_fund_name_alone_is_a_bare_answer_and_text_without_a_fund_is_not():
    name = "远岫现金宝货币"
    named = {"entity": "fund_name", "start": 0, "end": len(name), "value": "991002"}
    assert only_names_a_fund(_tracker(name, [named])) is True
    assert only_names_a_fund(_tracker("五千", [{"entity": "amount", "start": 0, "end": 2, "value": "5000"}])) is False
    assert only_names_a_fund(_tracker("hello", [])) is False
