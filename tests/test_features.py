"""Step 2: monthly cash flow and customer features (recommender/features.py).

Expected numbers are worked out by hand in the comments next to each assertion.
"""
from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from recommender.categorise import categorise
from recommender.features import (
    FEATURE_FIELDS,
    compute_features,
    compute_features_batch,
    compute_features_in_chunks,
    monthly_cashflow,
    split_by_customer,
    window_bounds,
)
from recommender.features_types import CustomerFeatures
from recommender.policy import FeaturePolicy

POLICY = FeaturePolicy()
FOUR_MONTHS = replace(POLICY, window_months=4)  # small windows keep the hand arithmetic short
AS_OF = date(2025, 7, 10)                        # 4-month window: 2025-03 .. 2025-06


def categorised(rows: list[tuple], customer: str = "alice") -> pd.DataFrame:
    """Hand-built categorise() output. rows: (booked_at, amount_cents, flow, category,
    essential, is_recurring_income[, currency])."""
    records = []
    for i, (booked_at, amount, flow, category, essential, recurring, *currency) in enumerate(rows):
        records.append({
            "transaction_id": f"{customer}-{i}", "customer_id": customer, "account_id": f"{customer}-CUR",
            "booked_at": booked_at, "amount_cents": amount, "currency": currency[0] if currency else "CNY",
            "description": "x", "flow": flow, "category": category, "essential": essential,
            "is_recurring_income": recurring,
        })
    out = pd.DataFrame(records)
    out["booked_at"] = pd.to_datetime(out["booked_at"])
    out["amount_cents"] = out["amount_cents"].astype(np.int64)
    return out


def accounts(rows: list[tuple], customer: str = "alice") -> pd.DataFrame:
    """rows: (account_type, balance_cents[, currency])."""
    return pd.DataFrame([{
        "account_id": f"{customer}-{i}", "customer_id": customer, "account_type": t, "currency": c[0] if c else "CNY",
        "balance_cents": b, "balance_as_of": date(2025, 7, 1)} for i, (t, b, *c) in enumerate(rows)])


def salaried_rows() -> list[tuple]:
    """Income  [1.0M, 1.0M, 1.2M, 0.8M] cents for Mar..Jun 2025 (May: salary 1.0M + bonus 0.2M).
    Spending [0.6M, 0.7M, 0.5M, 0.9M] (May: 0.55M bought, 0.05M refunded);
    essential [0.3M, 0.3M, 0.3M, 0.4M]. Plus rows every feature must ignore."""
    return [
        ("2025-03-25", 1_000_000, "income", "salary", False, True),
        ("2025-04-25", 1_000_000, "income", "salary", False, True),
        ("2025-05-25", 1_000_000, "income", "salary", False, True),
        ("2025-05-30", 200_000, "income", "bonus", False, False),
        ("2025-06-25", 800_000, "income", "salary", False, True),
        ("2025-03-01", -300_000, "spending", "housing", True, False),
        ("2025-03-09", -300_000, "spending", "dining", False, False),
        ("2025-04-01", -300_000, "spending", "housing", True, False),
        ("2025-04-12", -400_000, "spending", "shopping", False, False),
        ("2025-05-01", -300_000, "spending", "housing", True, False),
        ("2025-05-05", -250_000, "spending", "dining", False, False),
        ("2025-05-06", 50_000, "refund", "dining", False, False),
        ("2025-06-01", -300_000, "spending", "housing", True, False),
        ("2025-06-03", -100_000, "spending", "groceries", True, False),
        ("2025-06-20", -500_000, "spending", "travel", False, False),
        # neutral flows: never income or spending
        ("2025-04-26", -2_000_000, "own_transfer", None, False, False),
        ("2025-04-27", 2_000_000, "own_transfer", None, False, False),
        ("2025-05-10", -500_000, "card_repayment", None, False, False),
        ("2025-06-11", -300_000, "fund_purchase", None, False, False),
        ("2025-06-12", 100_000, "fund_redemption", None, False, False),
        # outside the window or the currency
        ("2025-02-25", 9_000_000, "income", "salary", False, True),
        ("2025-07-02", -9_000_000, "spending", "travel", False, False),
        ("2025-04-02", -9_000_000, "spending", "travel", False, False, "USD"),
    ]


SALARIED_ACCOUNTS = [
    ("current", 500_000), ("savings", 1_000_000), ("money_market_fund", 200_000),
    ("term_deposit", 5_000_000),          # not liquid
    ("credit_card", -150_000),            # debt: subtracted
    ("savings", 999_999, "USD"),          # other currency: ignored
]


# ---- window and monthly cash flow ---------------------------------------------------------
@pytest.mark.parametrize("as_of, months, expected", [
    (date(2025, 6, 15), 12, (date(2024, 6, 1), date(2025, 5, 31))),
    (date(2025, 6, 1), 12, (date(2024, 6, 1), date(2025, 5, 31))),
    (date(2025, 3, 31), 1, (date(2025, 2, 1), date(2025, 2, 28))),
    (date(2024, 1, 5), 3, (date(2023, 10, 1), date(2023, 12, 31))),
])
def test_window_is_complete_months_before_as_of(as_of, months, expected):
    assert window_bounds(as_of, months) == expected


def test_monthly_cashflow_by_hand():
    flow = monthly_cashflow(categorised(salaried_rows()), AS_OF, 4)
    assert list(flow["month"]) == ["2025-03", "2025-04", "2025-05", "2025-06"]
    assert list(flow["income_cents"]) == [1_000_000, 1_000_000, 1_200_000, 800_000]
    assert list(flow["spending_cents"]) == [600_000, 700_000, 500_000, 900_000]
    assert list(flow["essential_spending_cents"]) == [300_000, 300_000, 300_000, 400_000]
    assert list(flow["net_cents"]) == [400_000, 300_000, 700_000, -100_000]
    assert list(flow["recurring_income_cents"]) == [1_000_000, 1_000_000, 1_000_000, 800_000]
    for column in ("income_cents", "spending_cents", "essential_spending_cents", "net_cents"):
        assert flow[column].dtype == np.int64


def test_monthly_cashflow_has_a_row_for_every_month_even_empty_ones():
    rows = [("2025-04-10", 100, "income", "other_income", False, False)]
    flow = monthly_cashflow(categorised(rows), AS_OF, 6)
    assert list(flow["month"]) == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
    assert list(flow["income_cents"]) == [0, 0, 0, 100, 0, 0]
    assert list(flow["transaction_count"]) == [0, 0, 0, 1, 0, 0]


def test_refunds_larger_than_purchases_floor_the_month_at_zero():
    rows = [
        ("2025-06-01", -10_000, "spending", "groceries", True, False),
        ("2025-06-02", 30_000, "refund", "shopping", False, False),
    ]
    flow = monthly_cashflow(categorised(rows), AS_OF, 1)
    # net spending -20,000 -> 0; essential 10,000 capped at that month's spending (0).
    assert flow["spending_cents"].iloc[0] == 0
    assert flow["essential_spending_cents"].iloc[0] == 0


# ---- features, by hand ----------------------------------------------------------------------
def test_salaried_customer_by_hand():
    f = compute_features(categorised(salaried_rows()), accounts(SALARIED_ACCOUNTS), AS_OF, FOUR_MONTHS)
    assert f.as_of == AS_OF
    assert f.months_observed == 4
    assert f.median_monthly_income_cents == 1_000_000            # (1.0M + 1.0M) / 2
    assert f.median_monthly_spending_cents == 650_000            # (0.6M + 0.7M) / 2
    assert f.median_monthly_essential_spending_cents == 300_000
    # income mean 1.0M, deviations 0, 0, +0.2M, -0.2M -> population std sqrt(2e10) = 141,421.36
    assert f.income_volatility_cv == pytest.approx(math.sqrt(2e10) / 1e6)
    # spending mean 675k, deviations -75k, 25k, -175k, 225k -> variance 8.75e10 / 4
    assert f.spending_volatility_cv == pytest.approx(math.sqrt(8.75e10 / 4) / 675_000)
    assert f.savings_rate == pytest.approx((4_000_000 - 2_700_000) / 4_000_000)     # 0.325
    assert f.essential_spending_ratio == pytest.approx(1_300_000 / 2_700_000)
    # net sorted [-100k, 300k, 400k, 700k]; P25 at position 0.75: -100k + 0.75 * 400k = 200k
    assert f.conservative_monthly_surplus_cents == 200_000
    # 500k + 1.0M + 200k (MMF) - 150k card debt; term deposit and USD left out
    assert f.liquid_balance_cents == 1_550_000
    assert f.emergency_fund_months == pytest.approx(1_550_000 / 300_000)
    assert f.has_recurring_income                                 # salary in May and June
    assert f.emergency_fund_target_months == 3.0                  # CV 0.14 < 0.5, recurring income
    assert f.emergency_fund_target_cents == 900_000               # 3 x 300k
    assert f.emergency_fund_gap_cents == 0
    assert f.investable_cents == 650_000                          # 1.55M - 0.9M
    assert f.recurring_income_share == pytest.approx(3_800_000 / 4_000_000)


def test_field_types_match_the_contract():
    f = compute_features(categorised(salaried_rows()), accounts(SALARIED_ACCOUNTS), AS_OF, FOUR_MONTHS)
    for name in FEATURE_FIELDS:
        value = getattr(f, name)
        if name.endswith("_cents") or name == "months_observed":
            assert type(value) is int, name
        elif name == "has_recurring_income":
            assert type(value) is bool
        elif name != "as_of":
            assert type(value) is float, name
    assert set(CustomerFeatures.UNITS) == set(FEATURE_FIELDS)
    assert f.to_dict()["as_of"] == "2025-07-10"


def test_card_debt_subtraction_is_a_policy_choice():
    keep_debt = replace(FOUR_MONTHS, subtract_credit_card_debt=False)
    f = compute_features(categorised(salaried_rows()), accounts(SALARIED_ACCOUNTS), AS_OF, keep_debt)
    assert f.liquid_balance_cents == 1_700_000
    assert f.investable_cents == 800_000


def test_volatile_income_raises_the_emergency_fund_target():
    # Freelancer: income [0, 3.0M, 0, 0.5M]; the 0.5M in June is flagged recurring so only the CV raises it.
    rows = [
        ("2025-04-15", 3_000_000, "income", "other_income", False, False),
        ("2025-06-15", 500_000, "income", "other_income", False, True),
    ] + [(f"2025-{m:02d}-01", -400_000, "spending", "housing" if m % 2 else "dining", m % 2 == 1, False)
         for m in (3, 4, 5, 6)]
    # essential: Mar 400k, Apr 0, May 400k, Jun 0 -> median (0 + 400k) / 2 = 200k
    f = compute_features(categorised(rows), accounts([("savings", 2_000_000)]), AS_OF, FOUR_MONTHS)
    assert f.median_monthly_income_cents == 250_000                  # sorted [0, 0, 0.5M, 3.0M]
    mean = 3_500_000 / 4
    std = math.sqrt(sum((x - mean) ** 2 for x in [0, 3_000_000, 0, 500_000]) / 4)
    assert f.income_volatility_cv == pytest.approx(std / mean)       # 1.42
    assert f.has_recurring_income
    assert f.emergency_fund_target_months == 6.0
    assert f.emergency_fund_target_cents == 1_200_000                 # 6 x 200k
    assert f.investable_cents == 800_000
    assert f.emergency_fund_gap_cents == 0


def test_steady_income_without_recurring_payer_raises_the_target():
    rows = [(f"2025-{m:02d}-15", 1_000_000, "income", "other_income", False, False) for m in (3, 4, 5, 6)] + \
           [(f"2025-{m:02d}-01", -200_000, "spending", "housing", True, False) for m in (3, 4, 5, 6)]
    f = compute_features(categorised(rows), accounts([("savings", 1_000_000)]), AS_OF, FOUR_MONTHS)
    assert f.income_volatility_cv == 0.0
    assert not f.has_recurring_income
    assert f.emergency_fund_target_months == 6.0
    assert f.emergency_fund_target_cents == 1_200_000
    assert f.emergency_fund_gap_cents == 200_000 and f.investable_cents == 0


def test_recurring_income_that_stopped_is_not_current():
    rows = [(f"2025-{m:02d}-25", 1_000_000, "income", "salary", False, True) for m in (3, 4)] + \
           [(f"2025-{m:02d}-01", -200_000, "spending", "housing", True, False) for m in (3, 4, 5, 6)]
    f = compute_features(categorised(rows), accounts([]), AS_OF, FOUR_MONTHS)
    assert not f.has_recurring_income          # nothing in May or June
    assert f.recurring_income_share == 1.0     # but all window income was recurring


def test_months_before_the_first_transaction_are_not_counted():
    # 6-month window Jan..Jun; history starts in March.
    rows = [(f"2025-{m:02d}-25", 1_000_000, "income", "salary", False, True) for m in (3, 4, 5, 6)] + \
           [(f"2025-{m:02d}-02", -400_000, "spending", "groceries", True, False) for m in (3, 4, 5, 6)]
    f = compute_features(categorised(rows), accounts([]), AS_OF, replace(POLICY, window_months=6))
    assert f.months_observed == 4
    assert f.median_monthly_income_cents == 1_000_000   # not the median of [0, 0, 1M, 1M, 1M, 1M]
    assert f.income_volatility_cv == 0.0


def test_a_month_without_income_counts_as_zero_income():
    rows = [("2025-04-25", 1_000_000, "income", "other_income", False, False),
            ("2025-06-25", 1_000_000, "income", "other_income", False, False)] + \
           [(f"2025-{m:02d}-02", -100_000, "spending", "groceries", True, False) for m in (4, 5, 6)]
    f = compute_features(categorised(rows), accounts([]), AS_OF, replace(POLICY, window_months=3))
    # income [1M, 0, 1M]: mean 2/3 M, population std sqrt(2)/3 M -> CV sqrt(2)/2
    assert f.months_observed == 3
    assert f.median_monthly_income_cents == 1_000_000
    assert f.income_volatility_cv == pytest.approx(math.sqrt(0.5))
    # net [900k, -100k, 900k]: P25 at position 0.5 between -100k and 900k -> 400k
    assert f.conservative_monthly_surplus_cents == 400_000


def test_sample_std_is_a_policy_choice():
    rows = [("2025-05-25", 1_000_000, "income", "other_income", False, False),
            ("2025-06-25", 3_000_000, "income", "other_income", False, False)]
    two = replace(POLICY, window_months=2)
    # mean 2M; population std 1M -> 0.5; sample std sqrt(2) M -> 0.707
    assert compute_features(categorised(rows), accounts([]), AS_OF, two).income_volatility_cv == pytest.approx(0.5)
    sample = replace(two, volatility_ddof=1)
    assert compute_features(categorised(rows), accounts([]), AS_OF, sample).income_volatility_cv == \
        pytest.approx(math.sqrt(2) / 2)


@pytest.mark.parametrize("amounts, expected_median", [
    ((100, 101), 100),    # 100.5 -> half to even -> 100
    ((101, 102), 102),    # 101.5 -> 102
    ((100, 103), 102),    # 101.5 -> 102
    ((7, 7), 7),
])
def test_medians_are_whole_cents_rounded_half_to_even(amounts, expected_median):
    rows = [(f"2025-{m:02d}-10", a, "income", "other_income", False, False) for m, a in zip((5, 6), amounts)]
    f = compute_features(categorised(rows), accounts([]), AS_OF, replace(POLICY, window_months=2))
    assert f.median_monthly_income_cents == expected_median


@pytest.mark.parametrize("nets, expected_p25", [
    ((0, 1), 0),          # 0.25 -> floor 0
    ((-1, 0), -1),        # -0.75 -> floor -1 (never overstates the surplus)
    ((100, 500), 200),    # exact
])
def test_conservative_surplus_is_floored_to_a_cent(nets, expected_p25):
    rows = []
    for month, net in zip((5, 6), nets):
        flow = "income" if net >= 0 else "spending"
        rows.append((f"2025-{month:02d}-10", net if net else 0, flow, "other_income" if net >= 0 else "other",
                     False, False))
    f = compute_features(categorised(rows), accounts([]), AS_OF, replace(POLICY, window_months=2))
    assert f.conservative_monthly_surplus_cents == expected_p25


# ---- edge cases -------------------------------------------------------------------------------
def test_zero_income():
    rows = [(f"2025-{m:02d}-02", -100_000, "spending", "housing" if m == 4 else "dining", m == 4, False)
            for m in (4, 5, 6)]
    f = compute_features(categorised(rows), accounts([("current", 0)]), AS_OF, replace(POLICY, window_months=3))
    assert f.median_monthly_income_cents == 0
    assert f.income_volatility_cv == 0.0
    assert f.savings_rate == POLICY.savings_rate_floor             # -1.0, not -inf
    assert f.essential_spending_ratio == pytest.approx(1 / 3)
    assert f.conservative_monthly_surplus_cents == -100_000
    assert f.median_monthly_essential_spending_cents == 0          # essential [100k, 0, 0]
    assert f.emergency_fund_months == 0.0                          # no cash, nothing essential
    assert f.emergency_fund_target_months == 6.0                   # no recurring income
    assert f.recurring_income_share == 0.0
    assert not f.has_recurring_income


def test_zero_income_and_zero_spending_with_cash():
    rows = [("2025-05-02", -100_000, "fund_purchase", None, False, False)]  # only a neutral flow
    f = compute_features(categorised(rows), accounts([("savings", 500_000)]), AS_OF, FOUR_MONTHS)
    assert f.months_observed == 2                      # May and June
    assert f.savings_rate == 0.0 and f.essential_spending_ratio == 0.0
    assert f.income_volatility_cv == 0.0 and f.spending_volatility_cv == 0.0
    assert f.emergency_fund_months == POLICY.emergency_fund_months_cap   # cash but nothing to cover
    assert f.emergency_fund_target_cents == 0


def test_empty_window():
    outside = [("2024-01-10", 1_000_000, "income", "salary", False, True)]
    for frame in (categorised(outside), categorised(outside).iloc[:0]):
        f = compute_features(frame, accounts([("savings", 300_000)]), AS_OF, FOUR_MONTHS)
        assert f.months_observed == 0
        assert f.median_monthly_income_cents == 0 and f.median_monthly_spending_cents == 0
        assert f.savings_rate == 0.0 and f.income_volatility_cv == 0.0
        assert f.conservative_monthly_surplus_cents == 0
        assert f.liquid_balance_cents == 300_000
        assert f.emergency_fund_target_cents == 0 and f.investable_cents == 300_000
        assert all(not isinstance(getattr(f, n), float) or math.isfinite(getattr(f, n)) for n in FEATURE_FIELDS)


def test_no_accounts_and_no_transactions():
    f = compute_features(categorised(salaried_rows()).iloc[:0], accounts([]), AS_OF)
    assert f.liquid_balance_cents == 0 and f.investable_cents == 0 and f.emergency_fund_months == 0.0


def test_overdrawn_customer_has_no_negative_emergency_months():
    rows = [("2025-06-02", -100_000, "spending", "housing", True, False)]
    f = compute_features(categorised(rows), accounts([("current", -50_000)]), AS_OF, FOUR_MONTHS)
    assert f.liquid_balance_cents == -50_000
    assert f.emergency_fund_months == 0.0
    assert f.investable_cents == 0
    assert f.emergency_fund_gap_cents == f.emergency_fund_target_cents + 50_000


def test_compute_features_refuses_two_customers():
    both = pd.concat([categorised(salaried_rows(), "alice"), categorised(salaried_rows(), "bob")])
    with pytest.raises(ValueError):
        compute_features(both, accounts([]), AS_OF)


# ---- batch ---------------------------------------------------------------------------------------
def freelancer_rows() -> list[tuple]:
    return [
        ("2025-01-20", 3_000_000, "income", "other_income", False, False),
        ("2025-05-03", 500_000, "income", "other_income", False, False),
    ] + [(f"2025-{m:02d}-05", -350_000, "spending", "housing", True, False) for m in range(1, 7)]


def test_batch_equals_per_customer():
    frames = {"alice": categorised(salaried_rows(), "alice"), "bob": categorised(freelancer_rows(), "bob")}
    account_frames = {"alice": accounts(SALARIED_ACCOUNTS, "alice"),
                      "bob": accounts([("current", 80_000), ("credit_card", -20_000)], "bob"),
                      "carol": accounts([("savings", 1_000_000)], "carol")}   # no transactions
    all_tx = pd.concat(frames.values(), ignore_index=True).sample(frac=1, random_state=1)  # shuffled
    all_accounts = pd.concat(account_frames.values(), ignore_index=True)
    batch = compute_features_batch(all_tx, all_accounts, AS_OF, POLICY)
    assert list(batch["customer_id"]) == ["alice", "bob", "carol"]
    for _, row in batch.iterrows():
        customer = row["customer_id"]
        tx = frames.get(customer, categorised(salaried_rows(), customer).iloc[:0])
        single = compute_features(tx, account_frames[customer], AS_OF, POLICY)
        assert {n: row[n] for n in FEATURE_FIELDS} == single.__dict__, customer
    assert batch.loc[batch["customer_id"] == "carol", "investable_cents"].item() == 1_000_000


def test_chunked_batch_equals_one_batch():
    rows = []
    raw_accounts = []
    for i in range(5):
        customer = f"c{i}"
        for m in range(1, 7):
            rows.append({"transaction_id": f"{customer}-s{m}", "customer_id": customer, "account_id": f"{customer}-A",
                         "booked_at": f"2025-{m:02d}-25", "amount_cents": 1_000_000 + 100_000 * i,
                         "currency": "CNY", "description": "工资", "counterparty": "ACME",
                         "counterparty_account": None, "mcc": None})
            rows.append({"transaction_id": f"{customer}-d{m}", "customer_id": customer, "account_id": f"{customer}-A",
                         "booked_at": f"2025-{m:02d}-03", "amount_cents": -50_000 * (i + m), "currency": "CNY",
                         "description": "美团外卖-订单1", "counterparty": None, "counterparty_account": None,
                         "mcc": None})
        raw_accounts.append({"account_id": f"{customer}-A", "customer_id": customer, "account_type": "current",
                             "currency": "CNY", "balance_cents": 100_000 * i, "balance_as_of": date(2025, 7, 1)})
    tx = pd.DataFrame(rows)
    tx["booked_at"] = pd.to_datetime(tx["booked_at"])
    acc = pd.DataFrame(raw_accounts)
    whole = compute_features_batch(categorise(tx, acc), acc, AS_OF)
    chunks = list(split_by_customer(tx, acc, customers_per_chunk=2))
    assert len(chunks) == 3
    assert sorted(sum((list(c["customer_id"].unique()) for c, _ in chunks), [])) == [f"c{i}" for i in range(5)]
    chunked = compute_features_in_chunks(chunks, AS_OF)
    pd.testing.assert_frame_equal(chunked.reset_index(drop=True), whole.reset_index(drop=True))


def test_categorised_transfers_do_not_move_features():
    """Integration: card repayments, own transfers and fund purchases change nothing."""
    base = [
        {"description": "工资 Salary ACME Ltd", "amount_cents": 2_000_000, "counterparty": "ACME Ltd"},
        {"description": "房租", "amount_cents": -500_000, "counterparty": "王建国"},
        {"description": "美团外卖-订单8812", "amount_cents": -40_000},
    ]
    extra = [
        {"description": "信用卡还款", "amount_cents": -300_000, "counterparty_account": "CARD"},
        {"description": "还款", "amount_cents": 300_000, "account_id": "CARD", "counterparty_account": "CUR"},
        {"description": "基金申购 900123", "amount_cents": -200_000},
        {"description": "转账-本人储蓄账户", "amount_cents": -100_000},
    ]
    acc = pd.DataFrame({"account_id": ["CUR", "CARD"], "customer_id": ["alice", "alice"],
                        "account_type": ["current", "credit_card"], "currency": ["CNY", "CNY"],
                        "balance_cents": [1_000_000, 0], "balance_as_of": [date(2025, 7, 1)] * 2})

    def build(rows):
        records = [{"transaction_id": f"t{m}-{i}", "customer_id": "alice", "account_id": "CUR",
                    "booked_at": f"2025-{m:02d}-{10 + i:02d}", "currency": "CNY", "counterparty": None,
                    "counterparty_account": None, "mcc": None, **row}
                   for m in (3, 4, 5, 6) for i, row in enumerate(rows)]
        frame = pd.DataFrame(records)
        frame["booked_at"] = pd.to_datetime(frame["booked_at"])
        return frame

    plain = compute_features(categorise(build(base), acc), acc, AS_OF, FOUR_MONTHS)
    with_transfers = compute_features(categorise(build(base + extra), acc), acc, AS_OF, FOUR_MONTHS)
    assert plain == with_transfers
    assert plain.median_monthly_spending_cents == 540_000
    assert plain.median_monthly_essential_spending_cents == 500_000   # rent is housing
    assert plain.has_recurring_income
