"""Amounts: customers' words -> exact CNY Decimals (bot/normalise/amounts.py)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.normalise.amounts import find_amounts, parse_amount, parse_money
from bot.normalise.numbers import parse_number

# (text, CNY) -- each figure worked out by hand from the words.
AMOUNTS = [
    # Chinese numerals and units
    ("5万", "50000"),
    ("五万", "50000"),
    ("两万", "20000"),
    ("两万块", "20000"),
    ("三千五", "3500"),          # spoken short form: 三千 + 五百
    ("一万二", "12000"),         # 一万 + 二千
    ("三万八", "38000"),
    ("两百五", "250"),
    ("一千零五", "1005"),         # 零 cancels the short form
    ("一万零五百", "10500"),
    ("五十万", "500000"),
    ("十万块", "100000"),
    ("二十万", "200000"),
    ("一百万", "1000000"),
    ("一千二百万", "12000000"),
    ("1.5亿", "150000000"),
    ("一亿五千万", "150000000"),
    ("2.5万", "25000"),
    ("3.5万", "35000"),
    ("3万2", "32000"),
    ("0.5万", "5000"),
    ("5千", "5000"),
    ("5百", "500"),
    ("三千块钱", "3000"),
    ("五万块钱", "50000"),
    ("伍万元", "50000"),          # financial numerals
    ("壹万贰仟元", "12000"),
    ("三点五万", "35000"),
    ("三块五", "3.5"),            # 块 then 角
    ("十块五毛", "10.5"),
    ("八千块", "8000"),
    # Arabic with markers
    ("50000", "50000"),
    ("50,000", "50000"),
    ("¥3,000.50", "3000.50"),
    ("￥3000", "3000"),
    ("３０００元", "3000"),        # full-width digits
    ("3000元", "3000"),
    ("3000块", "3000"),
    ("5w", "50000"),
    ("5W", "50000"),
    ("1.2w", "12000"),
    ("5w块", "50000"),
    ("20万 RMB", "200000"),
    ("人民币5000", "5000"),
    # English
    ("10k", "10000"),
    ("10K", "10000"),
    ("1.5m", "1500000"),
    ("1.5 million", "1500000"),
    ("RMB 20000", "20000"),
    ("rmb20,000", "20000"),
    ("20000 yuan", "20000"),
    ("20k rmb", "20000"),
    ("5,000 RMB", "5000"),
    ("twenty thousand", "20000"),
    ("fifty thousand", "50000"),
    ("a hundred grand", "100000"),
    ("10 grand", "10000"),
    ("2 lakh", "200000"),         # Indian English: 1 lakh = 100,000, 1 crore = 10,000,000
    ("1.5 lakhs", "150000"),
    ("5 lacs", "500000"),
    ("1 crore", "10000000"),
    ("fifty bucks", "50"),        # bucks = 块 for customers here
    ("half a million", "500000"),
    ("two point five million", "2500000"),
    ("one hundred and fifty yuan", "150"),
    ("1 yuan", "1"),
    # hedges do not change the figure
    ("about 50k", "50000"),
    ("around 3,000 yuan", "3000"),
    ("roughly twenty thousand", "20000"),
    ("大概5万", "50000"),
    ("5万左右", "50000"),
    ("5万多", "50000"),
    ("五千多块", "5000"),
    ("十来万", "100000"),
    ("差不多两万", "20000"),
    ("a grand", "1000"),
    ("about a grand", "1000"),
    ("a lakh", "100000"),
    ("fifteen hundred", "1500"),
    ("十二万三千四百五十六", "123456"),
    ("两块五", "2.5"),
    # an amount inside a longer entity text
    ("我想投5万", "50000"),
]


@pytest.mark.parametrize("text, expected", AMOUNTS)
def test_parse_amount(text, expected):
    amount = parse_amount(text)
    assert amount == Decimal(expected)
    assert amount.as_tuple().exponent == -2  # always 2 decimals: cents, exactly


NOT_AMOUNTS = [
    "",
    "hello",
    "上个月",
    "3年",              # a horizon
    "3 years",
    "5个月",
    "2025年",
    "5%",
    "000198",          # a fund code (leading zero)
    "05000",
    "buy 000198",
    "几万",             # vague: ask, do not guess
    "a few thousand",
    "3-5万",            # a range: ask
    "3到5万",
    "3.456元",          # fractions of a cent
    "千万别买",          # "by all means don't buy"
    "万一亏了",          # "in case it loses"
    "Q1",
]


@pytest.mark.parametrize("text", NOT_AMOUNTS)
def test_not_an_amount(text):
    assert parse_amount(text) is None


@pytest.mark.parametrize("text, currency, amount", [
    ("$100", "USD", "100"),
    ("100 USD", "USD", "100"),
    ("100美元", "USD", "100"),
    ("50 dollars", "USD", "50"),
    ("HK$2,000", "HKD", "2000"),
    ("200港币", "HKD", "200"),
    ("€30", "EUR", "30"),
    ("5000日元", "JPY", "5000"),
    ("5000元", "CNY", "5000"),
])
def test_parse_money_keeps_the_currency_and_parse_amount_is_cny_only(text, currency, amount):
    money = parse_money(text)
    assert money is not None and money.currency == currency and money.amount == Decimal(amount)
    assert (parse_amount(text) is not None) == (currency == "CNY")


def test_contradictory_currencies_are_not_an_amount():
    assert parse_money("$100元") is None


def test_bare_six_digit_number_without_leading_zero_is_an_amount_when_tagged_as_one():
    # "100000" typed as an amount is 10万; whether it is really a fund code is
    # for the component to decide against the catalogue.
    assert parse_amount("100000") == Decimal("100000")


def test_find_amounts_returns_spans_of_the_original_text():
    text = "我想买两万块的000198，期限3年"
    found = find_amounts(text)
    assert [(text[f.start:f.end], f.amount) for f in found] == [("两万块", Decimal("20000.00"))]


@pytest.mark.parametrize("text, spans", [
    ("buy 10,000 of the bond fund", ["10,000"]),
    ("I have 5k to invest for 3 years", ["5k"]),
    ("invest twenty thousand over 2 years", ["twenty thousand"]),
    ("花了五千块钱吃饭", ["五千块钱"]),
    ("put a hundred grand into 110022", ["a hundred grand"]),
    ("invest 1 lakh in 996002 pls", ["1 lakh"]),
    ("存款达到5万了", ["5万"]),
    ("buy 000198", []),                 # no bare numbers when scanning
    ("I spent 2024 in 2024", []),
    ("最近3个月花了多少", []),
    ("2025年5月的支出", []),
    ("我们一块去吧", []),                 # 一块 = together
    ("预算3-5万", []),
    ("10km run", []),
    # a bare number next to a money word counts; a 6-digit one (a code) never does
    ("i wanna buy 5000 of 519066", ["5000"]),
    ("买入5000的指数基金", ["5000"]),
    ("定投每月1000", ["1000"]),
    ("20000全部买北风平衡混合", ["20000"]),
    ("110022，5000，买入", ["5000"]),           # the full-width comma is no thousands separator
    ("加仓000198三千", ["三千"]),                # a Chinese numeral right after a code
    ("buy 110022", []),
    ("buy 2000 of it", []),                      # could be a year: ask
    ("the 2 of us", []),
])
def test_find_amounts_only_takes_explicit_amounts(text, spans):
    assert [text[f.start:f.end] for f in find_amounts(text)] == spans


# ---- properties -------------------------------------------------------------------------

_CN = "零一二三四五六七八九"


def _chinese_section(n: int) -> str:
    """0 < n < 10000 in formal Chinese (一千零五, 二十); an independent reference."""
    out, zero_pending = "", False
    for power, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // power % 10
        if digit:
            if zero_pending:
                out += "零"
            out += _CN[digit] + unit
            zero_pending = False
        elif out:
            zero_pending = True
    return out


def _chinese(n: int) -> str:
    high, low = divmod(n, 10000)
    out = _chinese_section(high) + "万" if high else ""
    if low:
        if high and low < 1000:
            out += "零"
        out += _chinese_section(low)
    return out


def test_reference_formatter_matches_known_readings():
    assert [_chinese(n) for n in (1005, 10005, 12000, 100000, 20)] == ["一千零五", "一万零五", "一万二千", "一十万", "二十"]


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=99_999_999))
def test_formal_chinese_numerals_read_back_exactly(n):
    assert parse_number(_chinese(n)) == n
    assert parse_amount(_chinese(n) + "元") == n


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10**9))
def test_arabic_forms_agree(n):
    assert parse_amount(str(n)) == n
    assert parse_amount(f"{n:,}") == n
    assert parse_amount(f"¥{n:,}") == n
    assert parse_amount(f"{n}元") == n


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=9999), st.sampled_from([("k", 1000), ("w", 10000), ("万", 10000),
                                                                  ("千", 1000), (" thousand", 1000)]))
def test_magnitudes_multiply_exactly(n, unit):
    suffix, factor = unit
    assert parse_amount(f"{n}{suffix}") == n * factor


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=99))
def test_cents_are_exact(yuan, cents):
    assert parse_amount(f"{yuan}.{cents:02d}元") == Decimal(yuan) + Decimal(cents) / 100
