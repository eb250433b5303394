"""Recurring income: the same payer paying about monthly, about the same amount.

A salary or a pension is what lets a household plan; a run of irregular
freelance payments is not. ``detect_recurring_income`` flags income rows that
belong to such a stream. All thresholds are in ``CategorisationPolicy``:

1. Payer: the counterparty name if the bank gives one, else the description;
   normalised (NFKC, lower case, separators collapsed, all digits removed so
   "工资 2025年01月" and "工资 2025年02月" are one payer), per customer.
2. Amount band: a payment belongs to the payer's stream if it is within
   ``recurring_amount_tolerance`` of the payer's median payment. A year-end
   bonus from the employer is therefore outside the salary stream and is not
   flagged, and does not break the stream either.
3. The stream is recurring if its payments fall in at least
   ``recurring_min_months`` distinct calendar months, the median gap between
   consecutive payment dates lies in ``recurring_gap_days`` (about monthly),
   and at least ``recurring_min_regular_gap_share`` of the gaps do.

Limitations (documented, not hidden): weekly or semi-monthly pay does not
count as "about monthly" with the default gap range; a bank that pays that
way widens ``recurring_gap_days``. Detection uses all history in the frame,
so a salary that stopped is still flagged on its past rows; features check
that recurring income is still arriving.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from recommender.merchant_rules import normalise_for_matching
from recommender.policy import CategorisationPolicy

_DEFAULT_POLICY = CategorisationPolicy()
_DIGITS = re.compile(r"\s*\d+\s*")


def payer_keys(categorised: pd.DataFrame) -> pd.Series:
    """Who paid: the counterparty if named, else the description; normalised for
    matching (NFKC, lower case, separators collapsed)."""
    description = categorised["description"].to_numpy(dtype=object, copy=True)
    if "counterparty" in categorised.columns:
        counterparty = categorised["counterparty"].to_numpy(dtype=object, copy=True)
        named = ~pd.isna(counterparty)
        named[named] = np.array([str(v).strip() != "" for v in counterparty[named]], dtype=bool)
        description[named] = counterparty[named]
    return normalise_for_matching(pd.Series(description, index=categorised.index, dtype=object))


def detect_recurring_income(categorised: pd.DataFrame,
                            policy: CategorisationPolicy = _DEFAULT_POLICY,
                            payer: pd.Series | None = None) -> pd.Series:
    """Bool Series, aligned with ``categorised``'s index: True on income rows
    that belong to a recurring stream.

    categorised: frame with at least customer_id, booked_at (datetime64),
    amount_cents (int64), description, flow; counterparty is used when
    present. Only rows with flow == "income" can be True.
    payer: optional precomputed payer_keys(categorised) (categorise() passes
    the text it has already normalised).
    """
    n = len(categorised)
    result = np.zeros(n, dtype=bool)
    income_rows = np.flatnonzero(categorised["flow"].to_numpy(dtype=object) == "income")
    if len(income_rows) < policy.recurring_min_months:
        return pd.Series(result, index=categorised.index)

    income = categorised.iloc[income_rows]
    payer = payer_keys(income) if payer is None else payer.iloc[income_rows]
    # Digits removed: "工资 2025年01月" and "工资 2025年02月" are one payer (work per distinct text).
    raw_codes, raw_payers = pd.factorize(payer.to_numpy(dtype=object), use_na_sentinel=False)
    cleaned = np.array([_DIGITS.sub(" ", str(p)).strip() for p in raw_payers], dtype=object)
    payer_codes = pd.factorize(cleaned)[0][raw_codes]
    customer_codes = pd.factorize(income["customer_id"].to_numpy(dtype=object))[0]
    stream = pd.factorize(customer_codes.astype(np.int64) * (int(payer_codes.max()) + 1) + payer_codes)[0]
    day = income["booked_at"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    month = income["booked_at"].to_numpy(dtype="datetime64[M]").astype(np.int64)
    amount = income["amount_cents"].to_numpy(dtype=np.int64)

    # Amount band around each stream's median payment.
    median_amount = _group_median(stream, amount.astype(np.float64))[stream]
    in_band = np.abs(amount - median_amount) <= policy.recurring_amount_tolerance * median_amount
    if in_band.sum() < policy.recurring_min_months:
        return pd.Series(result, index=categorised.index)
    stream, day, month, rows = stream[in_band], day[in_band], month[in_band], income_rows[in_band]

    # Consecutive payments of a stream, in date order.
    order = np.lexsort((day, stream))
    stream, day, month, rows = stream[order], day[order], month[order], rows[order]
    n_streams = int(stream.max()) + 1
    same_stream = stream[1:] == stream[:-1]
    gap_stream = stream[1:][same_stream]
    gaps = (day[1:] - day[:-1])[same_stream].astype(np.float64)
    low, high = policy.recurring_gap_days
    regular = (gaps >= low) & (gaps <= high)

    new_month = np.r_[True, ~same_stream | (month[1:] != month[:-1])]  # sorted by day, so months are too
    distinct_months = np.bincount(stream[new_month], minlength=n_streams)
    gap_count = np.bincount(gap_stream, minlength=n_streams)
    regular_share = np.bincount(gap_stream, weights=regular, minlength=n_streams) / np.maximum(gap_count, 1)
    median_gap = _group_median(gap_stream, gaps, n_streams)
    recurring_stream = (
        (distinct_months >= policy.recurring_min_months)
        & (gap_count > 0)
        & (median_gap >= low) & (median_gap <= high)
        & (regular_share >= policy.recurring_min_regular_gap_share)
    )
    result[rows[recurring_stream[stream]]] = True
    return pd.Series(result, index=categorised.index)


def _group_median(groups: np.ndarray, values: np.ndarray, n_groups: int | None = None) -> np.ndarray:
    """Median of ``values`` per group id (0..n_groups-1); NaN for empty groups."""
    n_groups = int(groups.max()) + 1 if n_groups is None else n_groups
    out = np.full(n_groups, np.nan)
    if len(values) == 0:
        return out
    order = np.lexsort((values, groups))
    groups, values = groups[order], values[order]
    counts = np.bincount(groups, minlength=n_groups)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    present = counts > 0
    low = starts + (counts - 1) // 2
    high = starts + counts // 2
    out[present] = (values[low[present]] + values[high[present]]) / 2.0
    return out
