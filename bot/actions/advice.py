"""Risk level, fund suggestions with their reasons, and fund facts."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Optional, Text

import pandas as pd
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.context import buttons, entity_value, language, pick, require_customer, say, service
from bot.normalise.amounts import find_amounts, parse_amount
from bot.normalise.horizons import parse_horizon_months
from recommender.explain import format_money, format_number, fund_type_name
from recommender.pipeline import RecommendationRequest
from recommender.schema import FUND_TYPES, LEVEL_NAMES
from recommender.store import audit


def level_text(level: str, lang: str) -> str:
    zh, en = LEVEL_NAMES[level]
    return f"{level}（{zh}）" if lang == "zh" else f"{level} ({en})"


def amount_cents_from(value: Any) -> Optional[int]:
    """A slot/entity amount ("20000.00", or raw text such as "5万") -> cents, exactly."""
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = parse_amount(str(value))
    if amount is None or amount <= 0:
        return None
    return int((amount * 100).to_integral_value())


def horizon_months_from(value: Any) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value) if value >= 1 else None
    text = str(value).strip()
    if text.isdigit():  # button payloads carry months
        return int(text) if int(text) >= 1 else None
    return parse_horizon_months(text)


class ActionRiskLevel(Action):
    def name(self) -> Text:
        return "action_risk_level"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        cid = require_customer(dispatcher, tracker)
        if cid is None:
            return []
        lang = language(tracker)
        record = service().assessment(cid)
        today = service().today()
        if record is None:
            say(dispatcher, tracker, "你还没有做过风险测评。要现在做吗？",
                "You haven't taken the risk questionnaire yet. Would you like to now?",
                buttons=buttons(tracker, [("开始测评", "Start", "/start_risk_assessment")]))
            return []
        level = level_text(record.risk_level, lang)
        expires = record.expires_at.date().isoformat()
        if record.is_valid_on(today):
            say(dispatcher, tracker,
                f"你的风险等级是 {level}，有效期到 {expires}。你可以购买风险等级不超过 R{record.risk_level[1]} 的产品。",
                f"Your risk level is {level}, valid until {expires}. You can buy products rated up to "
                f"R{record.risk_level[1]}.")
        else:
            say(dispatcher, tracker,
                f"你上次的测评结果是 {level}，但已在 {expires} 过期。需要重新测评后才能推荐产品。",
                f"Your last result was {level}, but it expired on {expires}. Please retake the questionnaire "
                f"before I suggest products.",
                buttons=buttons(tracker, [("重新测评", "Retake it", "/start_risk_assessment")]))
        return []


class ActionCheckAssessment(Action):
    """Before a recommendation: is there a valid questionnaire? (sets assessment_valid)"""

    def name(self) -> Text:
        return "action_check_assessment"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        cid = require_customer(dispatcher, tracker)
        if cid is None:
            return [SlotSet("assessment_valid", False)]
        record = service().assessment(cid)
        valid = record is not None and record.is_valid_on(service().today())
        return [SlotSet("assessment_valid", valid)]


def bare_amount(text: str):
    """The amount in a reply to "how much?": a bare number ("20000") counts, since the bot just asked."""
    found = parse_amount(text)
    if found is None:
        matches = [m for m in find_amounts(text, explicit_only=False) if m.currency == "CNY"]
        found = matches[0].amount if matches else None
    return found


class ValidateRecommendationForm(FormValidationAction):
    """Amount and horizon, from the entity when NLU found one, else parsed from the text."""

    def name(self) -> Text:
        return "validate_recommendation_form"

    async def extract_amount(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "amount" or entity_value(tracker, "amount") is not None:
            return {}
        found = bare_amount(tracker.latest_message.get("text") or "")
        return {"amount": str(found)} if found is not None else {}

    async def extract_horizon(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "horizon" or entity_value(tracker, "horizon") is not None:
            return {}
        months = horizon_months_from(tracker.latest_message.get("text"))
        return {"horizon": months} if months else {}

    def validate_amount(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                        domain: DomainDict) -> Dict[Text, Any]:
        cents = amount_cents_from(value)
        if cents is None:
            say(dispatcher, tracker, "没看懂金额，请直接告诉我数字，比如“5万”或“20000”。",
                "I didn't catch the amount. Please give a number, like 50k or 20000.")
            return {"amount": None}
        return {"amount": f"{Decimal(cents) / 100:.2f}"}

    def validate_horizon(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> Dict[Text, Any]:
        months = horizon_months_from(value)
        if months is None:
            say(dispatcher, tracker, "没看懂期限，请说比如“半年”“3年”或“长期”。",
                "I didn't catch how long. Try something like 6 months, 3 years or long term.")
            return {"horizon": None}
        return {"horizon": months}


def describe_holdings(result: Dict[str, Any], lang: str) -> List[str]:
    lines = []
    for h in result["holdings"]:
        name = h["name_zh"] if lang == "zh" else h["name_en"]
        kind = fund_type_name(h["fund_type"], lang)
        share = format_number(h["weight"] * 100)
        lines.append(f"• {name}（{h['fund_code']}，{kind}，{h['risk_rating']}）：{format_money(h['amount_cents'], lang)}，占 {share}%"
                     if lang == "zh" else
                     f"• {name} ({h['fund_code']}, {kind}, {h['risk_rating']}): "
                     f"{format_money(h['amount_cents'], lang)}, {share}%")
    return lines


class ActionRecommendFunds(Action):
    def name(self) -> Text:
        return "action_recommend_funds"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        cid = require_customer(dispatcher, tracker)
        if cid is None:
            return []
        lang = language(tracker)
        cents = amount_cents_from(tracker.get_slot("amount"))
        months = horizon_months_from(tracker.get_slot("horizon")) or 36
        fund_type = tracker.get_slot("fund_type")
        fund_type = fund_type if fund_type in FUND_TYPES else None
        audited = service().recommend(cid, RecommendationRequest(cents, months, fund_type), channel="chat")
        result = audited.result.to_dict()
        reset = [SlotSet("amount", None), SlotSet("horizon", None), SlotSet("fund_type", None),
                 SlotSet("last_recommendation_id", audited.audit_id)]
        if result["status"] == "needs_questionnaire":
            for reason in result["reasons"]:
                dispatcher.utter_message(text=reason["text"][lang])
            dispatcher.utter_message(response="utter_offer_questionnaire")
            return reset
        if result["status"] == "nothing_to_invest" or not result["holdings"]:
            for reason in result["reasons"]:
                dispatcher.utter_message(text=reason["text"][lang])
            return reset
        head = pick(tracker, f"按你的情况（有效风险等级 {level_text(result['effective_level'], lang)}），我建议这样配置 "
                             f"{format_money(result['amount_allocated_cents'], lang)}：",
                    f"Given your situation (effective risk level {level_text(result['effective_level'], lang)}), "
                    f"here is how I'd place {format_money(result['amount_allocated_cents'], lang)}:")
        dispatcher.utter_message(text="\n".join([head, *describe_holdings(result, lang)]))
        key_reasons = [r for r in result["reasons"] if r["code"] in (
            "CAPACITY_CAP", "HORIZON_CAP", "EMERGENCY_FUND_FIRST", "EMERGENCY_TARGET_RAISED", "NEGATIVE_SURPLUS",
            "AMOUNT_ABOVE_INVESTABLE", "MODEL_PORTFOLIO")]
        if key_reasons:
            dispatcher.utter_message(text="\n".join(r["text"][lang] for r in key_reasons))
        dispatcher.utter_message(json_message={"chart": {
            "kind": "allocation",
            "title": pick(tracker, "建议配置", "Suggested allocation"),
            "labels": [h["name_zh"] if lang == "zh" else h["name_en"] for h in result["holdings"]],
            "fund_codes": [h["fund_code"] for h in result["holdings"]],
            "values_cents": [h["amount_cents"] for h in result["holdings"]],
        }})
        dispatcher.utter_message(
            text=result["disclosure"][lang],
            buttons=buttons(tracker, [("为什么这样推荐？", "Why these?", "/ask_why_recommendation")]))
        return reset


class ActionExplainRecommendation(Action):
    """'Why?': every reason and why-not of the customer's latest recommendation, from the audit record."""

    def name(self) -> Text:
        return "action_explain_recommendation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        cid = require_customer(dispatcher, tracker)
        if cid is None:
            return []
        lang = language(tracker)
        record_id = tracker.get_slot("last_recommendation_id")
        entry = audit.get_record(service().engine, int(record_id)) if record_id else None
        if entry is None or entry.content["customer_id"] != cid:
            entry = audit.latest_record_for(service().engine, cid)
        if entry is None:
            say(dispatcher, tracker, "我还没有给你推荐过基金。要我现在推荐吗？",
                "I haven't suggested any funds to you yet. Shall I?",
                buttons=buttons(tracker, [("推荐基金", "Suggest funds", "/request_recommendation")]))
            return []
        output = entry.content["output"]
        lines = [r["text"][lang] for r in output["reasons"]]
        lines += [r["text"][lang] for r in output.get("why_not", [])]
        head = pick(tracker, f"推荐理由（记录编号 #{entry.id}）：", f"The reasons (record #{entry.id}):")
        dispatcher.utter_message(text="\n".join([head, *("• " + line for line in lines)]))
        return []


class ActionFundInfo(Action):
    """Facts about one fund (code or name) or about a fund type."""

    def name(self) -> Text:
        return "action_fund_info"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if tracker.get_slot("purchase_stage") == "need_fund" and only_names_a_fund(tracker):
            # the bot has just asked which fund to buy: a bare code or name answers that, whatever NLU thought
            from bot.actions.purchase import ActionPreparePurchase
            return ActionPreparePurchase().run(dispatcher, tracker, domain)
        lang = language(tracker)
        catalogue = service().catalogue()
        fund = find_fund(tracker, catalogue)
        events: List[EventType] = [SlotSet("fund_code", None), SlotSet("fund_name", None), SlotSet("fund_type", None)]
        if fund is not None:
            dispatcher.utter_message(text=fund_facts(fund, lang))
            return events
        asked_code = unresolved_fund_text(tracker)
        fund_type = entity_value(tracker, "fund_type")
        if asked_code:
            say(dispatcher, tracker, f"我们的产品目录里没有找到“{asked_code}”。可以换个名称或 6 位代码再问我。",
                f"I can't find \"{asked_code}\" in our fund catalogue. Try another name or the 6-digit code.")
            return events
        if fund_type in FUND_TYPES:
            dispatcher.utter_message(text=fund_type_facts(fund_type, catalogue, lang))
            return events
        say(dispatcher, tracker, "你想了解哪只基金？告诉我名称或 6 位代码，或者问某类基金，比如“什么是货币基金”。",
            "Which fund? Give me its name or 6-digit code, or ask about a type, like \"what is a bond fund\".")
        return events


def fund_mentions(tracker: Tracker) -> List[Dict[Text, Any]]:
    """The fund_code and fund_name entities of the latest message, resolved against the catalogue or not."""
    return [e for e in (tracker.latest_message or {}).get("entities", [])
            if e.get("entity") in ("fund_code", "fund_name")]


def only_names_a_fund(tracker: Tracker) -> bool:
    """Is the latest message a fund's code or name and nothing else ("991002", "华信货币。")?"""
    text = (tracker.latest_message or {}).get("text") or ""
    spans = [(e["start"], e["end"]) for e in fund_mentions(tracker) if isinstance(e.get("start"), int)]
    if not spans:
        return False
    rest = "".join(ch for i, ch in enumerate(text) if not any(start <= i < end for start, end in spans))
    return not any(ch.isalnum() for ch in rest)


def unresolved_fund_text(tracker: Tracker) -> Optional[str]:
    """What the customer called a fund that the catalogue does not list, if anything."""
    for item in fund_mentions(tracker):
        if not item.get("resolved"):
            return str(item.get("raw_value") or item.get("value"))
    return None


def find_fund(tracker: Tracker, catalogue: pd.DataFrame) -> Optional[pd.Series]:
    """The catalogue row for the fund named in the latest message, if resolved."""
    for item in fund_mentions(tracker):
        if item.get("resolved"):
            match = catalogue[catalogue["fund_code"] == str(item.get("value"))]
            if not match.empty:
                return match.iloc[0]
    for slot in ("fund_code",):
        value = tracker.get_slot(slot)
        if value:
            match = catalogue[catalogue["fund_code"] == str(value)]
            if not match.empty:
                return match.iloc[0]
    return None


def fund_facts(fund: pd.Series, lang: str) -> str:
    name = fund["name_zh"] if lang == "zh" else fund["name_en"]
    kind = fund_type_name(fund["fund_type"], lang)
    settle = f"T+{int(fund['redemption_days'])}"
    minimum = format_money(int(fund["min_purchase_cents"]), lang)
    if lang == "zh":
        return (f"{name}（{fund['fund_code']}）是{kind}，风险等级 {fund['risk_rating']}。"
                f"近 1 年收益 {format_number(fund['return_1y_pct'])}%，近 3 年年化 "
                f"{format_number(fund['return_3y_annualised_pct'])}%，波动率 {format_number(fund['volatility_pct'])}%，"
                f"最大回撤 {format_number(fund['max_drawdown_pct'])}%。申购费 {format_number(fund['subscription_fee_pct'], 2)}%，"
                f"管理费 {format_number(fund['management_fee_pct'], 2)}%/年，{minimum} 起购，赎回 {settle} 到账"
                + (f"，最短持有 {int(fund['min_holding_days'])} 天" if int(fund["min_holding_days"]) else "")
                + "。（演示数据，非真实基金。）")
    return (f"{name} ({fund['fund_code']}) is a {kind} rated {fund['risk_rating']}. 1-year return "
            f"{format_number(fund['return_1y_pct'])}%, 3-year annualised {format_number(fund['return_3y_annualised_pct'])}%, "
            f"volatility {format_number(fund['volatility_pct'])}%, max drawdown {format_number(fund['max_drawdown_pct'])}%. "
            f"Subscription fee {format_number(fund['subscription_fee_pct'], 2)}%, management fee "
            f"{format_number(fund['management_fee_pct'], 2)}% a year, minimum {minimum}, redemption {settle}"
            + (f", minimum holding {int(fund['min_holding_days'])} days" if int(fund["min_holding_days"]) else "")
            + ". (Demo data, not a real fund.)")


_TYPE_EXPLAINED = {
    "money_market": ("货币基金投资短期存款和票据，风险最低（通常 R1），随存随取（T+0/T+1），适合放应急资金。",
                     "A money-market fund holds short-term deposits and bills: the lowest risk (usually R1), "
                     "cash back in T+0/T+1, good for an emergency fund."),
    "bond": ("债券基金主要投资债券，波动较小（多为 R2），适合一年以上、追求稳定收益的资金。",
             "A bond fund invests mainly in bonds: modest ups and downs (mostly R2), for money you can leave a "
             "year or more."),
    "hybrid": ("混合基金同时投资股票和债券，风险中等偏高（R3-R4），适合三年以上的资金。",
               "A hybrid fund mixes shares and bonds: medium to high risk (R3-R4), for three years or more."),
    "index": ("指数基金跟踪一个市场指数（如沪深300），费用低、分散，风险随指数波动（R3-R5）。",
              "An index fund tracks a market index (such as the CSI 300): low fees, broad spread, and it rises "
              "and falls with the market (R3-R5)."),
    "equity": ("股票基金主要投资股票，长期收益潜力高但波动大（R4-R5），适合五年以上的闲钱。",
               "An equity fund invests mainly in shares: higher long-run potential with big swings (R4-R5), "
               "for money you won't need for five years or more."),
    "qdii": ("QDII 基金投资海外市场，分散地域风险，但有汇率风险，赎回较慢（R4-R5）。",
             "A QDII fund invests abroad: it spreads risk across markets but adds currency risk and slower "
             "redemption (R4-R5)."),
}


def fund_type_facts(fund_type: str, catalogue: pd.DataFrame, lang: str) -> str:
    zh, en = _TYPE_EXPLAINED[fund_type]
    funds = catalogue[catalogue["fund_type"] == fund_type]
    count = len(funds)
    if lang == "zh":
        return f"{zh}我们目前有 {count} 只{fund_type_name(fund_type, lang)}可选。"
    return f"{en} We currently offer {count} of them."
