"""The risk questionnaire as a Rasa form: ask, understand free-text answers,
re-ask on nonsense, let digressions through, store the result."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.advice import level_text
from bot.actions.context import language, require_customer, say, service
from recommender.questionnaire import QUESTIONS, QUESTIONS_BY_ID, parse_answer

SLOT_PREFIX = "q_"
SLOTS = [SLOT_PREFIX + q.id for q in QUESTIONS]
UNCLEAR = "__unclear__"
# Intents that are a question of their own, not an answer: the form lets the
# dialogue policies answer them, then resumes.
DIGRESSIONS = {"check_balance", "ask_spending", "ask_income", "ask_cashflow", "faq", "ask_capabilities",
               "bot_challenge", "human_handoff", "ask_risk_level", "ask_fund_info", "goodbye",
               "request_recommendation", "buy_fund"}
DIGRESSION_MIN_CONFIDENCE = 0.6


def option_for(question_id: str, text: str, lang: str) -> Optional[str]:
    """Option id for a reply: an exact option label (what the buttons send), else parse_answer."""
    question = QUESTIONS_BY_ID[question_id]
    cleaned = text.strip().lower()
    for option in question.options:
        if cleaned in (option.label_zh.lower(), option.label_en.lower(), option.id):
            return option.id
    return parse_answer(question_id, text, lang)


class ActionStartQuestionnaire(Action):
    """Clears earlier answers so the form asks every question afresh."""

    def name(self) -> Text:
        return "action_start_questionnaire"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        if require_customer(dispatcher, tracker) is None:
            return []
        say(dispatcher, tracker, f"好的，我们开始风险测评，一共 {len(QUESTIONS)} 道题。中途有其他问题也可以随时问我。",
            f"Let's do the risk questionnaire: {len(QUESTIONS)} questions. Feel free to ask me something else "
            f"along the way.")
        return [SlotSet(slot, None) for slot in SLOTS] + [FollowupAction("risk_questionnaire_form")]


def _make_ask_action(question_id: str):
    class AskQuestion(Action):
        def name(self) -> Text:
            return f"action_ask_{SLOT_PREFIX}{question_id}"

        def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                domain: Dict[Text, Any]) -> List[EventType]:
            lang = language(tracker)
            question = QUESTIONS_BY_ID[question_id]
            number = [q.id for q in QUESTIONS].index(question_id) + 1
            buttons = [{"title": option.label(lang), "payload": option.label(lang)} for option in question.options]
            dispatcher.utter_message(text=f"({number}/{len(QUESTIONS)}) {question.text(lang)}", buttons=buttons)
            return []

    AskQuestion.__name__ = f"ActionAsk_{question_id}"
    return AskQuestion


ASK_ACTIONS = [_make_ask_action(q.id) for q in QUESTIONS]


class ValidateRiskQuestionnaireForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_risk_questionnaire_form"

    async def run(self, dispatcher, tracker, domain):
        # Extract the requested answer ourselves (custom slot mappings).
        requested = tracker.get_slot("requested_slot")
        events = []
        if requested in SLOTS and tracker.latest_message.get("text"):
            value = self._extract(requested, tracker)
            if value is not None:
                events.append(SlotSet(requested, value))
        if not events:
            return []  # nothing for the form: let a digression rule answer
        validated = []
        for event in events:
            validated.extend(self._validate(event["name"], event["value"], dispatcher, tracker))
        return validated

    def _extract(self, slot: str, tracker: Tracker) -> Optional[str]:
        text = tracker.latest_message.get("text") or ""
        if text.startswith("/"):
            return None  # a button payload for an intent, not an answer
        option = option_for(slot[len(SLOT_PREFIX):], text, language(tracker))
        if option is not None:
            return option
        intent = (tracker.latest_message.get("intent") or {})
        if intent.get("name") in DIGRESSIONS and intent.get("confidence", 0) >= DIGRESSION_MIN_CONFIDENCE:
            return None
        return UNCLEAR

    def _validate(self, slot: str, value: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        if value != UNCLEAR:
            return [SlotSet(slot, value)]
        question = QUESTIONS_BY_ID[slot[len(SLOT_PREFIX):]]
        lang = language(tracker)
        choices = " / ".join(o.label(lang) for o in question.options)
        say(dispatcher, tracker, f"抱歉，没看懂你的回答。请从这些选项里选一个：{choices}",
            f"Sorry, I didn't understand that answer. Please pick one of: {choices}")
        return [SlotSet(slot, None)]


class ActionSubmitQuestionnaire(Action):
    def name(self) -> Text:
        return "action_submit_questionnaire"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        cid = require_customer(dispatcher, tracker)
        if cid is None:
            return []
        answers = {slot[len(SLOT_PREFIX):]: tracker.get_slot(slot) for slot in SLOTS}
        lang = language(tracker)
        try:
            record = service().record_questionnaire(cid, answers, channel="chat")
        except ValueError:
            say(dispatcher, tracker, "测评没有完成，请重新开始。", "The questionnaire is incomplete; let's start again.")
            return [SlotSet(slot, None) for slot in SLOTS]
        level = level_text(record.risk_level, lang)
        expires = record.expires_at.date().isoformat()
        say(dispatcher, tracker,
            f"测评完成！你的风险等级是 {level}（{record.total_points} 分），有效期到 {expires}。"
            f"你可以购买风险等级不超过 R{record.risk_level[1]} 的产品。需要我推荐基金吗？",
            f"Done! Your risk level is {level} ({record.total_points} points), valid until {expires}. "
            f"You can buy products rated up to R{record.risk_level[1]}. Shall I suggest some funds?",
            buttons=[{"title": "推荐基金" if lang == "zh" else "Suggest funds", "payload": "/request_recommendation"}])
        return [SlotSet("assessment_valid", True)]
