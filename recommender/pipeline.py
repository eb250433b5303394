"""Steps 3-6 together: from a customer's features, questionnaire result and
request to an explained fund suggestion.

    capacity (3) -> effective level -> suitability (4) -> model portfolio and
    amounts (5) -> reasons, why-not reasons and disclosure (6)

Rules, each in the policy or the step's module:

- No valid questionnaire (none, or expired by ``expires_at`` or by the
  policy's validity period): status ``needs_questionnaire``, no products.
- Effective level = min(questionnaire, capacity cap, horizon cap): the
  transactions and the horizon can lower the questionnaire's level, never
  raise it. No fund above it is ever suggested.
- Emergency fund first: min(amount, emergency-fund gap) goes to the best
  suitable T+0/T+1 money-market fund. Of the rest, at most the investable
  amount (liquid money above the emergency target) is invested; any excess
  stays in the money-market fund too (AMOUNT_ABOVE_INVESTABLE).
- A negative conservative surplus allows only money-market funds and bond
  funds up to R2 (NEGATIVE_SURPLUS).
- A requested fund type is used alone if it is suitable; otherwise the
  customer hears why not and gets the suitable mix.
- ``amount_allocated_cents`` == sum of the holdings, exactly;
  ``amount_requested_cents`` == allocated + unplaced.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import pandas as pd

from recommender import allocation as alloc
from recommender import suitability as suit
from recommender.capacity import CapacityAssessment, assess_capacity, lowest_level
from recommender.cma import assumptions_from_policy
from recommender.explain import Reason, json_ready, disclosure, make_reason, make_why_not
from recommender.features_types import CustomerFeatures
from recommender.policy import DEFAULT_POLICY, RecommenderPolicy
from recommender.schema import CUSTOMER_LEVELS, FUND_TYPES, level_number

STATUS_OK = "ok"
STATUS_NEEDS_QUESTIONNAIRE = "needs_questionnaire"
STATUS_NOTHING_TO_INVEST = "nothing_to_invest"


@dataclass(frozen=True)
class Assessment:
    """A questionnaire result. Valid while ``today <= expires_at``."""

    assessment_id: int | None
    risk_level: str                 # "C1".."C5"
    assessed_at: date
    expires_at: date

    def __post_init__(self):
        if self.risk_level not in CUSTOMER_LEVELS:
            raise ValueError(f"not a customer risk level: {self.risk_level!r}")


@dataclass(frozen=True)
class RecommendationRequest:
    """amount_cents None = the customer's investable amount; fund_type None = any type."""

    amount_cents: int | None
    horizon_months: int
    fund_type: str | None = None

    def __post_init__(self):
        if self.amount_cents is not None and (
            isinstance(self.amount_cents, bool) or not isinstance(self.amount_cents, int) or self.amount_cents < 0
        ):
            raise ValueError(f"amount_cents must be a non-negative int or None, not {self.amount_cents!r}")
        if isinstance(self.horizon_months, bool) or not isinstance(self.horizon_months, int) or self.horizon_months < 1:
            raise ValueError(f"horizon_months must be an int >= 1, not {self.horizon_months!r}")
        if self.fund_type is not None and self.fund_type not in FUND_TYPES:
            raise ValueError(f"unknown fund type {self.fund_type!r}; expected one of {FUND_TYPES}")


@dataclass(frozen=True)
class Holding:
    fund_code: str
    name_zh: str
    name_en: str
    fund_type: str
    risk_rating: str
    amount_cents: int
    weight: float                   # amount / allocated amount
    role: str                       # "emergency_fund" | "portfolio"

    def to_dict(self) -> dict:
        return {
            "fund_code": self.fund_code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "fund_type": self.fund_type,
            "risk_rating": self.risk_rating,
            "amount_cents": int(self.amount_cents),
            "weight": round(self.weight, 6),
            "role": self.role,
        }


@dataclass(frozen=True)
class FundDecision:
    fund_code: str
    fund_type: str
    decision: str                   # "selected" | "eligible" | "excluded"
    reason_code: str
    detail: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "fund_code": self.fund_code,
            "fund_type": self.fund_type,
            "decision": self.decision,
            "reason_code": self.reason_code,
            "detail": json_ready(self.detail),
        }


@dataclass(frozen=True)
class RecommendationResult:
    status: str
    as_of: date
    questionnaire_level: str | None
    capacity: CapacityAssessment
    horizon_months: int
    horizon_cap_level: str          # "C5" = the horizon does not cap
    effective_level: str | None
    amount_requested_cents: int
    amount_allocated_cents: int     # == sum of holdings
    amount_unplaced_cents: int      # requested - allocated; the reasons say why
    holdings: tuple[Holding, ...]
    target_weights: dict[str, float]  # fund type -> target share of the requested amount
    expected_return_pct: float | None
    expected_volatility_pct: float | None
    decisions: tuple[FundDecision, ...]
    reasons: tuple[Reason, ...]
    why_not: tuple[Reason, ...]
    disclosure: dict[str, str]
    catalogue_version: str
    policy_fingerprint: str

    def reason_codes(self) -> list[str]:
        return [r.code for r in self.reasons]

    def to_dict(self) -> dict:
        """JSON-ready: ints, strs, floats rounded, lists and dicts only."""
        return {
            "status": self.status,
            "as_of": self.as_of.isoformat(),
            "questionnaire_level": self.questionnaire_level,
            "capacity": self.capacity.to_dict(),
            "horizon_months": self.horizon_months,
            "horizon_cap_level": self.horizon_cap_level,
            "effective_level": self.effective_level,
            "amount_requested_cents": int(self.amount_requested_cents),
            "amount_allocated_cents": int(self.amount_allocated_cents),
            "amount_unplaced_cents": int(self.amount_unplaced_cents),
            "holdings": [h.to_dict() for h in self.holdings],
            "target_weights": {t: round(w, 6) for t, w in self.target_weights.items()},
            "expected_return_pct": _round(self.expected_return_pct, 2),
            "expected_volatility_pct": _round(self.expected_volatility_pct, 2),
            "decisions": [d.to_dict() for d in self.decisions],
            "reasons": [r.to_dict() for r in self.reasons],
            "why_not": [r.to_dict() for r in self.why_not],
            "disclosure": dict(self.disclosure),
            "catalogue_version": self.catalogue_version,
            "policy_fingerprint": self.policy_fingerprint,
        }


def recommend(
    features: CustomerFeatures,
    assessment: Assessment | None,
    catalogue: pd.DataFrame,
    request: RecommendationRequest,
    today: date,
    policy: RecommenderPolicy = DEFAULT_POLICY,
) -> RecommendationResult:
    """An explained fund suggestion for one customer (see the module docstring).

    catalogue: the frame of ``recommender.catalogue.load_fund_catalogue()``.
    Pure: reads nothing else, writes nothing; the same inputs give the same result.
    """
    funds = suit.funds_from_catalogue(catalogue)
    capacity = assess_capacity(features, policy.capacity)
    horizon = request.horizon_months
    horizon_cap = suit.horizon_cap_level(horizon, policy.suitability)
    amount = request.amount_cents if request.amount_cents is not None else max(0, int(features.investable_cents))
    common = {
        "as_of": today,
        "capacity": capacity,
        "horizon_months": horizon,
        "horizon_cap_level": horizon_cap,
        "amount_requested_cents": amount,
        "disclosure": disclosure(),
        "catalogue_version": str(catalogue.attrs.get("catalogue_version", "unknown")),
        "policy_fingerprint": _fingerprint(policy),
    }

    problem = _questionnaire_problem(assessment, today, policy)
    if problem is not None:
        return RecommendationResult(
            status=STATUS_NEEDS_QUESTIONNAIRE,
            questionnaire_level=None,
            effective_level=None,
            amount_allocated_cents=0,
            amount_unplaced_cents=amount,
            holdings=(),
            target_weights={},
            expected_return_pct=None,
            expected_volatility_pct=None,
            decisions=tuple(FundDecision(f.fund_code, f.fund_type, "excluded", problem.code, {}) for f in funds),
            reasons=(problem,),
            why_not=(),
            **common,
        )

    questionnaire_level = assessment.risk_level
    effective = lowest_level(questionnaire_level, capacity.cap_level, horizon_cap)
    reasons = _level_reasons(assessment, capacity, horizon, horizon_cap, effective, policy)

    # ---- emergency fund first, then at most the investable amount ----
    gap = max(0, int(features.emergency_fund_gap_cents))
    investable = max(0, int(features.investable_cents))
    to_emergency = min(amount, gap)
    portfolio_cents = min(amount - to_emergency, investable)
    kept_liquid = amount - to_emergency - portfolio_cents
    negative_surplus = features.conservative_monthly_surplus_cents < 0

    # ---- suitability and the model portfolio ----
    rf = policy.allocation.risk_free_rate_pct
    screening = suit.screen_funds(funds, effective, horizon, negative_surplus, policy.suitability, rf)
    suitable_types = screening.suitable_types()
    requested = request.fund_type
    requested_ok = requested is None or requested in suitable_types
    model_types = (requested,) if requested is not None and requested_ok else suitable_types
    model = alloc.model_portfolio(effective, model_types, policy.allocation)
    type_weights = model.as_dict() if portfolio_cents > 0 else {}

    plan = alloc.allocate_amounts(
        to_emergency + kept_liquid,
        portfolio_cents,
        type_weights,
        screening.ranked,
        screening.emergency_funds(policy.suitability),
        policy.suitability,
    )
    allocated = plan.allocated_cents
    holdings = tuple(
        Holding(
            h.fund.fund_code,
            h.fund.name_zh,
            h.fund.name_en,
            h.fund.fund_type,
            h.fund.risk_rating,
            h.amount_cents,
            h.amount_cents / allocated,
            h.role,
        )
        for h in plan.holdings
    )

    # ---- reasons ----
    reasons += _money_reasons(features, amount, to_emergency, portfolio_cents, kept_liquid, investable, plan, policy)
    if negative_surplus:
        reasons.append(
            make_reason(
                "NEGATIVE_SURPLUS",
                conservative_monthly_surplus_cents=int(features.conservative_monthly_surplus_cents),
                max_rating=policy.suitability.negative_surplus_max_rating,
            )
        )
    if requested is not None:
        reasons.append(make_reason("REQUESTED_TYPE" if requested_ok else "REQUESTED_TYPE_NOT_SUITABLE", fund_type=requested))
    placed_portfolio = allocated - plan.emergency_cents
    if placed_portfolio > 0 and type_weights:
        reasons.append(
            make_reason(
                "MODEL_PORTFOLIO",
                effective_level=effective,
                type_weights=dict(model.weights),
                expected_return_pct=model.expected_return_pct,
                volatility_pct=model.volatility_pct,
                volatility_cap_pct=model.volatility_cap_pct,
            )
        )
        if not model.volatility_cap_met:
            reasons.append(
                make_reason(
                    "VOLATILITY_CAP_NOT_MET",
                    volatility_cap_pct=model.volatility_cap_pct,
                    volatility_pct=model.volatility_pct,
                )
            )
    reasons += _event_reasons(plan, holdings, policy)
    status = STATUS_OK if holdings else STATUS_NOTHING_TO_INVEST
    if not holdings:
        reasons.append(make_reason("NOTHING_TO_INVEST", amount_cents=amount))

    held_codes = {h.fund_code for h in holdings}
    decisions = _decisions(funds, screening, plan, holdings, type_weights, requested if requested_ok else None, portfolio_cents)
    why_not = _why_not(
        funds, screening, plan, held_codes, type_weights, requested if requested_ok else None,
        portfolio_cents, gap, effective, policy,
    )

    cma = assumptions_from_policy(policy.allocation)
    realised: dict[str, float] = {}
    for h in holdings:
        realised[h.fund_type] = realised.get(h.fund_type, 0.0) + h.weight
    expected_return, expected_vol = cma.portfolio_stats(realised) if holdings else (None, None)
    target = _target_weights(amount, to_emergency + kept_liquid, portfolio_cents, type_weights, policy)

    return RecommendationResult(
        status=status,
        questionnaire_level=questionnaire_level,
        effective_level=effective,
        amount_allocated_cents=allocated,
        amount_unplaced_cents=amount - allocated,
        holdings=holdings,
        target_weights=target,
        expected_return_pct=expected_return,
        expected_volatility_pct=expected_vol,
        decisions=decisions,
        reasons=tuple(reasons),
        why_not=why_not,
        **common,
    )


# ---- helpers ----------------------------------------------------------------
def _fingerprint(policy: RecommenderPolicy) -> str:
    try:
        return _cached_fingerprint(policy)
    except TypeError:  # a policy section holding an unhashable value cannot be cached
        return policy.fingerprint()


@lru_cache(maxsize=16)
def _cached_fingerprint(policy: RecommenderPolicy) -> str:
    return policy.fingerprint()


def _questionnaire_problem(assessment: Assessment | None, today: date, policy: RecommenderPolicy) -> Reason | None:
    """None if valid; else the reason. Expired = past ``expires_at`` or past the policy's validity."""
    if assessment is None:
        return make_reason("QUESTIONNAIRE_MISSING")
    policy_expiry = assessment.assessed_at + timedelta(days=policy.questionnaire_validity_days)
    expired_on = min(assessment.expires_at, policy_expiry)
    if today > expired_on:
        return make_reason(
            "QUESTIONNAIRE_EXPIRED",
            expired_on=expired_on.isoformat(),
            validity_days=policy.questionnaire_validity_days,
        )
    return None


def _max_rating(level: str) -> str:
    return f"R{level_number(level)}"


def _level_reasons(assessment, capacity, horizon, horizon_cap, effective, policy) -> list[Reason]:
    q_level = assessment.risk_level
    expires = min(assessment.expires_at, assessment.assessed_at + timedelta(days=policy.questionnaire_validity_days))
    reasons = [make_reason("LEVEL_FROM_QUESTIONNAIRE", questionnaire_level=q_level, expires_on=expires.isoformat())]
    if level_number(capacity.score_cap_level) < level_number(q_level):
        reasons.append(
            make_reason(
                "CAPACITY_CAP",
                score=capacity.score,
                cap_level=capacity.score_cap_level,
                questionnaire_level=q_level,
            )
        )
    if capacity.thin_history and level_number(capacity.cap_level) < level_number(
        lowest_level(q_level, capacity.score_cap_level)
    ):
        reasons.append(
            make_reason(
                "THIN_HISTORY",
                months_observed=capacity.months_observed,
                min_months=policy.capacity.min_months_observed,
                cap_level=capacity.cap_level,
            )
        )
    if level_number(horizon_cap) < level_number(q_level):
        bound = next(b for b, level in policy.suitability.horizon_caps if horizon < b)
        reasons.append(
            make_reason(
                "HORIZON_CAP",
                horizon_months=horizon,
                shorter_than_months=bound,
                cap_level=horizon_cap,
                max_rating=_max_rating(horizon_cap),
            )
        )
    reasons.append(make_reason("EFFECTIVE_LEVEL", effective_level=effective, max_rating=_max_rating(effective)))
    return reasons


def _money_reasons(features, amount, to_emergency, portfolio_cents, kept_liquid, investable, plan, policy) -> list[Reason]:
    reasons = []
    months = float(features.emergency_fund_months)
    target_months = float(features.emergency_fund_target_months)
    gap = max(0, int(features.emergency_fund_gap_cents))
    base_months = policy.features.emergency_fund_base_months
    if gap > 0 and target_months > base_months:
        reasons.append(
            make_reason(
                "EMERGENCY_TARGET_RAISED",
                income_volatility_cv=float(features.income_volatility_cv),
                target_months=target_months,
                base_months=base_months,
            )
        )
    if gap > 0 and to_emergency > 0 and plan.emergency_cents > 0:
        reasons.append(
            make_reason(
                "EMERGENCY_FUND_FIRST",
                emergency_fund_months=months,
                target_months=target_months,
                gap_cents=gap,
                to_emergency_cents=to_emergency,
            )
        )
    elif gap > 0:
        reasons.append(
            make_reason("EMERGENCY_FUND_SHORT", emergency_fund_months=months, target_months=target_months, gap_cents=gap)
        )
    else:
        reasons.append(
            make_reason(
                "EMERGENCY_FUND_OK",
                emergency_fund_months=months,
                target_months=target_months,
                investable_cents=investable,
            )
        )
    if kept_liquid > 0:
        reasons.append(
            make_reason(
                "AMOUNT_ABOVE_INVESTABLE",
                amount_cents=amount,
                investable_cents=investable,
                kept_liquid_cents=kept_liquid,
            )
        )
    return reasons


def _event_reasons(plan: alloc.AllocationPlan, holdings: tuple[Holding, ...], policy) -> list[Reason]:
    """One reason per kind of thing the allocation had to do, with its numbers."""
    reasons = []
    held = {h.fund_code for h in holdings}
    funds_per_type: dict[str, int] = {}
    for h in holdings:
        funds_per_type[h.fund_type] = funds_per_type.get(h.fund_type, 0) + 1
    limit = policy.suitability.max_single_fund_weight
    seen_types = set()
    moved: dict[str, int] = {}
    for event in plan.events:
        if event.code == alloc.CONCENTRATION_LIMIT and event.fund_type not in seen_types:
            if funds_per_type.get(event.fund_type, 0) > 0:
                seen_types.add(event.fund_type)
                reasons.append(
                    make_reason(
                        "CONCENTRATION_LIMIT",
                        max_single_fund_weight=limit,
                        fund_type=event.fund_type,
                        funds_used=funds_per_type[event.fund_type],
                    )
                )
        elif event.code == alloc.AMOUNT_MOVED:
            moved[event.fund_type] = moved.get(event.fund_type, 0) + event.params["amount_cents"]
    for fund_type, cents in moved.items():
        reasons.append(make_reason("AMOUNT_MOVED", amount_cents=cents, fund_type=fund_type))
    below_min_types = set()
    for event in plan.events:
        if event.code == alloc.BELOW_MIN_PURCHASE and event.fund_code not in held and event.fund_type not in below_min_types:
            below_min_types.add(event.fund_type)
            reasons.append(
                make_reason(
                    "BELOW_MIN_PURCHASE",
                    fund_code=event.fund_code,
                    min_purchase_cents=event.params["min_purchase_cents"],
                    amount_cents=event.params["amount_cents"],
                )
            )
        elif event.code == alloc.AMOUNT_NOT_PLACED:
            reasons.append(make_reason("AMOUNT_NOT_PLACED", amount_cents=event.params["amount_cents"], max_single_fund_weight=limit))
        elif event.code in (alloc.NO_EMERGENCY_FUND, alloc.NO_SUITABLE_FUND):
            reasons.append(make_reason(event.code, amount_cents=event.params["amount_cents"]))
    return reasons


def _decisions(funds, screening, plan, holdings, type_weights, requested, portfolio_cents) -> tuple[FundDecision, ...]:
    """Every catalogue fund, with what was decided and why."""
    by_code = {h.fund_code: h for h in holdings}
    below_min = {
        e.fund_code: e.params for e in plan.events if e.code == alloc.BELOW_MIN_PURCHASE and e.fund_code is not None
    }
    ranks = {r.fund.fund_code: r for ranked in screening.ranked.values() for r in ranked}
    decisions = []
    for fund in funds:
        code = fund.fund_code
        if code in screening.exclusions:
            reason_code, detail = screening.exclusions[code]
            decisions.append(FundDecision(code, fund.fund_type, "excluded", reason_code, detail))
            continue
        detail = ranks[code].detail()
        if code in by_code:
            holding = by_code[code]
            reason_code = "EMERGENCY_FUND" if holding.role == alloc.EMERGENCY_ROLE else "SELECTED_TOP_RANKED"
            detail.update(amount_cents=holding.amount_cents, weight=holding.weight)
            decisions.append(FundDecision(code, fund.fund_type, "selected", reason_code, detail))
            continue
        if code in below_min:
            reason_code = "BELOW_MIN_PURCHASE"
            detail.update(below_min[code])
        elif requested is not None and fund.fund_type != requested:
            reason_code = "NOT_REQUESTED"
        elif portfolio_cents == 0:
            reason_code = "NO_AMOUNT_TO_INVEST"
        elif type_weights.get(fund.fund_type, 0.0) == 0.0:
            reason_code = "NOT_IN_MODEL_PORTFOLIO"
        else:
            reason_code = "RANKED_LOWER"
        decisions.append(FundDecision(code, fund.fund_type, "eligible", reason_code, detail))
    return tuple(decisions)


# Exclusion codes in the order suitability checks them: the later a type's best
# fund got, the closer it came to being suitable, and that is what we explain.
_CHECK_ORDER = (suit.CURRENCY_NOT_ACCEPTED, suit.RATING_ABOVE_LEVEL, suit.NEGATIVE_SURPLUS, suit.HOLDING_PERIOD_TOO_LONG)


def _why_not(funds, screening, plan, held_codes, type_weights, requested, portfolio_cents, gap, effective, policy):
    """One reason per fund type in the catalogue that is not in the suggestion."""
    held_types = {f.fund_type for f in funds if f.fund_code in held_codes}
    cma = assumptions_from_policy(policy.allocation)
    max_rating = _max_rating(effective)
    out = []
    present = {f.fund_type for f in funds}
    for fund_type in [t for t in FUND_TYPES if t in present]:
        if fund_type in held_types:
            continue
        type_funds = [f for f in funds if f.fund_type == fund_type]
        if requested is not None and fund_type != requested:
            continue  # the customer asked for another type; nothing to explain
        if fund_type not in screening.ranked:
            codes = [screening.exclusions[f.fund_code][0] for f in type_funds]
            furthest = max(codes, key=_CHECK_ORDER.index)
            if furthest == suit.CURRENCY_NOT_ACCEPTED:
                out.append(make_why_not("CURRENCY_NOT_ACCEPTED", fund_type=fund_type, currency=type_funds[0].currency))
            elif furthest == suit.RATING_ABOVE_LEVEL:
                lowest = min(f.risk_level for f in type_funds if f.currency in policy.suitability.accepted_currencies)
                out.append(
                    make_why_not("TYPE_ABOVE_LEVEL", fund_type=fund_type, lowest_rating=f"R{lowest}", max_rating=max_rating)
                )
            elif furthest == suit.NEGATIVE_SURPLUS:
                out.append(make_why_not("NEGATIVE_SURPLUS", fund_type=fund_type))
            else:
                shortest = min(
                    f.min_holding_days
                    for f in type_funds
                    if screening.exclusions[f.fund_code][0] == suit.HOLDING_PERIOD_TOO_LONG
                )
                out.append(
                    make_why_not(
                        "HOLDING_PERIOD_TOO_LONG",
                        fund_type=fund_type,
                        shortest_holding_days=shortest,
                        horizon_months=screening.horizon_months,
                    )
                )
            continue
        if portfolio_cents == 0:
            if gap > 0:
                out.append(make_why_not("EMERGENCY_FUND_FIRST", fund_type=fund_type))
            continue
        if type_weights.get(fund_type, 0.0) == 0.0:
            i = cma.index(fund_type)
            out.append(
                make_why_not(
                    "NOT_IN_MODEL_PORTFOLIO",
                    fund_type=fund_type,
                    effective_level=effective,
                    expected_return_pct=float(cma.mean_pct[i]),
                    volatility_pct=float(cma.volatility_pct[i]),
                )
            )
            continue
        below = next(
            (e for e in plan.events if e.code == alloc.BELOW_MIN_PURCHASE and e.fund_type == fund_type), None
        )
        if below is not None:
            out.append(
                make_why_not(
                    "BELOW_MIN_PURCHASE",
                    fund_type=fund_type,
                    amount_cents=below.params["amount_cents"],
                    min_purchase_cents=below.params["min_purchase_cents"],
                )
            )
        else:
            out.append(
                make_why_not(
                    "CONCENTRATION_LIMIT",
                    fund_type=fund_type,
                    max_single_fund_weight=policy.suitability.max_single_fund_weight,
                )
            )
    return tuple(out)


def _target_weights(amount, emergency_cents, portfolio_cents, type_weights, policy) -> dict[str, float]:
    """Planned share of the requested amount per fund type (before minimums and limits)."""
    if amount <= 0:
        return {}
    out: dict[str, float] = {}
    if emergency_cents > 0:
        out[policy.suitability.emergency_fund_type] = emergency_cents / amount
    for fund_type, weight in type_weights.items():
        out[fund_type] = out.get(fund_type, 0.0) + weight * portfolio_cents / amount
    return out


def _round(value: float | None, places: int) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, places)
