"""Step 1: what each transaction is (a flow) and what it was for (a category).

Input ``transactions`` (n rows): transaction_id, customer_id, account_id,
booked_at (datetime64[ns]), amount_cents (int64, + inflow / - outflow),
currency, description, counterparty, counterparty_account, mcc.
Input ``accounts``: account_id, customer_id, account_type, currency,
balance_cents, balance_as_of.

Output: a copy of ``transactions`` (same index, same row order) with:

- ``flow``: income | spending | own_transfer | card_repayment |
  fund_purchase | fund_redemption | refund. own_transfer, card_repayment,
  fund_purchase and fund_redemption are neutral: neither income nor
  spending. A refund is negative spending.
- ``category``: a spending category for spending and refund rows, an income
  category for income rows, None for neutral flows.
- ``essential``: bool, spending/refund rows in an essential category.
- ``category_source``: mcc | rule | classifier | transfer | default.
- ``category_confidence``: float in [0, 1].
- ``is_recurring_income``: bool (recommender/recurring.py).

(Merchant names for grouping are computed where they are needed, by
recommender/summaries.py, so this step stays cheap.)

How the flow is decided, first match wins:

1. counterparty_account is another account of the same customer: a
   card_repayment if either side is a credit card, else own_transfer
   (confidence ``account_match_confidence``).
2. card-repayment keywords (信用卡还款, credit card payment): card_repayment.
3. fund keywords (基金申购/认购/定投/赎回, fund subscription/redemption) or
   an MCC in ``fund_mccs``: fund_purchase if money left, fund_redemption if
   it came in.
4. own-account keywords (本人, own account): own_transfer.
5. money in on a credit_card account with no MCC and no refund keyword:
   card_repayment (the only other credits on a card are merchant refunds).
6. other money in with an MCC, a refund keyword (退款/refund/cashback), or
   on a credit card: refund. A refund is a credit from a merchant; it gets
   the merchant's category and features/summaries subtract it from spending
   in that category.
7. other money in: income. Other money out: spending.

Known limits: a merchant refund into a debit account with neither an MCC nor
a refund word looks like income (other_income); repaying a card held at
another bank is neutral by keyword even though its purchases are not in our
data (so they are missing from spending, as the issue asks).

Spending and refund rows are categorised by MCC, else the first matching
merchant rule, else the text classifier. Income rows by keyword (interest
and dividends -> investment_income; 养老金/pension -> other_income; bonus
-> bonus; 工资/salary/payroll -> salary), else salary if the payer is
recurring and the text is not a personal transfer (转账/红包/transfer from:
a parent's monthly allowance is recurring other_income), else other_income. A confidence below
``min_category_confidence`` turns the category into "other" (spending) or
"other_income" (income) with source "default" and ``default_confidence``.

Cost: text work is done once per distinct normalised (description,
counterparty) text and broadcast back with integer codes. Rules read the
description and the counterparty; the classifier, trained on descriptions,
reads the normalised description only (the counterparty if there is no
description), once per distinct text that neither MCC nor a rule explained.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from recommender.mcc import mcc_categories
from recommender.merchant_rules import (
    CARD_REPAYMENT_KEYWORDS,
    FUND_KEYWORDS,
    INCOME_RULES,
    OWN_TRANSFER_KEYWORDS,
    PERSONAL_TRANSFER_KEYWORDS,
    REFUND_KEYWORDS,
    build_spending_rules,
    contains_any,
    first_matching_rule,
    normalise_for_matching,
)
from recommender.policy import CategorisationPolicy
from recommender.recurring import detect_recurring_income
from recommender.text_classifier import CategoryClassifier, default_classifier

FLOWS = ("income", "spending", "own_transfer", "card_repayment", "fund_purchase", "fund_redemption", "refund")
NEUTRAL_FLOWS = ("own_transfer", "card_repayment", "fund_purchase", "fund_redemption")
SPENDING_FLOWS = ("spending", "refund")  # refunds are negative spending
SOURCES = ("mcc", "rule", "classifier", "transfer", "default")
OUTPUT_COLUMNS = ("flow", "category", "essential", "category_source", "category_confidence", "is_recurring_income")

_DEFAULT_POLICY = CategorisationPolicy()


def categorise(
    transactions: pd.DataFrame,
    accounts: pd.DataFrame,
    policy: CategorisationPolicy = _DEFAULT_POLICY,
    classifier: CategoryClassifier | None = None,
) -> pd.DataFrame:
    """Add flow, category, essential, category_source, category_confidence and
    is_recurring_income columns to a copy of ``transactions`` (same index and
    row order; output columns already present are replaced).

    classifier: a fitted object with ``predict_proba_top(texts) -> (labels,
    confidences)``; None uses the default model trained (once per process)
    on the policy's labelled descriptions.
    """
    stale = [c for c in OUTPUT_COLUMNS if c in transactions.columns]
    out = transactions.drop(columns=stale) if stale else transactions
    n = len(out)
    amount = out["amount_cents"].to_numpy(dtype=np.int64)
    inflow = amount > 0

    # ---- per distinct text: normalise once, match keywords once ----
    # Level 1: distinct raw (description, counterparty) pairs. Level 2: distinct
    # normalised texts ("美团外卖-订单8812" and "美团外卖-订单4471" are one key).
    description_codes, descriptions = pd.factorize(_text_column(out, "description"), use_na_sentinel=False)
    counterparty_codes, counterparties = pd.factorize(_text_column(out, "counterparty"), use_na_sentinel=False)
    n_counterparties = max(len(counterparties), 1)
    pair_codes, pairs = pd.factorize(description_codes.astype(np.int64) * n_counterparties + counterparty_codes)
    normalised_description = normalise_for_matching(pd.Series(descriptions, dtype=object)).to_numpy(dtype=object)
    normalised_counterparty = normalise_for_matching(pd.Series(counterparties, dtype=object)).to_numpy(dtype=object)
    description_part = normalised_description[pairs // n_counterparties]
    counterparty_part = normalised_counterparty[pairs % n_counterparties]
    pair_text = np.where(counterparty_part == "", description_part,
                         np.where(description_part == "", counterparty_part,
                                  description_part + " " + counterparty_part))  # elementwise str concat
    pair_to_key, keys = pd.factorize(pair_text, use_na_sentinel=False)
    keys = pd.Series(keys, dtype=object)
    key_codes = pair_to_key[pair_codes]  # row -> distinct normalised text

    def per_row(values: np.ndarray) -> np.ndarray:
        return values[key_codes]

    card_keyword = per_row(contains_any(keys, CARD_REPAYMENT_KEYWORDS))
    fund_keyword = per_row(contains_any(keys, FUND_KEYWORDS))
    own_keyword = per_row(contains_any(keys, OWN_TRANSFER_KEYWORDS))
    refund_keyword = per_row(contains_any(keys, REFUND_KEYWORDS))

    # ---- account-based evidence ----
    account_index, account_customer, account_type = _account_lookups(accounts)
    customer = _text_column(out, "customer_id").to_numpy(dtype=object)
    own_position = account_index.get_indexer(_text_column(out, "account_id"))
    other_position = account_index.get_indexer(_text_column(out, "counterparty_account"))
    own_account_type = np.where(own_position >= 0, account_type[own_position], None)
    other_customer = np.where(other_position >= 0, account_customer[other_position], None)
    other_type = np.where(other_position >= 0, account_type[other_position], None)
    to_own_account = other_customer == customer  # None never equals a customer id
    on_card = own_account_type == "credit_card"
    involves_card = on_card | (other_type == "credit_card")

    # MCCs: a few distinct codes, worked out once each.
    mcc_codes, mcc_distinct = pd.factorize(_text_column(out, "mcc"), use_na_sentinel=False)
    mcc_distinct = pd.Series(mcc_distinct, dtype=object).str.strip().str.replace(r"\.0$", "", regex=True)  # 5812.0
    mcc_category = mcc_categories(mcc_distinct.where(mcc_distinct != "", None))[mcc_codes]
    mcc_present = (mcc_distinct != "").to_numpy()[mcc_codes]   # a card payment, even if the code is unknown
    has_mcc = pd.notna(mcc_category)                            # a code our table knows
    fund_mcc = mcc_distinct.isin(list(policy.fund_mccs)).to_numpy()[mcc_codes]

    fund = fund_keyword | fund_mcc
    flow = np.select(
        [
            to_own_account & involves_card,
            to_own_account,
            card_keyword,
            fund & ~inflow,
            fund & inflow,
            own_keyword,
            inflow & on_card & ~mcc_present & ~refund_keyword,
            inflow & (mcc_present | refund_keyword | on_card),
            inflow,
        ],
        ["card_repayment", "own_transfer", "card_repayment", "fund_purchase", "fund_redemption",
         "own_transfer", "card_repayment", "refund", "income"],
        default="spending",
    ).astype(object)

    category = np.full(n, None, dtype=object)
    source = np.full(n, "transfer", dtype=object)
    confidence = np.where(to_own_account, policy.account_match_confidence,
                          policy.transfer_rule_confidence).astype(np.float64)

    # ---- spending and refunds: MCC, then rules, then classifier ----
    spending_like = _isin(flow, SPENDING_FLOWS)
    rules = build_spending_rules(policy.extra_merchant_rules)
    row_rule = per_row(_rule_per_key(keys, key_codes, spending_like & ~has_mcc, rules))

    use_mcc = spending_like & has_mcc
    category[use_mcc] = mcc_category[use_mcc]
    source[use_mcc] = "mcc"
    confidence[use_mcc] = policy.mcc_confidence

    use_rule = spending_like & ~has_mcc & (row_rule >= 0)
    if use_rule.any():
        rule_category = np.array([r.category for r in rules], dtype=object)
        rule_confidence = np.array(
            [policy.specific_rule_confidence if r.specific else policy.generic_rule_confidence for r in rules])
        category[use_rule] = rule_category[row_rule[use_rule]]
        source[use_rule] = "rule"
        confidence[use_rule] = rule_confidence[row_rule[use_rule]]

    use_classifier = spending_like & ~has_mcc & (row_rule < 0)
    if use_classifier.any():
        model = classifier if classifier is not None else default_classifier(
            policy.merchant_labels_path, tuple(policy.classifier_ngram_range), policy.classifier_regularisation_c)
        # The classifier learnt from descriptions: give it the description (the
        # counterparty only when there is none), once per distinct text.
        rows = np.flatnonzero(use_classifier)
        text = normalised_description[description_codes[rows]]
        text = np.where(text == "", normalised_counterparty[counterparty_codes[rows]], text)
        position, distinct_texts = pd.factorize(text, use_na_sentinel=False)
        labels, probabilities = model.predict_proba_top(list(distinct_texts))
        predicted = np.asarray(labels, dtype=object)[position]
        known = _isin(predicted, policy.spending_categories)
        category[use_classifier] = np.where(known, predicted, "other")
        source[use_classifier] = np.where(known, "classifier", "default")
        confidence[use_classifier] = np.where(
            known, np.asarray(probabilities, dtype=np.float64)[position], policy.default_confidence)

    # ---- income: keywords, then the recurring payer, then other_income ----
    is_income = flow == "income"
    row_income_rule = per_row(_rule_per_key(keys, key_codes, is_income, INCOME_RULES))
    by_keyword = is_income & (row_income_rule >= 0)
    income_category = np.array([r.category for r in INCOME_RULES], dtype=object)
    category[by_keyword] = income_category[row_income_rule[by_keyword]]
    source[by_keyword] = "rule"
    confidence[by_keyword] = policy.income_rule_confidence

    # Recurring detection only needs the income rows.
    recurring = np.zeros(n, dtype=bool)
    income_rows = np.flatnonzero(is_income)
    if len(income_rows):
        # Payer: the counterparty if named, else the description (already normalised per distinct text).
        payer_description = normalised_description[description_codes[income_rows]]
        payer_counterparty = normalised_counterparty[counterparty_codes[income_rows]]
        payer = np.where(payer_counterparty != "", payer_counterparty, payer_description)
        income = pd.DataFrame({
            "customer_id": customer[income_rows],
            "booked_at": out["booked_at"].to_numpy()[income_rows],
            "amount_cents": amount[income_rows],
            "flow": "income",
        })
        recurring[income_rows] = detect_recurring_income(
            income, policy, payer=pd.Series(payer, dtype=object)).to_numpy(dtype=bool)
    # A recurring payer is an employer unless the text says it is a person's transfer
    # (a parent's monthly allowance stays other_income, still flagged recurring).
    personal = per_row(contains_any(keys, PERSONAL_TRANSFER_KEYWORDS))
    by_recurrence = is_income & ~by_keyword & recurring & ~personal
    category[by_recurrence] = "salary"
    source[by_recurrence] = "rule"
    confidence[by_recurrence] = policy.recurring_salary_confidence
    unexplained_income = is_income & ~by_keyword & ~by_recurrence
    category[unexplained_income] = "other_income"
    source[unexplained_income] = "default"
    confidence[unexplained_income] = policy.default_confidence

    # ---- weak evidence becomes "other" ----
    weak = (spending_like | is_income) & (source != "default") & (confidence < policy.min_category_confidence)
    category[weak & spending_like] = "other"
    category[weak & is_income] = "other_income"
    source[weak] = "default"
    confidence[weak] = policy.default_confidence

    added = pd.DataFrame({
        "flow": flow,
        "category": category,
        "essential": spending_like & _isin(category, policy.essential_categories),
        "category_source": source,
        "category_confidence": confidence,
        "is_recurring_income": recurring,
    }, index=out.index)
    return pd.concat([out, added], axis=1)  # concat copies: the caller's frame is untouched


def _rule_per_key(keys: pd.Series, key_codes: np.ndarray, rows: np.ndarray, rules) -> np.ndarray:
    """First matching rule index per distinct key (-1: none), computed only for keys used by ``rows``."""
    result = np.full(len(keys), -1, dtype=np.int64)
    wanted = np.zeros(len(keys), dtype=bool)
    wanted[key_codes[rows]] = True
    if wanted.any():
        result[wanted] = first_matching_rule(keys[wanted], rules)
    return result


def _isin(values: np.ndarray, choices) -> np.ndarray:
    """Membership for object arrays without sorting them (numpy's isin sorts)."""
    result = np.zeros(len(values), dtype=bool)
    for choice in choices:  # a handful of categories: one vectorised comparison each
        result |= values == choice
    return result


def _text_column(frame: pd.DataFrame, column: str) -> pd.Series:
    """A string column with missing values as "" (the column itself may be absent)."""
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    values = frame[column].to_numpy(dtype=object, copy=True)
    values[pd.isna(values)] = ""
    series = pd.Series(values, index=frame.index, dtype=object)
    if pd.api.types.infer_dtype(values, skipna=False) not in ("string", "empty"):
        series = series.astype(str)  # numbers (e.g. an integer mcc column) as text
    return series


def _account_lookups(accounts: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Index of account ids, and the customer_id and account_type at each position."""
    if accounts is None or len(accounts) == 0:
        empty = np.array([], dtype=object)
        return pd.Index([], dtype=object), empty, empty
    accounts = accounts.drop_duplicates("account_id") if accounts["account_id"].duplicated().any() else accounts
    return (pd.Index(_text_column(accounts, "account_id")),
            _text_column(accounts, "customer_id").to_numpy(dtype=object),
            _text_column(accounts, "account_type").to_numpy(dtype=object))
