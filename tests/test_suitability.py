"""Step 4: suitability rules and ranking within a type.

This module also holds the small builders the recommender tests share
(catalogue frames with the exact shape of ``load_fund_catalogue()`` and
customer features), so no test depends on the packaged catalogue file.
"""
from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from recommender.features_types import CustomerFeatures
from recommender.policy import DEFAULT_POLICY, SuitabilityPolicy
from recommender.suitability import (
    CURRENCY_NOT_ACCEPTED,
    HOLDING_PERIOD_TOO_LONG,
    NEGATIVE_SURPLUS,
    RATING_ABOVE_LEVEL,
    exclusion_reason,
    funds_from_catalogue,
    horizon_cap_level,
    rank_funds,
    screen_funds,
)

SUIT = DEFAULT_POLICY.suitability
RF = DEFAULT_POLICY.allocation.risk_free_rate_pct


# ---- shared builders ------------------------------------------------------------
_TYPE_NAMES = {
    "money_market": ("货币", "Money Market"),
    "bond": ("债券", "Bond"),
    "hybrid": ("混合", "Hybrid"),
    "index": ("指数", "Index"),
    "equity": ("股票", "Equity"),
    "qdii": ("QDII", "QDII"),
}


def fund_row(
    code: str,
    fund_type: str,
    rating: str,
    *,
    min_purchase_cents: int = 100,
    subscription_fee_pct: float = 0.0,
    management_fee_pct: float = 0.5,
    custody_fee_pct: float = 0.1,
    return_1y_pct: float = 3.0,
    return_3y_annualised_pct: float = 3.0,
    volatility_pct: float = 5.0,
    max_drawdown_pct: float = 5.0,
    redemption_days: int = 1,
    min_holding_days: int = 0,
    currency: str = "CNY",
) -> dict:
    """One catalogue row as ``load_fund_catalogue()`` returns it."""
    zh, en = _TYPE_NAMES[fund_type]
    return {
        "fund_code": code,
        "name_zh": f"测试{zh}{code}",
        "name_en": f"Test {en} {code}",
        "manager_zh": "测试基金公司",
        "manager_en": "Test Fund Co.",
        "fund_type": fund_type,
        "risk_rating": rating,
        "currency": currency,
        "risk_level": int(rating[1]),
        "min_purchase_cents": min_purchase_cents,
        "subscription_fee_pct": subscription_fee_pct,
        "management_fee_pct": management_fee_pct,
        "custody_fee_pct": custody_fee_pct,
        "return_1y_pct": return_1y_pct,
        "return_3y_annualised_pct": return_3y_annualised_pct,
        "volatility_pct": volatility_pct,
        "max_drawdown_pct": max_drawdown_pct,
        "redemption_days": redemption_days,
        "min_holding_days": min_holding_days,
        "inception_date": pd.Timestamp("2018-01-02"),
    }


_INT_COLUMNS = ("risk_level", "min_purchase_cents", "redemption_days", "min_holding_days")
_FLOAT_COLUMNS = (
    "subscription_fee_pct",
    "management_fee_pct",
    "custody_fee_pct",
    "return_1y_pct",
    "return_3y_annualised_pct",
    "volatility_pct",
    "max_drawdown_pct",
)


def make_catalogue(rows: list[dict], version: str = "test-catalogue-1") -> pd.DataFrame:
    """A catalogue frame with the dtypes and attrs of ``load_fund_catalogue()``."""
    frame = pd.DataFrame(rows, columns=list(fund_row("000000", "bond", "R2")))
    for column in _INT_COLUMNS:
        frame[column] = frame[column].astype(np.int64)
    for column in _FLOAT_COLUMNS:
        frame[column] = frame[column].astype(np.float64)
    frame["inception_date"] = pd.to_datetime(frame["inception_date"])
    frame.attrs["catalogue_version"] = version
    return frame


def standard_catalogue() -> pd.DataFrame:
    """A small realistic shelf: every type, ratings as banks usually give them."""
    rows = [
        fund_row("100001", "money_market", "R1", redemption_days=0, min_purchase_cents=1, volatility_pct=0.1,
                 max_drawdown_pct=0.0, return_1y_pct=1.9, return_3y_annualised_pct=2.0, management_fee_pct=0.2, custody_fee_pct=0.05),
        fund_row("100002", "money_market", "R1", redemption_days=1, min_purchase_cents=100, volatility_pct=0.1,
                 max_drawdown_pct=0.0, return_1y_pct=1.8, return_3y_annualised_pct=1.9, management_fee_pct=0.3, custody_fee_pct=0.08),
        fund_row("200001", "bond", "R2", min_purchase_cents=1_000, volatility_pct=1.5, max_drawdown_pct=1.2, return_3y_annualised_pct=3.4),
        fund_row("200002", "bond", "R2", min_purchase_cents=1_000, volatility_pct=2.0, max_drawdown_pct=2.5, return_3y_annualised_pct=3.1),
        fund_row("200003", "bond", "R2", min_purchase_cents=1_000, volatility_pct=1.8, max_drawdown_pct=1.9,
                 return_3y_annualised_pct=3.6, min_holding_days=365),
        fund_row("200004", "bond", "R3", min_purchase_cents=10_000, volatility_pct=3.5, max_drawdown_pct=4.0, return_3y_annualised_pct=4.2),
        fund_row("300001", "hybrid", "R3", min_purchase_cents=1_000, volatility_pct=9.0, max_drawdown_pct=12.0,
                 return_3y_annualised_pct=5.0, management_fee_pct=1.2, subscription_fee_pct=1.2),
        fund_row("300002", "hybrid", "R3", min_purchase_cents=1_000, volatility_pct=11.0, max_drawdown_pct=15.0,
                 return_3y_annualised_pct=5.5, management_fee_pct=1.5, subscription_fee_pct=1.5),
        fund_row("300003", "hybrid", "R4", min_purchase_cents=1_000, volatility_pct=15.0, max_drawdown_pct=25.0,
                 return_3y_annualised_pct=6.0, management_fee_pct=1.5, subscription_fee_pct=1.5),
        fund_row("400001", "index", "R4", min_purchase_cents=1_000, volatility_pct=18.0, max_drawdown_pct=30.0,
                 return_3y_annualised_pct=6.5, management_fee_pct=0.15, custody_fee_pct=0.05, redemption_days=2, min_holding_days=7),
        fund_row("400002", "index", "R4", min_purchase_cents=1_000, volatility_pct=20.0, max_drawdown_pct=33.0,
                 return_3y_annualised_pct=6.0, management_fee_pct=0.5, custody_fee_pct=0.1, redemption_days=2, min_holding_days=7),
        fund_row("500001", "equity", "R4", min_purchase_cents=1_000, volatility_pct=20.0, max_drawdown_pct=32.0,
                 return_3y_annualised_pct=7.5, management_fee_pct=1.5, subscription_fee_pct=1.5, redemption_days=3, min_holding_days=7),
        fund_row("500002", "equity", "R5", min_purchase_cents=1_000, volatility_pct=26.0, max_drawdown_pct=40.0,
                 return_3y_annualised_pct=8.0, management_fee_pct=1.5, subscription_fee_pct=1.5, redemption_days=3, min_holding_days=7),
        fund_row("500003", "equity", "R4", min_purchase_cents=1_000, volatility_pct=22.0, max_drawdown_pct=35.0,
                 return_3y_annualised_pct=7.0, management_fee_pct=1.2, subscription_fee_pct=1.2, redemption_days=3, min_holding_days=7),
        fund_row("600001", "qdii", "R4", min_purchase_cents=1_000, volatility_pct=17.0, max_drawdown_pct=25.0,
                 return_3y_annualised_pct=8.0, management_fee_pct=0.8, redemption_days=7, min_holding_days=7),
        fund_row("600002", "qdii", "R5", min_purchase_cents=1_000, volatility_pct=24.0, max_drawdown_pct=35.0,
                 return_3y_annualised_pct=9.0, management_fee_pct=1.0, redemption_days=8, min_holding_days=7),
    ]
    return make_catalogue(rows)


def make_features(**overrides) -> CustomerFeatures:
    """A comfortable salaried customer; override what the test is about.

    Derived fields (months, target, gap, investable) are recomputed from
    liquid balance, essential spending and target months unless overridden,
    the way the feature step defines them.
    """
    values = dict(
        as_of=date(2025, 6, 1),
        months_observed=12,
        median_monthly_income_cents=1_500_000,
        median_monthly_spending_cents=900_000,
        median_monthly_essential_spending_cents=500_000,
        income_volatility_cv=0.03,
        spending_volatility_cv=0.1,
        savings_rate=0.4,
        essential_spending_ratio=0.55,
        conservative_monthly_surplus_cents=500_000,
        liquid_balance_cents=12_000_000,
        emergency_fund_target_months=3.0,
        has_recurring_income=True,
        recurring_income_share=0.95,
    )
    derived = {"emergency_fund_months", "emergency_fund_target_cents", "emergency_fund_gap_cents", "investable_cents"}
    values.update({k: v for k, v in overrides.items() if k not in derived})
    essential = values["median_monthly_essential_spending_cents"]
    liquid = values["liquid_balance_cents"]
    target = round(values["emergency_fund_target_months"] * essential)
    values["emergency_fund_months"] = liquid / essential if essential else 120.0
    values["emergency_fund_target_cents"] = target
    values["emergency_fund_gap_cents"] = max(0, target - liquid)
    values["investable_cents"] = max(0, liquid - target)
    values.update({k: v for k, v in overrides.items() if k in derived})
    return CustomerFeatures(**values)


# ---- horizon caps ----------------------------------------------------------------
@pytest.mark.parametrize(
    "months, level",
    [(1, "C2"), (11, "C2"), (12, "C3"), (35, "C3"), (36, "C4"), (59, "C4"), (60, "C5"), (240, "C5")],
)
def test_horizon_caps_follow_the_policy_bounds(months, level):
    assert horizon_cap_level(months, SUIT) == level


def test_horizon_caps_never_rise_as_the_horizon_shortens():
    levels = [int(horizon_cap_level(m, SUIT)[1]) for m in range(1, 121)]
    assert levels == sorted(levels)


# ---- exclusion rules ----------------------------------------------------------------
def _fund(**kw):
    return funds_from_catalogue(make_catalogue([fund_row(kw.pop("code", "123456"), kw.pop("fund_type", "bond"), kw.pop("rating", "R2"), **kw)]))[0]


def test_rating_above_level_is_excluded_and_equal_rating_is_not():
    assert exclusion_reason(_fund(rating="R3"), "C2", 60, False, SUIT)[0] == RATING_ABOVE_LEVEL
    assert exclusion_reason(_fund(rating="R2"), "C2", 60, False, SUIT) is None


def test_holding_period_must_fit_in_the_horizon():
    one_year_lock = _fund(min_holding_days=365)
    reason = exclusion_reason(one_year_lock, "C5", 6, False, SUIT)
    assert reason[0] == HOLDING_PERIOD_TOO_LONG
    assert reason[1]["min_holding_days"] == 365 and reason[1]["horizon_months"] == 6
    assert exclusion_reason(one_year_lock, "C5", 12, False, SUIT) is None  # 12 months = 365.25 days


def test_negative_surplus_allows_only_money_market_and_low_risk_bonds():
    assert exclusion_reason(_fund(fund_type="bond", rating="R2"), "C4", 60, True, SUIT) is None
    assert exclusion_reason(_fund(fund_type="money_market", rating="R1"), "C4", 60, True, SUIT) is None
    assert exclusion_reason(_fund(fund_type="bond", rating="R3"), "C4", 60, True, SUIT)[0] == NEGATIVE_SURPLUS
    assert exclusion_reason(_fund(fund_type="hybrid", rating="R2"), "C4", 60, True, SUIT)[0] == NEGATIVE_SURPLUS


def test_foreign_currency_funds_are_excluded():
    assert exclusion_reason(_fund(currency="USD"), "C5", 60, False, SUIT)[0] == CURRENCY_NOT_ACCEPTED


def test_screening_ranks_only_suitable_funds_and_names_every_other():
    funds = funds_from_catalogue(standard_catalogue())
    screening = screen_funds(funds, "C3", 24, False, SUIT, RF)
    ranked_codes = {r.fund.fund_code for rs in screening.ranked.values() for r in rs}
    assert ranked_codes | set(screening.exclusions) == {f.fund_code for f in funds}
    assert not ranked_codes & set(screening.exclusions)
    assert all(f.risk_level <= 3 for f in funds if f.fund_code in ranked_codes)
    assert [f.fund_code for f in screening.emergency_funds(SUIT)] and all(
        f.redemption_days <= 1 and f.fund_type == "money_market" for f in screening.emergency_funds(SUIT)
    )


def test_emergency_funds_exclude_slow_money_market_funds():
    rows = [
        fund_row("100001", "money_market", "R1", redemption_days=2),
        fund_row("100002", "money_market", "R1", redemption_days=1),
    ]
    screening = screen_funds(funds_from_catalogue(make_catalogue(rows)), "C1", 12, False, SUIT, RF)
    assert [f.fund_code for f in screening.emergency_funds(SUIT)] == ["100002"]


def test_missing_columns_are_named():
    frame = standard_catalogue().drop(columns=["min_purchase_cents"])
    with pytest.raises(KeyError, match="min_purchase_cents"):
        funds_from_catalogue(frame)


# ---- ranking ------------------------------------------------------------------
def _ranked_codes(rows, horizon_months=36):
    funds = list(funds_from_catalogue(make_catalogue(rows)))
    return [r.fund.fund_code for r in rank_funds(funds, horizon_months, SUIT, RF)]


def test_cheaper_fund_ranks_first_other_things_equal():
    assert _ranked_codes([fund_row("000002", "bond", "R2", management_fee_pct=0.8), fund_row("000001", "bond", "R2", management_fee_pct=0.3)])[0] == "000001"


def test_smaller_drawdown_ranks_first_other_things_equal():
    assert _ranked_codes([fund_row("000001", "bond", "R2", max_drawdown_pct=6.0), fund_row("000002", "bond", "R2", max_drawdown_pct=2.0)])[0] == "000002"


def test_better_risk_adjusted_return_ranks_first_other_things_equal():
    rows = [
        fund_row("000001", "equity", "R4", return_3y_annualised_pct=8.0, volatility_pct=30.0),
        fund_row("000002", "equity", "R4", return_3y_annualised_pct=8.0, volatility_pct=20.0),
    ]
    assert _ranked_codes(rows)[0] == "000002"


def test_unknown_figures_rank_worst():
    rows = [
        fund_row("000001", "equity", "R4", return_3y_annualised_pct=math.nan, return_1y_pct=math.nan),
        fund_row("000002", "equity", "R4", return_3y_annualised_pct=1.0),
    ]
    assert _ranked_codes(rows) == ["000002", "000001"]


def test_subscription_fee_weighs_less_over_a_long_horizon():
    rows = [
        fund_row("000001", "equity", "R4", subscription_fee_pct=1.5, management_fee_pct=0.8),   # cost 0.9 + 1.5/years
        fund_row("000002", "equity", "R4", subscription_fee_pct=0.0, management_fee_pct=1.2),   # cost 1.3
    ]
    # Over 1 year fund 1 costs 2.4 %/y and loses on cost; over 10 years 1.05 %/y and wins.
    funds = list(funds_from_catalogue(make_catalogue(rows)))
    short = {r.fund.fund_code: r.annual_cost_pct for r in rank_funds(funds, 12, SUIT, RF)}
    long = {r.fund.fund_code: r.annual_cost_pct for r in rank_funds(funds, 120, SUIT, RF)}
    assert short["000001"] > short["000002"] and long["000001"] < long["000002"]


def test_ranks_are_a_permutation_with_scores_in_unit_range():
    funds = [f for f in funds_from_catalogue(standard_catalogue()) if f.fund_type == "bond"]
    ranked = rank_funds(funds, 36, SUIT, RF)
    assert [r.rank for r in ranked] == list(range(1, len(funds) + 1))
    assert all(0.0 <= r.score <= 1.0 for r in ranked)
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)


def test_policy_weights_change_the_ranking():
    rows = [
        fund_row("000001", "bond", "R2", management_fee_pct=0.2, max_drawdown_pct=6.0),
        fund_row("000002", "bond", "R2", management_fee_pct=0.9, max_drawdown_pct=1.0),
    ]
    funds = list(funds_from_catalogue(make_catalogue(rows)))
    cost_only = SuitabilityPolicy(rank_weight_cost=1.0, rank_weight_drawdown=0.0, rank_weight_risk_adjusted_return=0.0)
    drawdown_only = SuitabilityPolicy(rank_weight_cost=0.0, rank_weight_drawdown=1.0, rank_weight_risk_adjusted_return=0.0)
    assert rank_funds(funds, 36, cost_only, RF)[0].fund.fund_code == "000001"
    assert rank_funds(funds, 36, drawdown_only, RF)[0].fund.fund_code == "000002"
