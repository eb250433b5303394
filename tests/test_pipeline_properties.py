"""Property-based tests: the invariants of a recommendation hold for random
customers, questionnaire levels, horizons, amounts, requests and catalogues."""
from __future__ import annotations

import json
import math
from datetime import date, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from recommender.pipeline import Assessment, RecommendationRequest, recommend
from recommender.policy import DEFAULT_POLICY
from recommender.schema import CUSTOMER_LEVELS, FUND_TYPES
from test_suitability import fund_row, make_catalogue, make_features, standard_catalogue

TODAY = date(2025, 6, 1)
SUIT = DEFAULT_POLICY.suitability

fund_rows = st.builds(
    dict,
    fund_type=st.sampled_from(FUND_TYPES),
    rating=st.sampled_from(["R1", "R2", "R3", "R4", "R5"]),
    min_purchase_cents=st.sampled_from([1, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000]),
    subscription_fee_pct=st.floats(0.0, 1.5),
    management_fee_pct=st.floats(0.0, 2.0),
    return_1y_pct=st.floats(-30.0, 40.0),
    return_3y_annualised_pct=st.one_of(st.floats(-15.0, 20.0), st.just(math.nan)),
    volatility_pct=st.floats(0.0, 35.0),
    max_drawdown_pct=st.floats(0.0, 60.0),
    redemption_days=st.integers(0, 10),
    min_holding_days=st.sampled_from([0, 7, 30, 90, 180, 365, 1095]),
    currency=st.sampled_from(["CNY"] * 9 + ["USD"]),
)


@st.composite
def catalogues(draw):
    """Random funds, often on top of a realistic shelf (so that suggestions are not all empty)."""
    shelf = standard_catalogue().to_dict("records") if draw(st.integers(0, 3)) else []
    rows = draw(st.lists(fund_rows, min_size=0 if shelf else 1, max_size=20))
    random_funds = [fund_row(f"{900000 + i}", r.pop("fund_type"), r.pop("rating"), **r) for i, r in enumerate(rows)]
    return make_catalogue(shelf + random_funds, version="random")


features = st.builds(
    make_features,
    months_observed=st.integers(0, 24),
    median_monthly_essential_spending_cents=st.integers(0, 3_000_000),
    income_volatility_cv=st.floats(0.0, 2.0),
    savings_rate=st.one_of(st.floats(-1.0, 0.9), st.floats(0.2, 0.9)),
    conservative_monthly_surplus_cents=st.one_of(st.integers(-2_000_000, 2_000_000), st.integers(1, 2_000_000)),
    liquid_balance_cents=st.integers(0, 500_000_000),
    emergency_fund_target_months=st.sampled_from([3.0, 6.0]),
    has_recurring_income=st.booleans(),
    recurring_income_share=st.floats(0.0, 1.0),
)

requests = st.builds(
    RecommendationRequest,
    amount_cents=st.one_of(st.none(), st.integers(0, 10**10), st.integers(0, 100_000)),
    horizon_months=st.integers(1, 240),
    fund_type=st.one_of(st.none(), st.sampled_from(FUND_TYPES)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    customer=features,
    level=st.sampled_from(CUSTOMER_LEVELS),
    catalogue=catalogues(),
    request=requests,
    expired=st.sampled_from([False, False, False, False, True]),
)
def test_recommendation_invariants(customer, level, catalogue, request, expired):
    assessment = Assessment(1, level, TODAY - timedelta(days=30), TODAY - timedelta(days=1) if expired else TODAY + timedelta(days=300))
    result = recommend(customer, assessment, catalogue, request, TODAY)
    event(f"status={result.status}")
    event(f"holdings={min(len(result.holdings), 4)}")
    funds = {row.fund_code: row for row in catalogue.itertuples()}
    holdings = result.holdings
    requested = request.amount_cents if request.amount_cents is not None else customer.investable_cents

    # money: never created or lost
    assert result.amount_requested_cents == requested
    assert sum(h.amount_cents for h in holdings) == result.amount_allocated_cents
    assert result.amount_allocated_cents + result.amount_unplaced_cents == requested
    assert all(isinstance(h.amount_cents, int) and h.amount_cents > 0 for h in holdings)
    if holdings:
        assert abs(sum(h.weight for h in holdings) - 1.0) < 1e-9
    assert len({h.fund_code for h in holdings}) == len(holdings)

    if expired:
        assert result.status == "needs_questionnaire" and not holdings
        return
    assert result.status == ("ok" if holdings else "nothing_to_invest")

    # level: never raised, never exceeded
    effective = int(result.effective_level[1])
    assert effective <= int(level[1])
    assert effective <= int(result.capacity.cap_level[1]) and effective <= int(result.horizon_cap_level[1])
    for h in holdings:
        fund = funds[h.fund_code]
        assert fund.risk_level <= effective <= int(level[1])
        assert fund.currency == "CNY"
        assert h.amount_cents >= fund.min_purchase_cents
        assert fund.min_holding_days <= request.horizon_months * SUIT.days_per_month
        if fund.fund_type not in SUIT.concentration_exempt_types:
            assert h.amount_cents * 5 <= result.amount_allocated_cents          # <= 20 %, exactly
        if customer.conservative_monthly_surplus_cents < 0:
            assert fund.fund_type in ("money_market", "bond") and fund.risk_level <= 2

    # the emergency fund comes first, and only the investable amount goes beyond money market
    non_money_market = sum(h.amount_cents for h in holdings if h.fund_type != "money_market")
    assert non_money_market <= customer.investable_cents
    emergency = [h for h in holdings if h.role == "emergency_fund"]
    assert len(emergency) <= 1
    for h in emergency:
        assert h.fund_type == "money_market" and funds[h.fund_code].redemption_days <= 1
        assert h.amount_cents >= min(requested, customer.emergency_fund_gap_cents)

    # a suitable requested type is the only type in the invested part (plus where overflow may go)
    if request.fund_type is not None and "REQUESTED_TYPE" in result.reason_codes():
        allowed = {request.fund_type, *SUIT.concentration_exempt_types}
        assert {h.fund_type for h in holdings if h.role == "portfolio"} <= allowed

    # every fund decided, consistently with the holdings
    assert [d.fund_code for d in result.decisions] == list(catalogue["fund_code"])
    assert {d.fund_code for d in result.decisions if d.decision == "selected"} == {h.fund_code for h in holdings}
    json.dumps(result.to_dict(), ensure_ascii=False)
