"""Investment horizons: customers' words -> whole months (bot/normalise/horizons.py)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.normalise.horizons import VAGUE_HORIZON_MONTHS, find_horizons, parse_horizon_months

HORIZONS = [
    # Chinese
    ("三年", 36),
    ("3年", 36),
    ("两年", 24),
    ("十年", 120),
    ("五年", 60),
    ("半年", 6),
    ("18个月", 18),
    ("十八个月", 18),
    ("三个月", 3),
    ("一年半", 18),
    ("两年半", 30),
    ("1.5年", 18),
    ("3-5年", 36),          # a range: the lower bound
    ("三到五年", 36),
    ("三五年", 36),         # two adjacent digits: a range
    ("一两年", 12),
    ("两三年", 24),
    ("5年以上", 60),        # at least five years: the stated figure
    ("十年以上", 120),
    ("三年多", 36),
    ("一年以内", 12),       # within: may stay that long
    ("不到一年", 11),       # less than: must come out before
    ("90天", 3),
    ("几年", 36),
    ("几个月", 3),
    ("长期", 60),
    ("长线", 60),
    ("短期", 6),
    ("中期", 24),
    ("中长期", 24),         # the shorter end
    ("打算长期持有", 60),
    ("三年期", 36),
    # English
    ("3 years", 36),
    ("three years", 36),
    ("18 months", 18),
    ("six months", 6),
    ("a year", 12),
    ("one year", 12),
    ("a couple of years", 24),
    ("a few years", 36),
    ("1.5 years", 18),
    ("one and a half years", 18),
    ("a year and a half", 18),
    ("half a year", 6),
    ("3-5 years", 36),
    ("3 to 5 years", 36),
    ("between 3 and 5 years", 36),
    ("a year or two", 12),
    ("10+ years", 120),
    ("more than 10 years", 120),
    ("at least 5 years", 60),
    ("less than a year", 11),
    ("within 2 years", 24),
    ("6 weeks", 1),         # 42 days: rounds down, at least a month
    ("1.3 years", 15),      # 15.6 months rounds down
    ("3y", 36),
    ("5 yrs", 60),
    ("long term", 60),
    ("long-term", 60),
    ("the long haul", 60),
    ("long run", 60),
    ("short term", 6),
    ("medium term", 24),
    ("for about 3 years", 36),
    ("a decade", 120),
    ("couple years", 24),
]


@pytest.mark.parametrize("text, months", HORIZONS)
def test_parse_horizon_months(text, months):
    assert parse_horizon_months(text) == months


@pytest.mark.parametrize("text", ["", "hello", "5万", "上个月", "三月", "2025年5月", "0年", "不知道",
                                  "一年级", "年化3%", "1000 years",
                                  "3", "12"])   # no unit: 3 months or 3 years? ask
def test_not_a_horizon(text):
    assert parse_horizon_months(text) is None


def test_explicit_figures_win_over_vague_words():
    assert parse_horizon_months("长期，三年以上") == 36
    assert parse_horizon_months("short term, like 3 months") == 3


def test_vague_word_table_is_ordered_short_medium_long():
    assert VAGUE_HORIZON_MONTHS["短期"] == VAGUE_HORIZON_MONTHS["short term"] < 12
    assert 12 <= VAGUE_HORIZON_MONTHS["中期"] == VAGUE_HORIZON_MONTHS["medium term"] < 36
    assert VAGUE_HORIZON_MONTHS["长期"] == VAGUE_HORIZON_MONTHS["long term"] >= 60
    assert all(isinstance(v, int) and v >= 1 for v in VAGUE_HORIZON_MONTHS.values())


@pytest.mark.parametrize("text, spans", [
    ("我打算投三年", [("三年", 36)]),
    ("I can leave it for 5 years", [("5 years", 60)]),
    ("最近三年收益怎么样", []),           # a period, not a horizon
    ("how did it do over the past 3 years", []),
    ("三年前买的", []),                   # a point in time
    ("I bought it 2 years ago", []),
    ("I am 30 years old", []),
    ("2025年5月花了多少", []),            # a date
    ("有10万想买点基金，放两年半", [("两年半", 30)]),
    ("上半年花了多少", []),                  # a period
    ("auto invest 2k a month", []),          # a rate
    ("how much do i earn a year", []),       # a rate question... not a horizon
    ("一年能存多少", []),
    ("what's the 3 year return on it", []),  # a fund statistic
    ("赎回要几天", []),                       # a question
    ("下单算第二天", []),                     # an ordinal
])
def test_find_horizons_skips_periods_dates_and_ages(text, spans):
    assert [(text[h.start:h.end], h.months) for h in find_horizons(text)] == spans


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=50))
def test_years_and_months_agree(n):
    assert parse_horizon_months(f"{n}年") == parse_horizon_months(f"{n} years") == 12 * n
    assert parse_horizon_months(f"{12 * n}个月") == parse_horizon_months(f"{12 * n} months") == 12 * n
    assert parse_horizon_months(f"{n}年半") == 12 * n + 6


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=20), st.integers(min_value=1, max_value=20))
def test_ranges_take_the_lower_bound(a, b):
    low, high = min(a, b), max(a, b)
    assert parse_horizon_months(f"{low}-{high}年") == 12 * low
    assert parse_horizon_months(f"{low} to {high} years") == 12 * low
