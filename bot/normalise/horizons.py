"""Investment horizons in customers' words, as whole months.

``parse_horizon_months(text)`` reads a ``horizon`` entity's text;
``find_horizons(text)`` scans a whole message. Grammar (``numbers.fold``-ed
text)::

    horizon  := [bound] count [+] unit [bound-after]       三年, 18 months, 10+ years, 5年以上
              | count unit 半 | count 个半月 | 半年 | 半个月   一年半 = 18, 两年半 = 30, 半年 = 6
              | count and a half unit | a unit and a half | half a unit
              | count (到|-|~|to|or|或) count unit          3-5年, 3 to 5 years -> the lower bound
              | count unit or count                         a year or two -> the lower bound
              | two adjacent Chinese digits + unit          一两年 = 12, 三五年 = 36
              | a vague word (``VAGUE_HORIZON_MONTHS``)     长期, short term, 几年
    unit     := 年 | 个月 | 周 | 天 | decades | years | months | weeks | days | yrs | y | mo
    count    := any numeral (三, 18, 1.5, three, a, a couple of = 2, a few / 几 = 3)

Conventions (documented decisions):

* Ranges and "or" give the *lower* bound: a shorter horizon is the cautious
  reading (the recommender lets short money take less risk).
* "at least / more than / over / 10+ / 以上 / 多" give the stated figure.
* "within / up to / at most / 以内 / 不超过" give the stated figure (the
  money may stay that long); "less than / under / 不到 / 少于" give one month
  less (the money must come out before then: "less than a year" = 11, which
  keeps it under the recommender's 12-month boundary).
* Fractions of a month round down ("1.3 years" = 15), days and weeks convert
  at 30 days a month, rounded down; the result is at least 1 month. 0 and
  more than ``MAX_HORIZON_MONTHS`` are None.
* In Chinese a duration in months needs 个 (三个月); "3月" is March, not a
  horizon. "2025年5月" is a date, not 2025 years. A bare number ("3") has no
  unit and gives None: the bot asks rather than guess months or years
  (button payloads that carry months are the caller's own convention).
* Scanning skips durations that are really periods or ages: "最近三年",
  "past 3 years", "三年前", "3 years ago", "30岁".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from bot.normalise.numbers import (
    CN_DIGITS,
    CN_NUMERAL_PATTERN,
    EN_SMALL_CARDINAL_PATTERN,
    MAX_ENTITY_CHARS,
    MAX_SCAN_CHARS,
    alternation,
    fold,
    parse_count,
    parse_number,
)

MAX_HORIZON_MONTHS = 1200  # 100 years: anything longer is a misreading (a year, an amount)

# Vague words -> months: the bank's policy defaults, in one place.
VAGUE_HORIZON_MONTHS: dict[str, int] = {
    # short term: under a year
    "短期": 6, "短线": 6, "短期内": 6, "短时间": 6, "中短期": 6,
    "short term": 6, "short-term": 6, "short run": 6, "shortterm": 6, "short to medium term": 6,
    # medium term: one to three years
    "中期": 24, "中线": 24, "中长期": 24,
    "medium term": 24, "medium-term": 24, "mid term": 24, "mid-term": 24, "midterm": 24,
    "medium to long term": 24, "medium run": 24,
    # long term: five years or more
    "长期": 60, "长线": 60, "长远": 60, "长期持有": 60, "很长时间": 60,
    "long term": 60, "long-term": 60, "longterm": 60, "long run": 60, "long haul": 60, "the long haul": 60,
    # money that may be needed at any moment
    "随时": 1, "随时要用": 1, "随时可能用": 1, "any time": 1, "anytime": 1, "at any moment": 1,
}

_UNITS_TO_MONTHS: dict[str, Decimal] = {"decade": Decimal(120), "year": Decimal(12), "month": Decimal(1),
                                        "week": Decimal(7) / 30, "day": Decimal(1) / 30}
_UNIT_WORDS: dict[str, str] = {
    "年": "year", "个月": "month", "个多月": "month", "周": "week", "个星期": "week", "星期": "week",
    "个礼拜": "week", "礼拜": "week", "天": "day",
    "decades": "decade", "decade": "decade", "years": "year", "year": "year", "yrs": "year", "yr": "year", "y": "year",
    "months": "month", "month": "month", "mos": "month", "mo": "month",
    "weeks": "week", "week": "week", "wks": "week", "wk": "week", "days": "day", "day": "day",
}


_EN_COUNT = (
    rf"(?:\d+(?:\.\d+)?|a\s+couple\s+of|couple\s+of|a\s+couple|couple|a\s+few|few|several|an?|"
    rf"{EN_SMALL_CARDINAL_PATTERN})"
)
_CN_COUNT = rf"(?:{CN_NUMERAL_PATTERN}|好几|几)"
_COUNT = rf"(?:{_CN_COUNT}|\b{_EN_COUNT}\b)"
_UNIT = rf"(?:{alternation(u for u in _UNIT_WORDS if not u.isascii())}|(?<![a-z])(?:{alternation(u for u in _UNIT_WORDS if u.isascii())})(?![a-z]))"
# "2025年5月", "一年级", "年化": not durations.
_NOT_A_DURATION_AFTER = rf"(?!\s*(?:\d+|[{''.join(CN_DIGITS)}十]+)月|级|化|度|底|初|中(?!期))"

_LOWER = r"at\s+least|more\s+than|over|above|longer\s+than|超过|至少|起码|最少|不少于|不低于|大于|多于"
_UPPER = r"within|up\s+to|at\s+most|no\s+more\s+than|no\s+longer\s+than|不超过|最多|最长|顶多"
_UPPER_STRICT = r"less\s+than|under|shorter\s+than|不到|少于|不足|低于|小于"
_AFTER_LOWER = r"以上|多(?!少)|或以上|\+|or\s+more|or\s+longer|plus|and\s+up|and\s+above"
_AFTER_UPPER = r"以内|之内|内|以下|或以下|or\s+less|or\s+shorter|max|at\s+most|tops"
_AFTER_STRICT = r"不到"


@dataclass(frozen=True)
class HorizonMatch:
    """A horizon found in a message: character offsets into the original text."""

    start: int
    end: int
    months: int


def _count(text: str) -> Decimal | None:
    text = re.sub(r"\s+", " ", text.strip())
    if text in ("几", "好几"):
        return Decimal(3)
    if len(text) > 1 and all(c in CN_DIGITS for c in text):
        return None  # "一两" is a range, handled by its own rule
    counted = parse_count(text)
    if counted is not None:
        return Decimal(counted)
    value = parse_number(text)
    return value if value is not None and value > 0 else None


def _to_months(count: Decimal, unit_word: str) -> int | None:
    if count <= 0:
        return None
    unit = _UNIT_WORDS[unit_word.strip()]
    months = int((count * _UNITS_TO_MONTHS[unit]).to_integral_value(rounding=ROUND_FLOOR))
    months = max(months, 1)  # "two weeks" is still a (very short) horizon
    return months if months <= MAX_HORIZON_MONTHS else None


def _plain(m: re.Match) -> int | None:
    count = _count(m["n"])
    if count is None:
        return None
    months = _to_months(count, m["unit"])
    if months is None:
        return None
    if m["strict"] or m["after_strict"]:
        months = max(months - 1, 1)
    return months


def _half_en(m: re.Match) -> int | None:
    unit = (m["u1"] or m["u2"] or m["u3"] or "year").rstrip("s")
    if m["u3"] or m["halfyear"]:
        count = Decimal("0.5")
    elif m["u2"]:
        count = Decimal("1.5")
    else:
        whole = _count(m["n"])
        if whole is None:
            return None
        count = whole + Decimal("0.5")
    return _to_months(count, unit)


def _range(m: re.Match) -> int | None:
    low, high = _count(m["a"]), _count(m["b"])
    if low is None or high is None or high < low:
        return None
    return _to_months(low, m["au"] or m["unit"])


def _range_or(m: re.Match) -> int | None:
    low = _count(m["a"])
    return _to_months(low, m["unit"]) if low is not None else None


def _cn_pair(m: re.Match) -> int | None:
    first, second = CN_DIGITS[m["pair"][0]], CN_DIGITS[m["pair"][1]]
    if not 0 < first < second:
        return None
    return _to_months(Decimal(first), m["unit"])


def _half_cn(m: re.Match) -> int | None:
    if m["n2"] is not None or (m["n"] is None and m["u2"] is None):
        count = _count(m["n2"]) if m["n2"] is not None else Decimal(1)
        return _to_months(count + Decimal("0.5"), "个月") if count is not None else None
    if m["u2"] is not None:
        return 6 if m["u2"] == "年" else 1
    count = _count(m["n"])
    return _to_months(count + Decimal("0.5"), "年") if count is not None else None


_RULES: list[tuple[re.Pattern, object]] = [
    (re.compile(rf"(?P<pair>[一二两三四五六七八九]{{2}})\s*(?P<unit>年|个月|个星期|周|天){_NOT_A_DURATION_AFTER}"), _cn_pair),
    (re.compile(rf"(?:between\s+|从)?(?P<a>{_COUNT})\s*(?P<au>{_UNIT})?\s*(?:-|–|~|到|至|\bto\b|\bor\b|\band\b|或者|或)\s*"
                rf"(?P<b>{_COUNT})\s*(?P<unit>{_UNIT}){_NOT_A_DURATION_AFTER}"), _range),
    (re.compile(rf"(?P<a>{_COUNT})\s*(?P<unit>{_UNIT})\s*(?:\bor\b|或者|或)\s*(?P<b>{_COUNT})(?!\s*{_UNIT})"), _range_or),
    (re.compile(rf"(?:(?P<n>{_CN_COUNT})\s*(?P<u>年)半|(?P<n2>{_CN_COUNT})?个半月|半(?:个)?(?P<u2>年|月))"), _half_cn),
    (re.compile(rf"\b(?:(?P<n>{_EN_COUNT})\s+and\s+a\s+half\s+(?P<u1>years?|months?)"
                rf"|(?:a|an|one)\s+(?P<u2>year|month)\s+and\s+a\s+half"
                rf"|half\s+an?\s+(?P<u3>year|month)|(?P<halfyear>half[-\s]year))\b"), _half_en),
    (re.compile(rf"(?:(?:(?P<lower>{_LOWER})|(?P<upper>{_UPPER})|(?P<strict>{_UPPER_STRICT}))\s*)?"
                rf"(?P<n>{_COUNT})\s*\+?\s*(?P<unit>{_UNIT}){_NOT_A_DURATION_AFTER}"
                rf"(?:\s*(?:(?P<after_lower>{_AFTER_LOWER})|(?P<after_upper>{_AFTER_UPPER})|(?P<after_strict>{_AFTER_STRICT})))?"),
     _plain),
]



# When scanning a whole message, a duration is not a horizon if it is really a
# period ("最近三年", "past 3 years", "上半年"), a point in time or an age
# ("三年前", "3 years ago", "30 years old"), a rate ("5k a month", "每年",
# "一年能存多少"), a fund statistic ("1 year return", "近一年收益") or a
# question ("几个月", "how many years").
_PERIOD_BEFORE = re.compile(r"(?:最近|近|过去的?|前|这|今|去|上|下|\bpast|\blast|\bprevious|\brecent|\bhow\s+many)\s*$")
_POINT_AFTER = re.compile(
    r"^\s*(?:前|以前|之前|后|以后|之后|ago\b|old\b|岁|来|"
    r"returns?\b|performance\b|annuali[sz]ed\b|yield\b|收益|回报|年化|涨|跌|业绩|"
    r"能存|能攒|能赚|能挣|能花|要花|下来|多少|能撑|够)"
)
_RATE_BEFORE = re.compile(r"(?:\bper|\bevery|\beach|每|/|\d\s*[kw]?|[万千百块元]|\byuan|\brmb|\bbucks)\s*$")
_ONE_UNIT = re.compile(r"(?:(?:an?|one|1)\s+|一个?|1\s*个?)(?:years?|months?|weeks?|days?|年|月|周|天|星期|礼拜)")
_QUESTION_COUNT = re.compile(r"^(?:好几|几)")
# "a year" is a horizon after a duration word ("for a year", "within a year"),
# a rate elsewhere ("how much do I earn a year").
_A_UNIT = re.compile(r"an?\s+(?:year|month|week|day|decade)s?\b")
_DURATION_BEFORE = re.compile(
    r"(?:\bfor|\bwithin|\bin|\bover|\babout|\baround|\broughly|\bleast|\bthan|\bto|\bjust|\bonly|\bmaybe|"
    r"\bhold|\bkeep|\bleave|\bit|\bthem|\bterm|\bhorizon|\bperiod|\bis|:)\s*$"
)


def _candidates(folded: str) -> list[tuple[int, int, int, int]]:
    """(start, end, rule order, months) for every rule match."""
    found = []
    for order, (pattern, handler) in enumerate(_RULES):
        for match in pattern.finditer(folded):
            if match.end() == match.start() or folded[max(match.start() - 1, 0):match.start()] == "第":
                continue  # "第二天" is "the next day", an ordinal, not two days
            months = handler(match)
            if months is not None:
                found.append((match.start(), match.end(), order, months))
    for phrase, months in VAGUE_HORIZON_MONTHS.items():
        pattern = re.escape(phrase) if not phrase.isascii() else rf"\b{re.escape(phrase)}\b"
        for match in re.finditer(pattern, folded):
            found.append((match.start(), match.end(), len(_RULES), months))
    return found


def _select(found):
    chosen, last_end = [], -1
    for item in sorted(found, key=lambda f: (f[0], -(f[1] - f[0]), f[2])):
        if item[0] >= last_end:
            chosen.append(item)
            last_end = item[1]
    return chosen


def find_horizons(text: str) -> list[HorizonMatch]:
    """Every horizon in a whole message, left to right, as spans of the original text.

    Skips durations that are periods, points in time, ages, rates, fund
    statistics or questions (see ``_PERIOD_BEFORE`` and the lines below it).
    Only the first ``MAX_SCAN_CHARS`` characters are scanned.
    """
    folded = fold((text or "")[:MAX_SCAN_CHARS])
    out = []
    for start, end, _, months in _select(_candidates(folded)):
        span, before = folded[start:end], folded[:start]
        if _PERIOD_BEFORE.search(before) or _POINT_AFTER.match(folded[end:]) or _QUESTION_COUNT.match(span):
            continue
        if _ONE_UNIT.match(span) and _RATE_BEFORE.search(before):
            continue
        if _A_UNIT.match(span) and before.strip() and not _DURATION_BEFORE.search(before):
            continue
        out.append(HorizonMatch(start, end, months))
    return out


def parse_horizon_months(text: str) -> int | None:
    """The horizon in a horizon entity's text, in whole months, or None.

    Explicit durations win over vague words ("长期，三年以上" = 36).

    >>> parse_horizon_months("两年半"), parse_horizon_months("3-5 years"), parse_horizon_months("长期")
    (30, 36, 60)
    """
    if len(text or "") > MAX_ENTITY_CHARS:
        return None
    folded = fold(text or "")
    chosen = _select(_candidates(folded))
    explicit = [item for item in chosen if item[2] < len(_RULES)]
    if explicit:
        return explicit[0][3]
    return chosen[0][3] if chosen else None
