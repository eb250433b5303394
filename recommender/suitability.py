"""Step 4: which catalogue funds suit this customer, and how they rank.

Rules (thresholds in ``SuitabilityPolicy``):

- A fund is *suitable* when its currency is accepted, its risk rating Rn is
  at most the effective customer level Cn, its minimum holding period fits
  in the horizon, and, for a customer whose conservative monthly surplus is
  negative, it is one of the few low-risk types allowed (money market, bond
  up to R2). The first rule a fund breaks is its exclusion reason.
- The horizon caps the level: short money must not sit in volatile funds
  (``horizon_caps``).
- Suitable funds are ranked within their type on cost, drawdown and
  risk-adjusted return (see ``rank_funds``).

Input: the catalogue frame of ``recommender.catalogue.load_fund_catalogue()``
(one row per fund; money in int cents, percentages in percent units).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from recommender.policy import SuitabilityPolicy
from recommender.schema import CUSTOMER_LEVELS, level_number

# Exclusion reason codes, in the order the rules are checked.
CURRENCY_NOT_ACCEPTED = "CURRENCY_NOT_ACCEPTED"
RATING_ABOVE_LEVEL = "RATING_ABOVE_LEVEL"
NEGATIVE_SURPLUS = "NEGATIVE_SURPLUS"
HOLDING_PERIOD_TOO_LONG = "HOLDING_PERIOD_TOO_LONG"


@dataclass(frozen=True)
class Fund:
    """One catalogue row, typed. Money in CNY cents, percentages in percent."""

    fund_code: str
    name_zh: str
    name_en: str
    fund_type: str
    risk_rating: str
    risk_level: int
    currency: str
    min_purchase_cents: int
    subscription_fee_pct: float
    management_fee_pct: float
    custody_fee_pct: float
    return_1y_pct: float
    return_3y_annualised_pct: float
    volatility_pct: float
    max_drawdown_pct: float
    redemption_days: int
    min_holding_days: int


_FUND_FIELDS = tuple(Fund.__dataclass_fields__)


def funds_from_catalogue(catalogue: pd.DataFrame) -> tuple[Fund, ...]:
    """The catalogue frame as ``Fund`` objects, in catalogue order.

    Raises KeyError naming the missing columns if the frame lacks any.
    """
    missing = [c for c in _FUND_FIELDS if c not in catalogue.columns]
    if missing:
        raise KeyError(f"fund catalogue lacks columns: {missing}")
    # Column-wise tolist() is an order of magnitude faster than row iteration in pandas.
    columns = [catalogue[name].tolist() for name in _FUND_FIELDS]
    funds = []
    for row in zip(*columns):
        values = dict(zip(_FUND_FIELDS, row))
        funds.append(
            Fund(
                fund_code=str(values["fund_code"]),
                name_zh=str(values["name_zh"]),
                name_en=str(values["name_en"]),
                fund_type=str(values["fund_type"]),
                risk_rating=str(values["risk_rating"]),
                risk_level=int(values["risk_level"]),
                currency=str(values["currency"]),
                min_purchase_cents=int(values["min_purchase_cents"]),
                subscription_fee_pct=float(values["subscription_fee_pct"]),
                management_fee_pct=float(values["management_fee_pct"]),
                custody_fee_pct=float(values["custody_fee_pct"]),
                return_1y_pct=float(values["return_1y_pct"]),
                return_3y_annualised_pct=float(values["return_3y_annualised_pct"]),
                volatility_pct=float(values["volatility_pct"]),
                max_drawdown_pct=float(values["max_drawdown_pct"]),
                redemption_days=int(values["redemption_days"]),
                min_holding_days=int(values["min_holding_days"]),
            )
        )
    return tuple(funds)


def horizon_cap_level(horizon_months: int, policy: SuitabilityPolicy) -> str:
    """Highest customer level a horizon allows ("C5" = no cap)."""
    for shorter_than_months, level in policy.horizon_caps:
        if horizon_months < shorter_than_months:
            return level
    return CUSTOMER_LEVELS[-1]


def horizon_days(horizon_months: int, policy: SuitabilityPolicy) -> float:
    return horizon_months * policy.days_per_month


@dataclass(frozen=True)
class RankedFund:
    """A suitable fund with its place in its type. ``score`` is in [0, 1], 1 best."""

    fund: Fund
    rank: int                   # 1 = best of its type
    of: int                     # suitable funds of that type
    score: float
    annual_cost_pct: float
    risk_adjusted_return: float

    def detail(self) -> dict:
        return {
            "rank": self.rank,
            "of": self.of,
            "score": round(self.score, 4),
            "annual_cost_pct": round(self.annual_cost_pct, 4),
            "max_drawdown_pct": _finite_or_none(self.fund.max_drawdown_pct),
            "risk_adjusted_return": round(self.risk_adjusted_return, 4),
        }


@dataclass(frozen=True)
class Screening:
    """Suitability of every catalogue fund for one customer and request.

    ``exclusions``: fund_code -> (reason code, detail dict with the numbers).
    ``ranked``: fund_type -> suitable funds of that type, best first.
    """

    effective_level: str
    horizon_months: int
    exclusions: dict[str, tuple[str, dict]] = field(default_factory=dict)
    ranked: dict[str, tuple[RankedFund, ...]] = field(default_factory=dict)

    def suitable_types(self) -> tuple[str, ...]:
        return tuple(t for t, funds in self.ranked.items() if funds)

    def emergency_funds(self, policy: SuitabilityPolicy) -> tuple[Fund, ...]:
        """Suitable money-market funds that settle fast enough, best first."""
        return tuple(
            r.fund
            for r in self.ranked.get(policy.emergency_fund_type, ())
            if r.fund.redemption_days <= policy.emergency_fund_max_redemption_days
        )


def exclusion_reason(
    fund: Fund,
    effective_level: str,
    horizon_months: int,
    negative_surplus: bool,
    policy: SuitabilityPolicy,
) -> tuple[str, dict] | None:
    """The first suitability rule ``fund`` breaks, with its numbers; None if suitable."""
    if fund.currency not in policy.accepted_currencies:
        return CURRENCY_NOT_ACCEPTED, {"currency": fund.currency}
    level = level_number(effective_level)
    if fund.risk_level > level:
        return RATING_ABOVE_LEVEL, {"risk_rating": fund.risk_rating, "effective_level": effective_level}
    if negative_surplus and (
        fund.fund_type not in policy.negative_surplus_allowed_types
        or fund.risk_level > level_number(policy.negative_surplus_max_rating)
    ):
        return NEGATIVE_SURPLUS, {
            "risk_rating": fund.risk_rating,
            "allowed_types": list(policy.negative_surplus_allowed_types),
            "max_rating": policy.negative_surplus_max_rating,
        }
    days = horizon_days(horizon_months, policy)
    if fund.min_holding_days > days:
        return HOLDING_PERIOD_TOO_LONG, {
            "min_holding_days": fund.min_holding_days,
            "horizon_months": horizon_months,
            "horizon_days": int(days),
        }
    return None


def screen_funds(
    funds: tuple[Fund, ...],
    effective_level: str,
    horizon_months: int,
    negative_surplus: bool,
    policy: SuitabilityPolicy,
    risk_free_rate_pct: float,
) -> Screening:
    """Apply every suitability rule to every fund and rank the suitable ones."""
    screening = Screening(effective_level, horizon_months)
    suitable: dict[str, list[Fund]] = {}
    for fund in funds:
        reason = exclusion_reason(fund, effective_level, horizon_months, negative_surplus, policy)
        if reason is None:
            suitable.setdefault(fund.fund_type, []).append(fund)
        else:
            screening.exclusions[fund.fund_code] = reason
    for fund_type, type_funds in suitable.items():
        screening.ranked[fund_type] = rank_funds(type_funds, horizon_months, policy, risk_free_rate_pct)
    return screening


def annual_cost_pct(fund: Fund, horizon_months: int, policy: SuitabilityPolicy) -> float:
    """Yearly fees plus the one-off subscription fee spread over the horizon."""
    years = max(policy.fee_amortisation_min_years, horizon_months / 12)
    return fund.management_fee_pct + fund.custody_fee_pct + fund.subscription_fee_pct / years


def risk_adjusted_return(fund: Fund, policy: SuitabilityPolicy, risk_free_rate_pct: float) -> float:
    """(3-year annualised return, else 1-year, minus risk-free) / volatility; -inf if unknown."""
    ret = fund.return_3y_annualised_pct
    if not math.isfinite(ret):
        ret = fund.return_1y_pct
    vol = fund.volatility_pct
    if not math.isfinite(ret) or not math.isfinite(vol):
        return -math.inf
    return (ret - risk_free_rate_pct) / max(vol, policy.sharpe_volatility_floor_pct)


def rank_funds(
    funds: list[Fund], horizon_months: int, policy: SuitabilityPolicy, risk_free_rate_pct: float
) -> tuple[RankedFund, ...]:
    """Rank funds of one type, best first.

    score = weighted mean of three percentile ranks in [0, 1] (1 = best in the
    type, ties share the mean rank, a lone fund scores 1): lower annual cost,
    lower max drawdown, higher risk-adjusted return. Unknown figures rank
    worst. Ties in score are broken by fund code so the order is stable.
    """
    costs = [annual_cost_pct(f, horizon_months, policy) for f in funds]
    drawdowns = [f.max_drawdown_pct for f in funds]
    sharpes = [risk_adjusted_return(f, policy, risk_free_rate_pct) for f in funds]
    cost_rank = _percentile_ranks([-c for c in costs])
    drawdown_rank = _percentile_ranks([-d for d in drawdowns])
    sharpe_rank = _percentile_ranks(sharpes)
    weights = (policy.rank_weight_cost, policy.rank_weight_drawdown, policy.rank_weight_risk_adjusted_return)
    total_weight = sum(weights) or 1.0
    scored = []
    for i, fund in enumerate(funds):
        score = (weights[0] * cost_rank[i] + weights[1] * drawdown_rank[i] + weights[2] * sharpe_rank[i]) / total_weight
        scored.append((score, fund, costs[i], sharpes[i]))
    scored.sort(key=lambda item: (-item[0], item[1].fund_code))
    n = len(scored)
    return tuple(
        RankedFund(fund, position + 1, n, score, cost, sharpe)
        for position, (score, fund, cost, sharpe) in enumerate(scored)
    )


def _percentile_ranks(values: list[float]) -> list[float]:
    """Higher value -> higher rank in [0, 1]; NaN is lowest; ties get the mean rank."""
    n = len(values)
    if n == 1:
        return [1.0]
    keyed = [-math.inf if math.isnan(v) else float(v) for v in values]
    order = sorted(range(n), key=lambda i: keyed[i])
    ranks = [0.0] * n
    i = 0
    while i < n:
        j = i
        while j + 1 < n and keyed[order[j + 1]] == keyed[order[i]]:
            j += 1
        mean_position = (i + j) / 2
        for k in range(i, j + 1):
            ranks[order[k]] = mean_position / (n - 1)
        i = j + 1
    return ranks


def _finite_or_none(value: float) -> float | None:
    return round(value, 4) if math.isfinite(value) else None
