"""Step 3: the capacity score, its components and its caps."""
from __future__ import annotations

import dataclasses
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.capacity import assess_capacity, lowest_level, score_to_cap
from recommender.policy import DEFAULT_POLICY
from test_suitability import make_features

CAP = DEFAULT_POLICY.capacity


def test_a_comfortable_saver_scores_full_marks_and_is_not_capped():
    result = assess_capacity(make_features(), CAP)
    # savings 40 % >= 30 %, CV 0.03 <= 0.10, recurring 95 % >= 80 %, 24 months >= 3, positive surplus
    assert result.score == pytest.approx(100.0)
    assert result.cap_level == "C5"


def test_an_overspender_is_capped_low():
    overspender = make_features(
        savings_rate=-0.12,
        conservative_monthly_surplus_cents=-250_000,
        liquid_balance_cents=900_000,
    )
    result = assess_capacity(overspender, CAP)
    points = {c.name: c.points for c in result.components}
    assert points["savings_rate"] == 0 and points["surplus_sign"] == 0
    # 900k / (3 x 500k) = 0.6 of the target -> 15 of 25 points
    assert points["emergency_fund"] == pytest.approx(15.0)
    assert result.score == pytest.approx(15 + 15 + 10 * 1.0)
    assert result.cap_level == "C2"


def test_components_carry_the_feature_values_behind_them():
    features = make_features(savings_rate=0.15, income_volatility_cv=0.35)
    result = assess_capacity(features, CAP)
    by_name = {c.name: c for c in result.components}
    assert by_name["savings_rate"].value == 0.15
    assert by_name["savings_rate"].points == pytest.approx(15.0)          # half way to 30 %
    assert by_name["income_stability"].value == 0.35
    assert by_name["income_stability"].points == pytest.approx(7.5)       # half way from 0.60 to 0.10
    assert sum(c.max_points for c in result.components) == pytest.approx(100.0)
    json.dumps(result.to_dict())


@pytest.mark.parametrize(
    "score, level",
    [(0.0, "C1"), (24.99, "C1"), (25.0, "C2"), (44.99, "C2"), (45.0, "C3"), (64.99, "C3"), (65.0, "C4"), (79.99, "C4"), (80.0, "C5"), (100.0, "C5")],
)
def test_score_bands(score, level):
    assert score_to_cap(score, CAP) == level


def test_thin_history_caps_even_a_perfect_score():
    result = assess_capacity(make_features(months_observed=2), CAP)
    assert result.score_cap_level == "C5"
    assert result.thin_history and result.cap_level == CAP.thin_history_cap


def test_no_recurring_income_earns_no_recurring_points():
    result = assess_capacity(make_features(has_recurring_income=False, recurring_income_share=0.9), CAP)
    assert {c.name: c.points for c in result.components}["recurring_income"] == 0.0


def test_unmeasurable_features_earn_nothing_and_the_score_stays_in_range():
    features = make_features(savings_rate=math.nan, income_volatility_cv=math.inf)
    result = assess_capacity(features, CAP)
    points = {c.name: c.points for c in result.components}
    assert points["savings_rate"] == 0.0 and points["income_stability"] == 0.0
    assert 0.0 <= result.score <= 100.0
    json.dumps(result.to_dict())  # NaN is not valid JSON: it must have become None


def test_a_stricter_policy_lowers_the_cap():
    strict = dataclasses.replace(CAP, cap_bands=((101.0, "C5"), (90.0, "C4"), (45.0, "C3"), (25.0, "C2"), (0.0, "C1")))
    assert assess_capacity(make_features(), strict).cap_level == "C4"


def test_lowest_level():
    assert lowest_level("C5", "C2", "C4") == "C2"
    assert lowest_level("C3") == "C3"


# ---- monotonic: better finances never lower the score -----------------------------
feature_values = st.fixed_dictionaries(
    {
        "savings_rate": st.floats(-1.0, 1.0),
        "income_volatility_cv": st.floats(0.0, 3.0),
        "recurring_income_share": st.floats(0.0, 1.0),
        "has_recurring_income": st.booleans(),
        "liquid_balance_cents": st.integers(0, 50_000_000),
        "conservative_monthly_surplus_cents": st.integers(-1_000_000, 1_000_000),
        "months_observed": st.integers(0, 24),
    }
)


@settings(max_examples=150, deadline=None)
@given(values=feature_values, better=st.sampled_from(["savings", "cv", "recurring", "liquid", "surplus"]), step=st.floats(0.0, 1.0))
def test_better_finances_never_lower_the_score_or_the_cap(values, better, step):
    before = make_features(**values)
    improved = dict(values)
    if better == "savings":
        improved["savings_rate"] = min(1.0, values["savings_rate"] + step)
    elif better == "cv":
        improved["income_volatility_cv"] = max(0.0, values["income_volatility_cv"] - step)
    elif better == "recurring":
        improved["recurring_income_share"] = min(1.0, values["recurring_income_share"] + step)
    elif better == "liquid":
        improved["liquid_balance_cents"] = values["liquid_balance_cents"] + int(step * 10_000_000)
    else:
        improved["conservative_monthly_surplus_cents"] = values["conservative_monthly_surplus_cents"] + int(step * 1_000_000)
    a, b = assess_capacity(before, CAP), assess_capacity(make_features(**improved), CAP)
    assert b.score >= a.score - 1e-9
    assert int(b.cap_level[1]) >= int(a.cap_level[1])
    assert 0.0 <= a.score <= 100.0


@settings(max_examples=50, deadline=None)
@given(values=feature_values)
def test_thin_history_only_ever_lowers_the_cap(values):
    result = assess_capacity(make_features(**values), CAP)
    assert int(result.cap_level[1]) <= int(result.score_cap_level[1])
    if values["months_observed"] < CAP.min_months_observed:
        assert int(result.cap_level[1]) <= int(CAP.thin_history_cap[1])
    else:
        assert result.cap_level == result.score_cap_level
