"""The NLU data meets the bot's contract: every intent in every language, enough
varied examples, and a held-out split that training never sees."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

NLU_DATA = Path(__file__).resolve().parent.parent / "nlu_data"
CONTRACT_INTENTS = {
    "greet", "goodbye", "affirm", "deny", "thank", "bot_challenge", "ask_capabilities", "human_handoff",
    "out_of_scope", "check_balance", "ask_spending", "ask_income", "ask_cashflow", "start_risk_assessment",
    "ask_risk_level", "request_recommendation", "ask_why_recommendation", "ask_fund_info", "buy_fund", "inform",
}
FAQ_SUBINTENTS = {"redemption_time", "fees", "risk_levels", "min_investment", "money_safety"}
CONTRACT_ENTITIES = {"amount", "time_period", "category", "fund_type", "fund_code", "fund_name", "horizon"}
MIN_TRAIN_PER_INTENT = 40


def _load(path: Path):
    return load_data(str(path))


def _by_intent(data) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for example in data.intent_examples:
        intent = example.get("intent")
        full = example.get("intent_response_key") or intent
        grouped.setdefault(full, []).append(example.get("text"))
    return grouped


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\W_]+", "", text)


@pytest.fixture(scope="module", params=["zh", "en"])
def language(request):
    return request.param


def test_every_contract_intent_has_enough_training_examples(language):
    grouped = _by_intent(_load(NLU_DATA / language / "train"))
    intents = {key.split("/")[0] for key in grouped}
    assert CONTRACT_INTENTS | {"faq"} <= intents, f"missing: {CONTRACT_INTENTS - intents}"
    thin = {i: len(set(grouped[i])) for i in CONTRACT_INTENTS if len(set(grouped[i])) < MIN_TRAIN_PER_INTENT}
    assert not thin, f"fewer than {MIN_TRAIN_PER_INTENT} distinct examples: {thin}"
    faq = {key.split("/", 1)[1] for key in grouped if key.startswith("faq/")}
    assert FAQ_SUBINTENTS <= faq, f"missing faq sub-intents: {FAQ_SUBINTENTS - faq}"


def test_held_out_split_covers_every_intent_and_never_appears_in_training(language):
    train = _load(NLU_DATA / language / "train")
    test = _load(NLU_DATA / language / "test.yml")
    assert CONTRACT_INTENTS <= {key.split("/")[0] for key in _by_intent(test)}
    seen = {_normalise(e.get("text")) for e in train.intent_examples}
    leaked = [e.get("text") for e in test.intent_examples if _normalise(e.get("text")) in seen]
    assert not leaked, f"held-out examples also in training: {leaked[:10]}"


def test_mixed_language_split_exists_and_is_held_out():
    train = _load(NLU_DATA / "mixed" / "train.yml")
    test = _load(NLU_DATA / "mixed" / "test.yml")
    has_both_scripts = [t for t in (e.get("text") for e in test.intent_examples)
                        if re.search(r"[\u4e00-\u9fff]", t) and re.search(r"[A-Za-z]{2,}", t)]
    assert len(has_both_scripts) >= 0.8 * len(test.intent_examples), "mixed test examples mix scripts"
    seen = {_normalise(e.get("text")) for e in train.intent_examples}
    assert not [e.get("text") for e in test.intent_examples if _normalise(e.get("text")) in seen]


def test_entities_use_contract_names_only(language):
    data = _load(NLU_DATA / language / "train")
    assert data.entities <= CONTRACT_ENTITIES, f"unknown entities: {data.entities - CONTRACT_ENTITIES}"
    assert {"amount", "time_period", "category", "fund_type", "horizon"} <= data.entities


@pytest.mark.parametrize("language", ["zh", "en", "mixed"])
def test_dev_split_covers_every_intent_and_is_in_neither_training_nor_the_held_out_split(language):
    """dev.yml chooses between configs (`finbot evaluate --split dev`), so the reported
    held-out split never does: it must be a third, separate set of examples."""
    dev_path = NLU_DATA / language / "dev.yml"
    train_path = NLU_DATA / language / ("train.yml" if language == "mixed" else "train")
    dev, train, test = _load(dev_path), _load(train_path), _load(NLU_DATA / language / "test.yml")
    assert CONTRACT_INTENTS <= {key.split("/")[0] for key in _by_intent(dev)}
    elsewhere = {_normalise(e.get("text")) for e in train.intent_examples + test.intent_examples}
    overlap = [e.get("text") for e in dev.intent_examples if _normalise(e.get("text")) in elsewhere]
    assert not overlap, f"dev examples also in training or the held-out split: {overlap[:10]}"


def test_evaluation_reads_the_split_it_is_asked_for():
    from bot.evaluation import held_out_examples
    from bot.training import nlu_test_path

    dev, test = held_out_examples(["en"], split="dev"), held_out_examples(["en"])
    assert len(dev) == len(_load(NLU_DATA / "en" / "dev.yml").intent_examples)
    assert len(test) == len(_load(NLU_DATA / "en" / "test.yml").intent_examples)
    assert not {e.text for e in dev} & {e.text for e in test}
    with pytest.raises(ValueError, match="unknown split 'train'"):
        nlu_test_path("en", "train")
