"""Spending and income for a period, compared with the period before.

Used by the API and the bot ("上个月餐饮花了多少" -> amount, top merchants,
change vs the previous period). Input is categorise()'s output for one
customer. Money is integer cents; dates in the result are ISO strings
("2025-03-01") so the dict is JSON-ready.

Conventions:
- Periods are inclusive dates [start, end].
- The previous period has the same length and ends the day before ``start``.
  When the period is whole calendar months (2025-03-01 .. 2025-03-31) the
  previous period is the same number of whole calendar months (2025-02-01 ..
  2025-02-28), so "last month vs the month before" compares months, not
  31-day windows.
- Spending = outflows of flow "spending" minus flow "refund" (money back from
  a merchant) in the period; it is not floored, so a period whose refunds
  exceed its purchases shows a negative total. Neutral flows (own transfers,
  card repayments, fund purchases/redemptions) are never spending or income.
- Only rows in ``FeaturePolicy.base_currency`` count (no FX conversion).
- change_pct is a percentage (12.5 means +12.5 %) of the previous total's
  magnitude, rounded to 2 decimals; None when the previous total is 0.
"""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from recommender.merchant_rules import normalise_merchant
from recommender.policy import CategorisationPolicy, FeaturePolicy

_FEATURE_POLICY = FeaturePolicy()
_CATEGORY_POLICY = CategorisationPolicy()


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length just before [start, end] (see module doc)."""
    if end < start:
        raise ValueError(f"period ends before it starts: {start} .. {end}")
    next_day = end + timedelta(days=1)
    if start.day == 1 and next_day.day == 1:  # whole calendar months
        months = (next_day.year - start.year) * 12 + (next_day.month - start.month)
        first = pd.Timestamp(start) - pd.DateOffset(months=months)
        return first.date(), start - timedelta(days=1)
    length = end - start
    previous_end = start - timedelta(days=1)
    return previous_end - length, previous_end


def spending_summary(categorised: pd.DataFrame, start: date, end: date, category: str | None = None,
                     top_n: int = 3, policy: FeaturePolicy = _FEATURE_POLICY,
                     categories: CategorisationPolicy = _CATEGORY_POLICY) -> dict:
    """Spending in [start, end], optionally one category.

    Returns {start, end, category, currency, total_cents, transaction_count,
    by_category {category: cents, largest first}, top_merchants [{merchant,
    cents, count}] (largest first, at most top_n, net of refunds, only
    merchants with positive net spending), previous_period {start, end,
    total_cents}, change_cents, change_pct}.
    """
    if category is not None and category not in categories.spending_categories:
        raise ValueError(f"unknown spending category {category!r}")
    spending = _spending_rows(categorised, policy, category)
    current = _between(spending, start, end)
    previous_start, previous_end = previous_period(start, end)
    previous_total = int(_between(spending, previous_start, previous_end)["spent_cents"].sum())
    total = int(current["spent_cents"].sum())

    by_category = current.groupby("category", sort=False)["spent_cents"].sum()
    by_category = by_category.sort_values(ascending=False, kind="stable")
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "category": category,
        "currency": policy.base_currency,
        "total_cents": total,
        "transaction_count": int((current["flow"] == "spending").sum()),
        "by_category": {str(k): int(v) for k, v in by_category.items()},
        "top_merchants": _top_merchants(current, top_n),
        **_comparison(total, previous_start, previous_end, previous_total),
    }


def income_summary(categorised: pd.DataFrame, start: date, end: date,
                   policy: FeaturePolicy = _FEATURE_POLICY) -> dict:
    """Income in [start, end].

    Returns {start, end, currency, total_cents, transaction_count, by_category
    {salary|bonus|investment_income|other_income: cents, largest first},
    recurring_cents, previous_period {start, end, total_cents}, change_cents,
    change_pct}.
    """
    rows = categorised[(categorised["flow"] == "income") & _in_currency(categorised, policy)]
    current = _between(rows, start, end)
    previous_start, previous_end = previous_period(start, end)
    previous_total = int(_between(rows, previous_start, previous_end)["amount_cents"].sum())
    total = int(current["amount_cents"].sum())
    by_category = current.groupby("category", sort=False)["amount_cents"].sum()
    by_category = by_category.sort_values(ascending=False, kind="stable")
    recurring = current["amount_cents"][current["is_recurring_income"].astype(bool)].sum()
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "currency": policy.base_currency,
        "total_cents": total,
        "transaction_count": int(len(current)),
        "by_category": {str(k): int(v) for k, v in by_category.items()},
        "recurring_cents": int(recurring),
        **_comparison(total, previous_start, previous_end, previous_total),
    }


# ---- helpers ---------------------------------------------------------------------
def _in_currency(frame: pd.DataFrame, policy: FeaturePolicy) -> pd.Series:
    if "currency" not in frame.columns:
        return pd.Series(True, index=frame.index)
    return frame["currency"] == policy.base_currency


def _spending_rows(categorised: pd.DataFrame, policy: FeaturePolicy, category: str | None) -> pd.DataFrame:
    """Spending and refund rows with spent_cents (outflow positive, refund negative)."""
    keep = categorised["flow"].isin(("spending", "refund")) & _in_currency(categorised, policy)
    if category is not None:
        keep &= categorised["category"] == category
    rows = categorised.loc[keep, ["booked_at", "flow", "category", "amount_cents", "description"]]
    return rows.assign(spent_cents=-rows["amount_cents"].astype(np.int64))


def _between(rows: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    booked = rows["booked_at"].to_numpy(dtype="datetime64[D]")
    mask = (booked >= np.datetime64(start, "D")) & (booked <= np.datetime64(end, "D"))
    return rows[mask]


def _top_merchants(rows: pd.DataFrame, top_n: int) -> list[dict]:
    if rows.empty or top_n <= 0:
        return []
    merchants = normalise_merchant(rows["description"])
    merchants = merchants.where(merchants != "", "UNKNOWN")
    grouped = pd.DataFrame({
        "merchant": merchants,
        "cents": rows["spent_cents"],
        "purchase": (rows["flow"] == "spending").astype(np.int64),
    }).groupby("merchant", sort=True).agg(cents=("cents", "sum"), count=("purchase", "sum"))
    grouped = grouped[grouped["cents"] > 0].sort_values("cents", ascending=False, kind="stable")
    top = grouped.head(top_n)
    return [{"merchant": str(name), "cents": int(cents), "count": int(count)}
            for name, cents, count in zip(top.index, top["cents"], top["count"])]


def _comparison(total: int, previous_start: date, previous_end: date, previous_total: int) -> dict:
    change = total - previous_total
    return {
        "previous_period": {
            "start": previous_start.isoformat(),
            "end": previous_end.isoformat(),
            "total_cents": previous_total,
        },
        "change_cents": change,
        # Relative to the size of the previous total (it can be negative after large refunds).
        "change_pct": None if previous_total == 0 else round(100.0 * change / abs(previous_total), 2),
    }
