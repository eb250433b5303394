"""Step 2: a customer's financial features from categorised transactions and balances.

Window: the ``FeaturePolicy.window_months`` complete calendar months before
the month of ``as_of``. as_of 2025-06-15 with 12 months covers 2024-06-01 ..
2025-05-31; the current, incomplete month is left out so a half month never
looks like a bad month.

Observed months: from the first window month with any transaction (in the
base currency) to the end of the window. A customer who opened the account
three months ago is measured over three months, not over nine empty months
plus three. Inside that span, a month with no income counts as zero income:
that is what volatility means for a freelancer. ``months_observed`` is the
length of that span (0: no data in the window).

Monthly amounts (integer cents, only ``base_currency`` rows):
- income: flow "income" (salary, bonus, investment income, other income).
- spending: flow "spending" minus flow "refund" (a refund is money back from
  a merchant, i.e. negative spending), floored at 0 per month.
- essential spending: the same over essential categories, floored at 0 and
  capped at that month's spending (a large non-essential refund cannot make
  essential spending exceed all spending).
- neutral flows (own transfers, card repayments, fund purchases and
  redemptions) are in neither.

Features (units in ``CustomerFeatures.UNITS``):
- medians over observed months, rounded half to even to a whole cent
  (a median of integers is a whole or a half cent);
- CV = std / mean over observed months (std with ``volatility_ddof``;
  0 by default, the population std); 0.0 when the mean is 0 (nothing
  earned or spent: nothing varies) or there are too few months;
- savings rate = (income - spending) / income over the window, clipped to
  [``savings_rate_floor``, 1]; zero income with spending gives the floor,
  zero income and zero spending gives 0.0;
- essential-spending ratio = essential / spending over the window; 0.0 with
  no spending;
- conservative monthly surplus = the ``surplus_percentile`` (25th) of monthly
  income - spending, floored to a whole cent (it never overstates);
- liquid balance = balances of schema.LIQUID_ACCOUNT_TYPES accounts in the base
  currency, minus outstanding credit-card debt (negative card balances) when
  ``subtract_credit_card_debt``; it can be negative (overdraft, card debt);
- emergency-fund months = liquid balance / median essential monthly spending,
  within [0, ``emergency_fund_months_cap``]; the cap is also used when
  essential spending is zero but the balance is positive;
- emergency-fund target months = ``emergency_fund_base_months`` (3), or
  ``emergency_fund_raised_months`` (6) when income CV > ``volatile_income_cv``
  or there is no current recurring income; target cents = target months x
  median essential monthly spending, rounded half to even;
- gap = max(0, target - liquid); investable = max(0, liquid - target);
- has_recurring_income: recurring income arrived in the last
  ``recurring_income_active_months`` window months (a salary that stopped
  half a year ago is not current income); recurring_income_share =
  recurring income / income over the window (0.0 with no income).

Caution for later steps: with no spending history (months_observed 0) the
emergency-fund target is 0 and the whole liquid balance is "investable";
capacity must require enough observed months before acting on it.

One implementation serves one customer and a batch: everything is computed
on a (customers x months) grid with numpy; compute_features() is the batch
on a single customer.
"""
from __future__ import annotations

import warnings
from dataclasses import fields
from datetime import date
from typing import Iterable, Iterator

import numpy as np
import pandas as pd

from recommender.categorise import categorise
from recommender.features_types import CustomerFeatures
from recommender.policy import CategorisationPolicy, FeaturePolicy
from recommender.schema import LIQUID_ACCOUNT_TYPES

_DEFAULT_POLICY = FeaturePolicy()
FEATURE_FIELDS = tuple(f.name for f in fields(CustomerFeatures))

# Per (customer, month) sums, in this order along the last axis.
_INCOME, _SPENDING_NET, _ESSENTIAL_NET, _RECURRING, _COUNT = range(5)


def _as_of_month(as_of: date) -> np.datetime64:
    """The calendar month of as_of (the first month after the window)."""
    return np.datetime64(pd.Timestamp(as_of).date(), "M")


def window_bounds(as_of: date, months: int) -> tuple[date, date]:
    """First and last day (inclusive) of the ``months`` complete months before as_of's month."""
    end = _as_of_month(as_of)
    start = (end - np.timedelta64(months, "M")).astype("datetime64[D]")
    last_day = end.astype("datetime64[D]") - np.timedelta64(1, "D")
    return start.astype(date), last_day.astype(date)


def monthly_cashflow(categorised: pd.DataFrame, as_of: date, months: int,
                     policy: FeaturePolicy = _DEFAULT_POLICY) -> pd.DataFrame:
    """One row per calendar month of the window (oldest first), all rows of the
    frame taken together (pass one customer's rows).

    Columns: month ("YYYY-MM"), income_cents, spending_cents,
    essential_spending_cents, net_cents, recurring_income_cents (int64, CNY
    cents), transaction_count (int64). Months without transactions are zeros.
    """
    codes = np.zeros(len(categorised), dtype=np.int64)
    grid = _monthly_grid(categorised, codes, 1, as_of, months, policy)[0]
    income, spending, essential = _monthly_amounts(grid[np.newaxis])
    end = _as_of_month(as_of)
    month_labels = np.arange(end - np.timedelta64(months, "M"), end).astype(str)
    return pd.DataFrame({
        "month": month_labels,
        "income_cents": income[0],
        "spending_cents": spending[0],
        "essential_spending_cents": essential[0],
        "net_cents": income[0] - spending[0],
        "recurring_income_cents": grid[:, _RECURRING],
        "transaction_count": grid[:, _COUNT],
    })


def compute_features(categorised: pd.DataFrame, accounts: pd.DataFrame, as_of: date,
                     policy: FeaturePolicy = _DEFAULT_POLICY) -> CustomerFeatures:
    """Features of ONE customer. categorised: categorise()'s output for that
    customer; accounts: that customer's accounts. Raises ValueError if the
    frames hold more than one customer_id."""
    ids = set(categorised["customer_id"].astype(str).unique()) if len(categorised) else set()
    if accounts is not None and len(accounts):
        ids |= set(accounts["customer_id"].astype(str).unique())
    if len(ids) > 1:
        raise ValueError(f"compute_features takes one customer, got {len(ids)}; use compute_features_batch")
    codes = np.zeros(len(categorised), dtype=np.int64)
    account_codes = np.zeros(0 if accounts is None else len(accounts), dtype=np.int64)
    values = _features_grid(categorised, codes, accounts, account_codes, 1, as_of, policy)
    return CustomerFeatures(**{name: _python_scalar(values[name][0]) for name in FEATURE_FIELDS})


def compute_features_batch(categorised: pd.DataFrame, accounts: pd.DataFrame, as_of: date,
                           policy: FeaturePolicy = _DEFAULT_POLICY) -> pd.DataFrame:
    """One row per customer_id (sorted), columns customer_id + the CustomerFeatures
    fields. Customers with accounts but no transactions are included."""
    tx_customers = _customer_ids(categorised)
    account_customers = _customer_ids(accounts)
    customers, codes, account_codes = _customer_codes(tx_customers, account_customers)
    values = _features_grid(categorised, codes, accounts, account_codes, len(customers), as_of, policy)
    frame = pd.DataFrame({"customer_id": customers})
    for name in FEATURE_FIELDS:
        frame[name] = values[name]
    return frame


def split_by_customer(transactions: pd.DataFrame, accounts: pd.DataFrame,
                      customers_per_chunk: int = 5_000) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Yield (transactions, accounts) chunks, each holding whole customers."""
    customers, tx_codes, account_codes = _customer_codes(_customer_ids(transactions), _customer_ids(accounts))
    tx_chunk = tx_codes // customers_per_chunk
    account_chunk = account_codes // customers_per_chunk
    tx_order = np.argsort(tx_chunk, kind="stable")
    tx_edges = np.searchsorted(tx_chunk[tx_order], np.arange(0, len(customers) // customers_per_chunk + 2))
    for chunk in range(len(tx_edges) - 1):
        rows = tx_order[tx_edges[chunk]:tx_edges[chunk + 1]]
        chunk_accounts = accounts[account_chunk == chunk]
        if len(rows) or len(chunk_accounts):
            yield transactions.iloc[rows], chunk_accounts


def compute_features_in_chunks(
    chunks: Iterable[tuple[pd.DataFrame, pd.DataFrame]],
    as_of: date,
    categorisation_policy: CategorisationPolicy = CategorisationPolicy(),
    feature_policy: FeaturePolicy = _DEFAULT_POLICY,
    classifier=None,
) -> pd.DataFrame:
    """Batch path: categorise and compute features chunk by chunk.

    chunks: (transactions, accounts) pairs, each holding whole customers
    (from split_by_customer() or streamed from the database). Returns the
    concatenated compute_features_batch() rows. Working memory is bounded by a
    chunk (beyond the input itself when split_by_customer() is used).
    """
    parts = [
        compute_features_batch(categorise(tx, acc, categorisation_policy, classifier), acc, as_of, feature_policy)
        for tx, acc in chunks
    ]
    if not parts:
        return pd.DataFrame(columns=["customer_id", *FEATURE_FIELDS])
    return pd.concat(parts, ignore_index=True)


def _customer_ids(frame: pd.DataFrame | None) -> np.ndarray:
    if frame is None or len(frame) == 0:
        return np.array([], dtype=object)
    return frame["customer_id"].astype(str).to_numpy(dtype=object)


def _customer_codes(tx_customers: np.ndarray, account_customers: np.ndarray):
    """Sorted distinct customer ids, and each row's position in them (hash lookups, no sorting of rows)."""
    distinct = pd.unique(np.concatenate([pd.unique(tx_customers), pd.unique(account_customers)]))
    customers = np.sort(pd.unique(distinct).astype(object))
    index = pd.Index(customers)
    return customers, index.get_indexer(tx_customers), index.get_indexer(account_customers)


# ---- the grid ---------------------------------------------------------------------
def _monthly_grid(categorised: pd.DataFrame, codes: np.ndarray, n_customers: int, as_of: date,
                  months: int, policy: FeaturePolicy) -> np.ndarray:
    """Integer sums per (customer, month, measure): shape (n_customers, months, 5), int64."""
    grid = np.zeros((n_customers, months, 5), dtype=np.int64)
    if len(categorised) == 0 or months <= 0:
        return grid
    first_month = (_as_of_month(as_of) - np.timedelta64(months, "M")).astype(np.int64)
    month = categorised["booked_at"].to_numpy(dtype="datetime64[M]").astype(np.int64) - first_month
    keep = (month >= 0) & (month < months)
    if "currency" in categorised.columns:
        keep &= categorised["currency"].to_numpy(dtype=object) == policy.base_currency
    if not keep.any():
        return grid

    flow = categorised["flow"].to_numpy(dtype=object)[keep]
    amount = categorised["amount_cents"].to_numpy(dtype=np.int64)[keep]
    essential = categorised["essential"].to_numpy(dtype=bool)[keep]
    recurring = categorised["is_recurring_income"].to_numpy(dtype=bool)[keep]
    is_income = flow == "income"
    spending_like = (flow == "spending") | (flow == "refund")
    spent = np.where(spending_like, -amount, 0)  # outflows positive, refunds negative
    measures = np.column_stack([
        np.where(is_income, amount, 0),
        spent,
        np.where(essential, spent, 0),
        np.where(is_income & recurring, amount, 0),
        np.ones(len(amount), dtype=np.int64),
    ]).astype(np.int64)

    cell = codes[keep] * months + month[keep]
    order = np.argsort(cell, kind="stable")
    sorted_cells = cell[order]
    starts = np.flatnonzero(np.r_[True, sorted_cells[1:] != sorted_cells[:-1]])
    sums = np.add.reduceat(measures[order], starts, axis=0)  # exact int64 sums
    grid.reshape(-1, 5)[sorted_cells[starts]] = sums
    return grid


def _monthly_amounts(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(income, spending, essential spending) per (customer, month), int64 cents."""
    income = grid[..., _INCOME]
    spending = np.maximum(grid[..., _SPENDING_NET], 0)
    essential = np.minimum(np.maximum(grid[..., _ESSENTIAL_NET], 0), spending)
    return income, spending, essential


def _features_grid(categorised: pd.DataFrame, codes: np.ndarray, accounts: pd.DataFrame,
                   account_codes: np.ndarray, n_customers: int, as_of: date,
                   policy: FeaturePolicy) -> dict[str, np.ndarray]:
    months = policy.window_months
    grid = _monthly_grid(categorised, codes, n_customers, as_of, months, policy)
    income, spending, essential = _monthly_amounts(grid)
    net = income - spending

    active = grid[..., _COUNT] > 0
    first_active = np.where(active.any(axis=1), active.argmax(axis=1), months)
    months_observed = (months - first_active).astype(np.int64)
    observed = np.arange(months)[np.newaxis, :] >= first_active[:, np.newaxis]
    # Customers with no data: treat their (all-zero) months as observed so every
    # statistic is 0 instead of NaN; months_observed still says 0.
    observed[months_observed == 0] = True

    def masked(values: np.ndarray) -> np.ndarray:
        return np.where(observed, values.astype(np.float64), np.nan)

    def median_cents(values: np.ndarray) -> np.ndarray:
        return np.round(np.nanmedian(masked(values), axis=1)).astype(np.int64)  # half to even

    def cv(values: np.ndarray) -> np.ndarray:
        data = masked(values)
        mean = np.nanmean(data, axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # too few months for ddof: NaN, handled below
            std = np.nanstd(data, axis=1, ddof=policy.volatility_ddof)
        ok = (mean > 0) & np.isfinite(std)
        return np.where(ok, std / np.where(ok, mean, 1.0), 0.0)

    income_total = income.sum(axis=1)
    spending_total = spending.sum(axis=1)
    essential_total = essential.sum(axis=1)
    recurring_total = grid[..., _RECURRING].sum(axis=1)

    floor = policy.savings_rate_floor
    safe_income = np.where(income_total > 0, income_total, 1)
    savings_rate = np.where(income_total > 0, (income_total - spending_total) / safe_income,
                            np.where(spending_total > 0, floor, 0.0))
    savings_rate = np.clip(savings_rate, floor, 1.0)
    essential_ratio = np.where(spending_total > 0,
                               essential_total / np.where(spending_total > 0, spending_total, 1), 0.0)
    recurring_share = np.where(income_total > 0, recurring_total / safe_income, 0.0)

    surplus = np.floor(np.nanpercentile(masked(net), policy.surplus_percentile, axis=1,
                                        method=policy.percentile_method)).astype(np.int64)

    recent = max(0, months - policy.recurring_income_active_months)
    has_recurring = grid[:, recent:, _RECURRING].sum(axis=1) > 0

    income_cv = cv(income)
    median_essential = median_cents(essential)
    liquid = _liquid_balances(accounts, account_codes, n_customers, policy)

    cap = policy.emergency_fund_months_cap
    emergency_months = np.where(
        median_essential > 0, liquid / np.where(median_essential > 0, median_essential, 1),
        np.where(liquid > 0, cap, 0.0))
    emergency_months = np.clip(emergency_months, 0.0, cap)
    raise_target = (income_cv > policy.volatile_income_cv) | ~has_recurring
    target_months = np.where(raise_target, policy.emergency_fund_raised_months,
                             policy.emergency_fund_base_months).astype(np.float64)
    target_cents = np.round(target_months * median_essential).astype(np.int64)

    return {
        "as_of": np.full(n_customers, as_of, dtype=object),
        "months_observed": months_observed,
        "median_monthly_income_cents": median_cents(income),
        "median_monthly_spending_cents": median_cents(spending),
        "median_monthly_essential_spending_cents": median_essential,
        "income_volatility_cv": income_cv,
        "spending_volatility_cv": cv(spending),
        "savings_rate": savings_rate.astype(np.float64),
        "essential_spending_ratio": np.clip(essential_ratio, 0.0, 1.0).astype(np.float64),
        "conservative_monthly_surplus_cents": surplus,
        "liquid_balance_cents": liquid,
        "emergency_fund_months": emergency_months.astype(np.float64),
        "emergency_fund_target_months": target_months,
        "emergency_fund_target_cents": target_cents,
        "emergency_fund_gap_cents": np.maximum(target_cents - liquid, 0),
        "investable_cents": np.maximum(liquid - target_cents, 0),
        "has_recurring_income": has_recurring,
        "recurring_income_share": recurring_share.astype(np.float64),
    }


def _liquid_balances(accounts: pd.DataFrame, account_codes: np.ndarray, n_customers: int,
                     policy: FeaturePolicy) -> np.ndarray:
    """Liquid balance per customer, int64 cents (may be negative)."""
    liquid = np.zeros(n_customers, dtype=np.int64)
    if accounts is None or len(accounts) == 0:
        return liquid
    balance = accounts["balance_cents"].to_numpy(dtype=np.int64)
    account_type = accounts["account_type"].to_numpy(dtype=object)
    in_currency = accounts["currency"].to_numpy(dtype=object) == policy.base_currency
    counted = np.where(in_currency & np.isin(account_type, np.array(LIQUID_ACCOUNT_TYPES, dtype=object)),
                       balance, 0)
    if policy.subtract_credit_card_debt:
        card_debt = np.where(in_currency & (account_type == "credit_card"), np.maximum(-balance, 0), 0)
        counted = counted - card_debt
    np.add.at(liquid, account_codes, counted.astype(np.int64))  # exact integer sums
    return liquid


def _python_scalar(value):
    """numpy scalars -> int / float / bool for the frozen dataclass."""
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
