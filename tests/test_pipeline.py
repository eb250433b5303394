"""Steps 3-6 end to end, on the demo personas and a few deliberate edge cases."""
from __future__ import annotations

import json
import statistics
import time
from datetime import date, timedelta

import numpy as np
import pytest

from recommender.pipeline import Assessment, RecommendationRequest, recommend
from recommender.policy import DEFAULT_POLICY
from test_suitability import fund_row, make_catalogue, make_features, standard_catalogue

TODAY = date(2025, 6, 1)
CATALOGUE = standard_catalogue()
EXEMPT = DEFAULT_POLICY.suitability.concentration_exempt_types


def assessment(level: str, *, assessed_days_ago: int = 30, valid_days: int = 365) -> Assessment:
    assessed = TODAY - timedelta(days=assessed_days_ago)
    return Assessment(7, level, assessed, assessed + timedelta(days=valid_days))


# ---- personas (money in cents) ---------------------------------------------------
PERSONAS = {
    "salaried_saver": make_features(),  # 15k income, 5k essential, 120k liquid: 24 months of cover
    "overspender": make_features(
        median_monthly_income_cents=1_200_000,
        median_monthly_spending_cents=1_350_000,
        savings_rate=-0.125,
        conservative_monthly_surplus_cents=-250_000,
        liquid_balance_cents=900_000,                      # 1.8 months of 5k essential spending
    ),
    "retiree": make_features(
        median_monthly_income_cents=600_000,
        median_monthly_spending_cents=450_000,
        median_monthly_essential_spending_cents=350_000,
        income_volatility_cv=0.02,
        savings_rate=0.25,
        conservative_monthly_surplus_cents=120_000,
        liquid_balance_cents=30_000_000,
        recurring_income_share=1.0,
    ),
    "freelancer": make_features(
        median_monthly_income_cents=2_000_000,
        median_monthly_spending_cents=1_300_000,
        median_monthly_essential_spending_cents=600_000,
        income_volatility_cv=0.65,
        savings_rate=0.3,
        conservative_monthly_surplus_cents=50_000,
        liquid_balance_cents=3_000_000,                    # 5 months; target raised to 6
        emergency_fund_target_months=6.0,
        has_recurring_income=False,
        recurring_income_share=0.0,
    ),
    "high_earner": make_features(
        median_monthly_income_cents=6_000_000,
        median_monthly_spending_cents=2_500_000,
        median_monthly_essential_spending_cents=1_000_000,
        income_volatility_cv=0.08,
        savings_rate=0.58,
        conservative_monthly_surplus_cents=3_000_000,
        liquid_balance_cents=150_000_000,
    ),
    "student": make_features(
        months_observed=8,
        median_monthly_income_cents=200_000,
        median_monthly_spending_cents=190_000,
        median_monthly_essential_spending_cents=120_000,
        income_volatility_cv=0.3,
        savings_rate=0.05,
        conservative_monthly_surplus_cents=-20_000,
        liquid_balance_cents=400_000,
    ),
}


def codes(result):
    return result.reason_codes()


def check_invariants(result):
    """What must hold for every result."""
    holdings = result.holdings
    assert sum(h.amount_cents for h in holdings) == result.amount_allocated_cents
    assert result.amount_allocated_cents + result.amount_unplaced_cents == result.amount_requested_cents
    if holdings:
        assert abs(sum(h.weight for h in holdings) - 1.0) < 1e-9
    catalogue = {row.fund_code: row for row in CATALOGUE.itertuples()}
    for h in holdings:
        assert int(h.risk_rating[1]) <= int(result.effective_level[1]) <= int(result.questionnaire_level[1])
        if h.fund_code in catalogue:
            assert h.amount_cents >= catalogue[h.fund_code].min_purchase_cents
        if h.fund_type not in EXEMPT:
            assert h.amount_cents * 5 <= result.amount_allocated_cents
    assert {d.fund_code for d in result.decisions if d.decision == "selected"} == {h.fund_code for h in holdings}
    json.dumps(result.to_dict(), ensure_ascii=False)


def test_overspender_gets_only_the_buffer_and_the_advice_to_build_it():
    result = recommend(PERSONAS["overspender"], assessment("C4"), CATALOGUE, RecommendationRequest(2_000_000, 36), TODAY)
    check_invariants(result)
    assert result.status == "ok"
    assert {h.fund_type for h in result.holdings} == {"money_market"}
    assert all(h.risk_rating == "R1" for h in result.holdings)
    assert {"EMERGENCY_FUND_FIRST", "NEGATIVE_SURPLUS", "AMOUNT_ABOVE_INVESTABLE"} <= set(codes(result))
    first = next(r for r in result.reasons if r.code == "EMERGENCY_FUND_FIRST")
    # 900k liquid / 500k essential = 1.8 months; target 3 months = 1.5M; gap 600k.
    assert "1.8 个月" in first.text["zh"] and "目标 3 个月" in first.text["zh"] and "¥6,000.00" in first.text["zh"]
    assert "1.8 months" in first.text["en"] and "CNY 6,000.00" in first.text["en"]
    surplus = next(r for r in result.reasons if r.code == "NEGATIVE_SURPLUS")
    assert "-¥2,500.00" in surplus.text["zh"] and "CNY -2,500.00" in surplus.text["en"]
    # every risky type is explained
    assert {r.params["fund_type"] for r in result.why_not} >= {"bond", "hybrid", "index", "equity", "qdii"}


def test_overspender_without_an_amount_is_told_to_build_a_buffer_first():
    result = recommend(PERSONAS["overspender"], assessment("C4"), CATALOGUE, RecommendationRequest(None, 36), TODAY)
    assert result.status == "nothing_to_invest" and result.holdings == ()
    assert {"EMERGENCY_FUND_SHORT", "NEGATIVE_SURPLUS", "NOTHING_TO_INVEST"} <= set(codes(result))


def test_spending_more_than_earning_limits_even_a_rich_c5_customer_to_low_risk_funds():
    # Lots of cash (so the capacity score allows more) but a negative monthly surplus.
    features = make_features(
        savings_rate=0.3, conservative_monthly_surplus_cents=-100_000, liquid_balance_cents=50_000_000
    )
    result = recommend(features, assessment("C5"), CATALOGUE, RecommendationRequest(20_000_000, 120), TODAY)
    check_invariants(result)
    assert int(result.capacity.cap_level[1]) >= 3      # the level alone would allow hybrids
    assert result.holdings
    assert all(h.fund_type in ("money_market", "bond") and h.risk_rating in ("R1", "R2") for h in result.holdings)
    assert "NEGATIVE_SURPLUS" in codes(result)
    why_not = {r.params["fund_type"]: r.code for r in result.why_not}
    assert why_not["hybrid"] == "NEGATIVE_SURPLUS"


def test_retiree_gets_nothing_above_their_level():
    result = recommend(PERSONAS["retiree"], assessment("C2"), CATALOGUE, RecommendationRequest(20_000_000, 60), TODAY)
    check_invariants(result)
    assert result.status == "ok" and result.effective_level == "C2"
    assert result.holdings and all(h.risk_rating in ("R1", "R2") for h in result.holdings)
    assert "LEVEL_FROM_QUESTIONNAIRE" in codes(result) and "CAPACITY_CAP" not in codes(result)
    why_not = {r.params["fund_type"]: r.code for r in result.why_not}
    assert why_not["equity"] == "TYPE_ABOVE_LEVEL" and why_not["hybrid"] == "TYPE_ABOVE_LEVEL"
    assert result.expected_volatility_pct <= dict(DEFAULT_POLICY.allocation.volatility_cap_pct)["C2"] + 1e-3


def test_freelancer_keeps_a_larger_emergency_fund():
    features = PERSONAS["freelancer"]
    result = recommend(features, assessment("C4"), CATALOGUE, RecommendationRequest(5_000_000, 36), TODAY)
    check_invariants(result)
    raised = next(r for r in result.reasons if r.code == "EMERGENCY_TARGET_RAISED")
    assert raised.params["target_months"] == 6.0 and raised.params["base_months"] == 3.0
    assert "6 个月" in raised.text["zh"] and "6 months" in raised.text["en"] and "0.65" in raised.text["en"]
    first = next(r for r in result.reasons if r.code == "EMERGENCY_FUND_FIRST")
    assert "目标 6 个月" in first.text["zh"] and "(target 6" in first.text["en"]
    assert first.params["to_emergency_cents"] == 600_000      # 6 x 600k - 3M
    # The same finances with a salary need no buffer at all: the freelancer's is larger.
    salaried = make_features(**{**_overrides("freelancer"), "emergency_fund_target_months": 3.0})
    assert salaried.emergency_fund_gap_cents == 0 < features.emergency_fund_gap_cents
    emergency = [h for h in result.holdings if h.role == "emergency_fund"]
    assert len(emergency) == 1 and emergency[0].amount_cents >= 600_000


def _overrides(name):
    features = PERSONAS[name]
    return {k: getattr(features, k) for k in (
        "median_monthly_income_cents", "median_monthly_spending_cents", "median_monthly_essential_spending_cents",
        "income_volatility_cv", "savings_rate", "conservative_monthly_surplus_cents", "liquid_balance_cents",
        "has_recurring_income", "recurring_income_share",
    )}


def test_high_earner_with_a_c5_questionnaire_gets_a_diversified_growth_mix():
    result = recommend(PERSONAS["high_earner"], assessment("C5"), CATALOGUE, RecommendationRequest(100_000_000, 120), TODAY)
    check_invariants(result)
    assert result.status == "ok" and result.effective_level == "C5"
    types = {h.fund_type for h in result.holdings}
    assert {"equity", "index", "qdii"} <= types and len(types) >= 3
    assert len(result.holdings) >= 5
    for h in result.holdings:
        if h.fund_type not in EXEMPT:
            assert h.weight <= 0.2 + 1e-12
    assert result.expected_return_pct > 6.0
    assert "MODEL_PORTFOLIO" in codes(result) and "CONCENTRATION_LIMIT" in codes(result)
    assert "EMERGENCY_FUND_OK" in codes(result)


def test_salaried_saver_invests_the_investable_amount_when_no_amount_is_given():
    features = PERSONAS["salaried_saver"]
    result = recommend(features, assessment("C3"), CATALOGUE, RecommendationRequest(None, 36), TODAY)
    check_invariants(result)
    assert result.amount_requested_cents == features.investable_cents == 10_500_000
    assert result.amount_allocated_cents == features.investable_cents
    assert result.effective_level == "C3"
    assert all(h.role == "portfolio" for h in result.holdings)


def test_expired_questionnaire_means_no_products():
    result = recommend(PERSONAS["student"], assessment("C3", assessed_days_ago=400), CATALOGUE, RecommendationRequest(100_000, 12), TODAY)
    assert result.status == "needs_questionnaire" and result.holdings == ()
    assert codes(result) == ["QUESTIONNAIRE_EXPIRED"]
    assert (TODAY - timedelta(days=400 - 365)).isoformat() in result.reasons[0].text["zh"]
    assert all(d.decision == "excluded" for d in result.decisions) and len(result.decisions) == len(CATALOGUE)
    json.dumps(result.to_dict())


def test_missing_questionnaire_means_no_products():
    result = recommend(PERSONAS["salaried_saver"], None, CATALOGUE, RecommendationRequest(100_000, 12), TODAY)
    assert result.status == "needs_questionnaire" and codes(result) == ["QUESTIONNAIRE_MISSING"]


def test_the_policy_validity_period_applies_even_if_the_stored_expiry_is_later():
    stale = Assessment(1, "C3", TODAY - timedelta(days=366), TODAY + timedelta(days=300))
    assert recommend(PERSONAS["salaried_saver"], stale, CATALOGUE, RecommendationRequest(None, 36), TODAY).status == "needs_questionnaire"
    last_day = Assessment(1, "C3", TODAY - timedelta(days=365), TODAY)
    assert recommend(PERSONAS["salaried_saver"], last_day, CATALOGUE, RecommendationRequest(None, 36), TODAY).status == "ok"


@pytest.mark.parametrize("level", ["C1", "C2", "C3", "C4", "C5"])
@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_effective_level_is_never_above_the_questionnaire(level, persona):
    result = recommend(PERSONAS[persona], assessment(level), CATALOGUE, RecommendationRequest(5_000_000, 48), TODAY)
    check_invariants(result)
    assert int(result.effective_level[1]) <= int(level[1])
    assert int(result.effective_level[1]) <= int(result.capacity.cap_level[1])
    assert int(result.effective_level[1]) <= int(result.horizon_cap_level[1])


def test_a_short_horizon_caps_the_products():
    result = recommend(PERSONAS["high_earner"], assessment("C5"), CATALOGUE, RecommendationRequest(10_000_000, 6), TODAY)
    check_invariants(result)
    assert result.effective_level == "C2"
    horizon = next(r for r in result.reasons if r.code == "HORIZON_CAP")
    assert "6 个月" in horizon.text["zh"] and "R2" in horizon.text["en"]
    assert all(h.risk_rating in ("R1", "R2") for h in result.holdings)
    assert "200003" not in {h.fund_code for h in result.holdings}     # one-year lock-up
    assert next(d for d in result.decisions if d.fund_code == "200003").reason_code == "HOLDING_PERIOD_TOO_LONG"


def test_a_suitable_requested_type_is_used_alone():
    result = recommend(PERSONAS["high_earner"], assessment("C5"), CATALOGUE, RecommendationRequest(10_000_000, 120, "index"), TODAY)
    check_invariants(result)
    assert {h.fund_type for h in result.holdings if h.role == "portfolio"} == {"index"}
    assert "REQUESTED_TYPE" in codes(result)


def test_an_unsuitable_requested_type_gets_a_why_not_and_the_suitable_mix():
    result = recommend(PERSONAS["retiree"], assessment("C2"), CATALOGUE, RecommendationRequest(10_000_000, 60, "equity"), TODAY)
    check_invariants(result)
    assert "REQUESTED_TYPE_NOT_SUITABLE" in codes(result)
    assert ("equity", "TYPE_ABOVE_LEVEL") in {(r.params["fund_type"], r.code) for r in result.why_not}
    assert result.holdings and all(h.fund_type in ("money_market", "bond") for h in result.holdings)


def test_every_fund_is_decided_with_a_reason():
    result = recommend(PERSONAS["salaried_saver"], assessment("C3"), CATALOGUE, RecommendationRequest(5_000_000, 24), TODAY)
    assert [d.fund_code for d in result.decisions] == list(CATALOGUE["fund_code"])
    assert {d.decision for d in result.decisions} <= {"selected", "eligible", "excluded"}
    assert all(d.reason_code for d in result.decisions)
    above = [d for d in result.decisions if d.reason_code == "RATING_ABOVE_LEVEL"]
    assert above and all(d.decision == "excluded" for d in above)


def test_too_small_an_amount_is_nothing_to_invest():
    catalogue = make_catalogue([fund_row("100001", "money_market", "R1", redemption_days=0, min_purchase_cents=100_000)])
    features = make_features(liquid_balance_cents=100)   # all of it a gap
    result = recommend(features, assessment("C3"), catalogue, RecommendationRequest(50_000, 24), TODAY)
    assert result.status == "nothing_to_invest" and result.amount_unplaced_cents == 50_000
    assert "NOTHING_TO_INVEST" in codes(result)


def test_result_is_json_ready_and_traceable():
    result = recommend(PERSONAS["high_earner"], assessment("C4"), CATALOGUE, RecommendationRequest(12_345_678, 60), TODAY)
    data = result.to_dict()
    assert data["catalogue_version"] == "test-catalogue-1"
    assert data["policy_fingerprint"] == DEFAULT_POLICY.fingerprint()
    assert data["disclosure"]["zh"].startswith("基金有风险")

    def walk(value):
        assert not isinstance(value, (np.generic, np.ndarray)), type(value)
        if isinstance(value, dict):
            assert all(isinstance(k, str) for k in value)
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        else:
            assert value is None or isinstance(value, (str, int, float, bool))

    walk(data)
    assert json.loads(json.dumps(data)) == data
    assert sum(h["amount_cents"] for h in data["holdings"]) == data["amount_allocated_cents"]


def test_requests_are_validated():
    with pytest.raises(ValueError):
        RecommendationRequest(-1, 12)
    with pytest.raises(ValueError):
        RecommendationRequest(100, 0)
    with pytest.raises(ValueError):
        RecommendationRequest(100, 12, "crypto")
    with pytest.raises(ValueError):
        RecommendationRequest(100.5, 12)
    with pytest.raises(ValueError):
        Assessment(1, "C9", TODAY, TODAY)


def test_one_recommendation_takes_a_few_milliseconds():
    features, who = PERSONAS["high_earner"], assessment("C5")
    recommend(features, who, CATALOGUE, RecommendationRequest(100_000_000, 120), TODAY)  # warm the cache
    timings = []
    for i in range(40):
        start = time.perf_counter()
        recommend(features, who, CATALOGUE, RecommendationRequest(100_000_000 + i, 120), TODAY)
        timings.append(time.perf_counter() - start)
    assert statistics.median(timings) < 0.020   # target: well under 50 ms for the whole request


def test_the_packaged_catalogue_gives_sensible_suggestions():
    try:
        from recommender.catalogue import load_fund_catalogue

        catalogue = load_fund_catalogue()
    except (ImportError, FileNotFoundError, OSError) as exc:
        pytest.skip(f"packaged catalogue not available: {exc}")
    levels = {"overspender": "C4", "retiree": "C2", "freelancer": "C4", "high_earner": "C5", "salaried_saver": "C3", "student": "C3"}
    min_purchase = dict(zip(catalogue["fund_code"], catalogue["min_purchase_cents"]))
    for name, level in levels.items():
        result = recommend(PERSONAS[name], assessment(level), catalogue, RecommendationRequest(10_000_000, 60), TODAY)
        assert result.status == "ok", name
        assert sum(h.amount_cents for h in result.holdings) == result.amount_allocated_cents
        assert all(int(h.risk_rating[1]) <= int(result.effective_level[1]) for h in result.holdings)
        assert all(h.amount_cents >= min_purchase[h.fund_code] for h in result.holdings)
        assert all(h.weight <= 0.2 + 1e-12 for h in result.holdings if h.fund_type not in EXEMPT)
        assert result.catalogue_version == catalogue.attrs["catalogue_version"]
    overspender = recommend(PERSONAS["overspender"], assessment("C4"), catalogue, RecommendationRequest(2_000_000, 36), TODAY)
    assert {h.fund_type for h in overspender.holdings} == {"money_market"}
    rich = recommend(PERSONAS["high_earner"], assessment("C5"), catalogue, RecommendationRequest(100_000_000, 120), TODAY)
    assert {"equity", "index", "qdii"} <= {h.fund_type for h in rich.holdings}
