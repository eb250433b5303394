"""Step 5: model portfolios per customer level, and amounts per fund.

Two parts:

1. ``model_portfolio(level, fund_types, policy)``: target weights per fund
   type. Maximise expected return subject to portfolio volatility <= the
   level's cap, weights in [0, max_type_weight], summing to 1, over the fund
   types that have at least one suitable fund (scipy SLSQP over the
   capital-market assumptions of recommender/cma.py). If no mix of the
   available types meets the cap, the minimum-variance mix is used and
   ``volatility_cap_met`` is False. Results are cached per
   (level, available types, policy): the catalogue and horizon enter only
   through which types are available.

2. ``allocate_amounts(...)``: integer cents per fund.
   - The emergency part (and any amount above what the customer can spare)
     goes to the best suitable T+0/T+1 money-market fund.
   - The portfolio part is split by type weight (largest-remainder, exact).
   - A concentration-exempt type (money market, index) goes to its best fund.
   - Any other type is spread in equal parts over its best ``n`` funds, with
     ``n`` the smallest count keeping each fund <= max_single_fund_weight of
     the whole suggestion; without enough funds, funds are filled best-first
     up to that limit.
   - A fund is used only if its share reaches its minimum purchase; what
     cannot be placed (too small, or over the concentration limit) moves to a
     money-market fund, else an index fund, else other held funds with room.
   - If some money still cannot be placed, the portfolio part shrinks and the
     split is redone, so the concentration limit holds against the final
     total; if that does not settle, only the emergency part is kept.
   Every cent is accounted for: sum(holdings) + unplaced == requested.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

import numpy as np
from scipy.optimize import minimize

from recommender.cma import assumptions_from_policy
from recommender.policy import AllocationPolicy, SuitabilityPolicy
from recommender.suitability import Fund, RankedFund

EMERGENCY_ROLE = "emergency_fund"
PORTFOLIO_ROLE = "portfolio"

# Allocation event codes (explained by recommender/explain.py).
BELOW_MIN_PURCHASE = "BELOW_MIN_PURCHASE"
CONCENTRATION_LIMIT = "CONCENTRATION_LIMIT"
AMOUNT_MOVED = "AMOUNT_MOVED"
AMOUNT_NOT_PLACED = "AMOUNT_NOT_PLACED"
NO_EMERGENCY_FUND = "NO_EMERGENCY_FUND"
NO_SUITABLE_FUND = "NO_SUITABLE_FUND"

_MAX_ROUNDS = 8
_VOL_TOLERANCE_PCT = 1e-6


# ---- model portfolios --------------------------------------------------------
@dataclass(frozen=True)
class ModelPortfolio:
    """Target weights per fund type for one level and set of available types."""

    level: str
    available_types: tuple[str, ...]
    weights: tuple[tuple[str, float], ...]   # types with weight > 0, largest first; sum 1
    expected_return_pct: float
    volatility_pct: float
    volatility_cap_pct: float
    volatility_cap_met: bool

    def as_dict(self) -> dict[str, float]:
        return dict(self.weights)


def model_portfolio(level: str, fund_types, policy: AllocationPolicy) -> ModelPortfolio:
    """Model portfolio for ``level`` over ``fund_types`` (any iterable of type names).

    Raises ValueError if a type has no capital-market assumptions or the
    level has no volatility cap. Empty ``fund_types`` gives empty weights.
    """
    cma = assumptions_from_policy(policy)
    unknown = set(fund_types) - set(cma.types)
    if unknown:
        raise ValueError(f"no capital-market assumptions for fund types {sorted(unknown)}")
    canonical = tuple(t for t in cma.types if t in set(fund_types))
    return _model_portfolio_cached(level, canonical, policy)


@lru_cache(maxsize=4096)
def _model_portfolio_cached(level: str, fund_types: tuple[str, ...], policy: AllocationPolicy) -> ModelPortfolio:
    caps = dict(policy.volatility_cap_pct)
    if level not in caps:
        raise ValueError(f"no volatility cap for level {level!r}")
    cap = caps[level]
    if not fund_types:
        return ModelPortfolio(level, (), (), 0.0, 0.0, cap, True)
    cma = assumptions_from_policy(policy)
    mean, cov = cma.subset(fund_types)
    max_weights = dict(policy.max_type_weight)
    upper = np.array([min(1.0, max_weights.get(t, 1.0)) for t in fund_types])
    if upper.sum() < 1.0:
        # The diversification caps cannot be met with these types: relax them evenly.
        upper = upper / upper.sum()

    active = np.ones(len(fund_types), dtype=bool)
    weights, cap_met = _optimise(mean, cov, cap, upper)
    # Drop dust types and re-solve without them, as long as the cap still holds.
    for _ in range(len(fund_types)):
        dust = (weights > 0) & (weights < policy.min_type_weight) & active
        if not dust.any():
            break
        trial_active = active & ~dust
        if upper[trial_active].sum() < 1.0 - 1e-12:
            break
        trial, trial_met = _optimise(mean, cov, cap, np.where(trial_active, upper, 0.0))
        if trial_met < cap_met:
            break
        weights, cap_met, active = trial, trial_met, trial_active

    weights = np.where(weights < 1e-9, 0.0, weights)
    weights = weights / weights.sum()
    ordered = sorted(
        ((t, float(w)) for t, w in zip(fund_types, weights) if w > 0), key=lambda tw: (-tw[1], tw[0])
    )
    ret = float(weights @ mean)
    vol = math.sqrt(max(float(weights @ cov @ weights), 0.0))
    return ModelPortfolio(level, fund_types, tuple(ordered), ret, vol, cap, cap_met)


def _optimise(mean: np.ndarray, cov: np.ndarray, cap: float, upper: np.ndarray) -> tuple[np.ndarray, bool]:
    """(weights (k,), cap met): max mean'w st w'cov w <= cap^2, sum w = 1, 0 <= w <= upper."""
    k = len(mean)
    bounds = [(0.0, float(u)) for u in upper]
    start = upper / upper.sum()
    sum_to_one = {"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones(k)}
    min_var = minimize(
        lambda w: float(w @ cov @ w),
        start,
        jac=lambda w: 2.0 * cov @ w,
        bounds=bounds,
        constraints=[sum_to_one],
        method="SLSQP",
        options={"ftol": 1e-12, "maxiter": 500},
    )
    min_var_w = _clean(min_var.x, upper)
    if math.sqrt(max(float(min_var_w @ cov @ min_var_w), 0.0)) > cap + _VOL_TOLERANCE_PCT:
        return min_var_w, False
    best = minimize(
        lambda w: -float(mean @ w),
        min_var_w,
        jac=lambda w: -mean,
        bounds=bounds,
        constraints=[
            sum_to_one,
            {"type": "ineq", "fun": lambda w: cap**2 - float(w @ cov @ w), "jac": lambda w: -2.0 * cov @ w},
        ],
        method="SLSQP",
        options={"ftol": 1e-12, "maxiter": 500},
    )
    best_w = _clean(best.x, upper)
    if math.sqrt(max(float(best_w @ cov @ best_w), 0.0)) > cap + 1e-4 or float(mean @ best_w) < float(
        mean @ min_var_w
    ):
        return min_var_w, True  # the solver wandered off: the minimum-variance mix is safe
    return best_w, True


def _clean(w: np.ndarray, upper: np.ndarray) -> np.ndarray:
    w = np.clip(w, 0.0, upper)
    w[w < 1e-7] = 0.0
    return w / w.sum()


# ---- integer amounts ---------------------------------------------------------
def split_cents(total_cents: int, weights) -> list[int]:
    """Split ``total_cents`` by ``weights`` (>= 0, not all 0) into ints summing exactly to it.

    Largest-remainder method on exact integer arithmetic (weights are first
    turned into integers per 10^12), so no cent is created or lost.
    """
    total_cents = int(total_cents)
    if total_cents < 0:
        raise ValueError("cannot split a negative amount")
    scaled = [int(round(float(w) * 10**12)) for w in weights]
    if any(q < 0 for q in scaled) or sum(scaled) == 0:
        raise ValueError(f"weights must be >= 0 and not all zero: {list(weights)}")
    denominator = sum(scaled)
    parts, remainders = [], []
    for q in scaled:
        part, remainder = divmod(total_cents * q, denominator)
        parts.append(part)
        remainders.append(remainder)
    leftover = total_cents - sum(parts)
    for i in sorted(range(len(parts)), key=lambda i: (-remainders[i], i))[:leftover]:
        parts[i] += 1
    return parts


@dataclass(frozen=True)
class PlannedHolding:
    fund: Fund
    amount_cents: int
    role: str          # EMERGENCY_ROLE | PORTFOLIO_ROLE


@dataclass(frozen=True)
class AllocationEvent:
    """Something the allocation had to do or could not do, with its numbers."""

    code: str
    fund_type: str | None
    fund_code: str | None
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AllocationPlan:
    holdings: tuple[PlannedHolding, ...]
    emergency_cents: int       # placed in the emergency money-market fund
    unplaced_cents: int        # asked for but not placed; the events say why
    events: tuple[AllocationEvent, ...]

    @property
    def allocated_cents(self) -> int:
        return sum(h.amount_cents for h in self.holdings)


def allocate_amounts(
    emergency_cents: int,
    portfolio_cents: int,
    type_weights: dict[str, float],
    ranked: dict[str, tuple[RankedFund, ...]],
    emergency_funds: tuple[Fund, ...],
    policy: SuitabilityPolicy,
) -> AllocationPlan:
    """Turn amounts and type weights into integer cents per fund.

    emergency_cents: for the emergency money-market fund (best of
    ``emergency_funds`` whose minimum purchase it reaches).
    portfolio_cents: split by ``type_weights`` (types -> fraction, sum 1)
    over ``ranked`` (suitable funds per type, best first).
    Invariants: sum(holdings) + unplaced == emergency_cents + portfolio_cents;
    every holding >= its fund's minimum purchase; no fund outside
    ``policy.concentration_exempt_types`` above ``max_single_fund_weight``
    of the sum of holdings.
    """
    if emergency_cents < 0 or portfolio_cents < 0:
        raise ValueError("amounts must be >= 0")
    limit = Fraction(policy.max_single_fund_weight).limit_denominator(10**6)
    events: list[AllocationEvent] = []
    base: dict[str, int] = {}
    funds: dict[str, Fund] = {}
    emergency_code = None
    unplaced = 0

    if emergency_cents > 0:
        fund = next((f for f in emergency_funds if f.min_purchase_cents <= emergency_cents), None)
        if fund is not None:
            base[fund.fund_code] = emergency_cents
            funds[fund.fund_code] = fund
            emergency_code = fund.fund_code
        elif emergency_funds:
            best = emergency_funds[0]
            events.append(
                AllocationEvent(
                    BELOW_MIN_PURCHASE,
                    best.fund_type,
                    best.fund_code,
                    {"amount_cents": emergency_cents, "min_purchase_cents": best.min_purchase_cents},
                )
            )
            unplaced += emergency_cents
        else:
            events.append(AllocationEvent(NO_EMERGENCY_FUND, None, None, {"amount_cents": emergency_cents}))
            unplaced += emergency_cents

    target = portfolio_cents
    weights = {t: w for t, w in type_weights.items() if w > 0 and ranked.get(t)}
    if target > 0 and not weights:
        events.append(AllocationEvent(NO_SUITABLE_FUND, None, None, {"amount_cents": target}))
        unplaced += target
        target = 0
    amounts, round_events = dict(base), []
    for _ in range(_MAX_ROUNDS):
        if target <= 0:
            amounts, round_events, target = dict(base), [], 0
            break
        amounts, round_events = dict(base), []
        left = _place_portfolio(target, amounts, funds, weights, ranked, policy, limit, round_events)
        if left == 0 and _concentration_ok(amounts, funds, policy, limit):
            break
        target -= max(left, 1)
    else:
        amounts, round_events, target = dict(base), [], 0
    # What the portfolio part asked for (0 if it had nowhere to go, counted above) minus what it got.
    shrunk = (portfolio_cents if weights else 0) - (sum(amounts.values()) - sum(base.values()))
    if shrunk > 0:
        round_events.append(
            AllocationEvent(
                AMOUNT_NOT_PLACED,
                None,
                None,
                {"amount_cents": shrunk, "max_single_fund_weight": policy.max_single_fund_weight},
            )
        )
        unplaced += shrunk
    events.extend(round_events)

    holdings = [
        PlannedHolding(funds[code], cents, EMERGENCY_ROLE if code == emergency_code else PORTFOLIO_ROLE)
        for code, cents in amounts.items()
        if cents > 0
    ]
    holdings.sort(key=lambda h: (h.role != EMERGENCY_ROLE, -h.amount_cents, h.fund.fund_code))
    return AllocationPlan(tuple(holdings), sum(base.values()), unplaced, tuple(events))


def _place_portfolio(
    target: int,
    amounts: dict[str, int],
    funds: dict[str, Fund],
    weights: dict[str, float],
    ranked: dict[str, tuple[RankedFund, ...]],
    policy: SuitabilityPolicy,
    limit: Fraction,
    events: list[AllocationEvent],
) -> int:
    """Place ``target`` cents into ``amounts`` (mutated); return the cents left over."""
    total = sum(amounts.values()) + target
    cap = total * limit.numerator // limit.denominator
    exempt = set(policy.concentration_exempt_types)
    order = sorted(weights, key=lambda t: (-weights[t], t))
    overflow = 0
    for fund_type, type_cents in zip(order, split_cents(target, [weights[t] for t in order])):
        if type_cents == 0:
            continue
        candidates = [r.fund for r in ranked[fund_type]]
        if fund_type in exempt:
            overflow += _place_in_one_fund(type_cents, candidates, amounts, funds, events)
        else:
            overflow += _spread(type_cents, candidates, cap, amounts, funds, events)
    if overflow:
        overflow = _absorb(overflow, order, ranked, cap, amounts, funds, policy, events)
    return overflow


def _add(amounts: dict[str, int], funds: dict[str, Fund], fund: Fund, cents: int) -> None:
    amounts[fund.fund_code] = amounts.get(fund.fund_code, 0) + cents
    funds[fund.fund_code] = fund


def _place_in_one_fund(cents, candidates, amounts, funds, events) -> int:
    """Put everything in the fund already held, else the best fund whose minimum it reaches."""
    held = next((f for f in candidates if f.fund_code in amounts), None)
    fund = held or next((f for f in candidates if f.min_purchase_cents <= cents), None)
    if fund is None:
        best = candidates[0]
        events.append(
            AllocationEvent(
                BELOW_MIN_PURCHASE,
                best.fund_type,
                best.fund_code,
                {"amount_cents": cents, "min_purchase_cents": best.min_purchase_cents},
            )
        )
        return cents
    _add(amounts, funds, fund, cents)
    return 0


def _spread(cents, candidates, cap, amounts, funds, events) -> int:
    """Spread one non-exempt type over enough funds to keep each <= cap; return the rest."""
    if cap <= 0:
        return cents
    fund_type = candidates[0].fund_type
    n = -(-cents // cap)
    share = cents // n
    usable = [f for f in candidates if f.min_purchase_cents <= share]
    if n > 1:
        events.append(
            AllocationEvent(
                CONCENTRATION_LIMIT,
                fund_type,
                None,
                {"type_cents": cents, "funds_needed": n, "funds_available": len(candidates), "cap_cents": cap},
            )
        )
    if len(usable) >= n:
        chosen = usable[:n]
        for fund in candidates[: candidates.index(chosen[-1])]:
            if fund not in chosen:
                events.append(_below_min(fund, share))
        for fund, part in zip(chosen, split_cents(cents, [1] * n)):
            _add(amounts, funds, fund, part)
        return 0
    remaining = cents
    for fund in candidates:
        if remaining == 0:
            break
        give = min(cap, remaining)
        if give < fund.min_purchase_cents:
            events.append(_below_min(fund, give))
            continue
        _add(amounts, funds, fund, give)
        remaining -= give
    return remaining


def _below_min(fund: Fund, share: int) -> AllocationEvent:
    return AllocationEvent(
        BELOW_MIN_PURCHASE,
        fund.fund_type,
        fund.fund_code,
        {"amount_cents": share, "min_purchase_cents": fund.min_purchase_cents},
    )


def _absorb(overflow, order, ranked, cap, amounts, funds, policy, events) -> int:
    """Move money that could not be placed: to an exempt fund, else into room left elsewhere."""
    exempt = policy.concentration_exempt_types
    for fund_type in exempt:
        candidates = [r.fund for r in ranked.get(fund_type, ())]
        held = next((f for f in candidates if f.fund_code in amounts), None)
        fund = held or next((f for f in candidates if f.min_purchase_cents <= overflow), None)
        if fund is not None:
            _add(amounts, funds, fund, overflow)
            events.append(AllocationEvent(AMOUNT_MOVED, fund_type, fund.fund_code, {"amount_cents": overflow}))
            return 0
    # No exempt fund can take it: use room under the cap in funds held, then unused funds.
    for code in list(amounts):
        fund = funds[code]
        if fund.fund_type in exempt or overflow == 0:
            continue
        give = min(cap - amounts[code], overflow)
        if give > 0:
            _add(amounts, funds, fund, give)
            events.append(AllocationEvent(AMOUNT_MOVED, fund.fund_type, code, {"amount_cents": give}))
            overflow -= give
    for fund_type in order:
        for ranked_fund in ranked[fund_type]:
            fund = ranked_fund.fund
            if overflow == 0:
                return 0
            if fund.fund_code in amounts or fund.fund_type in exempt:
                continue
            give = min(cap, overflow)
            if give >= fund.min_purchase_cents and give > 0:
                _add(amounts, funds, fund, give)
                events.append(AllocationEvent(AMOUNT_MOVED, fund_type, fund.fund_code, {"amount_cents": give}))
                overflow -= give
    return overflow


def _concentration_ok(amounts: dict[str, int], funds: dict[str, Fund], policy: SuitabilityPolicy, limit: Fraction) -> bool:
    total = sum(amounts.values())
    return all(
        cents * limit.denominator <= limit.numerator * total
        for code, cents in amounts.items()
        if funds[code].fund_type not in policy.concentration_exempt_types
    )
