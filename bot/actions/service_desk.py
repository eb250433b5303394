"""Help, fallback, human handoff and cancelling what is in progress."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.context import buttons, customer_id, language, say, service
from recommender.store import repositories

CAPABILITY_BUTTONS = [
    ("查余额", "My balance", "/check_balance"),
    ("上个月花了多少", "Last month's spending", "/ask_spending"),
    ("我每月能存多少", "How much do I save", "/ask_cashflow"),
    ("推荐基金", "Suggest funds", "/request_recommendation"),
    ("风险测评", "Risk questionnaire", "/start_risk_assessment"),
    ("转人工", "Talk to a person", "/human_handoff"),
]


class ActionCapabilities(Action):
    def name(self) -> Text:
        return "action_capabilities"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        say(dispatcher, tracker,
            "我可以：查账户余额；按类别和时间分析你的消费和收入；算你每月能存多少；做风险测评；"
            "根据你的收支推荐合适的基金并说明理由；帮你提交基金购买申请；也可以帮你转人工。",
            "I can: check your balances; break down your spending and income by category and period; work out "
            "how much you save; run the risk questionnaire; suggest funds that fit your finances and explain why; "
            "submit a fund purchase for you; or hand you over to a person.",
            buttons=buttons(tracker, CAPABILITY_BUTTONS))
        return []


class ActionHelpFallback(Action):
    """Low NLU confidence: never guess; ask to rephrase and show what finbot can do."""

    def name(self) -> Text:
        return "action_help_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        say(dispatcher, tracker, "抱歉，我没太明白你的意思，能换个说法吗？你也可以点下面的选项：",
            "Sorry, I'm not sure what you mean. Could you say it another way? Or pick one of these:",
            buttons=buttons(tracker, CAPABILITY_BUTTONS))
        return []


class ActionHumanHandoff(Action):
    """Records the request with the conversation so far, then says what happens next."""

    def name(self) -> Text:
        return "action_human_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        transcript = []
        for event in tracker.events:
            if event.get("event") in ("user", "bot") and event.get("text"):
                at = datetime.fromtimestamp(event.get("timestamp") or 0, tz=timezone.utc).isoformat()
                transcript.append({"speaker": event["event"], "text": event["text"], "at": at})
        request_id = repositories.add_handoff_request(
            service().engine, customer_id=customer_id(tracker), conversation_id=tracker.sender_id,
            reason=(tracker.latest_message or {}).get("text"), language=language(tracker), transcript=transcript)
        say(dispatcher, tracker,
            f"好的，正在为你转接人工客服（工单号 H{request_id}）。客服会看到我们刚才的对话，你不用重复。"
            f"工作时间（9:00-21:00）一般 5 分钟内接入，其他时间我们会在下一个工作时段联系你。",
            f"OK, I'm passing you to a person (ticket H{request_id}). They'll see our conversation, so you won't "
            f"need to repeat yourself. During opening hours (9:00-21:00) someone usually joins within 5 minutes; "
            f"otherwise we'll contact you when we open.")
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("purchase_stage", None)]


class ActionCancelForms(Action):
    """Stop whatever form or purchase is in progress."""

    def name(self) -> Text:
        return "action_cancel_forms"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_ok_cancelled")
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("purchase_stage", None),
                SlotSet("purchase", None)]
