"""Text helpers shared by finbot's NLU components (no Rasa, no TensorFlow).

Two jobs:

* character classes for splitting mixed Chinese/English text into runs
  (used by the tokenizer), and
* normalising text before it becomes model features (used by the intent
  classifier), so "ＡＢＣ", "abc" and "Abc" look the same to the model and
  "10万" and "25万" share one feature.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Dict, Iterable, List

# CJK unified ideographs (basic block, extension A, compatibility, extensions
# B-F) and the ideographic zero "〇". These are the characters jieba segments.
HAN_CHARS = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"

# One letter that is not a Han character: Latin (with accents), Greek,
# Cyrillic, kana, hangul... Written as "a word character that is neither a
# digit, an underscore nor Han".
NON_HAN_LETTER = rf"(?:(?![{HAN_CHARS}])[^\W\d_])"

DIGIT_SYMBOL = "0"
_DIGITS = re.compile(r"\d")
_SPACES = re.compile(r"\s+")

PAD_ID = 0
OOV_ID = 1


def normalise_for_features(text: str) -> str:
    """Text as the classifier sees it.

    NFKC (full-width letters and digits become ASCII), lower case, every digit
    replaced by one symbol (amounts and fund codes differ only in digits, and
    the intent rarely depends on them), whitespace runs collapsed to one space.
    """
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = _DIGITS.sub(DIGIT_SYMBOL, text)
    return _SPACES.sub(" ", text).strip()


def build_vocabulary(items: Iterable[str], min_count: int = 1) -> Dict[str, int]:
    """Map each item seen at least `min_count` times to an id from 2 upwards.

    Ids 0 and 1 are reserved for padding and out-of-vocabulary. Ids follow
    descending frequency, ties broken alphabetically, so the same data always
    gives the same vocabulary.
    """
    counts: Dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    kept = sorted((item for item, n in counts.items() if n >= min_count), key=lambda i: (-counts[i], i))
    return {item: index for index, item in enumerate(kept, start=OOV_ID + 1)}


def encode(items: List[str], vocabulary: Dict[str, int], length: int) -> List[int]:
    """Ids for the first `length` items, right-padded with PAD_ID to `length`."""
    ids = [vocabulary.get(item, OOV_ID) for item in items[:length]]
    return ids + [PAD_ID] * (length - len(ids))
