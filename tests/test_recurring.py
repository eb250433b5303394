"""Recurring income detection (recommender/recurring.py)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from recommender.policy import CategorisationPolicy
from recommender.recurring import detect_recurring_income

POLICY = CategorisationPolicy()


def frame(rows: list[tuple], customer: str = "alice") -> pd.DataFrame:
    """rows: (booked_at, amount_cents, description, counterparty[, flow])."""
    records = []
    for row in rows:
        booked_at, amount, description, counterparty, *flow = row
        records.append({
            "customer_id": customer, "booked_at": booked_at, "amount_cents": amount,
            "description": description, "counterparty": counterparty,
            "flow": flow[0] if flow else ("income" if amount > 0 else "spending"),
        })
    out = pd.DataFrame(records)
    out["booked_at"] = pd.to_datetime(out["booked_at"])
    out["amount_cents"] = out["amount_cents"].astype(np.int64)
    return out


def salary_rows(days=("2025-01-25", "2025-02-26", "2025-03-24", "2025-04-25", "2025-05-27", "2025-06-25"),
                amount=2_000_000, payer="ACME Ltd"):
    return [(d, amount, "代发 ACME", payer) for d in days]


def test_monthly_salary_is_recurring():
    result = detect_recurring_income(frame(salary_rows()), POLICY)
    assert result.all()


def test_salary_with_small_variations_is_still_recurring():
    amounts = [2_000_000, 2_150_000, 1_900_000, 2_050_000, 2_000_000, 2_300_000]  # overtime, within 30 %
    rows = [(d, a, "代发 ACME", "ACME Ltd") for (d, _, _, _), a in zip(salary_rows(), amounts)]
    assert detect_recurring_income(frame(rows), POLICY).all()


def test_year_end_bonus_from_the_employer_is_not_part_of_the_stream():
    rows = salary_rows() + [("2025-01-31", 6_000_000, "代发 ACME", "ACME Ltd")]
    result = detect_recurring_income(frame(rows), POLICY)
    assert result[:6].all()
    assert not result[6]


def test_irregular_freelance_payments_are_not_recurring():
    # Same client, irregular dates (gaps 12, 45, 20, 70 days) and amounts.
    days = pd.to_datetime("2025-01-03") + pd.to_timedelta(np.cumsum([0, 12, 45, 20, 70]), unit="D")
    amounts = [800_000, 1_500_000, 600_000, 2_000_000, 900_000]
    rows = [(d, a, "转账", "Studio Blue") for d, a in zip(days, amounts)]
    assert not detect_recurring_income(frame(rows), POLICY).any()


def test_irregular_dates_with_steady_amounts_are_not_recurring():
    days = pd.to_datetime("2025-01-03") + pd.to_timedelta(np.cumsum([0, 12, 45, 20, 70]), unit="D")
    rows = [(d, 1_000_000, "转账", "Studio Blue") for d in days]
    assert not detect_recurring_income(frame(rows), POLICY).any()


def test_a_one_off_payment_is_not_recurring():
    rows = salary_rows() + [("2025-03-10", 50_000, "微信转账", "张三")]
    result = detect_recurring_income(frame(rows), POLICY)
    assert not result.iloc[-1]
    assert result.iloc[:-1].all()


def test_minimum_number_of_months_comes_from_the_policy():
    two_months = frame(salary_rows(days=("2025-05-25", "2025-06-25")))
    assert not detect_recurring_income(two_months, POLICY).any()
    assert detect_recurring_income(two_months, replace(POLICY, recurring_min_months=2)).all()


def test_amount_tolerance_comes_from_the_policy():
    amounts = [1_000_000, 1_600_000, 700_000, 1_500_000, 600_000, 1_400_000]  # swings of about +-50 %
    rows = [(d, a, "代发", "ACME Ltd") for (d, _, _, _), a in zip(salary_rows(), amounts)]
    # Median 1.2M, band +-30 %: only Jan, Apr and Jun are in it, 90 and 61 days apart -> not monthly.
    assert not detect_recurring_income(frame(rows), POLICY).any()
    assert detect_recurring_income(frame(rows), replace(POLICY, recurring_amount_tolerance=0.7)).all()


def test_weekly_payments_are_not_monthly():
    days = pd.date_range("2025-01-03", periods=12, freq="7D")
    rows = [(d, 200_000, "Weekly wage", "Cafe Co") for d in days]
    assert not detect_recurring_income(frame(rows), POLICY).any()


def test_payer_falls_back_to_the_description_without_digits():
    rows = [(f"2025-{m:02d}-15", 1_000_000, f"工资 2025年{m:02d}月 流水{7000 + m}", None) for m in range(1, 6)]
    assert detect_recurring_income(frame(rows), POLICY).all()


def test_different_payers_are_different_streams():
    # Two payers alternating monthly: each pays only every other month (gaps of ~60 days).
    rows = [(f"2025-{m:02d}-15", 1_000_000, "转账", "Client A" if m % 2 else "Client B") for m in range(1, 9)]
    assert not detect_recurring_income(frame(rows), POLICY).any()


def test_customers_are_never_mixed():
    # Each customer has only two payments from "ACME": together they would make four months.
    alice = frame(salary_rows(days=("2025-01-25", "2025-03-25")), customer="alice")
    bob = frame(salary_rows(days=("2025-02-25", "2025-04-25")), customer="bob")
    assert not detect_recurring_income(pd.concat([alice, bob], ignore_index=True), POLICY).any()


def test_only_income_rows_can_be_recurring():
    rent = [(f"2025-{m:02d}-01", -450_000, "房租", "王建国") for m in range(1, 7)]
    refunds = [(f"2025-{m:02d}-03", 10_000, "退款", "Shop", "refund") for m in range(1, 7)]
    result = detect_recurring_income(frame(rent + refunds + salary_rows()), POLICY)
    assert not result[:12].any()
    assert result[12:].all()


def test_result_is_aligned_with_the_input_index():
    data = frame(salary_rows() + [("2025-03-10", 50_000, "微信转账", "张三")])
    data.index = [100 + 7 * i for i in range(len(data))]
    result = detect_recurring_income(data, POLICY)
    assert list(result.index) == list(data.index)
    assert result.dtype == bool
    assert result.loc[100] and not result.loc[100 + 7 * 6]


def test_no_income_at_all():
    rent = frame([(f"2025-{m:02d}-01", -450_000, "房租", "王建国") for m in range(1, 7)])
    assert not detect_recurring_income(rent, POLICY).any()
    assert len(detect_recurring_income(rent.iloc[:0], POLICY)) == 0
