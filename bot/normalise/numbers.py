"""Numerals as customers type them: Arabic, Chinese and English words.

``parse_number`` reads one complete numeral and returns an exact ``Decimal``:

* Arabic: ``50000``, ``50,000`` (thousands separators must group by 3),
  ``3000.50``, ``.5``.
* Chinese: ``三千五`` = 3500 and ``一万二`` = 12000 (a single digit right after
  a unit is one step below it, the spoken short form), ``一千零五`` = 1005 (a
  零 cancels the short form), ``两万`` = 20000, ``十二`` = 12, ``一亿五千万``,
  ``三点五`` = 3.5, ``二零二五`` = 2025 (digits only: read digit by digit),
  financial numerals ``壹贰叁肆伍陆柒捌玖拾佰仟`` and ``萬億``.
* Mixed: ``2.5万``, ``3万2`` = 32000, ``5千``, ``1.5亿``.
* English words: ``twenty thousand``, ``a hundred``, ``one hundred and five``,
  ``two point five``, ``half a million``, ``1.5 million``, ``a dozen``.

A numeral may not start with 百/千/万/亿 (so 万一 "in case" and 千万 "by all
means" are not numbers); only 十 may lead (十二 = 12).

``fold`` is the text normalisation every parser in this package uses first. It
keeps the text's length, so a match's offsets are offsets into the original
message (the Rasa component relies on that).
"""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

# Longer texts are cut (scanning) or refused (entity values): no amount, period
# or category needs more, and it bounds the work hostile input can cause.
MAX_ENTITY_CHARS = 200
MAX_SCAN_CHARS = 1000

# ---- text folding ---------------------------------------------------------------


def fold(text: str) -> str:
    """NFKC and lower case, one character at a time, so the length never changes.

    Full-width digits, letters and punctuation become ASCII ("５万" -> "5万",
    "￥" -> "¥"), except the full-width comma "，", which separates clauses and
    is never a thousands separator ("110022，5000" is a code and an amount). A
    character whose NFKC or lower-case form is longer than one character is
    kept as it is.
    """
    out = []
    for char in text or "":
        if char == "，":
            out.append(char)
            continue
        folded = unicodedata.normalize("NFKC", char)
        if len(folded) != 1:
            folded = char
        lower = folded.lower()
        out.append(lower if len(lower) == 1 else folded)
    return "".join(out)


# ---- Chinese numerals -------------------------------------------------------------

CN_DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "○": 0,
    "一": 1, "壹": 1, "幺": 1,
    "二": 2, "贰": 2, "两": 2, "俩": 2,
    "三": 3, "叁": 3, "仨": 3,
    "四": 4, "肆": 4,
    "五": 5, "伍": 5,
    "六": 6, "陆": 6,
    "七": 7, "柒": 7,
    "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}
CN_SMALL_UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
CN_BIG_UNITS: dict[str, int] = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
_ZEROS = "零〇○"

CN_DIGIT_CHARS = "".join(CN_DIGITS)
CN_UNIT_CHARS = "".join(CN_SMALL_UNITS) + "".join(CN_BIG_UNITS)

# Arabic number: grouped thousands, or plain digits, with optional decimals.
ARABIC_PATTERN = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
# A Chinese or mixed numeral: starts with a digit (Arabic or Chinese) or 十/拾,
# continues with digits, units and 点 followed by a digit. Bounded repeats keep
# scanning linear on hostile input ("一" x 3000): no real amount needs more.
# An Arabic run may only follow a Chinese character, never another digit, so
# there is one way to split any text (no backtracking blow-up).
CN_NUMERAL_PATTERN = (
    rf"(?:\d{{1,3}}(?:,\d{{3}}){{1,5}}(?:\.\d{{1,4}})?|\d{{1,16}}(?:\.\d{{1,8}})?|\.\d{{1,8}}|[{CN_DIGIT_CHARS}十拾])"
    rf"(?:(?<![\d.,])\d{{1,16}}(?:\.\d{{1,8}})?|[{CN_DIGIT_CHARS}{CN_UNIT_CHARS}]|点(?=[{CN_DIGIT_CHARS}\d])){{0,24}}"
)

_ARABIC_FULL = re.compile(ARABIC_PATTERN)
_ARABIC_PREFIX = re.compile(r"\d[\d,]*(?:\.\d+)?|\.\d+")


def _arabic(text: str) -> Decimal | None:
    if not _ARABIC_FULL.fullmatch(text):
        return None
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def _tokens(text: str) -> list[tuple[str, Decimal | int | None, bool]] | None:
    """Split a Chinese/mixed numeral into (kind, value, is_single_digit) tokens.

    kind is "num", "zero", "small" (十百千) or "big" (万亿). None if a
    character is not part of a numeral.
    """
    tokens: list[tuple[str, Decimal | int | None, bool]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isdigit() or char == ".":
            match = _ARABIC_PREFIX.match(text, i)
            if not match:
                return None
            value = _arabic(match.group())
            if value is None:
                return None
            digits = match.group()
            tokens.append(("num", value, len(digits) == 1))
            i = match.end()
        elif char in _ZEROS:
            tokens.append(("zero", None, False))
            i += 1
        elif char in CN_DIGITS:
            tokens.append(("num", Decimal(CN_DIGITS[char]), True))
            i += 1
        elif char in CN_SMALL_UNITS:
            tokens.append(("small", CN_SMALL_UNITS[char], False))
            i += 1
        elif char in CN_BIG_UNITS:
            tokens.append(("big", CN_BIG_UNITS[char], False))
            i += 1
        else:
            return None
    return tokens


def _evaluate(tokens: list[tuple[str, Decimal | int | None, bool]]) -> Decimal | None:
    """Value of a tokenised Chinese numeral (see the module docstring for the rules)."""
    total = Decimal(0)        # completed 万 / 亿 sections
    section = Decimal(0)      # the part below the current 万 / 亿
    current: Decimal | None = None
    current_single = False
    last_unit: int | None = None       # the unit the short form is measured against
    last_small: int | None = None      # small units must fall: 千 > 百 > 十
    zero_since_unit = False
    previous_kind: str | None = None
    for index, (kind, value, single) in enumerate(tokens):
        if kind == "num":
            if current is not None:
                return None  # two numbers in a row ("3 5") is not one numeral
            current, current_single = value, single
        elif kind == "zero":
            if current is not None:
                return None
            zero_since_unit = True
        elif kind == "small":
            if current is None:
                if index == 0 and value == 10:
                    current = Decimal(1)  # 十二 = 12
                elif previous_kind == "zero" and value == 10:
                    current = Decimal(1)  # 一百零十 is odd but harmless
                else:
                    return None
            if last_small is not None and value >= last_small:
                return None
            section += current * value
            current, last_unit, last_small = None, value, value
            zero_since_unit = False
        else:  # big unit
            if current is None and section == 0 and total == 0:
                return None
            value_here = section + (current or 0)
            if value == 10**8:
                total = (total + value_here) * value
            else:
                if value_here == 0:
                    return None  # 亿万: 万 with nothing in front of it
                total += value_here * value
            section, current, last_unit, last_small = Decimal(0), None, value, None
            zero_since_unit = False
        previous_kind = kind
    if current is not None:
        short_form = (
            current_single and last_unit is not None and not zero_since_unit
            and previous_kind == "num" and len(tokens) >= 2 and tokens[-2][0] in ("small", "big")
        )
        section += current * (Decimal(last_unit) / 10) if short_form else current
    if not tokens:
        return None
    return total + section


def parse_chinese_number(text: str) -> Decimal | None:
    """A Chinese or mixed numeral ("三千五", "2.5万", "二零二五", "三点五万") or None."""
    text = text.strip()
    if not text:
        return None
    if text[0] in CN_UNIT_CHARS and text[0] not in "十拾":
        return None
    if "点" in text:
        whole, _, rest = text.partition("点")
        fraction = ""
        while rest and rest[0] in CN_DIGITS:
            fraction += str(CN_DIGITS[rest[0]])
            rest = rest[1:]
        if not fraction or (rest and any(c not in CN_BIG_UNITS and c not in CN_SMALL_UNITS for c in rest)):
            return None
        integer = parse_chinese_number(whole)
        if integer is None:
            return None
        value = integer + Decimal("0." + fraction)
        for unit in rest:
            value *= CN_BIG_UNITS.get(unit) or CN_SMALL_UNITS[unit]
        return value
    # Chinese digits only, more than one: read digit by digit (二零二五 = 2025).
    if len(text) > 1 and all(c in CN_DIGITS for c in text):
        return Decimal("".join(str(CN_DIGITS[c]) for c in text))
    tokens = _tokens(text)
    if tokens is None:
        return None
    return _evaluate(tokens)


# ---- English number words ---------------------------------------------------------

EN_ONES: dict[str, int] = {
    "zero": 0, "nil": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19,
}
EN_TENS: dict[str, int] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}
EN_SCALES: dict[str, int] = {
    "thousand": 10**3, "thousands": 10**3, "million": 10**6, "millions": 10**6,
    "billion": 10**9, "billions": 10**9,
}
_EN_VALUE_WORDS = set(EN_ONES) | set(EN_TENS) | set(EN_SCALES) | {"hundred", "hundreds", "dozen"}


def alternation(words) -> str:
    """A regex alternation of literal words, longest first (so "twenty" wins over "two")."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# An English cardinal from zero to ninety-nine in words: "seven", "twenty-one", "forty five".
EN_SMALL_CARDINAL_PATTERN = (
    rf"(?:{alternation(EN_TENS)})(?:[\s-](?:{alternation(w for w in EN_ONES if EN_ONES[w] < 10)}))?"
    rf"|{alternation(EN_ONES)}"
)

_en_alternatives = "|".join(sorted(_EN_VALUE_WORDS, key=len, reverse=True))
# One English numeral: optional "a"/"an"/"half a" lead, then value words joined
# by spaces, hyphens, "and" or "point"; Arabic numbers may lead ("1.5 million").
EN_NUMERAL_PATTERN = (
    rf"(?:\b(?:half\s+an?|an?)\s+)?"
    rf"(?:\b{ARABIC_PATTERN}\s+(?=(?:hundred|thousand|million|billion)s?\b)|\b(?:{_en_alternatives})\b)"
    rf"(?:(?:\s+and\s+|\s+point\s+|[\s-]+)(?:{_en_alternatives})\b){{0,12}}"
)


def parse_english_number(text: str) -> Decimal | None:
    """English number words ("twenty thousand", "a hundred and five", "half a million").

    Arabic numbers may lead a scale word ("1.5 million", "2 thousand").
    Returns None unless every word is part of the numeral.
    """
    words = [w for w in re.split(r"[\s-]+", text.strip()) if w]
    if not words:
        return None
    total = Decimal(0)
    current: Decimal | None = None
    fraction_digits: str | None = None
    seen_value = False
    half = False
    i = 0
    while i < len(words):
        word = words[i]
        following = words[i + 1] if i + 1 < len(words) else None
        if fraction_digits is not None:
            if word in EN_ONES and EN_ONES[word] < 10:
                fraction_digits += str(EN_ONES[word])
                i += 1
                continue
            if word not in EN_SCALES and word not in ("hundred", "hundreds"):
                return None
            current = (current or Decimal(0)) + Decimal("0." + fraction_digits)
            fraction_digits = None
            continue  # the scale word is handled below on the next pass
        if word in ("a", "an"):
            if following not in ("hundred", "thousand", "million", "billion", "dozen") or current is not None:
                return None
            current = Decimal(1)
        elif word == "half":
            if current is not None or seen_value:
                return None
            half = True
            if following in ("a", "an"):
                i += 1
            current = Decimal("0.5")
        elif word == "and":
            if not seen_value:
                return None
        elif word == "point":
            if current is None:
                return None
            fraction_digits = ""
        elif _arabic(word) is not None and i == 0:
            current = _arabic(word)
            seen_value = True
        elif word in EN_ONES:
            current = (current or Decimal(0)) + EN_ONES[word]
            seen_value = True
        elif word in EN_TENS:
            current = (current or Decimal(0)) + EN_TENS[word]
            seen_value = True
        elif word in ("hundred", "hundreds"):
            current = (current if current is not None else Decimal(1)) * 100
            seen_value = True
        elif word == "dozen":
            current = (current if current is not None else Decimal(1)) * 12
            seen_value = True
        elif word in EN_SCALES:
            total += (current if current is not None else Decimal(1)) * EN_SCALES[word]
            current = None
            seen_value = True
        else:
            return None
        i += 1
    if fraction_digits:
        current = (current or Decimal(0)) + Decimal("0." + fraction_digits)
    elif fraction_digits == "":
        return None
    if not seen_value:
        return None
    if half and total == 0 and current == Decimal("0.5"):
        return None  # "half" alone is not a number
    return total + (current or Decimal(0))


# ---- any numeral --------------------------------------------------------------------

# Vague counts customers use for periods and horizons ("the last few months").
VAGUE_COUNTS: dict[str, int] = {
    "a couple of": 2, "a couple": 2, "couple of": 2, "couple": 2, "a few": 3, "few": 3, "several": 3,
}


def parse_number(text: str) -> Decimal | None:
    """One complete numeral in any of the supported forms, else None.

    >>> parse_number("三千五"), parse_number("2.5万"), parse_number("twenty thousand")
    (Decimal('3500'), Decimal('25000.0'), Decimal('20000'))
    """
    text = fold(text).strip()
    if not text:
        return None
    value = _arabic(text)
    if value is not None:
        return value
    if re.search(r"[a-z]", text):
        return parse_english_number(text)
    return parse_chinese_number(text)


def parse_count(text: str) -> int | None:
    """A small whole count: "3", "三", "two", "a couple of", "a few"; else None."""
    text = fold(text).strip()
    if text in VAGUE_COUNTS:
        return VAGUE_COUNTS[text]
    if text in ("a", "an", "one"):
        return 1
    value = parse_number(text)
    if value is None or value != value.to_integral_value() or value < 0:
        return None
    return int(value)
