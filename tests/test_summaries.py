"""Spending and income summaries for the API and the bot (recommender/summaries.py)."""
from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from recommender.merchant_rules import normalise_merchant
from recommender.summaries import income_summary, previous_period, spending_summary


def categorised(rows: list[tuple]) -> pd.DataFrame:
    """Hand-built categorise() output. rows: (booked_at, amount_cents, flow, category,
    description[, is_recurring_income[, currency]])."""
    records = []
    for i, (booked_at, amount, flow, category, description, *rest) in enumerate(rows):
        records.append({
            "transaction_id": f"t{i}", "customer_id": "alice", "account_id": "CUR", "booked_at": booked_at,
            "amount_cents": amount, "currency": rest[1] if len(rest) > 1 else "CNY", "description": description,
            "flow": flow, "category": category, "essential": False,
            "is_recurring_income": rest[0] if rest else False,
        })
    out = pd.DataFrame(records)
    out["booked_at"] = pd.to_datetime(out["booked_at"])
    out["amount_cents"] = out["amount_cents"].astype(np.int64)
    return out


# ---- periods -------------------------------------------------------------------------------
@pytest.mark.parametrize("start, end, expected", [
    (date(2025, 3, 1), date(2025, 3, 31), (date(2025, 2, 1), date(2025, 2, 28))),     # whole month
    (date(2024, 3, 1), date(2024, 3, 31), (date(2024, 2, 1), date(2024, 2, 29))),     # leap year
    (date(2025, 1, 1), date(2025, 3, 31), (date(2024, 10, 1), date(2024, 12, 31))),   # a quarter
    (date(2025, 1, 1), date(2025, 12, 31), (date(2024, 1, 1), date(2024, 12, 31))),   # a year
    (date(2025, 3, 11), date(2025, 3, 20), (date(2025, 3, 1), date(2025, 3, 10))),    # 10 days
    (date(2025, 3, 5), date(2025, 3, 5), (date(2025, 3, 4), date(2025, 3, 4))),       # one day
    (date(2025, 3, 1), date(2025, 3, 15), (date(2025, 2, 14), date(2025, 2, 28))),    # half month: days
])
def test_previous_period(start, end, expected):
    assert previous_period(start, end) == expected


def test_period_must_not_end_before_it_starts():
    with pytest.raises(ValueError):
        previous_period(date(2025, 3, 2), date(2025, 3, 1))


# ---- merchant names ----------------------------------------------------------------------------
@pytest.mark.parametrize("description, merchant", [
    ("美团外卖-订单8812", "美团外卖"),
    ("支付宝-美团外卖-订单1234", "美团外卖"),
    ("美团外卖 订单号:5678", "美团外卖"),
    ("财付通-瑞幸咖啡", "瑞幸咖啡"),
    ("微信支付-瑞幸咖啡 尾号1234", "瑞幸咖啡"),
    ("退款-美团外卖", "美团外卖"),
    ("STARBUCKS SHANGHAI", "STARBUCKS SHANGHAI"),
    ("Starbucks Shanghai *4421", "STARBUCKS SHANGHAI"),
    ("Uber *trip", "UBER TRIP"),
    ("Alipay*Taobao order 88123", "TAOBAO"),
    ("基金申购 900123", "基金申购"),
    ("Noodle House", "NOODLE HOUSE"),   # "No" inside a word is not an order number
    ("7-Eleven", "7 ELEVEN"),
    ("", ""),
])
def test_normalise_merchant(description, merchant):
    assert normalise_merchant(pd.Series([description])).iloc[0] == merchant


# ---- spending -----------------------------------------------------------------------------------
def march_and_february() -> pd.DataFrame:
    return categorised([
        # March 2025
        ("2025-03-02", -3_550, "spending", "dining", "美团外卖-订单8812"),
        ("2025-03-09", -4_000, "spending", "dining", "支付宝-美团外卖-订单1234"),
        ("2025-03-12", -2_800, "spending", "dining", "财付通-瑞幸咖啡"),
        ("2025-03-15", -2_800, "spending", "dining", "瑞幸咖啡 尾号1234"),
        ("2025-03-20", -9_000, "spending", "dining", "STARBUCKS SHANGHAI"),
        ("2025-03-21", 9_000, "refund", "dining", "STARBUCKS SHANGHAI refund"),
        ("2025-03-05", -450_000, "spending", "housing", "房租"),
        ("2025-03-08", -12_000, "spending", "groceries", "支付宝-盒马鲜生"),
        ("2025-03-31", -1_000, "spending", "transport", "滴滴出行"),
        # not spending
        ("2025-03-10", -500_000, "card_repayment", None, "信用卡还款"),
        ("2025-03-11", -100_000, "fund_purchase", None, "基金申购 900123"),
        ("2025-03-11", -300_000, "own_transfer", None, "转账-本人储蓄账户"),
        ("2025-03-25", 2_000_000, "income", "salary", "工资", True),
        ("2025-03-13", -99_999, "spending", "dining", "Dinner in Tokyo", False, "JPY"),
        # outside March and February
        ("2025-04-01", -70_000, "spending", "dining", "美团外卖-订单1"),
        ("2025-01-31", -70_000, "spending", "dining", "美团外卖-订单2"),
        # February 2025
        ("2025-02-03", -5_000, "spending", "dining", "美团外卖-订单3"),
        ("2025-02-28", -450_000, "spending", "housing", "房租"),
        ("2025-02-25", 2_000_000, "income", "salary", "工资", True),
        ("2025-02-26", 400_000, "income", "bonus", "年终奖"),
    ])


def test_spending_summary_for_a_month():
    summary = spending_summary(march_and_february(), date(2025, 3, 1), date(2025, 3, 31))
    # dining: 3,550 + 4,000 + 2,800 + 2,800 + 9,000 - 9,000 (refund) = 13,150
    assert summary["by_category"] == {"housing": 450_000, "dining": 13_150, "groceries": 12_000, "transport": 1_000}
    assert list(summary["by_category"]) == ["housing", "dining", "groceries", "transport"]   # largest first
    assert summary["total_cents"] == 476_150
    assert summary["transaction_count"] == 8
    assert summary["previous_period"] == {"start": "2025-02-01", "end": "2025-02-28", "total_cents": 455_000}
    assert summary["change_cents"] == 476_150 - 455_000
    assert summary["change_pct"] == round(100 * 21_150 / 455_000, 2)   # 4.65
    assert (summary["start"], summary["end"], summary["currency"]) == ("2025-03-01", "2025-03-31", "CNY")
    json.dumps(summary)   # JSON-ready


def test_top_merchants_group_normalised_names_and_net_refunds():
    summary = spending_summary(march_and_february(), date(2025, 3, 1), date(2025, 3, 31), category="dining")
    assert summary["total_cents"] == 13_150
    assert summary["by_category"] == {"dining": 13_150}
    # STARBUCKS nets to 0 and is left out; 美团外卖 3,550 + 4,000; 瑞幸咖啡 2,800 + 2,800.
    assert summary["top_merchants"] == [
        {"merchant": "美团外卖", "cents": 7_550, "count": 2},
        {"merchant": "瑞幸咖啡", "cents": 5_600, "count": 2},
    ]
    assert summary["previous_period"]["total_cents"] == 5_000
    assert summary["change_cents"] == 8_150
    assert summary["change_pct"] == 163.0


def test_top_n_limits_the_list():
    summary = spending_summary(march_and_february(), date(2025, 3, 1), date(2025, 3, 31), top_n=1)
    assert summary["top_merchants"] == [{"merchant": "房租", "cents": 450_000, "count": 1}]


def test_change_pct_is_none_without_previous_spending():
    summary = spending_summary(march_and_february(), date(2025, 3, 1), date(2025, 3, 31), category="groceries")
    assert summary["previous_period"]["total_cents"] == 0
    assert summary["change_cents"] == 12_000
    assert summary["change_pct"] is None


def test_empty_period():
    summary = spending_summary(march_and_february(), date(2030, 1, 1), date(2030, 1, 31))
    assert summary["total_cents"] == 0 and summary["by_category"] == {} and summary["top_merchants"] == []
    assert summary["change_pct"] is None


def test_unknown_category_is_an_error():
    with pytest.raises(ValueError):
        spending_summary(march_and_february(), date(2025, 3, 1), date(2025, 3, 31), category="餐饮")


# ---- income ---------------------------------------------------------------------------------------
def test_income_summary():
    data = march_and_february()
    summary = income_summary(data, date(2025, 3, 1), date(2025, 3, 31))
    assert summary["total_cents"] == 2_000_000
    assert summary["by_category"] == {"salary": 2_000_000}
    assert summary["recurring_cents"] == 2_000_000
    assert summary["previous_period"] == {"start": "2025-02-01", "end": "2025-02-28", "total_cents": 2_400_000}
    assert summary["change_cents"] == -400_000
    assert summary["change_pct"] == round(-100 * 400_000 / 2_400_000, 2)   # -16.67

    february = income_summary(data, date(2025, 2, 1), date(2025, 2, 28))
    assert february["by_category"] == {"salary": 2_000_000, "bonus": 400_000}
    assert february["transaction_count"] == 2
    assert february["previous_period"]["start"] == "2025-01-01"
    assert february["change_pct"] is None
    json.dumps(february)
