"""The customer's financial features: the contract between the feature step
and the capacity / suitability / allocation / explanation steps.

Money is integer cents (CNY). Ratios are fractions (0.25 means 25 %).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date


@dataclass(frozen=True)
class CustomerFeatures:
    as_of: date
    months_observed: int                        # months with data in the trailing window
    median_monthly_income_cents: int
    median_monthly_spending_cents: int
    median_monthly_essential_spending_cents: int
    income_volatility_cv: float                 # coefficient of variation of monthly income
    spending_volatility_cv: float               # coefficient of variation of monthly spending
    savings_rate: float                         # (income - spending) / income over the window
    essential_spending_ratio: float             # essential spending / all spending
    conservative_monthly_surplus_cents: int     # 25th percentile of monthly (income - spending)
    liquid_balance_cents: int                   # current + savings + money-market balances
    emergency_fund_months: float                # liquid balance / median essential monthly spending
    emergency_fund_target_months: float         # 3 normally, more for volatile income (policy)
    emergency_fund_target_cents: int
    emergency_fund_gap_cents: int               # max(0, target - liquid balance)
    investable_cents: int                       # max(0, liquid balance - target)
    has_recurring_income: bool
    recurring_income_share: float               # recurring income / all income

    UNITS = {
        "as_of": "date",
        "months_observed": "months",
        "median_monthly_income_cents": "CNY cents per month",
        "median_monthly_spending_cents": "CNY cents per month",
        "median_monthly_essential_spending_cents": "CNY cents per month",
        "income_volatility_cv": "ratio (std/mean)",
        "spending_volatility_cv": "ratio (std/mean)",
        "savings_rate": "fraction of income",
        "essential_spending_ratio": "fraction of spending",
        "conservative_monthly_surplus_cents": "CNY cents per month",
        "liquid_balance_cents": "CNY cents",
        "emergency_fund_months": "months of essential spending",
        "emergency_fund_target_months": "months of essential spending",
        "emergency_fund_target_cents": "CNY cents",
        "emergency_fund_gap_cents": "CNY cents",
        "investable_cents": "CNY cents",
        "has_recurring_income": "boolean",
        "recurring_income_share": "fraction of income",
    }

    def to_dict(self) -> dict:
        """JSON-ready: dates as ISO strings, floats rounded to 4 places."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, float):
                value = round(value, 4)
            out[f.name] = value
        return out
