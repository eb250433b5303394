"""A tokenizer for Chinese, English and the two mixed in one message.

Rasa's JiebaTokenizer hands the whole message to jieba, which on mixed text
returns spaces as tokens (" "), splits "what's" into "what", "'", "s" and glues
money units to the next word ("有10万想买" -> "10", "万想", ...), so entity
annotations such as "[10万](amount)" no longer fall on token boundaries.
WhitespaceTokenizer cannot split Chinese at all.

MixedLanguageTokenizer first cuts the text into runs, then tokenizes each run
with the right tool:

* amounts and numbers, kept whole as ONE token: "2.5万", "50,000",
  "¥3,000.50", "10k", "5w", "3000元", "100块钱", "10%", fund codes "000198".
  Only money units (万 千 百 亿 元 块 块钱 k w, and %) stay attached to the
  number. Time units do not: "18个月" -> "18", "个", "月"; "2025年5月" -> "2025",
  "年", "5", "月". Finer tokens never break an entity annotation that covers
  the whole span, so "[18个月](horizon)" still aligns.
* Han runs: segmented by jieba (its own instance, loaded once, quietly, with
  finance_words.txt applied: finance, period and category words kept whole,
  a few compounds that swallow entity boundaries removed). jieba's HMM
  new-word discovery is off by default (config ``jieba_hmm``): on our NLU
  data it glues unknown characters across entity edges ("买伍万元" -> "买伍",
  "万元"; "这周花" -> "这", "周花"), while without it an unknown sequence
  falls apart into single characters, which always align with annotations.
* other letters (Latin etc.): one token per word; apostrophes and hyphens
  inside a word are kept ("what's", "don't", "money-market"). Digits are not
  part of a word: "C3" -> "C", "3".
* with ``english_stems`` on, each Latin word also gets its Snowball English
  stem as the token's lemma ("spending", "spent" -> "spend"; "earnings" ->
  "earn"), which CountVectorsFeaturizer reads by default (``use_lemma``), so
  word features generalise across inflections. The token text, and so every
  entity offset, stays the customer's own spelling.
* everything else (spaces, Chinese and ASCII punctuation, emoji) is dropped,
  as WhitespaceTokenizer drops them. If nothing is left of a non-empty
  message ("👍", "？？"), the stripped message becomes one token, again as
  WhitespaceTokenizer does, so it still has a feature.

Token offsets are exact character offsets into the original text:
``text[token.start:token.end] == token.text`` for every token.
"""
from __future__ import annotations

import hashlib
import logging
import re
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.components._text import HAN_CHARS, NON_HAN_LETTER

logger = logging.getLogger(__name__)

FINANCE_WORDS_PATH = Path(__file__).with_name("finance_words.txt")

# Money units that belong to the number before them, longest first so that
# "万块钱" wins over "万". "k"/"w" only when no letter follows ("10kg" is not
# ten thousand grams).
_MONEY_UNITS = (
    "万元|万块钱|万块|千元|千块钱|千块|百元|亿元|块钱|万|千|百|亿|元|块|%|％|"
    rf"[kKwW](?!{NON_HAN_LETTER})"
)
# A thousands group is exactly three digits ("50,000"; "1,2345" is not one).
_NUMBER = r"(?:\d{1,3}(?:,\d{3}(?!\d))+|\d+)(?:\.\d+)?"
_AMOUNT = rf"[¥￥$]?{_NUMBER}(?:{_MONEY_UNITS})?"
_WORD = rf"{NON_HAN_LETTER}+(?:['’\-]{NON_HAN_LETTER}+)*"
_HAN_RUN = rf"[{HAN_CHARS}]+"

_RUNS = re.compile(rf"(?P<amount>{_AMOUNT})|(?P<word>{_WORD})|(?P<han>{_HAN_RUN})")

_segmenters: Dict[bool, Any] = {}
_segmenters_lock = threading.Lock()
_LATIN_WORD = re.compile(rf"{_WORD}")
_stemmer_local = threading.local()  # Snowball stemmers are not thread-safe


def english_stem(word: Text) -> Text:
    """The Snowball English stem of one lower-cased word ("Earnings" -> "earn")."""
    stemmer = getattr(_stemmer_local, "stemmer", None)
    if stemmer is None:
        import snowballstemmer

        stemmer = _stemmer_local.stemmer = snowballstemmer.stemmer("english")
    return stemmer.stemWord(word.lower().replace("’", "'"))


def _read_finance_words(path: Path = FINANCE_WORDS_PATH) -> Tuple[List[Tuple[str, Optional[int]]], List[str]]:
    """The finance dictionary: ([(word to keep whole, frequency or None)], [words to remove])."""
    keep, remove = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            remove.append(line[1:].strip())
            continue
        parts = line.split()
        keep.append((parts[0], int(parts[1]) if len(parts) > 1 else None))
    return keep, remove


def _jieba_segmenter(use_finance_dictionary: bool) -> Any:
    """A jieba.Tokenizer of our own, built once per process.

    Our own instance rather than jieba's global one, so the finance words do
    not leak into other components (e.g. Rasa's JiebaTokenizer) and theirs do
    not leak into ours.
    """
    with _segmenters_lock:
        if use_finance_dictionary not in _segmenters:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            segmenter = jieba.Tokenizer()
            segmenter.initialize()
            if use_finance_dictionary:
                keep, remove = _read_finance_words()
                for word in remove:
                    segmenter.del_word(word)
                for word, frequency in keep:
                    segmenter.add_word(word, freq=frequency)
            _segmenters[use_finance_dictionary] = segmenter
        return _segmenters[use_finance_dictionary]


def segment(text: Text, use_finance_dictionary: bool = True, hmm: bool = False) -> List[Tuple[str, int, int]]:
    """Split `text` into (token, start, end) with exact character offsets.

    See the module docstring for the rules. `hmm` turns on jieba's HMM
    new-word discovery (off by default, see the module docstring). Empty or
    blank text gives [].
    """
    spans: List[Tuple[str, int, int]] = []
    if not text:
        return spans
    for run in _RUNS.finditer(text):
        if run.lastgroup == "han":
            segmenter = _jieba_segmenter(use_finance_dictionary)
            offset = run.start()
            for word, start, end in segmenter.tokenize(run.group(), HMM=hmm):
                spans.append((word, offset + start, offset + end))
        else:
            spans.append((run.group(), run.start(), run.end()))
    if not spans and text.strip():
        stripped = text.strip()
        start = text.index(stripped)
        spans.append((stripped, start, start + len(stripped)))
    return spans


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class MixedLanguageTokenizer(Tokenizer):
    """Tokenizes Chinese, English and mixed messages (see the module docstring)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The component's default config (see parent class for full docstring)."""
        return {
            # Flag to check whether to split intents
            "intent_tokenization_flag": False,
            # Symbol on which intent should be split
            "intent_split_symbol": "_",
            # Regular expression to further split each token (None: don't)
            "token_pattern": None,
            # Symbol on which prefix should be split
            "prefix_separator_symbol": None,
            # Apply finance_words.txt to jieba's dictionary
            "use_finance_dictionary": True,
            # jieba's HMM discovery of words missing from its dictionary
            "jieba_hmm": False,
            # Latin words get their Snowball English stem as lemma
            "english_stems": False,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        """Any extra python dependencies required for this component to run."""
        return ["jieba", "snowballstemmer"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MixedLanguageTokenizer:
        """Creates a new component (see parent class for full docstring)."""
        return cls(config)

    def __init__(self, config: Dict[Text, Any]) -> None:
        """Construct the tokenizer; jieba itself is loaded on first use."""
        super().__init__({**self.get_default_config(), **config})
        self.use_finance_dictionary = bool(self._config["use_finance_dictionary"])
        self.jieba_hmm = bool(self._config["jieba_hmm"])
        self.english_stems = bool(self._config["english_stems"])

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The finance dictionary's contents, so editing it triggers retraining."""
        if not config.get("use_finance_dictionary", True):
            return None
        return hashlib.sha256(FINANCE_WORDS_PATH.read_bytes()).hexdigest()

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        """Tokenizes the text of the provided attribute of the incoming message."""
        text = message.get(attribute) or ""
        tokens = [
            Token(word, start, end, lemma=self._lemma(word))
            for word, start, end in segment(text, self.use_finance_dictionary, self.jieba_hmm)
        ]
        return self._apply_token_pattern(tokens)

    def _lemma(self, word: Text) -> Optional[Text]:
        """The stem of a Latin word when ``english_stems`` is on; None keeps the text."""
        if self.english_stems and _LATIN_WORD.fullmatch(word):
            return english_stem(word)
        return None
