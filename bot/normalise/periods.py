"""Time periods in customers' words, as inclusive date ranges.

``parse_period(text, today)`` reads the text of a ``time_period`` entity;
``find_periods(text, today)`` scans a whole message. Both work on
``numbers.fold``-ed text with a small grammar: *base* expressions (a day, a
week, a month, a quarter, a half year, a year, a rolling window, a holiday)
found by the rules below, then two combinators:

* range:  ``P1 (到|至|-|~|to|through|until) P2``, ``between P1 and P2``,
  ``从P1到P2`` -> P1.start .. P2.end
* since:  ``since P``, ``自P以来``, ``P以来``, ``从P开始``, ``P至今``,
  ``from P to date`` -> P.start .. today

Conventions (one per phrase family; each is tested):

==============================  =============================================
phrase family                   period
==============================  =============================================
today / 今天, yesterday / 昨天    that day; 前天 = 2 days ago, 大前天 = 3
this week / 本周 / 这周            Monday of this week .. today (weeks start Monday)
last week / 上周 / 上礼拜          the previous Monday .. Sunday
this month / 本月 / 这个月          1st of this month .. today (never the future)
last month / 上个月 / 上月         the previous calendar month, complete
上上个月 / the month before last   the calendar month before that
this quarter / 本季度             first day of this quarter .. today
last quarter / 上季度             the previous calendar quarter, complete
this year / 今年 / YTD / 今年以来   1 January .. today
last year / 去年                  the previous calendar year; 前年 the one before
past / last / 最近 / 近 / 过去 N   a *rolling* window ending today:
  days / weeks / months / years   N days = today-(N-1) .. today; N weeks = 7N days;
                                  N months = (today - N months) + 1 day .. today;
                                  半年 = 6 months; 半个月 = 15 days
past month / past week / past year  rolling 1 month / 7 days / 12 months, and so
the last month / in the last year  are "the last <unit>" (while "last month",
                                  "last year" are calendar periods)
last N quarters / 最近N个季度       rolling 3N months
last fortnight                    rolling 14 days
前N个月                            rolling, like 最近N个月; but 今年前N个月 is
                                  1 January .. end of month N
March / 三月 / 3月份 / Q1 / 上半年  the most recent one that has started: this
                                  year's if its first month is not after the
                                  current month, else last year's
last March                        the most recent March before the current month
2025年5月 / May 2025 / 2025-05     that month; 2024 / 2024年 that year
between January and March         bare months: the most recent year in which the
                                  *last* month has started (Mar..May in March
                                  2026 is 2025-03-01 .. 2025-05-31); a range that
                                  wraps (Nov to Feb) starts the year before
since January                     1 January (most recent) .. today
since the start of the year / 年初至今  this year to date; 月初以来 this month
1-3月 / 一到三月 / Jan-Mar 2025     a range of months (year picked as for ranges)
3月1日 / May 1st / 2025-05-01       that day; without a year the most recent one
                                  not in the future (in a range: the range rule)
the weekend / 周末                 Saturday .. Sunday of the most recent weekend
                                  that has started (today if it is Saturday)
last weekend / 上周末              the weekend of the previous week
周五 / Friday                      the most recent Friday, today included
上周五 / last Friday               Friday of the previous week / the most recent
                                  Friday before today
holidays                          国庆 1-7 Oct, 五一 1-5 May, 元旦 1 Jan, 双十一
                                  11 Nov, 双十二 12 Dec, 暑假 1 Jul-31 Aug,
                                  Christmas 24-26 Dec, 寒假 15 Jan-end Feb,
                                  春节 = New Year's Eve + 6 days, 端午 / 中秋 =
                                  the festival day +-1 (lunar: tables for
                                  2020-2030); the most recent one that has
                                  started, unless a year is given
==============================  =============================================

Every period that contains today ends today (nobody has spent money
tomorrow). A period wholly in the future ("2030年") is returned as it is;
future-only phrases (下个月, next month, 明年) are not understood (None).

Labels: relative phrases keep a relative label ("this_month", "last_month",
"last_3_months", "last_14_days", "this_year", "since_2026-01"); explicit
ones an ISO-like one ("2025-05", "2025-Q1", "2025-H1", "2024", "2025-05-01",
"2025-01..2025-03"); holidays their name and year ("national_day_2025").
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Callable

from bot.normalise.numbers import (
    CN_DIGIT_CHARS,
    EN_SMALL_CARDINAL_PATTERN,
    MAX_ENTITY_CHARS,
    MAX_SCAN_CHARS,
    alternation,
    fold,
    parse_count,
    parse_number,
)


@dataclass(frozen=True)
class Period:
    """An inclusive date range and a short machine-readable label."""

    start: date
    end: date
    label: str

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "label": self.label}


@dataclass(frozen=True)
class PeriodMatch:
    """A period found in a message; ``start``/``end`` are character offsets."""

    start: int
    end: int
    period: Period


# ---- calendar arithmetic ------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (earlier if negative), clamped to the month's end."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    first_month = 3 * (quarter - 1) + 1
    return date(year, first_month, 1), month_bounds(year, first_month + 2)[1]


def _recent_year(first_month: int, today: date) -> int:
    """The year of the most recent occurrence whose first month has started."""
    return today.year if first_month <= today.month else today.year - 1


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


# Lunar-calendar festivals, 2020-2030 (outside these years: None).
# Chinese New Year's Day (正月初一); the holiday starts on the eve.
SPRING_FESTIVAL: dict[int, date] = {
    2020: date(2020, 1, 25), 2021: date(2021, 2, 12), 2022: date(2022, 2, 1), 2023: date(2023, 1, 22),
    2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17), 2027: date(2027, 2, 6),
    2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3),
}
# Dragon Boat Festival (五月初五) and Mid-Autumn Festival (八月十五): the day
# before to the day after.
DRAGON_BOAT: dict[int, date] = {
    2020: date(2020, 6, 25), 2021: date(2021, 6, 14), 2022: date(2022, 6, 3), 2023: date(2023, 6, 22),
    2024: date(2024, 6, 10), 2025: date(2025, 5, 31), 2026: date(2026, 6, 19), 2027: date(2027, 6, 9),
    2028: date(2028, 5, 28), 2029: date(2029, 6, 16), 2030: date(2030, 6, 5),
}
MID_AUTUMN: dict[int, date] = {
    2020: date(2020, 10, 1), 2021: date(2021, 9, 21), 2022: date(2022, 9, 10), 2023: date(2023, 9, 29),
    2024: date(2024, 9, 17), 2025: date(2025, 10, 6), 2026: date(2026, 9, 25), 2027: date(2027, 9, 15),
    2028: date(2028, 10, 3), 2029: date(2029, 9, 22), 2030: date(2030, 9, 12),
}

# ---- vocabulary ------------------------------------------------------------------------

EN_MONTHS: dict[str, int] = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}
EN_WEEKDAYS: dict[str, int] = {
    # Full names only: "sat", "sun", "wed" are too often other words.
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}
CN_WEEKDAYS: dict[str, int] = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": -1}
EN_ORDINALS: dict[str, int] = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
                               "fourth": 4, "4th": 4}


_MONTH_EN = rf"\b(?:{alternation(EN_MONTHS)})\b\.?"
_WEEKDAY_EN = rf"\b(?:{alternation(EN_WEEKDAYS)})\b"
_CN_COUNT = rf"(?:\d+|[{CN_DIGIT_CHARS}十]{{1,3}})"
_EN_COUNT = (
    rf"(?:\d+|a\s+few|a\s+couple\s+of|a\s+couple|couple\s+of|few|several|"
    rf"{EN_SMALL_CARDINAL_PATTERN})"
)
_CN_MONTH = r"(?:1[0-2]|0?[1-9]|十[一二]|[一二三四五六七八九十])"
# With a month, quarter or half "25年" is 2025; alone, "10年" is ten years, so a
# year on its own needs four digits.
_CN_YEAR_FULL = rf"(?:(?:19|20)\d{{2}}|[{CN_DIGIT_CHARS}]{{4}})年"
_CN_YEAR = rf"(?:(?:19|20)\d{{2}}|[{CN_DIGIT_CHARS}]{{4}}|(?<!\d)\d{{2}})年"
_CN_REL_YEAR = r"(?:今年|去年|前年|本年|上一年|上年)"
_EN_YEAR = r"\b(?:19|20)\d{2}\b"
_EN_REL_YEAR = r"(?:this\s+year|last\s+year|the\s+previous\s+year|the\s+year\s+before\s+last)"


def _cn_month(text: str) -> int | None:
    value = parse_number(text.strip())
    if value is None or value != int(value) or not 1 <= int(value) <= 12:
        return None
    return int(value)


def _year_of(text: str, today: date) -> int | None:
    """An explicit or relative year: "2025年", "二零二五年", "25年", "去年", "last year"."""
    text = re.sub(r"\s+", " ", text.strip())
    relative = {
        "今年": 0, "本年": 0, "this year": 0, "去年": -1, "上一年": -1, "上年": -1, "last year": -1,
        "the previous year": -1, "前年": -2, "the year before last": -2,
    }
    if text in relative:
        return today.year + relative[text]
    text = text.rstrip("年").strip()
    value = parse_number(text)
    if value is None or value != int(value):
        return None
    year = int(value)
    if year < 100:
        year += 2000  # "25年" is 2025
    return year if 1900 <= year <= 2100 else None


def _count(text: str | None) -> int | None:
    if text is None:
        return None
    text = re.sub(r"\s+", " ", text.strip())
    if text in ("半", "几"):
        return {"半": None, "几": 3}[text]
    return parse_count(text)


# ---- base expressions ------------------------------------------------------------------


@dataclass(frozen=True)
class _Base:
    period: Period
    month: int | None = None         # set for a single calendar month or day (ranges re-pick its year)
    year_given: bool = True          # False: the year was inferred ("March", "三月", "3月1日")
    day: int | None = None           # set for a single day with ``month``
    loose: bool = False              # a bare English month or bare year: needs context when scanning


Handler = Callable[[re.Match, date], "_Base | None"]


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern
    handle: Handler


_RULES: list[_Rule] = []


def _rule(pattern: str):
    def register(handler: Handler) -> Handler:
        _RULES.append(_Rule(re.compile(pattern), handler))
        return handler
    return register


def _day(day: date, label: str | None = None) -> _Base:
    return _Base(Period(day, day, label or day.isoformat()))


def _month(year: int, month: int, label: str | None = None, year_given: bool = True,
           loose: bool = False) -> _Base:
    start, end = month_bounds(year, month)
    return _Base(Period(start, end, label or f"{year}-{month:02d}"), month=month, year_given=year_given, loose=loose)


# -- days --
@_rule(r"今天|今日|\btoday\b")
def _today(m, today):
    return _day(today, "today")


@_rule(r"昨天|昨日|\byesterday\b")
def _yesterday(m, today):
    return _day(today - timedelta(days=1), "yesterday")


@_rule(r"大前天|前天|\bthe\s+day\s+before\s+yesterday\b")
def _days_before(m, today):
    back = 3 if m.group().startswith("大") else 2
    return _day(today - timedelta(days=back), f"{back}_days_ago")


@_rule(r"(?<![\d.])(?P<y>(?:19|20)\d{2})[-/.](?P<m>1[0-2]|0?[1-9])[-/.](?P<d>3[01]|[12]\d|0?[1-9])(?![\d.])")
def _iso_day(m, today):
    return _safe_day(int(m["y"]), int(m["m"]), int(m["d"]))


# A date that does not exist ("2月30日"): it blocks its span, so "2月" inside it
# is not read as February, and nothing is returned for it.
_IMPOSSIBLE = _Base(Period(date.min, date.min, "impossible"))


def _safe_day(year: int, month: int, day: int, year_given: bool = True) -> _Base:
    try:
        found = date(year, month, day)
    except ValueError:
        return _IMPOSSIBLE
    return _Base(Period(found, found, found.isoformat()), month=month, year_given=year_given, day=day)


@_rule(rf"(?:(?P<y>{_CN_YEAR}|{_CN_REL_YEAR}))?(?P<m>{_CN_MONTH})月(?P<d>3[01]|[12]\d|0?[1-9]|[一二三四五六七八九十]{{1,3}})[日号]")
def _cn_day(m, today):
    month, day = _cn_month(m["m"]), parse_number(m["d"])
    if month is None or day is None:
        return None
    year = _year_of(m["y"], today) if m["y"] else None
    if year is not None:
        return _safe_day(year, month, int(day))
    # The most recent such day that is not in the future.
    year = today.year if (month, int(day)) <= (today.month, today.day) else today.year - 1
    return _safe_day(year, month, int(day), year_given=False)


@_rule(rf"(?P<mon>{_MONTH_EN})\s+(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>{_EN_YEAR}))?"
       rf"|\b(?P<d2>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon2>{_MONTH_EN})(?:,?\s+(?P<y2>{_EN_YEAR}))?")
def _en_day(m, today):
    month = EN_MONTHS[(m["mon"] or m["mon2"]).rstrip(".")]
    day = int(m["d"] or m["d2"])
    year_text = m["y"] or m["y2"]
    if year_text:
        return _safe_day(int(year_text), month, day)
    year = today.year if (month, day) <= (today.month, today.day) else today.year - 1
    return _safe_day(year, month, day, year_given=False)


# -- weekdays --
@_rule(r"(?P<rel>上上|上|本|这|这个)?(?:个)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日末]|天(?!气))")
def _cn_weekday(m, today):
    weekday = CN_WEEKDAYS[m["wd"]]
    rel = m["rel"]
    monday = _monday(today)
    if rel == "上上":
        monday -= timedelta(days=14)
    elif rel == "上":
        monday -= timedelta(days=7)
    elif rel is None:
        # "周五" alone: the most recent one, today included.
        if weekday == -1:
            return _weekend(monday if today.weekday() >= 5 else monday - timedelta(days=7), "weekend")
        day = monday + timedelta(days=weekday)
        return _day(day if day <= today else day - timedelta(days=7))
    if weekday == -1:
        if rel in ("本", "这", "这个"):  # 这周末: like 周末, the most recent one that has started
            return _weekend(monday if today.weekday() >= 5 else monday - timedelta(days=7), "weekend")
        return _weekend(monday, {"上上": "weekend_before_last", "上": "last_weekend"}[rel])
    return _day(monday + timedelta(days=weekday))


def _weekend(monday: date, label: str) -> _Base:
    saturday = monday + timedelta(days=5)
    return _Base(Period(saturday, saturday + timedelta(days=1), label))


@_rule(r"\b(?:(?P<rel>last|this|the|previous)\s+)?weekend\b")
def _en_weekend(m, today):
    monday = _monday(today)
    if m["rel"] in ("last", "previous"):
        return _weekend(monday - timedelta(days=7), "last_weekend")
    return _weekend(monday if today.weekday() >= 5 else monday - timedelta(days=7), "weekend")


@_rule(rf"(?:\b(?P<rel>last|this|on|previous)\s+)?(?P<wd>{_WEEKDAY_EN})")
def _en_weekday(m, today):
    weekday = EN_WEEKDAYS[m["wd"]]
    monday = _monday(today)
    if m["rel"] == "this":
        return _day(monday + timedelta(days=weekday))
    day = monday + timedelta(days=weekday)
    if m["rel"] in ("last", "previous"):
        return _day(day if day < today else day - timedelta(days=7))
    return _day(day if day <= today else day - timedelta(days=7))


# -- weeks --
@_rule(r"(?:本|这|这个|当)(?:周|星期|礼拜)(?![一二三四五六日天末])|\b(?:so\s+far\s+)?this\s+week\b|\bweek\s+to\s+date\b|\bwtd\b")
def _this_week(m, today):
    return _Base(Period(_monday(today), today, "this_week"))


@_rule(r"上上(?:个)?(?:周|星期|礼拜)(?![一二三四五六日天末])|\bthe\s+week\s+before\s+last\b")
def _week_before_last(m, today):
    monday = _monday(today) - timedelta(days=14)
    return _Base(Period(monday, monday + timedelta(days=6), "week_before_last"))


@_rule(r"上(?:个|一)?(?:周|星期|礼拜)(?![一二三四五六日天末])|\b(?:last|previous)\s+week\b")
def _last_week(m, today):
    monday = _monday(today) - timedelta(days=7)
    return _Base(Period(monday, monday + timedelta(days=6), "last_week"))


# -- months --
@_rule(r"(?:本|这|这个|当)月份?|\b(?:so\s+far\s+)?this\s+month\b|\bthe\s+current\s+month\b|\bmonth\s+to\s+date\b|\bmtd\b")
def _this_month(m, today):
    return _Base(Period(today.replace(day=1), today, "this_month"))


@_rule(r"上上(?:个)?月|\bthe\s+month\s+before\s+last\b")
def _month_before_last(m, today):
    first = add_months(today.replace(day=1), -2)
    return _month(first.year, first.month, "month_before_last")


@_rule(r"上(?:个|一)?月份?|\b(?:last|previous)\s+month\b")
def _last_month(m, today):
    first = add_months(today.replace(day=1), -1)
    return _month(first.year, first.month, "last_month")


@_rule(rf"(?P<y>{_CN_YEAR}|{_CN_REL_YEAR})(?P<m>{_CN_MONTH})月(?:份)?")
def _cn_year_month(m, today):
    year, month = _year_of(m["y"], today), _cn_month(m["m"])
    return _month(year, month) if year and month else None


@_rule(rf"(?<![\d{CN_DIGIT_CHARS}十个年])(?P<m>{_CN_MONTH})月(?:份)?")
def _cn_bare_month(m, today):
    month = _cn_month(m["m"])
    if month is None:
        return None
    return _month(_recent_year(month, today), month, year_given=False)


@_rule(r"\b(?P<y>(?:19|20)\d{2})[-/](?P<m>1[0-2]|0[1-9])\b(?![-/.]\d)")
def _iso_month(m, today):
    return _month(int(m["y"]), int(m["m"]))


@_rule(rf"(?P<mon>{_MONTH_EN})(?:,?\s+|\s+of\s+)(?P<y>{_EN_YEAR}|{_EN_REL_YEAR})"
       rf"|(?P<y2>{_EN_YEAR})\s+(?P<mon2>{_MONTH_EN})")
def _en_year_month(m, today):
    month = EN_MONTHS[(m["mon"] or m["mon2"]).rstrip(".")]
    year = _year_of(m["y"] or m["y2"], today)
    return _month(year, month) if year else None


@_rule(rf"\b(?P<rel>last|this)\s+(?P<mon>{_MONTH_EN})")
def _en_relative_month(m, today):
    month = EN_MONTHS[m["mon"].rstrip(".")]
    if m["rel"] == "this":
        return _month(today.year, month)
    year = today.year if month < today.month else today.year - 1
    return _month(year, month)


@_rule(rf"(?P<mon>{_MONTH_EN})")
def _en_bare_month(m, today):
    month = EN_MONTHS[m["mon"].rstrip(".")]
    return _month(_recent_year(month, today), month, year_given=False, loose=True)


# -- quarters --
@_rule(r"(?:本|这|这个|当)季度?|\b(?:this|the\s+current)\s+quarter\b|\bquarter\s+to\s+date\b|\bqtd\b")
def _this_quarter(m, today):
    start, _ = quarter_bounds(today.year, (today.month - 1) // 3 + 1)
    return _Base(Period(start, today, "this_quarter"))


@_rule(r"上(?:个|一)?季度?|\b(?:last|previous)\s+quarter\b")
def _last_quarter(m, today):
    quarter = (today.month - 1) // 3  # 0 means Q4 of last year
    year = today.year if quarter else today.year - 1
    quarter = quarter or 4
    start, end = quarter_bounds(year, quarter)
    return _Base(Period(start, end, "last_quarter"))


def _quarter(year: int | None, quarter: int, today: date) -> _Base:
    year_given = year is not None
    if year is None:
        year = _recent_year(3 * (quarter - 1) + 1, today)
    start, end = quarter_bounds(year, quarter)
    return _Base(Period(start, end, f"{year}-Q{quarter}"), year_given=year_given)


@_rule(rf"(?P<y>{_CN_YEAR}|{_CN_REL_YEAR})?(?:第?(?P<q>[一二三四1-4])季度|\s*q(?P<qq>[1-4])\b)")
def _cn_quarter(m, today):
    if m["qq"] and not m["y"]:
        return None  # a bare "Q1" is the English rule's
    year = _year_of(m["y"], today) if m["y"] else None
    return _quarter(year, int(parse_number(m["q"] or m["qq"])), today)


@_rule(rf"\bq(?P<q>[1-4])\b(?:\s*(?:of\s+)?(?P<y>{_EN_YEAR}|{_EN_REL_YEAR}))?|\b(?P<y2>(?:19|20)\d{{2}})\s*-?\s*q(?P<q2>[1-4])\b"
       rf"|\b(?:the\s+)?(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\b(?:\s+of\s+(?P<y3>{_EN_YEAR}|{_EN_REL_YEAR}|the\s+year))?")
def _en_quarter(m, today):
    quarter = int(m["q"] or m["q2"] or EN_ORDINALS[m["ord"]])
    year_text = m["y"] or m["y2"] or m["y3"]
    year = _year_of(year_text, today) if year_text and year_text != "the year" else None
    return _quarter(year, quarter, today)


# -- half years --
def _half(year: int | None, half: int, today: date) -> _Base:
    year_given = year is not None
    if year is None:
        year = _recent_year(1 if half == 1 else 7, today)
    start = date(year, 1 if half == 1 else 7, 1)
    end = date(year, 6, 30) if half == 1 else date(year, 12, 31)
    return _Base(Period(start, end, f"{year}-H{half}"), year_given=year_given)


@_rule(rf"(?P<y>{_CN_YEAR}|{_CN_REL_YEAR})?(?P<h>上|下)半年")
def _cn_half(m, today):
    year = _year_of(m["y"], today) if m["y"] else None
    return _half(year, 1 if m["h"] == "上" else 2, today)


@_rule(rf"\b(?:the\s+)?(?P<ord>first|second)\s+half\b(?:\s+of\s+(?P<y>{_EN_YEAR}|{_EN_REL_YEAR}|the\s+year))?"
       rf"|\bh(?P<h>[12])\b(?:\s*(?P<y2>{_EN_YEAR}|{_EN_REL_YEAR}))?|\b(?P<y3>(?:19|20)\d{{2}})\s*-?\s*h(?P<h2>[12])\b")
def _en_half(m, today):
    half = 1 if (m["ord"] == "first" or m["h"] == "1" or m["h2"] == "1") else 2
    year_text = m["y"] or m["y2"] or m["y3"]
    year = _year_of(year_text, today) if year_text and year_text != "the year" else None
    return _half(year, half, today)


# -- years --
@_rule(r"(?:今年|本年度?)(?:以来|至今|到现在|迄今|全年)?|\b(?:so\s+far\s+)?this\s+year\b|\byear\s+to\s+date\b|\bytd\b"
       r"|\bthe\s+current\s+year\b|(?<![去前今明])全年")
def _this_year(m, today):
    return _Base(Period(date(today.year, 1, 1), today, "this_year"))


@_rule(r"(?:去年|上一?年度?)(?:全年|一整年|一年)?(?![0-9一二三四五六七八九十正腊上下第]|半)|\b(?:last|previous)\s+year\b|\bthe\s+previous\s+year\b")
def _last_year(m, today):
    year = today.year - 1
    return _Base(Period(date(year, 1, 1), date(year, 12, 31), "last_year"))


@_rule(r"前年(?:全年)?(?![0-9一二三四五六七八九十正腊上下第]|半)|\bthe\s+year\s+before\s+last\b")
def _year_before_last(m, today):
    year = today.year - 2
    return _Base(Period(date(year, 1, 1), date(year, 12, 31), "year_before_last"))


@_rule(rf"(?P<y>{_CN_YEAR_FULL})(?:全年|一整年|整年|一年|度)?(?![0-9{CN_DIGIT_CHARS}十正腊上下第]|半)")
def _cn_year(m, today):
    year = _year_of(m["y"], today)
    return _Base(Period(date(year, 1, 1), date(year, 12, 31), str(year))) if year else None


@_rule(rf"(?<![\d.,$¥])(?P<y>{_EN_YEAR})(?![\d,.%]|\s*(?:元|块|yuan|rmb|k\b|w\b))")
def _en_year(m, today):
    year = int(m["y"])
    return _Base(Period(date(year, 1, 1), date(year, 12, 31), str(year)), loose=True)


@_rule(rf"(?P<y>{_CN_YEAR}|{_CN_REL_YEAR})前(?P<n>{_CN_COUNT})个?月")
def _cn_first_months(m, today):
    year, count = _year_of(m["y"], today), _count(m["n"])
    if not year or not count or count > 12:
        return None
    return _Base(Period(date(year, 1, 1), month_bounds(year, count)[1], f"{year}-01..{year}-{count:02d}"))


@_rule(rf"\b(?:the\s+)?first\s+(?P<n>{_EN_COUNT})\s+months\s+of\s+(?P<y>{_EN_YEAR}|{_EN_REL_YEAR}|the\s+year)")
def _en_first_months(m, today):
    count = _count(m["n"])
    year = today.year if m["y"].startswith("the year") else _year_of(m["y"], today)
    if not year or not count or count > 12:
        return None
    return _Base(Period(date(year, 1, 1), month_bounds(year, count)[1], f"{year}-01..{year}-{count:02d}"))


# -- rolling windows --
def _rolling(unit: str, count: int | None, today: date, half: bool = False) -> _Base | None:
    if half:
        if unit == "year":
            unit, count = "month", 6
        elif unit == "month":
            unit, count = "day", 15
        else:
            return None
    if not count or count < 1:
        return None
    if unit == "day":
        return _Base(Period(today - timedelta(days=count - 1), today, f"last_{count}_days"))
    if unit == "week":
        return _Base(Period(today - timedelta(days=7 * count - 1), today, f"last_{count * 7}_days"))
    months = count * {"year": 12, "quarter": 3}.get(unit, 1)
    start = add_months(today, -months) + timedelta(days=1)
    return _Base(Period(start, today, f"last_{months}_months"))


_CN_UNITS = {"天": "day", "日": "day", "周": "week", "星期": "week", "礼拜": "week", "月": "month", "年": "year",
             "季度": "quarter"}


@_rule(rf"(?:最近|近|过去的?|前|这)\s*(?P<n>{_CN_COUNT}|几|半)\s*(?P<ge>个)?\s*(?P<u>天|日|周|星期|礼拜|月|年|季度)(?:来|以来)?")
def _cn_rolling(m, today):
    unit = _CN_UNITS[m["u"]]
    return _rolling(unit, _count(m["n"]), today, half=m["n"] == "半")


@_rule(rf"\b(?:in\s+|over\s+|during\s+|for\s+)?(?:the\s+)?(?:past|last|previous|recent|trailing)\s+(?P<n>{_EN_COUNT})\s+"
       rf"(?P<u>days?|weeks?|months?|quarters?|years?)\b")
def _en_rolling(m, today):
    return _rolling(m["u"].rstrip("s"), _count(m["n"]), today)


@_rule(r"\b(?:in\s+|over\s+|during\s+|for\s+)?(?:the\s+)?(?P<which>past|last|previous)\s+(?P<u>fortnight|two\s+weeks)\b"
       r"|\b(?:in\s+|over\s+|during\s+|for\s+)?(?:the\s+)?past\s+(?P<u2>day|week|month|year)\b"
       r"|\b(?:in\s+|over\s+|during\s+|for\s+)?the\s+last\s+(?P<u3>day|week|month|year)\b")
def _en_past_unit(m, today):
    # "past month" and "the last month" are rolling; "last month" is the calendar month.
    if m["u"]:
        return _rolling("day", 14, today)
    return _rolling(m["u2"] or m["u3"], 1, today)


@_rule(r"\b(?:the\s+)?(?:start|beginning)\s+of\s+(?:the|this)\s+(?P<u>year|quarter|month|week)\b"
       r"|(?P<cn>今年年初|年初|本月初|这个月初|月初)")
def _start_of(m, today):
    # "since the start of the year", "年初至今": the current year / month ... to date.
    unit = m["u"] or ("year" if "年" in m["cn"] else "month")
    return {"year": _this_year, "quarter": _this_quarter, "month": _this_month, "week": _this_week}[unit](m, today)


@_rule(r"(?:最近|近)\s*(?:一|1)?\s*个?月(?!份)|近期一个月")
def _cn_past_month(m, today):
    return _rolling("month", 1, today)


@_rule(rf"(?P<y>{_CN_YEAR}|{_CN_REL_YEAR})?(?P<m1>{_CN_MONTH})\s*(?:月份?)?\s*(?:-|~|到|至)\s*(?P<m2>{_CN_MONTH})月(?:份)?")
def _cn_month_range(m, today):
    """1-3月, 一到三月, 今年1月到3月: one year for both months unless the range wraps."""
    first, second = _cn_month(m["m1"]), _cn_month(m["m2"])
    if first is None or second is None:
        return None
    if m["y"]:
        year = _year_of(m["y"], today)
        start, end = _month(year, first), _month(year if second >= first else year + 1, second)
    else:
        start, end = _range_years(_month(today.year, first, year_given=False),
                                  _month(today.year, second, year_given=False), today)
    return _Base(Period(start.period.start, end.period.end, f"{start.period.label}..{end.period.label}"))


# -- holidays --
def _holiday(name: str, year: int, today: date) -> _Base | None:
    fixed = {
        "national_day": ((10, 1), (10, 7)), "labour_day": ((5, 1), (5, 5)), "new_year": ((1, 1), (1, 1)),
        "singles_day": ((11, 11), (11, 11)), "double_twelve": ((12, 12), (12, 12)),
        "summer_holiday": ((7, 1), (8, 31)), "christmas": ((12, 24), (12, 26)),
    }
    if name == "spring_festival":
        new_year = SPRING_FESTIVAL.get(year)
        if new_year is None:
            return None
        start = new_year - timedelta(days=1)
        return _Base(Period(start, start + timedelta(days=6), f"{name}_{year}"))
    if name in ("dragon_boat", "mid_autumn"):
        day = (DRAGON_BOAT if name == "dragon_boat" else MID_AUTUMN).get(year)
        if day is None:
            return None
        return _Base(Period(day - timedelta(days=1), day + timedelta(days=1), f"{name}_{year}"))
    if name == "winter_holiday":  # school winter break, roughly: 15 January to the end of February
        return _Base(Period(date(year, 1, 15), month_bounds(year, 2)[1], f"{name}_{year}"))
    (m1, d1), (m2, d2) = fixed[name]
    return _Base(Period(date(year, m1, d1), date(year, m2, d2), f"{name}_{year}"))


_HOLIDAY_WORDS: dict[str, str] = {
    "国庆节": "national_day", "国庆": "national_day", "十一长假": "national_day", "十一假期": "national_day",
    "national day": "national_day", "golden week": "national_day",
    "劳动节": "labour_day", "五一": "labour_day", "may day": "labour_day", "labour day": "labour_day",
    "labor day": "labour_day",
    "元旦": "new_year", "new year's day": "new_year", "new years day": "new_year",
    "双十一": "singles_day", "双11": "singles_day", "singles day": "singles_day", "singles' day": "singles_day",
    "11.11": "singles_day", "双十二": "double_twelve", "双12": "double_twelve",
    "暑假": "summer_holiday", "summer holidays": "summer_holiday", "summer holiday": "summer_holiday",
    "summer vacation": "summer_holiday", "圣诞节": "christmas", "圣诞": "christmas", "christmas": "christmas",
    "xmas": "christmas", "春节": "spring_festival", "过年": "spring_festival", "新年": "spring_festival",
    "chinese new year": "spring_festival", "lunar new year": "spring_festival",
    "spring festival": "spring_festival",
    "端午节": "dragon_boat", "端午": "dragon_boat", "dragon boat festival": "dragon_boat",
    "中秋节": "mid_autumn", "中秋": "mid_autumn", "mid-autumn festival": "mid_autumn",
    "mid autumn festival": "mid_autumn", "mid-autumn": "mid_autumn",
    "寒假": "winter_holiday", "winter holidays": "winter_holiday", "winter holiday": "winter_holiday",
    "winter break": "winter_holiday",
}


@_rule(rf"(?P<y>{_CN_YEAR}|{_CN_REL_YEAR})?(?P<h>{alternation(_HOLIDAY_WORDS)})(?:假期|长假|期间|那几天|那周|前后)?(?![a-z])")
def _holiday_rule(m, today):
    name = _HOLIDAY_WORDS[m["h"]]
    if m["y"]:
        year = _year_of(m["y"], today)
        return _holiday(name, year, today) if year else None
    # The most recent one that has started.
    for year in (today.year, today.year - 1):
        found = _holiday(name, year, today)
        if found and found.period.start <= today:
            return found
    return None


# ---- scanning and combining ------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    base: _Base
    order: int  # rule order breaks ties between equally long matches


def _candidates(folded: str, today: date) -> list[_Found]:
    found: list[_Found] = []
    for order, rule in enumerate(_RULES):
        for match in rule.pattern.finditer(folded):
            if match.end() == match.start():
                continue
            try:
                base = rule.handle(match, today)
            except (ValueError, KeyError, TypeError, OverflowError):
                base = None  # an impossible date: not a period
            if base is not None:
                found.append(_Found(match.start(), match.end(), base, order))
    return found


def _select(found: list[_Found]) -> list[_Found]:
    """Leftmost-longest, non-overlapping."""
    chosen: list[_Found] = []
    last_end = -1
    for item in sorted(found, key=lambda f: (f.start, -(f.end - f.start), f.order)):
        if item.start >= last_end:
            chosen.append(item)
            last_end = item.end
    return chosen


_RANGE_CONNECTOR = re.compile(r"\s*(?:-|–|—|~|到|至|\bto\b|\bthrough\b|\bthru\b|\buntil\b|\btill\b|\band\b)\s*")
_RANGE_OPENER = re.compile(r"(?:\bbetween|\bfrom|从|自)\s*$")
_SINCE_BEFORE = re.compile(r"(?:\bever\s+since|\bsince|\bstarting(?:\s+from|\s+in)?|\bfrom|自从|自|从)\s*$")
_SINCE_AFTER = re.compile(
    r"^\s*(?:以来|至今|到现在|到今天|迄今|开始到现在|开始|起|以后|之后|\bto\s+date\b|\buntil\s+now\b|\btill\s+now\b"
    r"|\bup\s+to\s+now\b|\bto\s+now\b|\buntil\s+today\b|\bto\s+today\b|\bso\s+far\b|\bonwards?\b)"
)
_CONTEXT_BEFORE = re.compile(
    r"(?:\bin|\bduring|\bfor|\bsince|\bfrom|\bof|\bbetween|\bthrough|\buntil|\btill|\bthroughout|\bover|\bby"
    r"|\bon|\bto)\s+$"
)


def _range_years(first: _Base, second: _Base, today: date) -> tuple[_Base, _Base]:
    """Re-pick the years of bare months or days in a range (see the module table):
    the most recent year in which the range's last month has started."""
    if first.month is None or second.month is None:
        return first, second
    m1, m2 = first.month, second.month
    if not first.year_given and not second.year_given:
        end_year = _recent_year(m2, today)
        start_year = end_year if m1 <= m2 else end_year - 1
    elif not first.year_given:
        end_year = second.period.start.year
        start_year = end_year if m1 <= m2 else end_year - 1
    elif not second.year_given:
        start_year = first.period.start.year
        end_year = start_year if m2 >= m1 else start_year + 1
    else:
        return first, second

    def rebuilt(base: _Base, year: int) -> _Base:
        if base.day is None:
            return _month(year, base.month)
        return _safe_day(year, base.month, base.day)

    return rebuilt(first, start_year), rebuilt(second, end_year)


def _combine(folded: str, chosen: list[_Found], today: date) -> list[tuple[int, int, Period, bool]]:
    """Apply the range and since combinators; returns (start, end, period, loose)."""
    out: list[tuple[int, int, Period, bool]] = []
    i = 0
    while i < len(chosen):
        item = chosen[i]
        start, end, base = item.start, item.end, item.base
        nxt = chosen[i + 1] if i + 1 < len(chosen) else None
        if _IMPOSSIBLE in (base, nxt.base if nxt else None) and nxt is not None \
                and _RANGE_CONNECTOR.fullmatch(folded[item.end:nxt.start]):
            out.append((start, nxt.end, _IMPOSSIBLE.period, False))  # a range with an impossible end
            i += 2
            continue
        if base is _IMPOSSIBLE:
            out.append((start, end, base.period, False))
            i += 1
            continue
        if nxt is not None and nxt.base is not _IMPOSSIBLE:
            between = folded[item.end:nxt.start]
            connector = _RANGE_CONNECTOR.fullmatch(between)
            opener = _RANGE_OPENER.search(folded[:item.start])
            is_and = connector is not None and re.fullmatch(r"\s*and\s*", between) is not None
            if connector and (not is_and or (opener and "between" in opener.group())):
                first, second = _range_years(base, nxt.base, today)
                if _IMPOSSIBLE not in (first, second) and first.period.start <= second.period.end:
                    if opener:
                        start = opener.start()
                    label = f"{first.period.label}..{second.period.label}"
                    out.append((start, nxt.end, Period(first.period.start, second.period.end, label), False))
                    i += 2
                    continue
        before = _SINCE_BEFORE.search(folded[:start])
        after = _SINCE_AFTER.match(folded[end:])
        if (before or after) and base.period.start <= today:
            if before:
                start = before.start()
            if after:
                end += after.end()
            period = Period(base.period.start, today, f"since_{base.period.label}")
            out.append((start, end, period, False))
        else:
            loose = base.loose and not _CONTEXT_BEFORE.search(folded[:start])
            out.append((start, end, base.period, loose))
        i += 1
    return out


def _ends_by_today(period: Period, today: date) -> Period:
    if period.start <= today < period.end:
        return replace(period, end=today)
    return period


def _find(text: str, today: date, allow_loose: bool) -> list[PeriodMatch]:
    folded = fold(text)
    combined = _combine(folded, _select(_candidates(folded, today)), today)
    return [
        PeriodMatch(start, end, _ends_by_today(period, today))
        for start, end, period, loose in combined
        if (allow_loose or not loose) and period is not _IMPOSSIBLE.period
    ]


def find_periods(text: str, today: date) -> list[PeriodMatch]:
    """Every period in a whole message, left to right, as spans of the original text.

    A bare English month ("may", "march") or a bare year ("2024") counts only
    after a preposition ("in March", "since 2024") or inside a range, since
    "may" and "2024" are often something else. Only the first
    ``MAX_SCAN_CHARS`` characters are scanned.
    """
    return _find((text or "")[:MAX_SCAN_CHARS], today, allow_loose=False)


def parse_period(text: str, today: date) -> Period | None:
    """The period in a time_period entity's text, or None.

    >>> parse_period("上个月", date(2026, 1, 10))
    Period(start=datetime.date(2025, 12, 1), end=datetime.date(2025, 12, 31), label='last_month')
    """
    if len(text or "") > MAX_ENTITY_CHARS:
        return None
    matches = _find(text or "", today, allow_loose=True)
    return matches[0].period if matches else None
