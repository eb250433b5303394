"""MixedLanguageTokenizer: Chinese, English and mixed text, with exact offsets."""
from __future__ import annotations

import os
import warnings

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.tokenizer import MixedLanguageTokenizer, segment


def make_tokenizer(**config) -> MixedLanguageTokenizer:
    return MixedLanguageTokenizer.create(
        {**MixedLanguageTokenizer.get_default_config(), **config}, None, None, None
    )


def tokens_of(text: str, **config):
    message = Message.build(text=text)
    make_tokenizer(**config).process([message])
    return message.get(TOKENS_NAMES[TEXT])


# Expected tokens. The Chinese parts are the segmentation a Chinese reader
# gives (and jieba agrees): single-character verbs and particles stand alone,
# dictionary words such as 上个月 / 多少 / 一下 / 基金 stay whole, and the
# finance dictionary keeps 风险测评, 转人工, 货币基金, 债基, 定投, 到账 whole.
CASES = [
    # mixed: the script boundary is always a token boundary
    ("上个月dining花了多少", ["上个月", "dining", "花", "了", "多少"]),
    ("我想买index fund", ["我", "想", "买", "index", "fund"]),
    ("帮我check一下balance", ["帮", "我", "check", "一下", "balance"]),
    ("hi你好", ["hi", "你好"]),
    # amounts, codes and percentages: one token each, unit attached
    ("有10万想买点基金", ["有", "10万", "想", "买点", "基金"]),
    ("有2.5万想买基金", ["有", "2.5万", "想", "买", "基金"]),
    ("买两万块000198", ["买", "两万块", "000198"]),
    ("000198怎么样", ["000198", "怎么样"]),
    ("收益10%左右", ["收益", "10%", "左右"]),
    ("buy 50,000 of the bond fund", ["buy", "50,000", "of", "the", "bond", "fund"]),
    ("transfer ¥3,000.50 now", ["transfer", "¥3,000.50", "now"]),
    ("about 10k for 3 years", ["about", "10k", "for", "3", "years"]),
    ("5w想定投", ["5w", "想", "定投"]),
    ("每月3000元", ["每月", "3000元"]),
    ("花了100块钱", ["花", "了", "100块钱"]),
    # time units are not money units: the number stands alone
    ("投18个月", ["投", "18", "个", "月"]),
    # "10kg" is not ten thousand of anything
    ("10kg", ["10", "kg"]),
    # a thousands group has exactly three digits
    ("1,2345", ["1", "2345"]),
    # English: apostrophes and hyphens inside words stay, punctuation goes
    ("what's my balance?", ["what's", "my", "balance"]),
    ("I don't want a money-market fund.", ["I", "don't", "want", "a", "money-market", "fund"]),
    # Chinese punctuation goes, finance words stay whole
    ("我想做风险测评。", ["我", "想", "做", "风险测评"]),
    ("转人工！", ["转人工"]),
    ("货币基金和债基哪个好？", ["货币基金", "和", "债基", "哪个", "好"]),
    ("赎回多久到账", ["赎回", "多久", "到账"]),
    # period and category words win over compounds glued across their edges
    # (jieba alone: "月工资", "卖花")
    ("这个月工资发了吗", ["这个月", "工资", "发", "了", "吗"]),
    ("上周外卖花了多少", ["上周", "外卖", "花", "了", "多少"]),
    # emoji are dropped like punctuation...
    ("谢谢👍", ["谢谢"]),
    # ...unless nothing else is left: then the stripped text is the one token
    ("  👍 ", ["👍"]),
    ("？？", ["？？"]),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_tokens_and_exact_offsets(text, expected):
    tokens = tokens_of(text)
    assert [t.text for t in tokens] == expected
    for token in tokens:
        assert text[token.start : token.end] == token.text


def test_empty_and_blank_text_give_no_tokens():
    assert segment("") == []
    assert segment("   ") == []


def test_finance_dictionary_can_be_switched_off():
    with_dictionary = [w for w, _, _ in segment("我想做风险测评", use_finance_dictionary=True)]
    without = [w for w, _, _ in segment("我想做风险测评", use_finance_dictionary=False)]
    assert "风险测评" in with_dictionary
    assert "风险测评" not in without
    assert "".join(without) == "我想做风险测评"


@pytest.mark.parametrize(
    "text, entity, glued",
    [("帮我买伍万元", "伍万元", "买伍"), ("最近30天刷了多少钱", "最近30天", "天刷")],
)
def test_hmm_is_off_by_default_because_it_glues_across_entity_edges(text, entity, glued):
    start = text.index(entity)
    default = tokens_of(text)
    assert start in {t.start for t in default}
    assert start + len(entity) in {t.end for t in default}
    assert glued in [t.text for t in tokens_of(text, jieba_hmm=True)]


def test_english_stems_become_lemmas_of_latin_words_only():
    text = "Spent 5万 on dining 上个月, my earnings?"
    stemmed = tokens_of(text, english_stems=True)
    assert {t.text: t.lemma for t in stemmed} == {
        "Spent": "spent", "5万": "5万", "on": "on", "dining": "dine", "上个月": "上个月", "my": "my", "earnings": "earn",
    }
    plain = tokens_of(text)
    assert [t.lemma for t in plain] == [t.text for t in plain]
    # the lemma never moves a token: offsets and texts are the same either way
    assert [(t.text, t.start, t.end) for t in stemmed] == [(t.text, t.start, t.end) for t in plain]


def test_count_vectors_read_the_stems_so_inflections_share_a_feature(tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer

    def vocabulary(english_stems: bool) -> set:
        storage = tmp_path / str(english_stems)
        storage.mkdir(exist_ok=True)
        data = TrainingData([Message.build(text=t, intent="ask_spending") for t in ("how much did I spend", "my spending")])
        make_tokenizer(english_stems=english_stems).process_training_data(data)
        featurizer = CountVectorsFeaturizer.create(
            CountVectorsFeaturizer.get_default_config(),
            LocalModelStorage(storage),
            Resource("count_vectors"),
            ExecutionContext(GraphSchema({}), "test"),
        )
        featurizer.train(data)
        return set(featurizer.vectorizers[TEXT].vocabulary_)

    stemmed, plain = vocabulary(True), vocabulary(False)
    assert "spend" in stemmed and "spending" not in stemmed
    assert {"spend", "spending"} <= plain


def test_fingerprint_addon_follows_the_dictionary_setting():
    assert MixedLanguageTokenizer.fingerprint_addon({"use_finance_dictionary": False}) is None
    digest = MixedLanguageTokenizer.fingerprint_addon({"use_finance_dictionary": True})
    assert isinstance(digest, str) and len(digest) == 64


MIXED_ALPHABET = st.sampled_from(
    list("我想买基金上个月花了多少钱风险测评转人工余额〇㐀")
    + list("abcXYZ'-")
    + list("0123456789,.%¥$万元块kw")
    + list(" \t。，！？、：；（）“”～!?.,;:()\"")
    + ["👍", "😀", "ｆ", "１", "é", "_"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(MIXED_ALPHABET, max_size=30).map("".join))
def test_offsets_exact_ordered_and_every_letter_or_digit_covered(text):
    spans = segment(text)
    previous_end = 0
    covered = set()
    for word, start, end in spans:
        assert word and text[start:end] == word
        assert start >= previous_end, "tokens overlap or are out of order"
        previous_end = end
        covered.update(range(start, end))
    if any(c.isalnum() and c != "_" for c in text):
        missed = [c for i, c in enumerate(text) if c.isalnum() and c != "_" and i not in covered]
        assert not missed
    elif text.strip():
        assert [w for w, _, _ in spans] == [text.strip()]
    else:
        assert spans == []


def test_no_token_crosses_a_script_boundary():
    text = "上个月dining花了2.5万abc买000198"
    for word, _, _ in segment(text):
        has_han = any("\u4e00" <= c <= "\u9fff" for c in word)
        has_latin = any(c.isascii() and c.isalpha() for c in word)
        assert not (has_han and has_latin), word


def test_token_pattern_splits_tokens_further_with_exact_offsets():
    text = "what's my balance"
    tokens = tokens_of(text, token_pattern=r"[a-z]+")
    assert [t.text for t in tokens] == ["what", "s", "my", "balance"]
    for token in tokens:
        assert text[token.start : token.end] == token.text


def test_intent_names_are_split_only_when_asked():
    data = TrainingData([Message.build(text="我想买基金", intent="buy_fund")])
    make_tokenizer(intent_tokenization_flag=True, intent_split_symbol="_").process_training_data(data)
    assert [t.text for t in data.training_examples[0].get(TOKENS_NAMES[INTENT])] == ["buy", "fund"]

    data = TrainingData([Message.build(text="我想买基金", intent="buy_fund")])
    make_tokenizer().process_training_data(data)
    assert [t.text for t in data.training_examples[0].get(TOKENS_NAMES[INTENT])] == ["buy_fund"]


def test_retrieval_intent_examples_tokenize():
    data = TrainingData([Message.build(text="赎回多久到账", intent="faq/redemption_time")])
    make_tokenizer().process_training_data(data)
    example = data.training_examples[0]
    assert example.get(INTENT) == "faq"
    assert [t.text for t in example.get(TOKENS_NAMES[TEXT])] == ["赎回", "多久", "到账"]


ANNOTATED_NLU = """
version: "3.1"
nlu:
- intent: ask_spending
  examples: |
    - 上个月[dining](category)花了多少
    - [上个月](time_period)[餐饮](category)花了多少
- intent: request_recommendation
  examples: |
    - 有[10万](amount)想买点基金
    - 我想买[index fund](fund_type)
    - 我有[5w](amount)想定投
    - 投[18个月](horizon)左右
- intent: buy_fund
  examples: |
    - 帮我买[2.5万](amount)的[000198](fund_code)
    - buy [10k](amount) of the [bond](fund_type) fund
    - 转[¥3,000.50](amount)买[000198](fund_code)
"""


def misalignment_warnings(training_data: TrainingData) -> list:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        EntityExtractorMixin.check_correct_entity_annotations(training_data)
    return [str(w.message) for w in caught if "Misaligned" in str(w.message)]


def test_entity_annotations_on_mixed_text_align_with_tokens():
    data = RasaYAMLReader().reads(ANNOTATED_NLU)
    make_tokenizer().process_training_data(data)
    assert misalignment_warnings(data) == []
    # and directly: every entity starts at a token start and ends at a token end
    for example in data.entity_examples:
        starts = {t.start for t in example.get(TOKENS_NAMES[TEXT])}
        ends = {t.end for t in example.get(TOKENS_NAMES[TEXT])}
        for entity in example.get("entities"):
            assert entity["start"] in starts and entity["end"] in ends, (example.get(TEXT), entity)


def test_rasa_jieba_tokenizer_misaligns_the_same_data():
    """Control: the check above can fail; Rasa's JiebaTokenizer fails it on our data."""
    from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer

    data = RasaYAMLReader().reads(ANNOTATED_NLU)
    jieba_tokenizer = JiebaTokenizer({**JiebaTokenizer.get_default_config()}, None, None)
    jieba_tokenizer.process_training_data(data)
    assert any("10万" in warning for warning in misalignment_warnings(data))
