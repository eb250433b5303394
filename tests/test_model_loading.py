"""bot/model_loading.py: the eager weight build loads the same model Rasa's own loading does.

The CI model's ResponseSelector is a Rasa TensorFlow model (a DIET subclass),
so it goes through the replaced ``RasaModel.load``; its answers and every
intent's confidence must not change.
"""
from __future__ import annotations

import asyncio

import pytest

MESSAGES = ["我上个月在餐饮上花了多少钱", "how much is in my account", "赎回要几天到账", "what are the fees",
            "我的风险等级是什么", "is my money safe with you", "推荐几只 bond fund", "asdf qwer"]


def _parses(model_path) -> list[dict]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))
    loop = asyncio.new_event_loop()
    try:
        return [loop.run_until_complete(agent.parse_message(text)) for text in MESSAGES]
    finally:
        loop.close()


def _summary(parse: dict) -> dict:
    selected = {name: (answer["response"]["intent_response_key"], answer["response"]["confidence"])
                for name, answer in (parse.get("response_selector") or {}).items() if name != "all_retrieval_intents"}
    return {"intent": parse["intent"]["name"],
            "ranking": {r["name"]: r["confidence"] for r in parse.get("intent_ranking") or []},
            "entities": [(e["entity"], e.get("start"), e.get("end"), e.get("value")) for e in parse["entities"]],
            "selector": selected}


def test_fast_loading_gives_the_same_predictions_as_rasas_own(ci_model):
    from bot import model_loading

    with model_loading.rasa_default_loading():
        assert not model_loading.installed()
        rasa_own = [_summary(p) for p in _parses(ci_model)]
    model_loading.install()
    assert model_loading.installed()
    fast = [_summary(p) for p in _parses(ci_model)]

    assert any(s["selector"] for s in rasa_own), "the CI model should answer FAQs through its ResponseSelector"
    for text, ours, theirs in zip(MESSAGES, fast, rasa_own):
        assert ours["intent"] == theirs["intent"], text
        assert ours["entities"] == theirs["entities"], text
        assert ours["ranking"].keys() == theirs["ranking"].keys(), text
        for name, confidence in theirs["ranking"].items():
            assert ours["ranking"][name] == pytest.approx(confidence, abs=1e-5), (text, name)
        assert ours["selector"].keys() == theirs["selector"].keys(), text
        for name, (key, confidence) in theirs["selector"].items():
            assert ours["selector"][name][0] == key, text
            assert ours["selector"][name][1] == pytest.approx(confidence, abs=1e-5), text


def test_the_loaded_model_predicts_in_graph_mode(ci_model):
    """After the eager build the model is switched back, so predictions are compiled (fast) as Rasa's are."""
    from rasa.utils.tensorflow.models import RasaModel

    from bot import model_loading

    model_loading.install()
    built = []
    original = RasaModel.__dict__["load"]

    def spy(cls, *args, **kwargs):
        model = original.__func__(cls, *args, **kwargs)
        built.append(model)
        return model

    RasaModel.load = classmethod(spy)
    try:
        _parses(ci_model)
    finally:
        RasaModel.load = original
    assert built, "the CI model has at least one Rasa TensorFlow model"
    assert all(model.run_eagerly is False for model in built)
    assert all(model._tf_predict_step is not None for model in built)  # traced: predictions go through tf.function
