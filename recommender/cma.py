"""Capital-market assumptions (CMA) per fund type, as numpy arrays.

ILLUSTRATIVE ASSUMPTIONS, NOT A FORECAST. The numbers live in
``AllocationPolicy`` (recommender/policy.py) so that a bank replaces them in
one place, and every audit record's policy fingerprint changes with them.
They are round, long-run, annualised figures in percent for CNY investors,
chosen to be plausible and internally consistent, not researched:

=============  ==========  ===========  =================================================
fund type      return %/y  volatility   why roughly this
=============  ==========  ===========  =================================================
money_market   1.8         0.5          short-rate yield, almost no price risk
bond           3.0         3.0          term + credit premium over cash, rate risk
hybrid         5.5         13.0         a mix of equity and bonds, mostly equity risk
index          7.0         20.0         broad A-share index, equity premium, low fees
equity         8.0         23.0         active equity: a little more return, more risk
qdii           7.0         18.0         overseas equity, diversifies A-share risk
=============  ==========  ===========  =================================================

Correlations: equity-like types move together (0.85-0.9), overseas equity
(qdii) only partly with domestic equity (0.5), bonds barely with anything.
The matrix is checked to be positive semi-definite when built.

Shapes: ``CapitalMarketAssumptions.types`` has n fund types; ``mean_pct``
is (n,), ``cov_pct2`` is (n, n) in percent squared.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from recommender.policy import AllocationPolicy


@dataclass(frozen=True, eq=False)  # arrays: compared and hashed by identity
class CapitalMarketAssumptions:
    types: tuple[str, ...]
    mean_pct: np.ndarray          # (n,) expected annual return, percent
    volatility_pct: np.ndarray    # (n,) annualised standard deviation, percent
    correlation: np.ndarray       # (n, n), symmetric, ones on the diagonal
    cov_pct2: np.ndarray          # (n, n) covariance, percent squared
    risk_free_rate_pct: float

    def index(self, fund_type: str) -> int:
        return self.types.index(fund_type)

    def subset(self, fund_types: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """(mean (k,), covariance (k, k)) for the given types, in that order."""
        idx = [self.index(t) for t in fund_types]
        return self.mean_pct[idx], self.cov_pct2[np.ix_(idx, idx)]

    def portfolio_stats(self, weights: dict[str, float]) -> tuple[float, float]:
        """(expected return %, volatility %) of type weights (fractions summing to 1)."""
        if not weights:
            return 0.0, 0.0
        types = tuple(weights)
        w = np.array([weights[t] for t in types], dtype=float)
        mean, cov = self.subset(types)
        variance = float(w @ cov @ w)
        return float(w @ mean), math.sqrt(max(variance, 0.0))


@lru_cache(maxsize=32)
def assumptions_from_policy(policy: AllocationPolicy) -> CapitalMarketAssumptions:
    """Build and validate the arrays once per policy (policies are hashable).

    Raises ValueError if a type lacks a return or volatility, a correlation
    names an unknown type or lies outside [-1, 1], or the matrix is not
    positive semi-definite.
    """
    returns = dict(policy.expected_return_pct)
    vols = dict(policy.volatility_pct)
    if set(returns) != set(vols):
        raise ValueError("expected_return_pct and volatility_pct must name the same fund types")
    types = tuple(returns)
    n = len(types)
    corr = np.eye(n)
    for a, b, rho in policy.correlations:
        if a not in returns or b not in returns:
            raise ValueError(f"correlation names an unknown fund type: {a}, {b}")
        if not -1.0 <= rho <= 1.0 or a == b:
            raise ValueError(f"bad correlation {a}/{b}: {rho}")
        i, j = types.index(a), types.index(b)
        corr[i, j] = corr[j, i] = rho
    if np.linalg.eigvalsh(corr).min() < -1e-10:
        raise ValueError("correlation matrix is not positive semi-definite")
    vol = np.array([vols[t] for t in types], dtype=float)
    if (vol < 0).any():
        raise ValueError("volatilities must be >= 0")
    mean = np.array([returns[t] for t in types], dtype=float)
    cov = corr * np.outer(vol, vol)
    for array in (mean, vol, corr, cov):
        array.setflags(write=False)  # shared through the cache: nobody may change it
    return CapitalMarketAssumptions(types, mean, vol, corr, cov, policy.risk_free_rate_pct)
