"""Step 3: risk capacity, a 0-100 score from the customer's finances, and the
highest customer level (C1-C5) it allows.

The questionnaire measures what risk a customer is *willing* to take; the
capacity score measures what their finances can *afford*. The capacity cap
can only lower the level the questionnaire gave, never raise it.

Components (points and thresholds in ``CapacityPolicy``):

================  ==========================================  =========
component         feature behind it                            max points
================  ==========================================  =========
savings_rate      (income - spending) / income                 30
income_stability  coefficient of variation of monthly income   15
recurring_income  recurring share of income (0 if none)        10
emergency_fund    months held / target months, at most 1       25
surplus_sign      25th-percentile monthly surplus > 0 / = 0 / < 0  20 / 10 / 0
================  ==========================================  =========

Each continuous component is linear between its "zero points" and "full
points" values and clipped; a non-finite feature earns 0 (we do not give
credit for what we cannot measure). The score maps to a cap through
``cap_bands``; with too few months of data the cap is at most
``thin_history_cap``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from recommender.features_types import CustomerFeatures
from recommender.policy import CapacityPolicy
from recommender.schema import CUSTOMER_LEVELS, level_number


@dataclass(frozen=True)
class CapacityComponent:
    name: str
    points: float
    max_points: float
    value: float | int | bool       # the feature value behind the points
    unit: str

    def to_dict(self) -> dict:
        value = self.value
        if isinstance(value, float):
            value = round(value, 4) if math.isfinite(value) else None
        return {
            "name": self.name,
            "points": round(self.points, 2),
            "max_points": round(self.max_points, 2),
            "value": value,
            "unit": self.unit,
        }


@dataclass(frozen=True)
class CapacityAssessment:
    score: float                               # 0-100
    score_cap_level: str                       # the level the score's band allows
    cap_level: str                             # after the thin-history rule
    thin_history: bool
    months_observed: int
    components: tuple[CapacityComponent, ...]

    def to_dict(self) -> dict:
        return {
            "score": round(self.score, 1),
            "score_cap_level": self.score_cap_level,
            "cap_level": self.cap_level,
            "thin_history": self.thin_history,
            "months_observed": self.months_observed,
            "components": [c.to_dict() for c in self.components],
        }


def assess_capacity(features: CustomerFeatures, policy: CapacityPolicy) -> CapacityAssessment:
    """Score ``features`` and map the score to a cap level.

    Monotone by construction: a higher savings rate, lower income CV, higher
    recurring share, more emergency cover or a better surplus sign never
    lowers the score.
    """
    components = (
        CapacityComponent(
            "savings_rate",
            _linear(features.savings_rate, policy.savings_rate_zero_points_at, policy.savings_rate_full_points_at)
            * policy.savings_rate_points,
            policy.savings_rate_points,
            features.savings_rate,
            "fraction of income",
        ),
        CapacityComponent(
            "income_stability",
            _linear(features.income_volatility_cv, policy.income_cv_zero_points_at, policy.income_cv_full_points_at)
            * policy.income_cv_points,
            policy.income_cv_points,
            features.income_volatility_cv,
            "coefficient of variation of monthly income",
        ),
        CapacityComponent(
            "recurring_income",
            (
                _linear(features.recurring_income_share, 0.0, policy.recurring_share_full_points_at)
                if features.has_recurring_income
                else 0.0
            )
            * policy.recurring_income_points,
            policy.recurring_income_points,
            features.recurring_income_share if features.has_recurring_income else 0.0,
            "fraction of income",
        ),
        CapacityComponent(
            "emergency_fund",
            _coverage(features.emergency_fund_months, features.emergency_fund_target_months)
            * policy.emergency_fund_points,
            policy.emergency_fund_points,
            features.emergency_fund_months,
            "months of essential spending",
        ),
        CapacityComponent(
            "surplus_sign",
            _sign_share(features.conservative_monthly_surplus_cents, policy) * policy.surplus_points,
            policy.surplus_points,
            int(features.conservative_monthly_surplus_cents),
            "CNY cents per month",
        ),
    )
    score = min(100.0, max(0.0, sum(c.points for c in components)))
    score_cap = score_to_cap(score, policy)
    thin = features.months_observed < policy.min_months_observed
    cap = lowest_level(score_cap, policy.thin_history_cap) if thin else score_cap
    return CapacityAssessment(score, score_cap, cap, thin, features.months_observed, components)


def score_to_cap(score: float, policy: CapacityPolicy) -> str:
    """The first band (highest first) whose lower bound ``score`` reaches."""
    for lower_bound, level in sorted(policy.cap_bands, key=lambda band: -band[0]):
        if score >= lower_bound:
            return level
    return CUSTOMER_LEVELS[0]


def lowest_level(*levels: str) -> str:
    """The lowest of customer levels ("C1".."C5")."""
    return min(levels, key=level_number)


def _linear(value: float, zero_at: float, full_at: float) -> float:
    """0 at ``zero_at``, 1 at ``full_at`` (either direction), clipped; non-finite -> 0."""
    value = float(value)
    if not math.isfinite(value):
        return 0.0
    fraction = (value - zero_at) / (full_at - zero_at)
    return min(1.0, max(0.0, fraction))


def _coverage(months: float, target_months: float) -> float:
    months, target_months = float(months), float(target_months)
    if math.isnan(months) or months <= 0:
        return 0.0
    if math.isinf(months):
        return 1.0  # no essential spending to cover
    if not math.isfinite(target_months) or target_months <= 0:
        return 1.0  # nothing to cover
    return min(1.0, months / target_months)


def _sign_share(surplus_cents: int, policy: CapacityPolicy) -> float:
    if surplus_cents > 0:
        return 1.0
    return policy.surplus_zero_share if surplus_cents == 0 else 0.0
