"""Every threshold and assumption the recommender uses, in one documented object.

A bank changes its policy by constructing ``RecommenderPolicy`` with other
values (or loading it from its own configuration); no step of the pipeline
keeps a literal of its own. Each section belongs to one step:

- ``categorisation``: step 1, recommender/categorise.py
- ``features``:       step 2, recommender/features.py
- ``capacity``:       step 3, recommender/capacity.py
- ``suitability``:    step 4, recommender/suitability.py
- ``allocation``:     step 5, recommender/allocation.py (capital-market assumptions)

Changing any value changes ``RecommenderPolicy.fingerprint()``, which every
audit record stores.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field


# ---- step 1 -------------------------------------------------------------------
@dataclass(frozen=True)
class CategorisationPolicy:
    """Owned by recommender/categorise.py and recommender/recurring.py.

    Order of evidence for a spending row: the card's MCC, then the ordered
    merchant rules (recommender/merchant_rules.py, most specific first), then
    the character n-gram text classifier. Each source gives a confidence in
    [0, 1]; below ``min_category_confidence`` the category becomes "other"
    (income: "other_income") with source "default".
    """

    spending_categories: tuple[str, ...] = (
        "dining", "groceries", "transport", "housing", "utilities", "shopping",
        "entertainment", "health", "education", "travel", "insurance", "other",
    )
    income_categories: tuple[str, ...] = ("salary", "bonus", "investment_income", "other_income")
    # Spending a household cannot easily cut; sizes the emergency fund.
    essential_categories: tuple[str, ...] = (
        "housing", "utilities", "groceries", "health", "insurance", "transport", "education",
    )

    # -- confidence of each source of evidence --
    account_match_confidence: float = 1.0    # transfer recognised by the counterparty account id
    transfer_rule_confidence: float = 0.9    # transfer / repayment / fund recognised by keywords
    mcc_confidence: float = 0.95             # ISO 18245 code from the card network
    specific_rule_confidence: float = 0.9    # a named merchant ("美团外卖", "STARBUCKS")
    generic_rule_confidence: float = 0.7     # a generic word ("餐厅", "supermarket")
    income_rule_confidence: float = 0.9      # 工资 / bonus / 利息 / 养老金 keywords
    recurring_salary_confidence: float = 0.8  # recurring payer, no salary keyword, not a personal transfer
    min_category_confidence: float = 0.35    # below: category "other"/"other_income", source "default"
    default_confidence: float = 0.0          # a "default" category carries no evidence

    # -- merchant rules and the fallback text classifier --
    # Bank-specific rules, checked before the built-in ones: (keyword, category, is_specific).
    extra_merchant_rules: tuple[tuple[str, str, bool], ...] = ()
    # Labelled descriptions (CSV: description,category,language); None = the packaged file.
    merchant_labels_path: str | None = None
    classifier_ngram_range: tuple[int, int] = (1, 3)
    classifier_regularisation_c: float = 10.0  # LogisticRegression C (inverse regularisation)
    # MCCs that mean buying/selling securities: a fund purchase or redemption, not spending.
    fund_mccs: tuple[str, ...] = ("6211",)

    # -- recurring income (recommender/recurring.py) --
    recurring_min_months: int = 3             # payments from one payer in at least this many distinct months
    recurring_gap_days: tuple[int, int] = (25, 36)  # "about monthly": consecutive payments this far apart
    recurring_min_regular_gap_share: float = 0.75   # share of gaps that must be "about monthly"
    # A payment belongs to the stream if within this fraction of the payer's median amount
    # (so a year-end bonus from the employer does not break the salary stream).
    recurring_amount_tolerance: float = 0.3


# ---- step 2 -------------------------------------------------------------------
@dataclass(frozen=True)
class FeaturePolicy:
    """Owned by recommender/features.py (base_currency also used by recommender/summaries.py).

    The window is the ``window_months`` complete calendar months before the
    month of ``as_of`` (as_of 2025-06-15, 12 months -> 2024-06-01 .. 2025-05-31).
    """

    window_months: int = 12
    # Only transactions and balances in this currency count (no FX conversion).
    base_currency: str = "CNY"
    # Conservative surplus = this percentile of monthly (income - spending), floored to a cent.
    surplus_percentile: float = 25.0
    percentile_method: str = "linear"         # numpy.percentile method
    # Degrees of freedom for the standard deviation in CV = std / mean (0 = population std).
    volatility_ddof: int = 0
    emergency_fund_base_months: float = 3.0
    # Used instead when income is volatile or there is no recurring income.
    emergency_fund_raised_months: float = 6.0
    volatile_income_cv: float = 0.5
    # Recurring income counts as current only if some arrived in the last N window months.
    recurring_income_active_months: int = 2
    # Outstanding credit-card debt (negative card balances) reduces the liquid balance.
    subtract_credit_card_debt: bool = True
    # Savings rate is clipped to [floor, 1]; zero income with spending gives the floor.
    savings_rate_floor: float = -1.0
    # Emergency-fund months are capped (and used when essential spending is zero but cash is not).
    emergency_fund_months_cap: float = 120.0


# ---- step 3 -------------------------------------------------------------------
@dataclass(frozen=True)
class CapacityPolicy:
    """Owned by recommender/capacity.py: the risk-capacity score and its caps.

    The score (0-100) is the sum of five components, each earning points on a
    straight line between a "zero points" and a "full points" value of one
    feature (clipped to that range; a missing/NaN feature earns 0):

    - savings rate (fraction of income): ``savings_rate_points``;
    - income stability: ``income_cv_points`` from the coefficient of variation
      of monthly income (lower is better) plus ``recurring_income_points``
      from the recurring share of income (0 without recurring income);
    - emergency fund coverage: ``emergency_fund_points`` times
      months held / target months (at most 1);
    - conservative monthly surplus sign: full ``surplus_points`` if positive,
      ``surplus_zero_share`` of it if exactly zero, none if negative.

    ``cap_bands`` maps the score to the highest customer level it allows:
    the first band whose lower bound the score reaches wins. With fewer than
    ``min_months_observed`` months of data the cap is at most
    ``thin_history_cap`` (we cannot judge capacity from a few weeks).
    """

    savings_rate_points: float = 30.0
    savings_rate_zero_points_at: float = 0.0      # spending all income earns nothing
    savings_rate_full_points_at: float = 0.30     # saving 30 % of income earns all points
    income_cv_points: float = 15.0
    income_cv_full_points_at: float = 0.10        # salary-like income
    income_cv_zero_points_at: float = 0.60        # very irregular income
    recurring_income_points: float = 10.0
    recurring_share_full_points_at: float = 0.80
    emergency_fund_points: float = 25.0
    surplus_points: float = 20.0
    surplus_zero_share: float = 0.5               # share of surplus_points for a surplus of exactly 0
    # (lowest score, cap level), highest band first.
    cap_bands: tuple[tuple[float, str], ...] = (
        (80.0, "C5"),
        (65.0, "C4"),
        (45.0, "C3"),
        (25.0, "C2"),
        (0.0, "C1"),
    )
    min_months_observed: int = 3
    thin_history_cap: str = "C2"


# ---- step 4 -------------------------------------------------------------------
@dataclass(frozen=True)
class SuitabilityPolicy:
    """Owned by recommender/suitability.py: which funds a customer may get.

    - ``horizon_caps``: (horizon shorter than N months, highest level); e.g. a
      horizon under 12 months allows C2 (products up to R2) at most. Horizons
      at or above the last bound are not capped. The effective level is
      min(questionnaire, capacity cap, horizon cap): never raised.
    - A fund is suitable only if its rating is at most the effective level,
      its ``min_holding_days`` fit in the horizon (``days_per_month`` days a
      month) and its currency is accepted.
    - The emergency-fund gap is filled first with a fund of
      ``emergency_fund_type`` that settles within
      ``emergency_fund_max_redemption_days`` (T+0/T+1).
    - A negative conservative surplus limits everything beyond the emergency
      fund to ``negative_surplus_allowed_types`` rated at most
      ``negative_surplus_max_rating``.
    - No single fund outside ``concentration_exempt_types`` may exceed
      ``max_single_fund_weight`` of the whole suggestion.
    - Within a type, funds are ranked on the weighted mean of three percentile
      ranks (1 = best in the type): annual cost (management + custody + the
      subscription fee spread over the horizon, at least
      ``fee_amortisation_min_years``), max drawdown, and
      (3-year annualised return - risk-free rate) / volatility, with
      volatility floored at ``sharpe_volatility_floor_pct``.
    """

    horizon_caps: tuple[tuple[int, str], ...] = ((12, "C2"), (36, "C3"), (60, "C4"))
    days_per_month: float = 365.25 / 12
    accepted_currencies: tuple[str, ...] = ("CNY",)
    emergency_fund_type: str = "money_market"
    emergency_fund_max_redemption_days: int = 1
    negative_surplus_allowed_types: tuple[str, ...] = ("money_market", "bond")
    negative_surplus_max_rating: str = "R2"
    max_single_fund_weight: float = 0.20
    concentration_exempt_types: tuple[str, ...] = ("money_market", "index")
    rank_weight_cost: float = 1.0
    rank_weight_drawdown: float = 1.0
    rank_weight_risk_adjusted_return: float = 1.0
    fee_amortisation_min_years: float = 1.0
    sharpe_volatility_floor_pct: float = 0.1


# ---- step 5 -------------------------------------------------------------------
@dataclass(frozen=True)
class AllocationPolicy:
    """Owned by recommender/allocation.py: capital-market assumptions (CMA) and
    the model-portfolio rules. recommender/cma.py documents every number.

    ILLUSTRATIVE ASSUMPTIONS: long-run annual expected returns and
    volatilities per fund type, in percent, CNY. A bank replaces them with its
    own research house's figures; they are not a forecast.

    The model portfolio for a level maximises expected return subject to
    portfolio volatility <= ``volatility_cap_pct`` of that level, weights >= 0
    summing to 1, each type at most its ``max_type_weight`` (a diversification
    preference, relaxed proportionally when the available types cannot reach
    100 % under it), over the fund types with at least one suitable fund.
    Types below ``min_type_weight`` are dropped and the rest rescaled.
    """

    expected_return_pct: tuple[tuple[str, float], ...] = (
        ("money_market", 1.8),
        ("bond", 3.0),
        ("hybrid", 5.5),
        ("index", 7.0),
        ("equity", 8.0),
        ("qdii", 7.0),
    )
    volatility_pct: tuple[tuple[str, float], ...] = (
        ("money_market", 0.5),
        ("bond", 3.0),
        ("hybrid", 13.0),
        ("index", 20.0),
        ("equity", 23.0),
        ("qdii", 18.0),
    )
    # Pairwise correlations; pairs not listed are 0, a type with itself is 1.
    correlations: tuple[tuple[str, str, float], ...] = (
        ("money_market", "bond", 0.2),
        ("bond", "hybrid", 0.2),
        ("bond", "qdii", 0.1),
        ("hybrid", "index", 0.85),
        ("hybrid", "equity", 0.9),
        ("hybrid", "qdii", 0.5),
        ("index", "equity", 0.9),
        ("index", "qdii", 0.5),
        ("equity", "qdii", 0.5),
    )
    risk_free_rate_pct: float = 1.5
    volatility_cap_pct: tuple[tuple[str, float], ...] = (
        ("C1", 1.0),
        ("C2", 4.0),
        ("C3", 8.0),
        ("C4", 13.0),
        ("C5", 18.0),
    )
    max_type_weight: tuple[tuple[str, float], ...] = (
        ("money_market", 1.0),
        ("bond", 1.0),
        ("hybrid", 0.6),
        ("index", 0.4),
        ("equity", 0.4),
        ("qdii", 0.25),
    )
    min_type_weight: float = 0.03


@dataclass(frozen=True)
class RecommenderPolicy:
    categorisation: CategorisationPolicy = field(default_factory=CategorisationPolicy)
    features: FeaturePolicy = field(default_factory=FeaturePolicy)
    capacity: CapacityPolicy = field(default_factory=CapacityPolicy)
    suitability: SuitabilityPolicy = field(default_factory=SuitabilityPolicy)
    allocation: AllocationPolicy = field(default_factory=AllocationPolicy)
    # How long a questionnaire result stays valid (regulators commonly ask for yearly review).
    questionnaire_validity_days: int = 365

    def to_dict(self) -> dict:
        return asdict(self)

    def fingerprint(self) -> str:
        """Short stable hash of every value, stored in audit records."""
        blob = json.dumps(self.to_dict(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


DEFAULT_POLICY = RecommenderPolicy()
