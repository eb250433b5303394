"""bot/graph_order.py: a loaded model's graph run in a fixed order gives Rasa's answers."""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import graph_order
from bot.runtime import load_agent

SCRIPTS = (
    ("你好", "我卡里还有多少钱", "上个月餐饮花了多少", "给我推荐点基金，我有两万块", "三年", "谢谢"),
    ("hi", "what's my balance", "how much did I spend on dining last month", "why these funds", "bye"),
    ("hello", "上个月 dining 花了多少", "what is a money market fund", "asdf qwer zxcv"),
)


@pytest.fixture(scope="module")
def agent(ci_model):
    return load_agent(ci_model)


def _both_ways(runner, call):
    """``call()`` with dask's run, then with ours."""
    graph_order.uninstall(runner)
    assert runner.run.__func__ is DaskGraphRunner.run
    theirs = call()
    graph_order.install(runner)
    assert graph_order.installed(runner)
    return theirs, call()


def _walk(agent, script):
    """Each message parsed, then the next two actions predicted, both ways at every step."""
    processor, runner = agent.processor, agent.processor.graph_runner
    tracker = DialogueStateTracker.from_events("graph-order", [ActionExecuted("action_listen")], agent.domain.slots)
    steps = 0
    for text in script:
        theirs, ours = _both_ways(runner, lambda: asyncio.run(processor.parse_message(UserMessage(text))))
        assert ours["intent"] == theirs["intent"] and ours["entities"] == theirs["entities"], text
        assert ours.get("intent_ranking") == theirs.get("intent_ranking"), text
        tracker.update(UserUttered(text, ours["intent"], ours["entities"], ours))
        for _ in range(2):
            theirs, ours = _both_ways(runner, lambda: processor._predict_next_with_tracker(tracker))
            assert ours.policy_name == theirs.policy_name, text
            assert ours.probabilities == pytest.approx(theirs.probabilities, abs=1e-6), text
            action = agent.domain.action_names_or_texts[ours.max_confidence_index]
            tracker.update(ActionExecuted(action))
            steps += 1
            if action == "action_listen":
                break
    return steps


@pytest.mark.parametrize("script", SCRIPTS, ids=["zh", "en", "mixed"])
def test_parses_and_predictions_are_rasas(agent, script):
    assert _walk(agent, script) >= len(script)


def test_the_served_agent_runs_in_order_and_plans_once(agent, monkeypatch):
    runner = agent.processor.graph_runner
    graph_order.install(runner)
    assert graph_order.installed(runner)
    cuts = []
    schema = runner._graph_schema
    real_cut = type(schema).minimal_graph_schema
    monkeypatch.setattr(type(schema), "minimal_graph_schema", lambda self, targets: cuts.append(targets)
                        or real_cut(self, targets))
    runner._finbot_plans.clear()
    for text in ("hello", "你好", "what's my balance"):
        asyncio.run(agent.processor.parse_message(UserMessage(text)))
    assert len(cuts) == 1        # the parse graph's order is worked out on the first message only


def test_an_input_named_like_a_node_is_refused_as_rasa_refuses_it(agent):
    runner = agent.processor.graph_runner
    node = next(iter(runner._graph_schema.nodes))

    def refusal():
        with pytest.raises(GraphRunError) as error:
            runner.run(inputs={"__message__": node}, targets=[agent.processor.model_metadata.nlu_target])
        return str(error.value)

    theirs, ours = _both_ways(runner, refusal)
    assert ours == theirs and "clashes with a node name" in ours
