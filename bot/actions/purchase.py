"""Buying a fund: find it, check suitability, state the terms, and record the
request only after an explicit "yes". Nothing is bought without one."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.advice import (amount_cents_from, bare_amount, find_fund, fund_mentions, level_text,
                                unresolved_fund_text)
from bot.actions.context import buttons, entity_value, language, require_customer, say, service
from recommender.explain import format_money, fund_type_name
from recommender.schema import level_number
from recommender.store import repositories

CONFIRM_BUTTONS = [("确认购买", "Yes, buy it", "/affirm"), ("取消", "Cancel", "/deny")]


class ActionPreparePurchase(Action):
    """Runs on buy_fund, and again on a bare answer while details are missing."""

    def name(self) -> Text:
        return "action_prepare_purchase"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        cid = require_customer(dispatcher, tracker)
        if cid is None:
            return [SlotSet("purchase_stage", None)]
        lang = language(tracker)
        pending: Dict[str, Any] = dict(tracker.get_slot("purchase") or {})
        catalogue = service().catalogue()
        fund = find_fund(tracker, catalogue)
        if fund is not None:
            pending["fund_code"] = str(fund["fund_code"])
        amount = amount_cents_from(entity_value(tracker, "amount"))
        # a bare number answers "how much?", or changes the amount just stated for confirmation;
        # not when the message names a fund ("991003" is a code, not ¥991,003)
        if (amount is None and not fund_mentions(tracker) and "fund_code" in pending
                and tracker.get_slot("purchase_stage") in ("need_amount", "confirm")):
            amount = amount_cents_from(bare_amount(tracker.latest_message.get("text") or ""))
        if amount is not None:
            pending["amount_cents"] = amount

        if "fund_code" not in pending:
            unknown = unresolved_fund_text(tracker)
            if unknown:
                say(dispatcher, tracker, f"产品目录里没有“{unknown}”这只基金，请告诉我正确的名称或 6 位代码。",
                    f"There is no fund \"{unknown}\" in our catalogue. Which fund do you mean (name or 6-digit code)?")
            else:
                say(dispatcher, tracker, "你想买哪只基金？请告诉我名称或 6 位代码。",
                    "Which fund would you like to buy? Give me its name or 6-digit code.")
            return [SlotSet("purchase", pending or None), SlotSet("purchase_stage", "need_fund")]

        row = catalogue[catalogue["fund_code"] == pending["fund_code"]].iloc[0]
        name = row["name_zh"] if lang == "zh" else row["name_en"]
        assessment = service().assessment(cid)
        today = service().today()
        if assessment is None or not assessment.is_valid_on(today):
            dispatcher.utter_message(response="utter_offer_questionnaire")
            say(dispatcher, tracker, "完成测评后才能购买基金。", "You can buy funds once the questionnaire is done.")
            return [SlotSet("purchase", None), SlotSet("purchase_stage", None)]
        if level_number(row["risk_rating"]) > level_number(assessment.risk_level):
            say(dispatcher, tracker,
                f"{name}（{row['fund_code']}）的风险等级是 {row['risk_rating']}，高于你的风险等级 "
                f"{level_text(assessment.risk_level, lang)}，按规定不能购买。你可以购买 R{assessment.risk_level[1]} "
                f"及以下的产品，要我推荐合适的吗？",
                f"{name} ({row['fund_code']}) is rated {row['risk_rating']}, above your risk level "
                f"{level_text(assessment.risk_level, lang)}, so I can't sell it to you. You can buy products rated "
                f"up to R{assessment.risk_level[1]}; shall I suggest some?",
                buttons=buttons(tracker, [("推荐合适的基金", "Suggest suitable funds", "/request_recommendation")]))
            return [SlotSet("purchase", None), SlotSet("purchase_stage", None)]
        if "amount_cents" not in pending:
            say(dispatcher, tracker, f"你想买多少 {name}？", f"How much of {name} would you like to buy?")
            return [SlotSet("purchase", pending), SlotSet("purchase_stage", "need_amount")]
        minimum = int(row["min_purchase_cents"])
        if pending["amount_cents"] < minimum:
            say(dispatcher, tracker, f"{name} 的起购金额是 {format_money(minimum, lang)}，请输入不低于这个数的金额。",
                f"The minimum for {name} is {format_money(minimum, lang)}; please give at least that amount.")
            pending.pop("amount_cents")
            return [SlotSet("purchase", pending), SlotSet("purchase_stage", "need_amount")]

        pending.update(fund_risk_rating=row["risk_rating"], customer_level=assessment.risk_level,
                       assessment_id=assessment.assessment_id)
        fee = float(row["subscription_fee_pct"])
        say(dispatcher, tracker,
            f"请确认：买入 {name}（{row['fund_code']}，{fund_type_name(row['fund_type'], lang)}，{row['risk_rating']}）"
            f"{format_money(pending['amount_cents'], lang)}，申购费率 {fee:g}%，赎回 T+{int(row['redemption_days'])} 到账。"
            f"基金有风险，投资需谨慎。确认购买吗？",
            f"Please confirm: buy {format_money(pending['amount_cents'], lang)} of {name} ({row['fund_code']}, "
            f"{fund_type_name(row['fund_type'], lang)}, {row['risk_rating']}), subscription fee {fee:g}%, "
            f"redemption T+{int(row['redemption_days'])}. Funds carry risk. Shall I go ahead?",
            buttons=buttons(tracker, CONFIRM_BUTTONS))
        return [SlotSet("purchase", pending), SlotSet("purchase_stage", "confirm")]


class ActionConfirmPurchase(Action):
    def name(self) -> Text:
        return "action_confirm_purchase"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        cid = require_customer(dispatcher, tracker)
        pending = tracker.get_slot("purchase") or {}
        done = [SlotSet("purchase", None), SlotSet("purchase_stage", None)]
        if cid is None or tracker.get_slot("purchase_stage") != "confirm" or "customer_level" not in pending:
            say(dispatcher, tracker, "没有待确认的购买。", "There is no purchase waiting for your confirmation.")
            return done
        # Check suitability again at the moment of confirmation: the level may have changed.
        assessment = service().assessment(cid)
        if (assessment is None or not assessment.is_valid_on(service().today())
                or level_number(pending["fund_risk_rating"]) > level_number(assessment.risk_level)):
            say(dispatcher, tracker, "你的风险等级已变化，这笔购买不再适合，已取消。",
                "Your risk level has changed and this purchase is no longer suitable, so it was cancelled.")
            return done
        request_id = repositories.add_purchase_request(
            service().engine, customer_id=cid, fund_code=pending["fund_code"], amount_cents=pending["amount_cents"],
            fund_risk_rating=pending["fund_risk_rating"], customer_level=assessment.risk_level,
            assessment_id=assessment.assessment_id, channel="chat", conversation_id=tracker.sender_id)
        lang = language(tracker)
        say(dispatcher, tracker,
            f"已提交购买申请（编号 P{request_id}）：{pending['fund_code']} {format_money(pending['amount_cents'], lang)}。"
            f"银行会在下一个交易日处理，结果会通知你。",
            f"Purchase request submitted (reference P{request_id}): {pending['fund_code']}, "
            f"{format_money(pending['amount_cents'], lang)}. The bank processes it on the next trading day and will "
            f"let you know.")
        return done


class ActionCancelPurchase(Action):
    def name(self) -> Text:
        return "action_cancel_purchase"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        say(dispatcher, tracker, "好的，已取消，什么都没有买。", "OK, cancelled. Nothing was bought.")
        return [SlotSet("purchase", None), SlotSet("purchase_stage", None)]


def last_bot_response(tracker: Tracker) -> Optional[str]:
    """The domain response name of the bot's latest message, if it was one."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return None
        if event.get("event") == "bot":
            return (event.get("metadata") or {}).get("utter_action")
    return None


class ActionAffirm(Action):
    """A "yes" outside a form: it confirms the purchase waiting for it, if any.

    The purchase stage is read here rather than by the dialogue policy, so a
    yes can never confirm a purchase that is not waiting for confirmation.
    """

    def name(self) -> Text:
        return "action_affirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if tracker.get_slot("purchase_stage") == "confirm":
            return ActionConfirmPurchase().run(dispatcher, tracker, domain)
        if last_bot_response(tracker) == "utter_offer_questionnaire":
            return [FollowupAction("action_start_questionnaire")]
        say(dispatcher, tracker, "好的。还有什么可以帮你？", "OK. What else can I do for you?")
        return []


class ActionDeny(Action):
    def name(self) -> Text:
        return "action_deny"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if tracker.get_slot("purchase_stage"):
            return ActionCancelPurchase().run(dispatcher, tracker, domain)
        say(dispatcher, tracker, "好的。还有什么可以帮你？", "OK. What else can I do for you?")
        return []


class ActionInform(Action):
    """A bare answer outside a form: the missing detail of a purchase, a new amount or fund
    for the purchase waiting for its yes (stated again, still waiting), else a nudge."""

    def name(self) -> Text:
        return "action_inform"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        stage = tracker.get_slot("purchase_stage")
        if stage in ("need_fund", "need_amount") or (stage == "confirm" and _changes_purchase(tracker)):
            return ActionPreparePurchase().run(dispatcher, tracker, domain)
        say(dispatcher, tracker, "收到。你想用它做什么呢？比如查消费、推荐基金或买基金。",
            "Got it. What would you like to do with that: check spending, get fund suggestions, or buy a fund?",
            buttons=buttons(tracker, [("推荐基金", "Suggest funds", "/request_recommendation"),
                                      ("查消费", "My spending", "/ask_spending")]))
        return []


def _changes_purchase(tracker: Tracker) -> bool:
    """Does a bare answer name another amount or fund for the purchase waiting for its yes?"""
    if any(entity_value(tracker, kind) is not None for kind in ("amount", "fund_code", "fund_name")):
        return True
    return bare_amount(tracker.latest_message.get("text") or "") is not None
