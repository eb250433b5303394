"""FinbotTFIntentClassifier: trains, predicts, persists and loads through Rasa's real storage."""
from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

import numpy as np
import pytest
import tensorflow as tf

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.tf_intent_classifier import FinbotTFIntentClassifier
from bot.components.tokenizer import MixedLanguageTokenizer

FIXTURES = Path(__file__).parent / "fixtures"

# Small dimensions and few epochs: enough for this data, fast on 2 cores.
SMALL = {
    "epochs": 30,
    "batch_size": 16,
    "char_embedding_dim": 16,
    "char_filters": 32,
    "word_embedding_dim": 16,
    "word_filters": 32,
    "units": 16,
}

TRAINING = {
    "greet": ["你好", "您好", "早上好", "hi there", "hello", "good morning", "hey 你好", "hi 在吗"],
    "goodbye": ["再见", "拜拜", "下次见", "bye", "see you later", "goodbye", "bye 拜拜", "我先走了 bye"],
    "check_balance": [
        "我卡里还有多少钱", "查一下余额", "账户余额是多少", "what's my balance", "check my balance",
        "how much money is in my account", "帮我check一下balance", "我的balance还有多少",
    ],
    "ask_spending": [
        "上个月餐饮花了多少", "这个月消费了多少", "我在吃饭上花了多少钱", "how much did I spend on groceries",
        "my spending last month", "what did I spend on transport", "上个月dining花了多少", "这个月shopping花了多少",
    ],
    "buy_fund": [
        "买两万块000198", "我要买这个基金", "帮我申购货币基金", "buy 10,000 of the bond fund",
        "I want to buy this fund", "purchase the index fund", "帮我buy这个fund", "我想买index fund",
    ],
    "faq/fees": [
        "有手续费吗", "申购费多少", "管理费怎么收", "are there any fees", "what are the fees", "how much is the fee",
    ],
    "faq/redemption_time": ["赎回多久到账", "卖出后几天到账", "how long does redemption take", "when will I get money after selling"],
}

# Unseen paraphrases, each sharing its intent's key words with the training data.
PARAPHRASES = [
    ("你好呀", "greet"),
    ("hello 你好", "greet"),
    ("bye bye", "goodbye"),
    ("我的余额是多少", "check_balance"),
    ("what is my balance", "check_balance"),
    ("上个月花了多少钱", "ask_spending"),
    ("how much did I spend last month", "ask_spending"),
    ("我想买货币基金", "buy_fund"),
    ("赎回要几天到账", "faq"),
    ("any fees?", "faq"),
]

CONTEXT = ExecutionContext(GraphSchema({}), node_name="finbot_tf_intent_classifier")
TOKENIZER = MixedLanguageTokenizer.create(MixedLanguageTokenizer.get_default_config(), None, None, None)


def training_data(examples: dict = TRAINING) -> TrainingData:
    data = TrainingData([Message.build(text=t, intent=i) for i, texts in examples.items() for t in texts])
    return TOKENIZER.process_training_data(data)


def messages(*texts: str) -> list:
    return TOKENIZER.process([Message.build(text=t) for t in texts])


def train(storage: LocalModelStorage, name: str, data: TrainingData | None = None, **config):
    resource = Resource(name)
    classifier = FinbotTFIntentClassifier.create({**SMALL, **config}, storage, resource, CONTEXT)
    assert classifier.train(data or training_data()) is resource
    return classifier, resource


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    return LocalModelStorage(tmp_path_factory.mktemp("model_storage"))


@pytest.fixture(scope="module")
def trained(storage):
    started = time.perf_counter()
    classifier, resource = train(storage, "cnn")
    print(f"cnn training took {time.perf_counter() - started:.1f} s")
    return classifier, resource


def predicted(classifier, texts):
    return [m.get("intent")["name"] for m in classifier.process(messages(*texts))]


def test_learns_the_training_set(trained):
    classifier, _ = trained
    examples = [(t, Message.build(text=t, intent=i).get("intent")) for i, ts in TRAINING.items() for t in ts]
    names = predicted(classifier, [t for t, _ in examples])
    accuracy = np.mean([name == intent for name, (_, intent) in zip(names, examples)])
    assert accuracy >= 0.95


def test_gets_unseen_paraphrases_right(trained):
    classifier, _ = trained
    names = predicted(classifier, [t for t, _ in PARAPHRASES])
    wrong = [(t, want, got) for (t, want), got in zip(PARAPHRASES, names) if got != want]
    assert wrong == []


def test_retrieval_intents_are_learned_as_their_base_intent(trained):
    classifier, _ = trained
    assert "faq" in classifier.labels
    assert not any("/" in label for label in classifier.labels)
    assert predicted(classifier, ["有手续费吗", "赎回多久到账"]) == ["faq", "faq"]


def test_ranking_is_sorted_cut_to_length_and_sums_to_at_most_one(storage, trained):
    classifier, _ = trained
    for message in classifier.process(messages("我想买index fund", "hello", "余额")):
        ranking = message.get("intent_ranking")
        confidences = [r["confidence"] for r in ranking]
        assert len(ranking) == len(classifier.labels)  # 6 intents < default ranking_length 10
        assert confidences == sorted(confidences, reverse=True)
        assert all(0.0 <= c <= 1.0 for c in confidences)
        assert sum(confidences) <= 1.0 + 1e-5
        assert message.get("intent") == ranking[0]
        assert all(isinstance(c, float) for c in confidences)

    short = FinbotTFIntentClassifier.load(
        {**SMALL, "ranking_length": 2}, storage, trained[1], CONTEXT
    ).process(messages("hello"))[0]
    assert len(short.get("intent_ranking")) == 2
    assert sum(r["confidence"] for r in short.get("intent_ranking")) < 1.0


def _with_previous_ranking(texts, ranking):
    """Messages as DIET leaves them for the next classifier: an intent ranking already set."""
    batch = messages(*texts)
    for message in batch:
        message.set("intent_ranking", [dict(r) for r in ranking])
        message.set("intent", dict(ranking[0]))
    return batch


def _confidences(message) -> dict:
    return {r["name"]: r["confidence"] for r in message.get("intent_ranking")}


def test_ensemble_weight_blends_with_the_previous_classifier(storage, trained):
    classifier, resource = trained
    texts = ["我想买index fund", "hello", "余额"]
    ours = classifier.predict_probabilities(messages(*texts))
    theirs = [{"name": "goodbye", "confidence": 0.7}, {"name": "faq", "confidence": 0.2},
              {"name": "not_our_intent", "confidence": 0.1}]   # a label we never learned is left out
    blended = FinbotTFIntentClassifier.load({**SMALL, "ensemble_weight": 0.25}, storage, resource, CONTEXT)
    previous = {r["name"]: r["confidence"] for r in theirs}
    for row, message in zip(ours, blended.process(_with_previous_ranking(texts, theirs))):
        got = _confidences(message)
        for label, probability in zip(classifier.labels, row):
            assert got[label] == pytest.approx(0.25 * probability + 0.75 * previous.get(label, 0.0), abs=1e-6)
        assert "not_our_intent" not in got
        assert message.get("intent")["name"] == max(got, key=got.get)

    # weights 1/2 then 1/3 down a chain give the first classifier and the two of ours a third each
    second = FinbotTFIntentClassifier.load({**SMALL, "ensemble_weight": 1 / 3}, storage, resource, CONTEXT)
    first = FinbotTFIntentClassifier.load({**SMALL, "ensemble_weight": 0.5}, storage, resource, CONTEXT)
    for row, message in zip(ours, second.process(first.process(_with_previous_ranking(texts, theirs)))):
        got = _confidences(message)
        for label, probability in zip(classifier.labels, row):
            assert got[label] == pytest.approx((2 * probability + previous.get(label, 0.0)) / 3, abs=1e-6)

    # nothing before us (DIET absent or silent): our own probabilities, unblended
    alone = blended.process(messages("hello"))[0]
    assert _confidences(alone) == pytest.approx(dict(zip(classifier.labels, ours[1].tolist())), abs=1e-6)


def test_persist_and_load_reproduce_predictions(storage, trained):
    classifier, resource = trained
    texts = [t for t, _ in PARAPHRASES] + ["完全不相关的一句话", "zzz"]
    loaded = FinbotTFIntentClassifier.load({**SMALL}, storage, resource, CONTEXT)
    assert loaded.labels == classifier.labels
    np.testing.assert_allclose(
        loaded.predict_probabilities(messages(*texts)),
        classifier.predict_probabilities(messages(*texts)),
        rtol=0,
        atol=1e-6,
    )
    assert predicted(loaded, texts) == predicted(classifier, texts)


def test_batch_prediction_equals_one_at_a_time(trained):
    classifier, _ = trained
    texts = [t for t, _ in PARAPHRASES]
    together = classifier.predict_probabilities(messages(*texts))
    alone = np.vstack([classifier.predict_probabilities(messages(t)) for t in texts])
    np.testing.assert_allclose(together, alone, rtol=0, atol=1e-6)


def test_empty_text_does_not_crash_and_predicts_nothing(trained):
    classifier, _ = trained
    batch = messages("", "   ", "你好") + [Message(data={})]
    classifier.process(batch)
    for message in (batch[0], batch[1], batch[3]):
        assert message.get("intent") == {"name": None, "confidence": 0.0}
        assert message.get("intent_ranking") == []
    assert batch[2].get("intent")["name"] == "greet"


def test_words_training_never_saw_get_no_confidence_so_the_fallback_asks_again(trained):
    classifier, _ = trained
    guarded, one_word, with_chinese, one_known = classifier.process(
        messages("qwxz plorf zzkq", "plorf", "plorf 你好", "what is plorf")
    )
    assert guarded.get("intent")["confidence"] == 0.0
    assert all(item["confidence"] == 0.0 for item in guarded.get("intent_ranking"))
    for message in (one_word, with_chinese, one_known):
        assert message.get("intent")["confidence"] > 0.0, message.get("text")
    config = classifier.component_config
    try:
        config["unknown_words_fallback"] = False
        [unguarded] = classifier.process(messages("qwxz plorf zzkq"))
        assert unguarded.get("intent")["confidence"] > 0.0
    finally:
        config["unknown_words_fallback"] = True


def test_messages_without_tokens_are_segmented_like_the_pipeline(trained):
    classifier, _ = trained
    text = "上个月dining花了多少"
    untokenized = classifier.predict_probabilities([Message.build(text=text)])
    tokenized = classifier.predict_probabilities(messages(text))
    np.testing.assert_allclose(untokenized, tokenized, rtol=0, atol=1e-6)


def test_same_seed_same_model(storage, trained):
    again, _ = train(storage, "cnn_again")
    texts = [t for t, _ in PARAPHRASES]
    np.testing.assert_allclose(
        again.predict_probabilities(messages(*texts)),
        trained[0].predict_probabilities(messages(*texts)),
        rtol=0,
        atol=1e-5,
    )


def test_gru_encoder_learns_and_round_trips(storage, tmp_path):
    # max_words 12 covers every example here and keeps the recurrent graph short
    classifier, resource = train(
        storage, "gru", encoder="gru", epochs=15, units=8, max_words=12, tensorboard_log_directory=str(tmp_path)
    )
    texts = [t for ts in TRAINING.values() for t in ts]
    wanted = [Message.build(text=t, intent=i).get("intent") for i, ts in TRAINING.items() for t in ts]
    assert np.mean([a == b for a, b in zip(predicted(classifier, texts), wanted)]) >= 0.9

    # the persisted architecture wins over a config that disagrees with the weights
    loaded = FinbotTFIntentClassifier.load({**SMALL, "encoder": "gru"}, storage, resource, CONTEXT)
    assert loaded.component_config["units"] == 8 and loaded.component_config["max_words"] == 12
    batch = messages("", "你好", "what is my balance")
    np.testing.assert_allclose(
        loaded.predict_probabilities(batch), classifier.predict_probabilities(batch), rtol=0, atol=1e-6
    )
    # TensorBoard: per-epoch scalars, one value per epoch
    assert epoch_loss_values(tmp_path) == 15

    # words are cut to the longest message (trained that way too): padding changes nothing
    texts = ["你好", "how much did I spend last month on food and drinks", "赎回", ""]
    chars, words = classifier._encode(messages(*texts))
    assert words.shape[1] == 12 and (words[:, -1] == 0).all()         # no message fills max_words here
    padded = classifier._predict_fn(tf.constant(chars), tf.constant(words)).numpy()
    np.testing.assert_allclose(classifier.predict_probabilities(messages(*texts)), padded, rtol=0, atol=1e-6)
    alone = np.concatenate([classifier.predict_probabilities(messages(t)) for t in texts])
    np.testing.assert_allclose(alone, padded, rtol=0, atol=1e-6)


def epoch_loss_values(log_dir: Path) -> int:
    import tensorflow as tf
    from tensorflow.core.util import event_pb2

    count = 0
    for events_file in log_dir.rglob("events.out.tfevents.*"):
        for record in tf.data.TFRecordDataset(str(events_file)):
            event = event_pb2.Event.FromString(record.numpy())
            count += sum(1 for value in event.summary.value if value.tag == "epoch_loss")
    return count


def test_one_intent_is_not_enough_and_leaves_messages_alone(storage):
    resource = Resource("single_intent")
    classifier = FinbotTFIntentClassifier.create({**SMALL}, storage, resource, CONTEXT)
    classifier.train(training_data({"greet": ["你好", "hello"]}))
    loaded = FinbotTFIntentClassifier.load({**SMALL}, storage, resource, CONTEXT)
    message = messages("你好")[0]
    message.set("intent", {"name": "from_another_classifier", "confidence": 0.7})
    loaded.process([message])
    assert message.get("intent") == {"name": "from_another_classifier", "confidence": 0.7}


@pytest.mark.parametrize(
    "bad", [{"encoder": "transformer"}, {"char_kernel_sizes": []}, {"epochs": 0}, {"dropout": 1.5}]
)
def test_invalid_config_is_rejected(storage, bad):
    with pytest.raises(InvalidConfigException):
        FinbotTFIntentClassifier.create({**SMALL, **bad}, storage, Resource("bad"), CONTEXT)


TINY_NLU = """
version: "3.1"
nlu:
""" + "".join(
    f"- intent: {intent}\n  examples: |\n" + "".join(f"    - {t}\n" for t in texts)
    for intent, texts in TRAINING.items()
)


@pytest.mark.filterwarnings("ignore:Your training data contains an example")
@pytest.mark.filterwarnings("ignore:You have defined training data with examples for training a response selector")
def test_end_to_end_rasa_train_and_parse(tmp_path, monkeypatch):
    """A real Rasa NLU model: train_nlu with our components, load it with Agent, parse."""
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    monkeypatch.setenv("RASA_CACHE_DIRECTORY", str(tmp_path / "cache"))
    nlu_file = tmp_path / "nlu.yml"
    nlu_file.write_text(TINY_NLU, encoding="utf-8")

    started = time.perf_counter()
    model_path = train_nlu(
        config=str(FIXTURES / "nlu_tiny_config.yml"),
        nlu_data=str(nlu_file),
        output=str(tmp_path / "models"),
        fixed_model_name="nlu_tiny",
    )
    trained_at = time.perf_counter()
    assert model_path and Path(model_path).exists()

    agent = Agent.load(model_path)
    parse = agent.parse_message
    result = asyncio.run(parse("上个月dining花了多少"))
    empty = asyncio.run(parse(""))
    print(f"train_nlu {trained_at - started:.1f} s, load + parse {time.perf_counter() - trained_at:.1f} s")

    assert result["intent"]["name"] == "ask_spending"
    ranking = result["intent_ranking"]
    assert ranking[0]["name"] == "ask_spending"
    assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)
    assert empty["intent"]["name"] is None
