"""bot/batch_inference.py: DIET's model run on many messages at once gives each
message what running it alone gives.

The CI model has no DIETClassifier, but its ResponseSelector is a trained DIET
subclass with the same ``_create_model_data`` and ``run_inference``: the
batched outputs are compared with Rasa's one-message ``_predict`` on it.
"""
from __future__ import annotations

import numpy as np
import pytest

TEXTS = ["赎回要几天到账", "what are the fees", "我上个月在餐饮上花了多少钱", "how much is in my account",
         "基金 fees 怎么收", "is my money safe with you", "hi", "赎回 money market fund 要多久才能到账呢",
         "asdf qwer"]


@pytest.fixture(scope="module")
def selector_and_messages(ci_model):
    from rasa.core.channels import UserMessage
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
    from rasa.nlu.selectors.response_selector import ResponseSelector
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.runtime import load_agent

    processor = load_agent(ci_model).processor
    nodes = processor.graph_runner._instantiated_nodes.values()
    selector = next(node._component for node in nodes if isinstance(node._component, ResponseSelector))
    target = processor.model_metadata.nlu_target
    # The messages as the graph leaves them: tokens and features set, as the selector sees them.
    messages = processor.graph_runner.run(
        inputs={PLACEHOLDER_MESSAGE: [UserMessage(text) for text in TEXTS],
                PLACEHOLDER_TRACKER: DialogueStateTracker.from_events("batch", [])},
        targets=[target])[target]
    return selector, messages


def _assert_same(batched, alone, where):
    assert batched.keys() == alone.keys(), where
    for key, value in alone.items():
        if isinstance(value, dict):
            _assert_same(batched[key], value, f"{where}/{key}")
        elif isinstance(value, np.ndarray) and value.ndim:
            got = batched[key]
            assert got.shape[0] == value.shape[0] == 1, (where, key)
            # sequence outputs are padded to the batch's longest message: compare the message's own part
            own = tuple(slice(0, n) for n in value.shape)
            np.testing.assert_allclose(got[own], value, rtol=1e-4, atol=1e-5, err_msg=f"{where}/{key}")
        else:
            assert batched[key] == value, (where, key)


@pytest.mark.parametrize("batch_size", [1, 4, 64])
def test_batched_outputs_are_each_messages_own(selector_and_messages, batch_size):
    from bot.batch_inference import predict_in_batches

    selector, messages = selector_and_messages
    batched = predict_in_batches(selector, messages, batch_size=batch_size)
    assert len(batched) == len(messages)
    for message, out in zip(messages, batched):
        _assert_same(out, selector._predict(message), message.get("text"))


def test_the_best_answer_is_the_same_either_way(selector_and_messages):
    from bot.batch_inference import predict_in_batches

    selector, messages = selector_and_messages
    batched = predict_in_batches(selector, messages)
    for message, out in zip(messages, batched):
        alone = selector._predict(message)
        assert int(np.argmax(out["i_scores"])) == int(np.argmax(alone["i_scores"])), message.get("text")


def test_batched_diet_patches_diet_only_inside_the_block():
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier
    from rasa.nlu.selectors.response_selector import ResponseSelector

    from bot.batch_inference import _process_in_batches, batched_diet

    rasa_diet, rasa_selector = DIETClassifier.process, ResponseSelector.process
    with batched_diet():
        assert DIETClassifier.process is _process_in_batches
        assert ResponseSelector.process is rasa_selector    # it has its own process
    assert DIETClassifier.process is rasa_diet
