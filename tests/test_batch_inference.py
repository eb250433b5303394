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


# --------------------------------------------------------------------------- on a real DIET graph node

@pytest.fixture(scope="module")
def diet_model(tmp_path_factory):
    """An NLU-only model whose DIET decides intents and entities: 2 epochs on the mixed
    training file (about a minute on 2 cores; only its behaviour matters here)."""
    from rasa.model_training import train_nlu

    from bot.training import NLU_DATA

    folder = tmp_path_factory.mktemp("diet-model")
    config = folder / "config.yml"
    config.write_text(
        "language: zh\nassistant_id: diet-test\npipeline:\n"
        "  - name: bot.components.tokenizer.MixedLanguageTokenizer\n"
        "  - name: CountVectorsFeaturizer\n    analyzer: char_wb\n    min_ngram: 1\n    max_ngram: 3\n"
        "  - name: DIETClassifier\n    epochs: 2\n    transformer_size: 32\n"
        "    number_of_transformer_layers: 1\n    random_seed: 42\n", encoding="utf-8")
    return train_nlu(str(config), str(NLU_DATA / "mixed" / "train.yml"), str(folder), fixed_model_name="diet")


def _agent(model):
    from bot import model_loading
    from bot.runtime import load_agent

    model_loading.install()
    return load_agent(model)


def test_batched_diet_swaps_the_loaded_diet_node_only_inside_the_block(diet_model, ci_model):
    from bot.batch_inference import _RASA_PROCESS, _process_in_batches, batched_diet

    runner = _agent(diet_model).processor.graph_runner
    diet = [n for n in runner._instantiated_nodes.values() if n._fn_name == "process" and n._fn is _RASA_PROCESS]
    assert len(diet) == 1
    with batched_diet(runner) as swapped:
        assert swapped == 1 and diet[0]._fn is _process_in_batches
    assert diet[0]._fn is _RASA_PROCESS
    # the CI model's ResponseSelector is a DIET subclass with its own process: left alone
    with batched_diet(_agent(ci_model).processor.graph_runner) as swapped:
        assert swapped == 0


def test_parse_batch_runs_diet_once_per_batch_and_parses_as_one_at_a_time(diet_model):
    import asyncio

    from bot.batch_inference import BATCH_SIZE, _diet_nodes
    from bot.evaluation import parse_batch

    texts = TEXTS * 30                                    # 270 messages: three batches of at most 128
    # parse_batch loads its own agent: count the model calls of DIET's class-level model object
    calls = []
    from rasa.nlu.classifiers.diet_classifier import DIET

    real = DIET.run_inference

    def counted(self, *args, **kwargs):
        calls.append(kwargs.get("batch_size"))
        return real(self, *args, **kwargs)

    DIET.run_inference = counted
    try:
        parses, _ = parse_batch(diet_model, texts)
    finally:
        del DIET.run_inference                            # back to the inherited RasaModel.run_inference
    batched_calls = [size for size in calls if size is not None]   # parse_batch's warm-up parse is one alone
    assert batched_calls == [BATCH_SIZE, BATCH_SIZE, len(texts) - 2 * BATCH_SIZE]
    agent = _agent(diet_model)
    assert _diet_nodes(agent.processor.graph_runner)     # this model's DIET is what was batched
    loop = asyncio.new_event_loop()
    try:
        for text, batched in zip(TEXTS, parses):
            alone = loop.run_until_complete(agent.parse_message(text))
            assert batched["intent"]["name"] == alone["intent"]["name"], text
            assert batched["intent"]["confidence"] == pytest.approx(alone["intent"]["confidence"], abs=1e-4), text
            assert [(e["entity"], e["start"], e["end"]) for e in batched["entities"]] == \
                [(e["entity"], e["start"], e["end"]) for e in alone["entities"]], text
    finally:
        loop.close()
