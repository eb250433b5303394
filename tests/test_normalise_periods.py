"""Time periods: customers' words -> inclusive date ranges (bot/normalise/periods.py).

Expected ranges are worked out by hand from the conventions in the module
docstring. TODAY is Sunday 15 March 2026 (2026 is not a leap year).
"""
from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.normalise.periods import Period, find_periods, parse_period

TODAY = date(2026, 3, 15)
assert TODAY.weekday() == 6  # Sunday: the week began on Monday 9 March


def d(text: str) -> date:
    return date.fromisoformat(text)


PERIODS = [
    # -- Chinese --
    ("上个月", "2026-02-01", "2026-02-28"),
    ("上月", "2026-02-01", "2026-02-28"),
    ("这个月", "2026-03-01", "2026-03-15"),      # this month ends today
    ("本月", "2026-03-01", "2026-03-15"),
    ("今年以来", "2026-01-01", "2026-03-15"),
    ("今年", "2026-01-01", "2026-03-15"),
    ("去年", "2025-01-01", "2025-12-31"),
    ("去年全年", "2025-01-01", "2025-12-31"),
    ("前年", "2024-01-01", "2024-12-31"),
    ("最近三个月", "2025-12-16", "2026-03-15"),  # rolling: 3 months back, +1 day
    ("近3个月", "2025-12-16", "2026-03-15"),
    ("过去三个月", "2025-12-16", "2026-03-15"),
    ("最近半年", "2025-09-16", "2026-03-15"),
    ("最近两周", "2026-03-02", "2026-03-15"),    # 14 days including today
    ("最近30天", "2026-02-14", "2026-03-15"),
    ("上周", "2026-03-02", "2026-03-08"),
    ("上礼拜", "2026-03-02", "2026-03-08"),
    ("本周", "2026-03-09", "2026-03-15"),
    ("本季度", "2026-01-01", "2026-03-15"),
    ("上季度", "2025-10-01", "2025-12-31"),
    ("第一季度", "2026-01-01", "2026-03-15"),    # Q1 has started this year
    ("二季度", "2025-04-01", "2025-06-30"),      # Q2 has not: last year's
    ("2025年5月", "2025-05-01", "2025-05-31"),
    ("5月", "2025-05-01", "2025-05-31"),          # May has not come yet this year
    ("五月", "2025-05-01", "2025-05-31"),
    ("3月份", "2026-03-01", "2026-03-15"),
    ("去年12月", "2025-12-01", "2025-12-31"),
    ("昨天", "2026-03-14", "2026-03-14"),
    ("今天", "2026-03-15", "2026-03-15"),
    ("前天", "2026-03-13", "2026-03-13"),
    ("上半年", "2026-01-01", "2026-03-15"),
    ("去年下半年", "2025-07-01", "2025-12-31"),
    ("上上个月", "2026-01-01", "2026-01-31"),
    ("三月到五月", "2025-03-01", "2025-05-31"),    # May not started: the range is last year's
    ("今年前两个月", "2026-01-01", "2026-02-28"),
    ("2024年", "2024-01-01", "2024-12-31"),
    ("二零二四年", "2024-01-01", "2024-12-31"),
    ("国庆节", "2025-10-01", "2025-10-07"),
    ("春节", "2026-02-16", "2026-02-22"),        # New Year's Day 17 Feb 2026, from the eve
    ("双十一", "2025-11-11", "2025-11-11"),
    ("中秋前后", "2025-10-05", "2025-10-07"),     # 6 Oct 2025, +-1 day; 2026's is in September
    ("寒假", "2026-01-15", "2026-02-28"),
    ("周末", "2026-03-14", "2026-03-15"),        # today is Sunday
    ("上周五", "2026-03-06", "2026-03-06"),
    ("3月1日", "2026-03-01", "2026-03-01"),
    ("三月至今", "2026-03-01", "2026-03-15"),
    ("从去年12月到今年2月", "2025-12-01", "2026-02-28"),
    # -- English --
    ("last month", "2026-02-01", "2026-02-28"),
    ("this month", "2026-03-01", "2026-03-15"),
    ("so far this month", "2026-03-01", "2026-03-15"),
    ("year to date", "2026-01-01", "2026-03-15"),
    ("YTD", "2026-01-01", "2026-03-15"),
    ("this year", "2026-01-01", "2026-03-15"),
    ("last year", "2025-01-01", "2025-12-31"),
    ("past 3 months", "2025-12-16", "2026-03-15"),
    ("the last three months", "2025-12-16", "2026-03-15"),
    ("the last 90 days", "2025-12-16", "2026-03-15"),
    ("the past 12 months", "2025-03-16", "2026-03-15"),
    ("past month", "2026-02-16", "2026-03-15"),   # rolling, unlike "last month"
    ("last week", "2026-03-02", "2026-03-08"),
    ("this week", "2026-03-09", "2026-03-15"),
    ("the last fortnight", "2026-03-02", "2026-03-15"),
    ("past 2 weeks", "2026-03-02", "2026-03-15"),
    ("this quarter", "2026-01-01", "2026-03-15"),
    ("last quarter", "2025-10-01", "2025-12-31"),
    ("Q2", "2025-04-01", "2025-06-30"),
    ("Q4 last year", "2025-10-01", "2025-12-31"),
    ("in March", "2026-03-01", "2026-03-15"),
    ("March", "2026-03-01", "2026-03-15"),
    ("December", "2025-12-01", "2025-12-31"),
    ("last December", "2025-12-01", "2025-12-31"),
    ("March last year", "2025-03-01", "2025-03-31"),
    ("May 2025", "2025-05-01", "2025-05-31"),
    ("since January", "2026-01-01", "2026-03-15"),
    ("since September", "2025-09-01", "2026-03-15"),
    ("between January and March", "2026-01-01", "2026-03-15"),
    ("from Jan to March", "2026-01-01", "2026-03-15"),
    ("between November and February", "2025-11-01", "2026-02-28"),  # wraps the year end
    ("2024", "2024-01-01", "2024-12-31"),
    ("first half of 2025", "2025-01-01", "2025-06-30"),
    ("yesterday", "2026-03-14", "2026-03-14"),
    ("today", "2026-03-15", "2026-03-15"),
    ("the day before yesterday", "2026-03-13", "2026-03-13"),
    ("the weekend", "2026-03-14", "2026-03-15"),
    ("last weekend", "2026-03-07", "2026-03-08"),   # the previous week's weekend
    ("last Friday", "2026-03-13", "2026-03-13"),
    ("May 1st", "2025-05-01", "2025-05-01"),
    ("in the last month", "2026-02-16", "2026-03-15"),   # "the last month" is rolling
    ("over the last year", "2025-03-16", "2026-03-15"),
    ("last two quarters", "2025-09-16", "2026-03-15"),
    ("最近两个季度", "2025-09-16", "2026-03-15"),
    ("since the start of the year", "2026-01-01", "2026-03-15"),
    ("年初至今", "2026-01-01", "2026-03-15"),
    ("月初以来", "2026-03-01", "2026-03-15"),
    ("1-3月", "2026-01-01", "2026-03-15"),
    ("一到三月", "2026-01-01", "2026-03-15"),
    ("2025年1-3月", "2025-01-01", "2025-03-31"),
    ("Jan-Mar 2025", "2025-01-01", "2025-03-31"),
    ("2025年Q3", "2025-07-01", "2025-09-30"),
    ("2025-01-01至2025-03-31", "2025-01-01", "2025-03-31"),
    ("between 1 Jan and 31 Mar", "2026-01-01", "2026-03-15"),  # the range rule picks the year
    ("3月1日到5月1日", "2025-03-01", "2025-05-01"),
    ("上个月到现在", "2026-02-01", "2026-03-15"),
]


@pytest.mark.parametrize("text, start, end", PERIODS)
def test_parse_period(text, start, end):
    period = parse_period(text, TODAY)
    assert period is not None
    assert (period.start, period.end) == (d(start), d(end))


# (today, text, start, end): month, quarter and year boundaries, leap years.
BOUNDARIES = [
    (date(2026, 1, 10), "上个月", "2025-12-01", "2025-12-31"),
    (date(2026, 1, 10), "last month", "2025-12-01", "2025-12-31"),
    (date(2026, 1, 10), "上季度", "2025-10-01", "2025-12-31"),
    (date(2026, 1, 10), "this month", "2026-01-01", "2026-01-10"),
    (date(2026, 1, 10), "this quarter", "2026-01-01", "2026-01-10"),
    (date(2026, 1, 10), "本周", "2026-01-05", "2026-01-10"),
    (date(2026, 1, 10), "December", "2025-12-01", "2025-12-31"),
    (date(2026, 1, 10), "最近三个月", "2025-10-11", "2026-01-10"),
    (date(2026, 1, 10), "between November and January", "2025-11-01", "2026-01-10"),
    (date(2026, 1, 10), "去年", "2025-01-01", "2025-12-31"),
    (date(2024, 3, 31), "上个月", "2024-02-01", "2024-02-29"),      # leap February
    (date(2024, 3, 31), "past month", "2024-03-01", "2024-03-31"),  # 31 Mar - 1 month = 29 Feb
    (date(2024, 3, 31), "近两个月", "2024-02-01", "2024-03-31"),
    (date(2024, 2, 29), "last year", "2023-01-01", "2023-12-31"),
    (date(2024, 2, 29), "past 12 months", "2023-03-01", "2024-02-29"),
    (date(2024, 2, 29), "2月", "2024-02-01", "2024-02-29"),
    (date(2024, 2, 29), "this month", "2024-02-01", "2024-02-29"),
    (date(2025, 3, 31), "last month", "2025-02-01", "2025-02-28"),
    (date(2025, 12, 31), "下半年", "2025-07-01", "2025-12-31"),
    (date(2025, 6, 30), "下半年", "2024-07-01", "2024-12-31"),      # H2 has not started
]


@pytest.mark.parametrize("today, text, start, end", BOUNDARIES)
def test_parse_period_at_boundaries(today, text, start, end):
    period = parse_period(text, today)
    assert period is not None
    assert (period.start, period.end) == (d(start), d(end))


@pytest.mark.parametrize("text", ["", "hello", "下个月", "next month", "明年", "5万", "三年", "最近", "2月30日",
                                  "2月30日到3月1日", "2025-02-29", "what's my balance"])
def test_not_a_period(text):
    assert parse_period(text, TODAY) is None


def test_lunar_festivals_outside_the_table_are_not_guessed():
    assert parse_period("春节", date(2035, 6, 1)) is None
    assert parse_period("中秋", date(2035, 12, 1)) is None


def test_labels_tell_relative_from_explicit_periods():
    assert parse_period("上个月", TODAY).label == "last_month"
    assert parse_period("last 3 months", TODAY).label == "last_3_months"
    assert parse_period("2025年5月", TODAY).label == "2025-05"
    assert parse_period("Q1 2025", TODAY).label == "2025-Q1"
    assert parse_period("since January", TODAY).label.startswith("since_")


def test_to_dict_is_json_ready():
    assert parse_period("上个月", TODAY).to_dict() == {"start": "2026-02-01", "end": "2026-02-28", "label": "last_month"}


@pytest.mark.parametrize("text, spans", [
    ("上个月吃饭花了多少", ["上个月"]),
    ("how much did I spend in may", ["may"]),
    ("may I know my balance", []),            # "may" the verb
    ("I have 2024 yuan", []),
    ("how much since 2024", ["since 2024"]),
    ("spending from Jan to March on dining", ["from Jan to March"]),
    ("compare last month with this month", ["last month", "this month"]),
    ("我想投5万，期限3年", []),
    ("上海这周天气咋样", []),                   # 周天 is Sunday, but not in 天气
])
def test_find_periods_in_whole_messages(text, spans):
    assert [text[m.start:m.end] for m in find_periods(text, TODAY)] == spans


# ---- properties over any today -------------------------------------------------------------

todays = st.dates(min_value=date(2001, 1, 1), max_value=date(2098, 12, 31))


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@settings(max_examples=150, deadline=None)
@given(todays)
def test_last_month_is_the_whole_previous_calendar_month(today):
    for text in ("上个月", "last month"):
        period = parse_period(text, today)
        assert period.start.day == 1
        assert period.end == _month_end(period.start)
        assert period.end + timedelta(days=1) == today.replace(day=1)


@settings(max_examples=150, deadline=None)
@given(todays, st.integers(min_value=1, max_value=24))
def test_rolling_months_end_today_and_span_about_n_months(today, n):
    for text in (f"最近{n}个月", f"past {n} months"):
        period = parse_period(text, today)
        length = (period.end - period.start).days + 1
        assert period.end == today
        assert 28 * n - 3 <= length <= 31 * n + 1


@settings(max_examples=150, deadline=None)
@given(todays, st.integers(min_value=1, max_value=400))
def test_rolling_days_hold_exactly_n_days(today, n):
    period = parse_period(f"last {n} days", today)
    assert period.end == today and (period.end - period.start).days + 1 == n


@settings(max_examples=150, deadline=None)
@given(todays)
def test_weeks_start_on_monday(today):
    this_week = parse_period("本周", today)
    last_week = parse_period("last week", today)
    assert this_week.start.weekday() == 0 and 0 <= (today - this_week.start).days < 7 and this_week.end == today
    assert last_week.start.weekday() == 0 and last_week.end.weekday() == 6
    assert last_week.end + timedelta(days=1) == this_week.start


@settings(max_examples=150, deadline=None)
@given(todays, st.integers(min_value=1, max_value=12))
def test_a_bare_month_is_its_most_recent_start(today, month):
    for text in (f"{month}月", calendar.month_name[month]):
        period = parse_period(text, today)
        assert period.start.month == month and period.start.day == 1
        assert period.start <= today < date(period.start.year + 1, month, 1)
        assert period.end <= today


@settings(max_examples=150, deadline=None)
@given(todays)
def test_last_quarter_ends_the_day_before_this_quarter(today):
    last_quarter = parse_period("上季度", today)
    this_quarter = parse_period("this quarter", today)
    assert last_quarter.start.month in (1, 4, 7, 10) and last_quarter.start.day == 1
    assert last_quarter.end + timedelta(days=1) == this_quarter.start
    assert this_quarter.end == today


@settings(max_examples=150, deadline=None)
@given(todays, st.sampled_from(["上个月", "本月", "今年", "去年", "last 3 months", "Q1", "三月", "上半年", "上周",
                                "the weekend", "since March", "国庆节", "between January and March", "昨天"]))
def test_relative_past_periods_never_reach_past_today(today, text):
    period = parse_period(text, today)
    assert isinstance(period, Period)
    assert period.start <= period.end <= today
