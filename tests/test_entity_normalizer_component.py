"""FinbotEntityNormalizer as Rasa runs it: created from a config, processing Messages."""
from __future__ import annotations

import json
import os

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.data import TrainingType
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.common import override_defaults

from bot.components.entity_normalizer import FinbotEntityNormalizer
from bot.normalise.vocab import find_categories
from recommender import schema

TODAY = "2026-03-15"
CATALOGUE_ROWS = [
    ("880001", "青枫天天利货币A", "Qingfeng Daily Yield Money Market A", "money_market", "R1"),
    ("880002", "青枫纯债债券A", "Qingfeng Pure Bond A", "bond", "R2"),
    ("880003", "青枫纯债债券C", "Qingfeng Pure Bond C", "bond", "R2"),
    ("880005", "白塔科技先锋股票", "Baita Tech Pioneer Equity", "equity", "R5"),
]


@pytest.fixture(scope="module")
def catalogue_csv(tmp_path_factory):
    """A valid catalogue file in the real format, so the component loads it the production way."""
    rows = []
    for code, name_zh, name_en, fund_type, rating in CATALOGUE_ROWS:
        rows.append({
            "fund_code": code, "name_zh": name_zh, "name_en": name_en, "manager_zh": "测试基金",
            "manager_en": "Test Funds", "fund_type": fund_type, "risk_rating": rating, "currency": "CNY",
            "subscription_fee_pct": "0.00", "management_fee_pct": "0.50", "custody_fee_pct": "0.10",
            "redemption_days": "1", "min_holding_days": "0", "min_purchase": "1.00", "return_1y_pct": "2.00",
            "return_3y_annualised_pct": "2.00", "volatility_pct": "1.00", "max_drawdown_pct": "0.50",
            "inception_date": "2020-01-01", "synthetic": "true",
        })
    path = tmp_path_factory.mktemp("catalogue") / "funds.csv"
    pd.DataFrame(rows, columns=list(schema.FUND_COLUMNS)).to_csv(path, index=False)
    return str(path)


@pytest.fixture(scope="module")
def normalizer(catalogue_csv):
    return FinbotEntityNormalizer.create({"today": TODAY, "catalogue_path": catalogue_csv}, None, None, None)


def entity(text: str, kind: str, fragment: str, value=None) -> dict:
    start = text.index(fragment)
    return {"entity": kind, "start": start, "end": start + len(fragment),
            "value": fragment if value is None else value, "extractor": "DIETClassifier"}


def run(component, text: str, *entities: dict, intent: str | None = None) -> list[dict]:
    message = Message(data={"text": text, "entities": list(entities)})
    if intent:
        message.set("intent", {"name": intent, "confidence": 0.9})
    component.process([message])
    result = message.get("entities")
    json.dumps(result, ensure_ascii=False)  # tracker events and slots are JSON
    return result


def by_type(entities: list[dict], kind: str) -> list[dict]:
    return [e for e in entities if e["entity"] == kind]


# ---- normalising what the extractors found ------------------------------------------------


@pytest.mark.parametrize("text, kind, fragment, expected", [
    ("买两万块的基金", "amount", "两万块", "20000.00"),
    ("invest about 50k please", "amount", "about 50k", "50000.00"),
    ("转 ¥3,000.50 给我", "amount", "¥3,000.50", "3000.50"),
    ("上个月餐饮花了多少", "time_period", "上个月", {"start": "2026-02-01", "end": "2026-02-28", "label": "last_month"}),
    ("spending in the last 3 months", "time_period", "the last 3 months",
     {"start": "2025-12-16", "end": "2026-03-15", "label": "last_3_months"}),
    ("投三年", "horizon", "三年", 36),
    ("for the long term", "horizon", "long term", 60),
    ("上个月餐饮花了多少", "category", "餐饮", "dining"),
    ("how much on resturants", "category", "resturants", "dining"),
    ("我想买货基", "fund_type", "货基", "money_market"),
    ("is an idex fund good", "fund_type", "idex fund", "index"),
])
def test_normalises_each_entity_type(normalizer, text, kind, fragment, expected):
    [found] = by_type(run(normalizer, text, entity(text, kind, fragment)), kind)
    assert found["value"] == expected
    assert found["normalised"] is True
    assert found["raw_value"] == fragment
    assert found["extractor"] == "DIETClassifier"            # still the extractor's entity
    assert "FinbotEntityNormalizer" in found["processors"]


def test_amount_is_an_exact_string_with_currency(normalizer):
    [amount] = run(normalizer, "买10万", entity("买10万", "amount", "10万"))
    assert amount["value"] == "100000.00" and isinstance(amount["value"], str) and amount["currency"] == "CNY"


def test_the_span_text_is_tried_when_the_value_was_replaced(normalizer):
    # e.g. a synonym mapper replaced the value with something the parser does not know
    text = "上个月花了多少"
    [period] = run(normalizer, text, entity(text, "time_period", "上个月", value="LAST_MONTH_SYNONYM"))
    assert period["value"]["label"] == "last_month"
    assert period["raw_value"] == "LAST_MONTH_SYNONYM"


def test_today_comes_from_the_config(catalogue_csv):
    january = FinbotEntityNormalizer.create({"today": "2026-01-10", "catalogue_path": catalogue_csv}, None, None, None)
    [period] = run(january, "上个月", entity("上个月", "time_period", "上个月"))
    assert period["value"] == {"start": "2025-12-01", "end": "2025-12-31", "label": "last_month"}


@pytest.mark.parametrize("text, kind, fragment, reason", [
    ("三年", "amount", "三年", "no_amount"),              # a horizon tagged as an amount
    ("上个月", "amount", "上个月", "no_amount"),
    ("$100 please", "amount", "$100", "not_cny"),
    ("hello", "time_period", "hello", "no_period"),
    ("hello", "horizon", "hello", "no_horizon"),
    ("天气", "category", "天气", "unknown_category"),
    ("基金", "fund_type", "基金", "unknown_fund_type"),
])
def test_unnormalisable_entities_keep_their_raw_value(normalizer, text, kind, fragment, reason):
    [found] = run(normalizer, text, entity(text, kind, fragment))
    assert found["normalised"] is False and found["reason"] == reason
    assert found["value"] == fragment == found["raw_value"]


def test_non_cny_amount_says_which_currency(normalizer):
    [amount] = run(normalizer, "$100", entity("$100", "amount", "$100"))
    assert amount["currency"] == "USD" and amount["normalised"] is False


@pytest.mark.parametrize("text, tagged, fragment, becomes, value", [
    ("buy 000198", "amount", "000198", "fund_code", "000198"),      # leading zero: a code, not one we sell
    ("buy 880005", "amount", "880005", "fund_code", "880005"),      # a catalogue code
    ("8000", "fund_code", "8000", "amount", "8000.00"),             # too short for a code: money
    ("就买1万", "fund_code", "1万", "amount", "10000.00"),
])
def test_a_number_tagged_as_the_wrong_type_is_retyped_by_its_format(normalizer, text, tagged, fragment, becomes, value):
    [found] = run(normalizer, text, entity(text, tagged, fragment))
    assert (found["entity"], found["value"], found["retyped_from"], found["normalised"]) == (becomes, value, tagged, True)
    assert found["raw_value"] == fragment
    if becomes == "fund_code":
        assert found["resolved"] is (value == "880005")


@pytest.mark.parametrize("text, kind, fragment", [("hello", "fund_code", "hello"), ("上个月", "amount", "上个月")])
def test_text_that_is_neither_keeps_its_type(normalizer, text, kind, fragment):
    [found] = run(normalizer, text, entity(text, kind, fragment))
    assert found["entity"] == kind and found["normalised"] is False and "retyped_from" not in found


def test_a_six_digit_amount_that_is_no_fund_code_is_money(normalizer):
    [amount] = run(normalizer, "invest 100000", entity("invest 100000", "amount", "100000"))
    assert amount["value"] == "100000.00" and amount["normalised"] is True


# ---- funds ----------------------------------------------------------------------------------


def test_fund_code_in_catalogue_is_resolved(normalizer):
    [code] = run(normalizer, "880005 怎么样", entity("880005 怎么样", "fund_code", "880005"))
    assert code["value"] == "880005" and code["resolved"] is True and code["normalised"] is True
    assert code["fund_name_zh"] == "白塔科技先锋股票"


def test_fund_code_not_in_catalogue_is_well_formed_but_unresolved(normalizer):
    [code] = run(normalizer, "000198 怎么样", entity("000198 怎么样", "fund_code", "000198"))
    assert code["value"] == "000198" and code["resolved"] is False and code["normalised"] is True
    assert code["reason"] == "not_in_catalogue"


def test_fund_name_resolves_to_its_code(normalizer):
    text = "白塔科技先锋怎么样"
    [name] = run(normalizer, text, entity(text, "fund_name", "白塔科技先锋"))
    assert name["value"] == "880005" and name["resolved"] is True and name["raw_value"] == "白塔科技先锋"


def test_ambiguous_fund_name_stays_raw_with_candidates(normalizer):
    text = "买青枫纯债债券"
    [name] = run(normalizer, text, entity(text, "fund_name", "青枫纯债债券"))
    assert name["value"] == "青枫纯债债券" and name["resolved"] is False and name["normalised"] is False
    assert set(name["candidates"][:2]) == {"880002", "880003"}


def test_without_a_catalogue_funds_stay_unresolved():
    component = FinbotEntityNormalizer.create({"today": TODAY, "catalogue_path": False}, None, None, None)
    entities = run(component, "880005 和 白塔科技", entity("880005 和 白塔科技", "fund_code", "880005"),
                   entity("880005 和 白塔科技", "fund_name", "白塔科技"))
    code, name = by_type(entities, "fund_code")[0], by_type(entities, "fund_name")[0]
    assert code["value"] == "880005" and code["resolved"] is False and code["normalised"] is True
    assert name["value"] == "白塔科技" and name["resolved"] is False and name["normalised"] is False
    assert by_type(entities, "amount") == []  # and nothing mistakes the code for money


def test_an_unloadable_catalogue_does_not_break_the_bot(tmp_path):
    broken = tmp_path / "funds.csv"
    broken.write_text("not,a,catalogue\n", encoding="utf-8")
    component = FinbotEntityNormalizer.create({"today": TODAY, "catalogue_path": str(broken)}, None, None, None)
    [name] = run(component, "白塔科技", entity("白塔科技", "fund_name", "白塔科技"))
    assert name["resolved"] is False


# ---- entities the extractors missed ---------------------------------------------------------


def test_adds_what_the_extractors_missed(normalizer):
    text = "I have 50k to invest for 3 years, maybe in 880001, how did I do last month"
    entities = run(normalizer, text)
    added = {e["entity"]: e for e in entities}
    assert set(added) == {"amount", "horizon", "fund_code", "time_period"}
    assert all(e["extractor"] == "FinbotEntityNormalizer" and e["normalised"] for e in entities)
    assert added["amount"]["value"] == "50000.00" and text[added["amount"]["start"]:added["amount"]["end"]] == "50k"
    assert added["horizon"]["value"] == 36
    assert added["fund_code"]["value"] == "880001" and added["fund_code"]["resolved"] is True
    assert added["time_period"]["value"]["label"] == "last_month"
    assert [e["start"] for e in entities] == sorted(e["start"] for e in entities)


def test_adds_nothing_for_a_type_the_extractors_found(normalizer):
    text = "买两万块，或者三万"
    entities = run(normalizer, text, entity(text, "amount", "两万块"))
    assert [e["raw_value"] for e in by_type(entities, "amount")] == ["两万块"]


def test_added_entities_never_overlap_existing_ones(normalizer):
    text = "最近三年收益"
    entities = run(normalizer, text, entity(text, "time_period", "最近三年"))
    assert by_type(entities, "horizon") == []


@pytest.mark.parametrize("text", [
    "buy 000198",          # not a catalogue code, and never an amount
    "buy 110022 please",   # a bare 6-digit number is not money when scanning
    "may I see my balance",
    "I am 35 years old and live at number 2024",
])
def test_scanning_does_not_invent_amounts_periods_or_horizons(normalizer, text):
    entities = run(normalizer, text)
    assert by_type(entities, "amount") == [] and by_type(entities, "time_period") == []
    assert by_type(entities, "horizon") == []


@pytest.mark.parametrize("text, intent, added", [
    ("how are you doing today", "greet", []),                    # small talk: "today" is no query period
    ("bye, have a great weekend", "goodbye", []),
    ("周末赎回什么时候到账", "faq", []),
    ("短期赎回费为什么这么高", "faq/fees", []),                    # retrieval sub-intent
    ("how much did I spend today", "ask_spending", ["time_period"]),
    ("I can put 5k a month aside", "ask_cashflow", ["amount"]),   # "a month" is a rate, not a horizon
    ("I'd like something for 3 years with 50k", "request_recommendation", ["horizon", "amount"]),  # text order
    ("is 880005 any good", "ask_fund_info", ["fund_code"]),        # codes are added for any intent
])
def test_entities_are_added_only_where_the_intent_needs_them(normalizer, text, intent, added):
    assert [e["entity"] for e in run(normalizer, text, intent=intent)] == added


@pytest.mark.parametrize("text, intent, kind, span, value", [
    ("how much did I spend on dining last month", "ask_spending", "category", "dining", "dining"),
    ("上个月外卖花了多少", "ask_spending", "category", "外卖", "dining"),
    ("上个月 groceries 花了多少", "ask_spending", "category", "groceries", "groceries"),
    ("餐饮", "inform", "category", "餐饮", "dining"),                        # answering "which category?"
    ("推荐几个债基", "request_recommendation", "fund_type", "债基", "bond"),
    ("what's an index fund", "ask_fund_info", "fund_type", "index fund", "index"),
    ("买两万块的标普500指数基金", "buy_fund", "fund_type", "标普500指数基金", "qdii"),
    ("货基", "inform", "fund_type", "货基", "money_market"),
])
def test_adds_categories_and_fund_types_the_extractors_missed(normalizer, text, intent, kind, span, value):
    [found] = by_type(run(normalizer, text, intent=intent), kind)
    assert text[found["start"]:found["end"]] == span == found["raw_value"]
    assert found["value"] == value and found["normalised"] is True
    assert found["extractor"] == "FinbotEntityNormalizer"


@pytest.mark.parametrize("text, intent", [
    ("hi, I just had a great coffee", "greet"),
    ("thanks, that index fund sounds good", "thank"),
    ("上个月买债基花了多少", "ask_spending"),            # fund types are not asked about here
    ("I want to save for travel, what do you suggest", "request_recommendation"),  # nor categories here
])
def test_categories_and_fund_types_are_added_only_where_the_intent_needs_them(normalizer, text, intent):
    entities = run(normalizer, text, intent=intent)
    assert by_type(entities, "category") == [] and by_type(entities, "fund_type") == []


def test_every_category_of_a_message_is_added(normalizer):
    text = "上个月外卖和打车花了多少"
    categories = by_type(run(normalizer, text, intent="ask_spending"), "category")
    assert [(c["value"], c["raw_value"]) for c in categories] == [("dining", "外卖"), ("transport", "打车")]


def test_a_category_an_extractor_found_is_not_added_again(normalizer):
    text = "外卖和打车花了多少"
    [category] = by_type(run(normalizer, text, entity(text, "category", "外卖"), intent="ask_spending"), "category")
    assert category["extractor"] == "DIETClassifier" and category["value"] == "dining"


def test_a_fund_type_an_extractor_found_is_not_added_again(normalizer):
    text = "推荐债基"
    [fund_type] = by_type(run(normalizer, text, entity(text, "fund_type", "债基"), intent="request_recommendation"),
                          "fund_type")
    assert fund_type["extractor"] == "DIETClassifier" and fund_type["value"] == "bond"


def test_a_category_does_not_overlap_a_period_added_before_it(normalizer):
    text = "how much did I spend over the summer holidays"
    assert [m.value for m in find_categories(text)] == ["travel"]  # searched alone, "holidays" is travel
    entities = run(normalizer, text, intent="ask_spending")
    [period] = by_type(entities, "time_period")
    assert period["raw_value"] == "summer holidays"
    assert by_type(entities, "category") == []


def test_a_category_does_not_overlap_an_extractors_entity(normalizer):
    text = "how much on coffee"
    entities = run(normalizer, text, entity(text, "amount", "coffee"), intent="ask_spending")  # a wrong tag
    assert by_type(entities, "category") == []


def test_an_added_category_is_not_added_twice(normalizer):
    message = Message(data={"text": "上个月外卖花了多少"})
    message.set("intent", {"name": "ask_spending", "confidence": 0.9})
    normalizer.process([message])
    once = json.dumps(message.get("entities"), sort_keys=True, ensure_ascii=False)
    normalizer.process([message])
    assert json.dumps(message.get("entities"), sort_keys=True, ensure_ascii=False) == once
    assert len(by_type(message.get("entities"), "category")) == 1


def test_a_plain_list_config_adds_for_every_intent(catalogue_csv):
    component = FinbotEntityNormalizer.create(
        {"today": TODAY, "catalogue_path": catalogue_csv, "add_missing_entities": ["time_period"]}, None, None, None)
    [period] = run(component, "how are you doing today", intent="greet")
    assert period["entity"] == "time_period" and period["value"]["label"] == "today"
    assert run(component, "I have 50k", intent="greet") == []   # amount not in the list


def as_rasa_configures(user_config: dict) -> FinbotEntityNormalizer:
    """Create the component with the config merged the way Rasa's GraphNode merges it."""
    merged = override_defaults(FinbotEntityNormalizer.get_default_config(), user_config)
    return FinbotEntityNormalizer.create(merged, None, None, None)


def test_adding_can_be_switched_off(catalogue_csv):
    component = as_rasa_configures({"today": TODAY, "catalogue_path": catalogue_csv, "add_missing_entities": []})
    assert run(component, "I have 50k to invest for 3 years") == []


def test_a_mapping_from_config_replaces_the_default_one(catalogue_csv):
    component = as_rasa_configures({"today": TODAY, "catalogue_path": catalogue_csv,
                                    "add_missing_entities": {"amount": ["buy_fund"]}})
    assert [e["entity"] for e in run(component, "buy 50k of 880005 for 3 years", intent="buy_fund")] == ["amount"]
    assert run(component, "buy 50k", intent="request_recommendation") == []


# ---- robustness and Rasa wiring ---------------------------------------------------------------


@pytest.mark.parametrize("odd", [
    {"entity": "amount", "value": None},                                # no value, no span
    {"entity": "amount", "value": 5000},                                # not a string
    {"entity": "time_period", "value": {"already": "a dict"}, "start": 0, "end": 99},  # span out of range
    {"entity": "horizon", "value": ""},
    {"entity": "fund_name", "value": None, "start": 3, "end": 1},
    {"entity": "person", "value": "Alice"},                              # not ours: untouched
])
def test_odd_entities_never_raise(normalizer, odd):
    [result] = [e for e in run(normalizer, "", dict(odd)) if e["entity"] == odd["entity"]]
    if odd["entity"] == "person":
        assert result == odd
    else:
        assert result["normalised"] is False and result["raw_value"] == odd["value"]


def test_processing_twice_changes_nothing(normalizer):
    text = "上个月餐饮花了两万"
    message = Message(data={"text": text, "entities": [entity(text, "amount", "两万"), entity(text, "category", "餐饮")]})
    normalizer.process([message])
    once = json.dumps(message.get("entities"), sort_keys=True, ensure_ascii=False)
    normalizer.process([message])
    assert json.dumps(message.get("entities"), sort_keys=True, ensure_ascii=False) == once


def test_messages_without_text_or_entities(normalizer):
    message = Message(data={})
    normalizer.process([message])
    assert message.get("entities") == []


def test_registered_as_an_untrainable_entity_extractor_in_the_prediction_graph():
    config = {
        "recipe": "default.v1", "language": "zh",
        "pipeline": [{"name": "WhitespaceTokenizer"},
                     {"name": "bot.components.entity_normalizer.FinbotEntityNormalizer", "today": TODAY}],
    }
    graph = DefaultV1Recipe().graph_config_for_recipe(config, {}, TrainingType.NLU)
    [node] = [n for n in graph.predict_schema.nodes.values() if n.uses is FinbotEntityNormalizer]
    assert node.fn == "process" and node.config == {"today": TODAY}
    assert not any(n.uses is FinbotEntityNormalizer for n in graph.train_schema.nodes.values())  # nothing to train
    registered = DefaultV1Recipe._registered_components["FinbotEntityNormalizer"]
    assert registered.is_trainable is False
    assert registered.types == {DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR}


def test_default_config_uses_the_packaged_catalogue_and_the_servers_date():
    defaults = FinbotEntityNormalizer.get_default_config()
    assert defaults["today"] is None and defaults["catalogue_path"] is None
    component = FinbotEntityNormalizer.create({}, None, None, None)
    if component.catalogue is None:
        pytest.skip("packaged fund catalogue not available")
    code = str(component.catalogue["fund_code"].iloc[0])
    [found] = run(component, f"{code} 怎么样")
    assert found["entity"] == "fund_code" and found["resolved"] is True


_ALPHABET = st.sampled_from(list("0123456789０１２.,，-~/ ¥$kKwWmM万千百十亿零一二两三四五六七八九年月日号周天个半到至以来上下本这近最过去前今"
                                 "abcdefghijklmnopqrstuvwxyz") + ["last ", "past ", "months", "years", "since ", "between ",
                                                                   " and ", "Q", "H", "元", "块", "以上", "不到", "几",
                                                                   "外卖", "债基", "标普500", "指数", "dining", "index fund",
                                                                   "holidays", "resturants"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=20).map("".join))
def test_any_text_is_processed_without_raising(normalizer, text):
    entities = run(normalizer, text, {"entity": "amount", "value": text},
                   {"entity": "time_period", "value": text}, {"entity": "horizon", "value": text})
    for found in entities:
        if found.get("extractor") == "FinbotEntityNormalizer":  # added: spans point into the text
            assert 0 <= found["start"] < found["end"] <= len(text)
            assert found["raw_value"] == text[found["start"]:found["end"]]
        else:
            assert found["normalised"] in (True, False) and found.get("reason") != "error"


def test_finbot_today_sets_the_clock_when_the_config_does_not(monkeypatch):
    """The normaliser, the recommender and the actions share one clock."""
    from rasa.shared.nlu.training_data.message import Message

    from bot.components.entity_normalizer import FinbotEntityNormalizer

    monkeypatch.setenv("FINBOT_TODAY", "2026-03-15")
    component = FinbotEntityNormalizer.create(
        {**FinbotEntityNormalizer.get_default_config(), "catalogue_path": False}, None, None, None)
    message = Message(data={"text": "上个月花了多少", "intent": {"name": "ask_spending", "confidence": 1.0},
                            "entities": []})
    component.process([message])
    period = next(e for e in message.get("entities") if e["entity"] == "time_period")
    assert (period["value"]["start"], period["value"]["end"]) == ("2026-02-01", "2026-02-28")
