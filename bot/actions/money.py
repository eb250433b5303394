"""Answers from the customer's own data: balances, spending, income, cash flow."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.context import entity_value, language, require_customer, service
from bot.normalise.periods import parse_period
from recommender.explain import format_money, format_number

CATEGORY_NAMES = {
    "dining": ("餐饮", "dining"), "groceries": ("买菜和日用", "groceries"), "transport": ("交通", "transport"),
    "housing": ("住房", "housing"), "utilities": ("水电通讯", "utilities"), "shopping": ("购物", "shopping"),
    "entertainment": ("娱乐", "entertainment"), "health": ("医疗健康", "health"), "education": ("教育", "education"),
    "travel": ("旅行", "travel"), "insurance": ("保险", "insurance"), "other": ("其他", "other"),
    "salary": ("工资", "salary"), "bonus": ("奖金", "bonus"), "investment_income": ("投资收益", "investment income"),
    "other_income": ("其他收入", "other income"),
}
ACCOUNT_TYPE_NAMES = {
    "current": ("活期账户", "current account"), "savings": ("储蓄账户", "savings account"),
    "credit_card": ("信用卡", "credit card"), "money_market_fund": ("货币基金账户", "money-market fund"),
    "term_deposit": ("定期存款", "term deposit"),
}


def category_name(category: str, lang: str) -> str:
    zh, en = CATEGORY_NAMES.get(category, (category, category))
    return zh if lang == "zh" else en


def requested_period(tracker: Tracker, today: date) -> Tuple[date, date, Optional[str]]:
    """The period the customer named, else last calendar month.

    The words are parsed again against the service's clock (the NLU
    normaliser may run with another "today", e.g. in a test at a fixed date).
    """
    for item in (tracker.latest_message or {}).get("entities", []):
        if item.get("entity") != "time_period":
            continue
        period = parse_period(str(item.get("raw_value") or ""), today) if item.get("raw_value") else None
        if period is not None:
            return period.start, min(period.end, today), period.label
        value = item.get("value")
        if isinstance(value, dict) and value.get("start") and value.get("end"):
            start, end = date.fromisoformat(value["start"]), date.fromisoformat(value["end"])
            if start <= min(end, today):
                return start, min(end, today), value.get("label")
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end, None


def period_text(start: date, end: date, lang: str) -> str:
    if lang == "zh":
        return f"{start.isoformat()} 至 {end.isoformat()}"
    return f"{start.isoformat()} to {end.isoformat()}"


def change_text(summary: Dict[str, Any], lang: str) -> str:
    previous = summary["previous_period"]
    change = summary["change_cents"]
    if previous["total_cents"] == 0:
        return pick_lang(lang, "前一期没有可比的数据。", "There is nothing to compare with in the period before.")
    pct = summary.get("change_pct")
    pct_text = f"（{format_number(pct)}%）" if lang == "zh" else f" ({format_number(pct)}%)"
    if change == 0:
        return pick_lang(lang, "和前一期持平。", "That's the same as the period before.")
    if lang == "zh":
        word = "多" if change > 0 else "少"
        return f"比前一期（{previous['start']} 至 {previous['end']}）{word} {format_money(abs(change), lang)}{pct_text}。"
    word = "more" if change > 0 else "less"
    return (f"That's {format_money(abs(change), lang)} {word} than the period before "
            f"({previous['start']} to {previous['end']}){pct_text}.")


def pick_lang(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


class ActionCheckBalance(Action):
    def name(self) -> Text:
        return "action_check_balance"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        cid = require_customer(dispatcher, tracker)
        if cid is None:
            return []
        lang = language(tracker)
        accounts = service().accounts(cid)
        lines = []
        for row in accounts.itertuples():
            kind = ACCOUNT_TYPE_NAMES.get(row.account_type, (row.account_type, row.account_type))
            label = kind[0] if lang == "zh" else kind[1]
            tail = str(row.account_id)[-4:]
            lines.append(f"• {label} (…{tail}): {format_money(int(row.balance_cents), lang)}")
        liquid = int(accounts[accounts["account_type"].isin(["current", "savings", "money_market_fund"])]
                     ["balance_cents"].sum())
        as_of = max(accounts["balance_as_of"]).isoformat() if len(accounts) else "-"
        header = pick_lang(lang, f"截至 {as_of}，你的账户余额：", f"Your balances as of {as_of}:")
        footer = pick_lang(lang, f"可随时动用的资金合计 {format_money(liquid, lang)}。",
                           f"Money you can use right away: {format_money(liquid, lang)}.")
        dispatcher.utter_message(text="\n".join([header, *lines, footer]))
        return []


class ActionSpending(Action):
    def name(self) -> Text:
        return "action_spending"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        cid = require_customer(dispatcher, tracker)
        if cid is None:
            return []
        lang = language(tracker)
        today = service().today()
        start, end, _label = requested_period(tracker, today)
        category = entity_value(tracker, "category")
        if category not in CATEGORY_NAMES:
            category = None
        summary = service().spending(cid, start, end, category=category)
        total = summary["total_cents"]
        period = period_text(start, end, lang)
        if category:
            name = category_name(category, lang)
            head = pick_lang(lang, f"{period}，你在{name}上花了 {format_money(total, lang)}。",
                             f"From {period} you spent {format_money(total, lang)} on {name}.")
        else:
            head = pick_lang(lang, f"{period}，你一共花了 {format_money(total, lang)}。",
                             f"From {period} you spent {format_money(total, lang)} in total.")
        parts = [head, change_text(summary, lang)]
        if summary["top_merchants"]:
            merchants = "、".join if lang == "zh" else ", ".join
            listed = merchants(f"{m['merchant']} {format_money(m['cents'], lang)}" for m in summary["top_merchants"])
            parts.append(pick_lang(lang, f"花得最多的是：{listed}。", f"Top merchants: {listed}."))
        by_category = {k: v for k, v in summary["by_category"].items() if v > 0}
        if not category and by_category:
            top = sorted(by_category.items(), key=lambda kv: -kv[1])[:3]
            listed = ("、" if lang == "zh" else ", ").join(
                f"{category_name(k, lang)} {format_money(v, lang)}" for k, v in top)
            parts.append(pick_lang(lang, f"主要花在：{listed}。", f"Biggest categories: {listed}."))
        dispatcher.utter_message(text="".join(parts) if lang == "zh" else " ".join(parts))
        if not category and by_category:
            dispatcher.utter_message(json_message={"chart": {
                "kind": "spending_by_category",
                "title": pick_lang(lang, f"消费分布（{period}）", f"Spending by category ({period})"),
                "labels": [category_name(k, lang) for k in by_category],
                "categories": list(by_category),
                "values_cents": list(by_category.values()),
            }})
        return [SlotSet("time_period", None), SlotSet("category", None)]


class ActionIncome(Action):
    def name(self) -> Text:
        return "action_income"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        cid = require_customer(dispatcher, tracker)
        if cid is None:
            return []
        lang = language(tracker)
        start, end, _ = requested_period(tracker, service().today())
        summary = service().income(cid, start, end)
        period = period_text(start, end, lang)
        parts = [pick_lang(lang, f"{period}，你的收入一共 {format_money(summary['total_cents'], lang)}。",
                           f"From {period} your income was {format_money(summary['total_cents'], lang)}.")]
        sources = {k: v for k, v in summary["by_category"].items() if v}
        if sources:
            listed = ("、" if lang == "zh" else ", ").join(
                f"{category_name(k, lang)} {format_money(v, lang)}" for k, v in sorted(sources.items(),
                                                                                    key=lambda kv: -kv[1]))
            parts.append(pick_lang(lang, f"其中：{listed}。", f"Made up of: {listed}."))
        parts.append(change_text(summary, lang))
        dispatcher.utter_message(text="".join(parts) if lang == "zh" else " ".join(parts))
        return [SlotSet("time_period", None)]


class ActionCashflow(Action):
    """Savings capacity: what the customer keeps each month and how safe the buffer is."""

    def name(self) -> Text:
        return "action_cashflow"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        cid = require_customer(dispatcher, tracker)
        if cid is None:
            return []
        lang = language(tracker)
        f = service().features(cid)
        rate = format_number(f.savings_rate * 100)
        income = format_money(f.median_monthly_income_cents, lang)
        spending = format_money(f.median_monthly_spending_cents, lang)
        surplus = format_money(f.conservative_monthly_surplus_cents, lang)
        months = format_number(f.emergency_fund_months)
        target = format_number(f.emergency_fund_target_months)
        if lang == "zh":
            text = (f"过去 {f.months_observed} 个月，你每月收入中位数 {income}，支出中位数 {spending}，"
                    f"储蓄率 {rate}%。保守估计（较差的月份）每月结余 {surplus}。"
                    f"你的活钱够 {months} 个月的必要开支（目标 {target} 个月）。")
        else:
            text = (f"Over the last {f.months_observed} months your median monthly income was {income} and "
                    f"median spending {spending}: a savings rate of {rate}%. In a weaker month you keep about "
                    f"{surplus}. Your cash covers {months} months of essential spending (target {target}).")
        if f.conservative_monthly_surplus_cents < 0:
            text += pick_lang(lang, " 有些月份入不敷出，建议先控制支出、把应急资金补足。",
                              " Some months you spend more than you earn: trimming spending and building the "
                              "emergency fund should come first.")
        elif f.savings_rate >= 0.2 and f.emergency_fund_gap_cents == 0:
            text += pick_lang(lang, " 储蓄情况不错，应急资金也已充足，可以考虑让多余的钱去投资。",
                              " You're saving well and your emergency fund is in place, so spare money could be "
                              "invested.")
        else:
            text += pick_lang(lang, " 建议把储蓄率提高到 20% 左右，并先补足应急资金。",
                              " Aim for a savings rate of about 20% and complete the emergency fund first.")
        dispatcher.utter_message(text=text)
        return []
