"""Money amounts in customers' words, as exact CNY ``Decimal`` values.

Grammar (over ``numbers.fold``-ed text)::

    amount   := [prefix] numeral [multiplier] [suffix [jiao]]
    prefix   := ¥ | rmb | cny | 人民币 | yuan | $ | usd | hk$ | € | £ ...
    numeral  := Arabic | Chinese / mixed | English words      (see numbers.py)
    multiplier := k | w | m | mn | mil | bn | thousand | million | billion | grand
                | lakh | crore (Indian English: 10^5, 10^7)
    suffix   := 元 | 块 | 块钱 | 圆 | rmb | cny | yuan | kuai | bucks | 美元 | dollars | ...
    jiao     := one digit right after 元/块, optionally 角/毛 ("三块五" = 3.5)

Conventions (documented decisions):

* The product works in CNY. ``parse_money`` returns the amount *and* its
  currency (ISO 4217); ``parse_amount`` returns an amount only when the
  currency is CNY or unstated, and None for "$100", "100 USD", "100美元".
  "bucks" and "kuai" mean 块 here (CNY): that is how customers in China use
  them in English.
* Hedges are ignored: about/around/roughly/大概/约/左右/多/出头 ... give the
  stated figure ("5万多" = 50000, "about 50k" = 50000).
* Vague quantities ("几万", "a few thousand") and ranges ("3-5万") are not
  amounts (None): the bot should ask rather than guess a figure to invest.
* A bare number that starts with 0 ("000198", "05000") is never an amount: it
  is a fund code or an account fragment. Any bare 6-digit number *could* be a
  fund code; the Rasa component checks those against the catalogue.
* A number followed by a non-money unit is not an amount: "3年", "5个月",
  "5%", "2025年", "3 years", "10 days".
* Results are quantised to 2 decimals (``Decimal("3000.50")``); a figure with
  fractions of a cent ("3.456元") is not a valid CNY amount (None), nor is
  anything above ``MAX_AMOUNT`` (1万亿).

Two entry points:

* ``parse_amount(text)`` for the text of an entity someone already tagged as
  an amount: a bare "5000" counts.
* ``find_amounts(text)`` to scan a whole message: only *explicit* amounts count
  (a currency marker, a magnitude such as 万/千/k/thousand, or thousands
  separators), so "buy 000198" or "in 2024" never produce an amount.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from bot.normalise.numbers import (
    CN_DIGIT_CHARS,
    CN_NUMERAL_PATTERN,
    EN_NUMERAL_PATTERN,
    MAX_ENTITY_CHARS,
    MAX_SCAN_CHARS,
    alternation,
    fold,
    parse_chinese_number,
    parse_english_number,
    parse_number,
)

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal(10) ** 12  # 1万亿 CNY: anything above is a misreading

# Currency markers, most specific first; each maps to an ISO 4217 code.
_PREFIXES: dict[str, str] = {
    "us$": "USD", "hk$": "HKD", "$": "USD", "usd": "USD", "hkd": "HKD", "eur": "EUR", "€": "EUR",
    "gbp": "GBP", "£": "GBP", "jpy": "JPY",
    "¥": "CNY", "rmb": "CNY", "cny": "CNY", "人民币": "CNY", "yuan": "CNY",
}
_SUFFIXES: dict[str, str] = {
    "块钱": "CNY", "块": "CNY", "元钱": "CNY", "元整": "CNY", "元": "CNY", "圆": "CNY", "人民币": "CNY",
    "rmb": "CNY", "cny": "CNY", "yuan": "CNY", "kuai": "CNY", "bucks": "CNY", "buck": "CNY",
    "美元": "USD", "美金": "USD", "usd": "USD", "dollars": "USD", "dollar": "USD",
    "港币": "HKD", "港元": "HKD", "hkd": "HKD",
    "欧元": "EUR", "eur": "EUR", "euros": "EUR", "euro": "EUR",
    "英镑": "GBP", "gbp": "GBP", "pounds": "GBP", "pound": "GBP",
    "日元": "JPY", "jpy": "JPY", "yen": "JPY",
}
_MULTIPLIERS: dict[str, int] = {
    "k": 10**3, "thousand": 10**3, "grand": 10**3, "w": 10**4,
    "m": 10**6, "mn": 10**6, "mil": 10**6, "million": 10**6, "bn": 10**9, "billion": 10**9,
    "lakh": 10**5, "lakhs": 10**5, "lac": 10**5, "lacs": 10**5, "crore": 10**7, "crores": 10**7,
}


_CN_DIGIT_FOR_JIAO = "0-9一二两三四五六七八九"
# What may not follow a bare number for it to be money (a unit of something else).
_NOT_MONEY_AFTER = (
    r"\s*(?:%|percent\b|per\s*cent\b|年|个|月|天|日|号|周|岁|次|倍|只|份|点|分|秒|小时|米|公里|步|人|位|家|件|"
    r"台|辆|张|条|本|期|届|层|楼|页|首|集|部|种|项|笔|趟|遍|季|星期|礼拜|"
    r"years?\b|yrs?\b|y\b|months?\b|mos?\b|days?\b|weeks?\b|wks?\b|hours?\b|minutes?\b|mins?\b|"
    r"times\b|x\b|st\b|nd\b|rd\b|th\b|am\b|pm\b|km\b|kg\b|people\b|quarters?\b|q\d)"
)

_AMOUNT = re.compile(
    # Not glued to a Latin letter or digit before ("Q1", "1,000" seen from "000"),
    # except a Chinese numeral right after a code ("000198三千"); and not the
    # upper end of a range ("3-5万").
    rf"(?:(?<![a-z0-9_.$¥€£])(?<!\d,)|(?<=[0-9])(?=[{CN_DIGIT_CHARS}十]))(?<!\d-)(?<!\d~)(?<!\d到)(?<!\d至)"
    rf"(?<![一二两三四五六七八九十百千万]到)(?<![一二两三四五六七八九十百千万]至)"
    rf"(?:(?P<prefix>{alternation(_PREFIXES)})\s*)?"
    rf"(?P<num>{CN_NUMERAL_PATTERN}|{EN_NUMERAL_PATTERN})"
    rf"(?:\s*(?P<mult>k|w|mn|mil|m|bn)(?![a-z])|\s+(?P<multword>thousand|million|billion|grand|lakhs?|lacs?|crores?)\b)?"
    rf"(?:\s*(?P<suffix>{alternation(_SUFFIXES)})"
    rf"(?:(?<=[块元])(?P<jiao>[{_CN_DIGIT_FOR_JIAO}])(?:角|毛)?(?![0-9一二两三四五六七八九十百千万]))?)?"
)
# The same amount must not run on into a range or another numeral ("3-5万").
_RANGE_AFTER = re.compile(r"\s*(?:-|~|到|至|to\b)\s*[0-9一二两三四五六七八九十]")


@dataclass(frozen=True)
class Money:
    """An amount with its currency (ISO 4217)."""

    amount: Decimal
    currency: str


@dataclass(frozen=True)
class AmountMatch:
    """An amount found in a message: character offsets into the original text."""

    start: int
    end: int
    amount: Decimal
    currency: str
    explicit: bool   # a currency marker, a magnitude (万, k, thousand...) or separators


def _value_of(match: re.Match) -> tuple[Decimal, bool] | None:
    """(amount before quantising, explicit?) for one regex match, or None."""
    numeral = match.group("num")
    if re.fullmatch(r"0\d+", numeral):
        return None  # "000198": a code, not an amount
    if re.search(r"[a-z]", numeral):
        value = parse_english_number(numeral)
        explicit = bool(re.search(r"thousand|million|billion", numeral))
    else:
        value = parse_chinese_number(numeral)
        explicit = bool(re.search(r"[百千万亿佰仟萬億]|\d,\d", numeral))
    if value is None:
        return None
    multiplier = match.group("mult") or match.group("multword")
    if multiplier:
        value *= _MULTIPLIERS[multiplier]
        explicit = True
    if match.group("jiao"):
        value += parse_number(match.group("jiao")) / 10
    has_currency = bool(match.group("prefix") or match.group("suffix"))
    # "一块" on its own is mostly "together" (一块去), not one yuan.
    if has_currency and not (numeral == "一" and match.group("suffix") == "块" and not multiplier):
        explicit = True
    return value, explicit


def _currency_of(match: re.Match) -> str | None:
    codes = {_PREFIXES[match.group("prefix")]} if match.group("prefix") else set()
    if match.group("suffix"):
        codes.add(_SUFFIXES[match.group("suffix")])
    if len(codes) > 1:
        return None  # "$100元": contradictory
    return codes.pop() if codes else "CNY"


def _quantised(value: Decimal) -> Decimal | None:
    if value < 0 or value > MAX_AMOUNT:
        return None
    quantised = value.quantize(CENT)
    if quantised != value:
        return None  # fractions of a cent are not a CNY amount
    return quantised


_VAGUE_BEFORE = re.compile(r"(?:\bfew|\bseveral|\bcouple\s+of|\bcouple|\bmany|好几|几)\s*$")
_SCALE_FIRST = re.compile(r"(?:hundred|thousand|million|billion|dozen)s?\b")


def _is_money_shaped(text: str, match: re.Match) -> bool:
    """False if the number is vague ("a few thousand"), is followed by a
    non-money unit ("3年") or runs into a range ("3-5万")."""
    if _SCALE_FIRST.match(match.group("num")) or _VAGUE_BEFORE.search(text[:match.start()]):
        return False
    rest = text[match.end():]
    if _RANGE_AFTER.match(rest):
        return False
    if match.group("suffix") is None and re.match(_NOT_MONEY_AFTER, rest):
        return False
    return True


# Words right before or after a bare number that make it money: "buy 5000 of",
# "买入5000的", "定投每月1000", "20000全部买".
_MONEY_BEFORE = re.compile(
    r"(?:\bbuy|\bbought|\bbuying|\binvest|\binvesting|\binvested|\bsubscribe|\bsubscribing|\bput|\bputting|"
    r"\bpurchase|\bspend|\bspent|\bsave|\bsaving|\bsaved|\btransfer|\bdeposit|\bamount|\bbudget|\bminimum|"
    r"\bpurchase\s+of|\binvestment\s+of|\bplan\s+of|"
    r"买入|买|投入|投资|投|定投|加仓|申购|认购|存了|存|花了|花|每月|每个月|月供|预算|本金|金额|入金)"
    r"(?:\s+(?:just|only|about|around|like|another|in|me))?\s*(?:大概|大约|约|了|是|为|:|：)?\s*$"
)
_MONEY_AFTER = re.compile(r"^\s*[,，]?\s*(?:全部|都|全)?(?:买入|买|投|定投)|^\s*(?:的(?!话|时候)|of\b|into\b|worth\b)")
_YEAR_LIKE = re.compile(r"(?:19|20)\d{2}")


def _in_money_context(text: str, match: re.Match, value: Decimal) -> bool:
    """A bare number counts as money only next to a money word, and never when it
    could be a fund code (6 digits), a year, or is below 10."""
    numeral = match.group("num")
    if value < 10 or re.fullmatch(r"\d{6}", numeral) or _YEAR_LIKE.fullmatch(numeral):
        return False
    return bool(_MONEY_BEFORE.search(text[:match.start()]) or _MONEY_AFTER.match(text[match.end():]))


def _fold_for_amounts(text: str) -> str:
    """``fold`` and "a grand" / "a lakh" -> "1 ..." (same length: offsets stay valid)."""
    return re.sub(r"\ba(?=\s+(?:grand|lakh|lac|crore)\b)", "1", fold(text))


def find_amounts(text: str, explicit_only: bool = True) -> list[AmountMatch]:
    """Every amount in ``text``, left to right, as spans of the original text.

    With ``explicit_only`` (the default, for scanning whole messages) a number
    needs evidence that it is money: a currency marker, a magnitude (万, k,
    thousand), thousands separators, or -- for a bare number of at least 10
    that is neither 6 digits (a fund code) nor a year -- a money word next to
    it ("buy 5000 of", "买入5000的", "每月1000"). So "buy 000198", "buy
    110022", "in 2024" give nothing. Foreign-currency amounts are returned with
    their currency; filter on ``currency``. Only the first ``MAX_SCAN_CHARS``
    characters are scanned.
    """
    folded = _fold_for_amounts((text or "")[:MAX_SCAN_CHARS])
    found: list[AmountMatch] = []
    position = 0
    while True:
        match = _AMOUNT.search(folded, position)
        if match is None:
            return found
        accepted = _accept(folded, match, explicit_only)
        if accepted is None:
            # Not an amount here; one may start inside it ("000198三千" -> "三千").
            position = match.start() + 1
            continue
        found.append(accepted)
        position = match.end()


def _accept(folded: str, match: re.Match, explicit_only: bool) -> AmountMatch | None:
    if not match.group("num").strip() or not _is_money_shaped(folded, match):
        return None
    valued = _value_of(match)
    currency = _currency_of(match)
    if valued is None or currency is None:
        return None
    value, explicit = valued
    amount = _quantised(value)
    if amount is None:
        return None
    if explicit_only and not explicit and not _in_money_context(folded, match, amount):
        return None
    return AmountMatch(match.start(), match.end(), amount, currency, explicit)


# Hedges around a figure that do not change it.
_HEDGE_BEFORE = re.compile(
    r"^(?:about|around|roughly|approximately|approx\.?|circa|ca\.|some|like|maybe|perhaps|just|only|"
    r"nearly|almost|close\s+to|up\s+to|at\s+most|at\s+least|over|more\s+than|less\s+than|under|"
    r"no\s+more\s+than|a\s+total\s+of|total|~|≈|约莫|约|大约|大概|大致|差不多|将近|接近|最多|最少|至少|"
    r"不到|不超过|超过|只有|只|就|才|一共|总共|共|准备|打算)\s*"
)
_HEDGE_AFTER = re.compile(
    r"\s*(?:左右|上下|多|来|出头|以内|以上|以下|之内|的样子|吧|啊|呀|哦|的|ish|or\s+so|or\s+more|or\s+less|"
    r"max|tops|at\s+most|at\s+least|in\s+total|total|altogether|only)$"
)
# "五千多块", "十来万": a hedge between the figure and its unit.
_HEDGE_INSIDE = re.compile(r"(?<=[0-9十百千万亿])(?:多|来)(?=[块元万千百亿])")
_EDGE_PUNCTUATION = " \t\n.,!?;:。，！？；：、\"'“”‘’()（）"


def _without_hedges(folded: str) -> str:
    text = folded.strip(_EDGE_PUNCTUATION)
    while True:
        stripped = _HEDGE_AFTER.sub("", _HEDGE_BEFORE.sub("", text)).strip(_EDGE_PUNCTUATION)
        if stripped == text:
            break
        text = stripped
    return _HEDGE_INSIDE.sub("", text)


def parse_money(text: str) -> Money | None:
    """The amount and currency in an amount entity's text, or None.

    First the whole text (hedges removed) must be one amount, where a bare
    number counts ("5000"); failing that, the first explicit amount in the
    text is taken ("我想投5万" -> 50000).
    """
    if len(text or "") > MAX_ENTITY_CHARS:
        return None
    cleaned = _without_hedges(_fold_for_amounts(text or ""))
    if cleaned:
        whole = _AMOUNT.fullmatch(cleaned)
        if whole and whole.group("num").strip() and _is_money_shaped(cleaned, whole):
            valued = _value_of(whole)
            currency = _currency_of(whole)
            if valued is not None and currency is not None:
                amount = _quantised(valued[0])
                return Money(amount, currency) if amount is not None else None
            return None
    found = find_amounts(text or "")
    return Money(found[0].amount, found[0].currency) if found else None


def parse_amount(text: str) -> Decimal | None:
    """A CNY amount as an exact Decimal with 2 decimals, or None.

    None when there is no amount, when it is in another currency ("$100"),
    or when the text is something else ("3年", "上个月", "000198").

    >>> parse_amount("5万"), parse_amount("¥3,000.50"), parse_amount("about 50k")
    (Decimal('50000.00'), Decimal('3000.50'), Decimal('50000.00'))
    """
    money = parse_money(text)
    if money is None or money.currency != "CNY":
        return None
    return money.amount
