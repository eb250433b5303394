"""bot/hot_paths.py: the same answers as Rasa's own code, computed once."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot import hot_paths

GOOD = {"events": [{"event": "slot", "name": "amount", "value": "20000.00"}],
        "responses": [{"text": "好的", "buttons": []}]}
BAD_EVENT = {"events": [{"event": "slot", "name": 7}], "responses": []}       # a slot name must be a string
BAD_RESPONSES = {"events": [], "responses": "not a list"}


@pytest.fixture
def both_ways():
    """The check as Rasa ships it, then ours, on the same action."""
    action = RemoteAction("action_test", None)
    yield action
    hot_paths.install()


@pytest.mark.parametrize("result", [GOOD, {"events": [], "responses": []}, {}])
def test_a_valid_result_passes_both_ways(both_ways, result):
    hot_paths.uninstall()
    assert both_ways._validate_action_result(result) is True
    hot_paths.install()
    assert both_ways._validate_action_result(result) is True


@pytest.mark.parametrize("result", [BAD_EVENT, BAD_RESPONSES, {"events": [{"event": "no_such_event"}]}])
def test_an_invalid_result_is_refused_with_rasas_message(both_ways, result):
    hot_paths.uninstall()
    with pytest.raises(ValidationError) as theirs:
        both_ways._validate_action_result(result)
    hot_paths.install()
    with pytest.raises(ValidationError) as ours:
        both_ways._validate_action_result(result)
    assert ours.value.message == theirs.value.message
    assert "Failed to validate Action server response" in ours.value.message


@pytest.mark.parametrize("type_name", ["user", "bot", "slot", "action", "active_loop", "session_started", "restart",
                                       "followup", "reminder", "entities", "user_featurization", "rewind"])
def test_event_classes_are_found_as_rasa_finds_them(type_name):
    from rasa.shared.core.events import Event

    hot_paths.uninstall()
    theirs = Event.resolve_by_type(type_name)
    hot_paths.install()
    assert Event.resolve_by_type(type_name) is theirs


def test_an_unknown_event_type_behaves_as_in_rasa():
    from rasa.shared.core.events import Event, UserUttered

    hot_paths.install()
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=UserUttered) is UserUttered
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")


def test_a_tracker_reads_back_the_same_with_the_lookup_table():
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

    events = [ActionExecuted("action_listen"), UserUttered("你好", {"name": "greet", "confidence": 0.9}),
              ActionExecuted("utter_greet"), BotUttered("你好！"), SlotSet("language", "zh")]
    dumped = DialogueStateTracker.from_events("c", events).current_state(EventVerbosity.ALL)["events"]
    hot_paths.uninstall()
    theirs = DialogueStateTracker.from_dict("c", dumped).events
    hot_paths.install()
    ours = DialogueStateTracker.from_dict("c", dumped).events
    assert list(ours) == list(theirs) == events


def test_the_faq_answer_is_chosen_only_for_faq_questions(ci_model):
    """The ResponseSelector's choice is the same as Rasa's for an FAQ question, and skipped for the rest."""
    import asyncio

    from rasa.core.agent import Agent

    questions = ["赎回多久到账", "how long does a redemption take"]
    others = ["我卡里还有多少钱", "what's my balance"]

    async def parse_all(agent, texts):
        return [await agent.parse_message(text) for text in texts]

    # A loaded graph keeps the component methods it found at load time: one agent each way.
    hot_paths.uninstall()
    theirs = asyncio.run(parse_all(Agent.load(str(ci_model)), questions + others))
    hot_paths.install()
    ours = asyncio.run(parse_all(Agent.load(str(ci_model)), questions + others))

    for mine, rasas in zip(ours, theirs):
        assert mine["intent"] == rasas["intent"] and mine["entities"] == rasas["entities"]
    for mine, rasas in zip(ours[:2], theirs[:2]):
        assert rasas["intent"]["name"] == "faq"
        assert mine["response_selector"] == rasas["response_selector"]
        assert mine["response_selector"]["faq"]["response"]["intent_response_key"] == "faq/redemption_time"
    for mine, rasas in zip(ours[2:], theirs[2:]):
        assert rasas["intent"]["name"] != "faq" and "faq" in rasas["response_selector"]
        assert "response_selector" not in mine


def test_the_response_selector_keeps_rasas_types_for_graph_validation():
    """Rasa validates a component's annotated types whenever it trains or loads a model with it."""
    from rasa.engine.validation import _get_parameter_information
    from rasa.nlu.selectors.response_selector import ResponseSelector

    hot_paths.uninstall()
    theirs = _get_parameter_information(ResponseSelector, "process")
    hot_paths.install()
    assert ResponseSelector.process is not hot_paths._RASA_SELECT
    assert _get_parameter_information(ResponseSelector, "process") == theirs
