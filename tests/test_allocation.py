"""Step 5: model portfolios (mean-variance with a volatility cap) and integer amounts."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender import allocation as alloc
from recommender.cma import assumptions_from_policy
from recommender.policy import DEFAULT_POLICY
from recommender.schema import CUSTOMER_LEVELS, FUND_TYPES
from recommender.suitability import funds_from_catalogue, screen_funds
from test_suitability import fund_row, make_catalogue, standard_catalogue

ALLOC = DEFAULT_POLICY.allocation
SUIT = DEFAULT_POLICY.suitability
CMA = assumptions_from_policy(ALLOC)
VOL_CAP = dict(ALLOC.volatility_cap_pct)
MAX_TYPE = dict(ALLOC.max_type_weight)


# ---- capital-market assumptions ------------------------------------------------------
def test_cma_covariance_is_symmetric_psd_and_matches_the_volatilities():
    assert np.allclose(CMA.cov_pct2, CMA.cov_pct2.T)
    assert np.linalg.eigvalsh(CMA.cov_pct2).min() > -1e-9
    assert np.allclose(np.sqrt(np.diag(CMA.cov_pct2)), CMA.volatility_pct)
    assert set(CMA.types) == set(FUND_TYPES)


def test_cma_rejects_an_impossible_correlation():
    bad = dataclasses.replace(ALLOC, correlations=(("index", "equity", 0.99), ("index", "qdii", -0.99), ("equity", "qdii", 0.99)))
    with pytest.raises(ValueError, match="positive semi-definite"):
        assumptions_from_policy(bad)


# ---- model portfolios --------------------------------------------------------------
@pytest.mark.parametrize("level", CUSTOMER_LEVELS)
def test_model_portfolio_respects_every_constraint(level):
    model = alloc.model_portfolio(level, FUND_TYPES, ALLOC)
    weights = model.as_dict()
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-9)
    assert all(w >= ALLOC.min_type_weight - 1e-9 for w in weights.values())
    assert all(w <= MAX_TYPE[t] + 1e-6 for t, w in weights.items())
    assert model.volatility_cap_met
    assert model.volatility_pct <= VOL_CAP[level] + 1e-3
    ret, vol = CMA.portfolio_stats(weights)
    assert ret == pytest.approx(model.expected_return_pct) and vol == pytest.approx(model.volatility_pct)


def test_higher_levels_expect_at_least_as_much_return_and_take_more_risk():
    models = [alloc.model_portfolio(level, FUND_TYPES, ALLOC) for level in CUSTOMER_LEVELS]
    returns = [m.expected_return_pct for m in models]
    assert returns == sorted(returns)
    assert models[0].as_dict().get("money_market", 0) > 0.5          # C1 is mostly cash-like
    assert len(models[-1].weights) >= 3                               # C5 is diversified
    assert {"equity", "index", "qdii"} <= set(models[-1].as_dict())


NO_DUST = dataclasses.replace(ALLOC, min_type_weight=0.0)


@pytest.mark.parametrize("level", CUSTOMER_LEVELS)
def test_no_random_feasible_mix_beats_the_optimiser(level):
    # Without the dust rule, the optimiser's answer must be at least as good as any
    # random mix meeting the same constraints.
    model = alloc.model_portfolio(level, FUND_TYPES, NO_DUST)
    rng = np.random.default_rng(7)
    mean, cov = CMA.subset(FUND_TYPES)
    upper = np.array([MAX_TYPE[t] for t in FUND_TYPES])
    samples = rng.dirichlet(np.full(len(FUND_TYPES), 0.3), size=20_000)
    vols = np.sqrt(np.einsum("ij,jk,ik->i", samples, cov, samples))
    feasible = samples[(vols <= VOL_CAP[level]) & (samples <= upper).all(axis=1)]
    assert len(feasible) > 0
    assert (feasible @ mean).max() <= model.expected_return_pct + 1e-6


@pytest.mark.parametrize("level", CUSTOMER_LEVELS)
def test_dropping_dust_types_costs_little_return(level):
    exact = alloc.model_portfolio(level, FUND_TYPES, NO_DUST)
    tidy = alloc.model_portfolio(level, FUND_TYPES, ALLOC)
    assert tidy.expected_return_pct <= exact.expected_return_pct + 1e-6
    assert exact.expected_return_pct - tidy.expected_return_pct < 0.1  # percentage points a year


@settings(max_examples=60, deadline=None)
@given(level=st.sampled_from(CUSTOMER_LEVELS), types=st.sets(st.sampled_from(FUND_TYPES), min_size=1))
def test_model_uses_only_available_types(level, types):
    model = alloc.model_portfolio(level, types, ALLOC)
    weights = model.as_dict()
    assert set(weights) <= types
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-9)
    assert all(w > 0 for w in weights.values())
    if model.volatility_cap_met:
        assert model.volatility_pct <= VOL_CAP[level] + 1e-3
    else:
        assert model.volatility_pct > VOL_CAP[level]


def test_unreachable_cap_falls_back_to_the_least_volatile_mix():
    unbounded = dataclasses.replace(ALLOC, max_type_weight=tuple((t, 1.0) for t in FUND_TYPES))
    model = alloc.model_portfolio("C1", ("equity", "qdii"), unbounded)
    assert not model.volatility_cap_met
    # The two-asset minimum-variance weight has a closed form.
    s1, s2 = CMA.volatility_pct[CMA.index("equity")], CMA.volatility_pct[CMA.index("qdii")]
    c12 = CMA.cov_pct2[CMA.index("equity"), CMA.index("qdii")]
    w_equity = (s2**2 - c12) / (s1**2 + s2**2 - 2 * c12)
    assert model.as_dict()["equity"] == pytest.approx(w_equity, abs=1e-4)


def test_type_caps_are_relaxed_evenly_when_the_types_cannot_fill_the_portfolio():
    # equity <= 0.40 and qdii <= 0.25 cannot sum to 1: the caps scale to 0.615 / 0.385.
    model = alloc.model_portfolio("C5", ("equity", "qdii"), ALLOC)
    weights = model.as_dict()
    assert sum(weights.values()) == pytest.approx(1.0)
    assert weights["qdii"] <= 0.25 / 0.65 + 1e-6 and weights["equity"] <= 0.40 / 0.65 + 1e-6


def test_model_portfolios_are_cached_and_order_insensitive():
    a = alloc.model_portfolio("C4", ("bond", "equity", "money_market"), ALLOC)
    b = alloc.model_portfolio("C4", ["money_market", "equity", "bond"], ALLOC)
    assert a is b


def test_model_portfolio_edge_cases():
    assert alloc.model_portfolio("C3", (), ALLOC).weights == ()
    with pytest.raises(ValueError, match="crypto"):
        alloc.model_portfolio("C3", ("crypto",), ALLOC)


# ---- splitting cents -------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(
    total=st.integers(0, 10**13),
    weights=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8).filter(lambda ws: sum(ws) > 1e-6),
)
def test_split_cents_is_exact_and_fair(total, weights):
    parts = alloc.split_cents(total, weights)
    assert sum(parts) == total
    assert all(isinstance(p, int) and p >= 0 for p in parts)
    scale = sum(weights)
    for part, w in zip(parts, weights):
        assert abs(part - total * w / scale) <= 1 + total * 1e-9


def test_split_cents_rejects_bad_input():
    with pytest.raises(ValueError):
        alloc.split_cents(-1, [1.0])
    with pytest.raises(ValueError):
        alloc.split_cents(100, [0.0, 0.0])


# ---- amounts per fund --------------------------------------------------------------
def _screen(catalogue, level="C5", horizon=120):
    return screen_funds(funds_from_catalogue(catalogue), level, horizon, False, SUIT, ALLOC.risk_free_rate_pct)


def _check_invariants(plan, requested):
    total = plan.allocated_cents
    assert total + plan.unplaced_cents == requested
    for h in plan.holdings:
        assert h.amount_cents >= h.fund.min_purchase_cents and h.amount_cents > 0
        if h.fund.fund_type not in SUIT.concentration_exempt_types:
            assert h.amount_cents * 5 <= total  # 20 %
    assert len({h.fund.fund_code for h in plan.holdings}) == len(plan.holdings)


def test_emergency_money_goes_to_the_best_fast_money_market_fund():
    screening = _screen(standard_catalogue())
    plan = alloc.allocate_amounts(500_000, 0, {}, screening.ranked, screening.emergency_funds(SUIT), SUIT)
    assert [(h.fund.fund_code, h.amount_cents, h.role) for h in plan.holdings] == [
        (screening.emergency_funds(SUIT)[0].fund_code, 500_000, alloc.EMERGENCY_ROLE)
    ]


def test_a_large_type_is_spread_over_enough_funds():
    # hybrid 60 % of the whole: ceil(0.6 / 0.2) = 3 funds of 20 % each.
    rows = [fund_row(f"30000{i}", "hybrid", "R3", volatility_pct=10.0 + i) for i in range(4)] + [
        fund_row("100001", "money_market", "R1", redemption_days=0)
    ]
    screening = _screen(make_catalogue(rows))
    plan = alloc.allocate_amounts(0, 1_000_000, {"hybrid": 0.6, "money_market": 0.4}, screening.ranked, (), SUIT)
    hybrids = [h for h in plan.holdings if h.fund.fund_type == "hybrid"]
    assert len(hybrids) == 3 and all(h.amount_cents == 200_000 for h in hybrids)
    # the three best-ranked hybrids are the ones used
    best = [r.fund.fund_code for r in screening.ranked["hybrid"][:3]]
    assert sorted(h.fund.fund_code for h in hybrids) == sorted(best)
    assert any(e.code == alloc.CONCENTRATION_LIMIT for e in plan.events)
    _check_invariants(plan, 1_000_000)


def test_what_does_not_fit_under_the_limit_moves_to_money_market():
    rows = [
        fund_row("500001", "equity", "R4"),
        fund_row("500002", "equity", "R4"),
        fund_row("100001", "money_market", "R1", redemption_days=0),
    ]
    screening = _screen(make_catalogue(rows))
    plan = alloc.allocate_amounts(0, 1_000_000, {"equity": 1.0}, screening.ranked, (), SUIT)
    amounts = {h.fund.fund_code: h.amount_cents for h in plan.holdings}
    assert amounts == {"500001": 200_000, "500002": 200_000, "100001": 600_000}
    assert [e for e in plan.events if e.code == alloc.AMOUNT_MOVED][0].params["amount_cents"] == 600_000
    _check_invariants(plan, 1_000_000)


def test_without_any_exempt_fund_too_few_funds_means_nothing_is_placed():
    rows = [fund_row("200001", "bond", "R2"), fund_row("200002", "bond", "R2")]
    screening = _screen(make_catalogue(rows))
    plan = alloc.allocate_amounts(0, 1_000_000, {"bond": 1.0}, screening.ranked, (), SUIT)
    assert plan.holdings == () and plan.unplaced_cents == 1_000_000
    assert any(e.code == alloc.AMOUNT_NOT_PLACED for e in plan.events)


def test_five_funds_are_enough_without_an_exempt_fund():
    rows = [fund_row(f"20000{i}", "bond", "R2") for i in range(5)]
    screening = _screen(make_catalogue(rows))
    plan = alloc.allocate_amounts(0, 1_000_000, {"bond": 1.0}, screening.ranked, (), SUIT)
    assert plan.unplaced_cents == 0 and [h.amount_cents for h in plan.holdings] == [200_000] * 5
    # 1,000,003 cents cannot be cut into 5 parts of at most 20 % each: 3 cents stay
    # unplaced (and are reported) rather than breaking the limit.
    plan = alloc.allocate_amounts(0, 1_000_003, {"bond": 1.0}, screening.ranked, (), SUIT)
    assert plan.unplaced_cents == 3 and plan.allocated_cents == 1_000_000
    assert [e.params["amount_cents"] for e in plan.events if e.code == alloc.AMOUNT_NOT_PLACED] == [3]
    _check_invariants(plan, 1_000_003)


def test_a_fund_whose_minimum_is_not_reached_is_skipped_for_the_next():
    rows = [
        fund_row("300001", "hybrid", "R3", min_purchase_cents=10_000_000, management_fee_pct=0.1),  # ranks first
        fund_row("300002", "hybrid", "R3", min_purchase_cents=100, management_fee_pct=0.9),
        fund_row("100001", "money_market", "R1", redemption_days=0),
    ]
    screening = _screen(make_catalogue(rows))
    assert screening.ranked["hybrid"][0].fund.fund_code == "300001"
    plan = alloc.allocate_amounts(0, 1_000_000, {"hybrid": 0.2, "money_market": 0.8}, screening.ranked, (), SUIT)
    codes = {h.fund.fund_code for h in plan.holdings}
    assert "300001" not in codes and "300002" in codes
    assert any(e.code == alloc.BELOW_MIN_PURCHASE and e.fund_code == "300001" for e in plan.events)
    _check_invariants(plan, 1_000_000)


def test_emergency_money_below_every_minimum_is_not_placed():
    rows = [fund_row("100001", "money_market", "R1", redemption_days=0, min_purchase_cents=1_000)]
    screening = _screen(make_catalogue(rows))
    plan = alloc.allocate_amounts(999, 0, {}, screening.ranked, screening.emergency_funds(SUIT), SUIT)
    assert plan.holdings == () and plan.unplaced_cents == 999


@settings(max_examples=150, deadline=None)
@given(
    emergency=st.integers(0, 10**9),
    portfolio=st.integers(0, 10**10),
    level=st.sampled_from(CUSTOMER_LEVELS),
    horizon=st.integers(1, 180),
)
def test_allocation_conserves_money_and_respects_limits(emergency, portfolio, level, horizon):
    screening = _screen(standard_catalogue(), level, horizon)
    weights = alloc.model_portfolio(level, screening.suitable_types(), ALLOC).as_dict()
    plan = alloc.allocate_amounts(emergency, portfolio, weights, screening.ranked, screening.emergency_funds(SUIT), SUIT)
    _check_invariants(plan, emergency + portfolio)
    emergency_holdings = [h for h in plan.holdings if h.role == alloc.EMERGENCY_ROLE]
    assert len(emergency_holdings) <= 1
    if emergency_holdings:
        assert emergency_holdings[0].amount_cents >= emergency
        assert emergency_holdings[0].fund.redemption_days <= SUIT.emergency_fund_max_redemption_days
