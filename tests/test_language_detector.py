"""Replies follow the language of the customer's message, mixed text included."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.components.language import LanguageDetector, detect_language

CASES = [
    ("你好", "zh"), ("hello there", "en"), ("我想买 index fund", "zh"), ("上个月 dining 花了多少", "zh"),
    ("帮我check一下balance", "zh"), ("risk level 是多少", "zh"), ("is 余额宝 safe", "en"),
    ("what is my 余额", "en"), ("推荐几个 bond fund 吧 5万块", "zh"), ("how much did I spend on 外卖", "en"),
    ("hi 你好", "zh"), ("ok", "en"), ("好的", "zh"), ("5万", "zh"), ("50000", None), ("👍", None), ("", None),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_detect_language(text, expected):
    assert detect_language(text) == expected


def test_component_adds_one_language_entity_and_keeps_others():
    component = LanguageDetector.create({}, None, None, None)
    message = Message(data={"text": "上个月 dining 花了多少", "entities": [
        {"entity": "category", "value": "dining", "start": 4, "end": 10},
        {"entity": "language", "value": "en", "start": 0, "end": 3}]})
    component.process([message])
    languages = [e for e in message.get("entities") if e["entity"] == "language"]
    assert [e["value"] for e in languages] == ["zh"]
    assert any(e["entity"] == "category" for e in message.get("entities"))


def test_component_leaves_language_unset_when_it_cannot_tell():
    component = LanguageDetector.create({}, None, None, None)
    message = Message(data={"text": "20000", "entities": []})
    component.process([message])
    assert message.get("entities") == []
