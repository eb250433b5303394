"""The demo personas and the benchmark population: bank-format, deterministic,
consistent to the cent, and each persona recognisably itself when measured
with plain pandas from the statement rows alone."""
from __future__ import annotations

import io
import re
import time
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from recommender import schema
from recommender.catalogue import load_fund_catalogue
from recommender.demo import generate_demo_data, generate_population
from recommender.questionnaire import score_answers

AS_OF = date(2026, 3, 15)
MONTHS = 12
# Named in /work/shared/design/CONTRACT.md ("Demo customers").
CONTRACT_PERSONAS = {"salaried_saver", "freelancer", "overspender", "retiree", "student", "high_earner"}
ESSENTIAL = {"housing", "utilities", "groceries", "transport", "health", "insurance", "education"}
FUND_PURCHASE_TEXT = re.compile(r"^(基金申购|Fund subscription) (\d{6})$")
WALLET_PREFIX = re.compile(r"^(支付宝-|财付通-|微信支付-|ALIPAY\*|TENPAY\*|WECHAT PAY )")
AMOUNT_TEXT = re.compile(r"^-?\d+\.\d{2}$")


def cents(text: str) -> int:
    value = Decimal(text)
    assert value.as_tuple().exponent >= -2, text
    return int(value * 100)


@pytest.fixture(scope="module")
def demo():
    return generate_demo_data(seed=42, months=MONTHS, as_of=AS_OF)


@pytest.fixture(scope="module")
def tx(demo):
    """Transactions with integer cents, month, and whether the row moves money in or out of
    the customer's own set of accounts (own transfers and card repayments carry the other
    own account in counterparty_account)."""
    frame = demo.transactions.copy()
    frame["cents"] = frame["amount"].map(cents)
    frame["month"] = frame["booked_at"].str[:7]
    own_accounts = set(demo.accounts["account_id"])
    frame["external"] = ~frame["counterparty_account"].isin(own_accounts)
    frame["fund_purchase"] = frame["description"].str.match(FUND_PURCHASE_TEXT)
    return frame


@pytest.fixture(scope="module")
def full_months(tx):
    return sorted(tx["month"].unique())[:-1]   # the last month is cut at as_of


def monthly(frame: pd.DataFrame, months: list[str]) -> pd.Series:
    return frame.groupby("month")["cents"].sum().reindex(months, fill_value=0)


def income_by_month(tx, customer, months):
    rows = tx[(tx.customer_id == customer) & tx.external & (tx.cents > 0)]
    return monthly(rows, months)


def spending_by_month(tx, customer, months):
    rows = tx[(tx.customer_id == customer) & tx.external & (tx.cents < 0) & ~tx.fund_purchase]
    return -monthly(rows, months)


def liquid_cents(demo, customer) -> int:
    accounts = demo.accounts[(demo.accounts.customer_id == customer)
                             & demo.accounts.account_type.isin(schema.LIQUID_ACCOUNT_TYPES)]
    return sum(cents(b) for b in accounts["balance"])


def essential_by_month(demo, tx, customer, months):
    labelled = tx.merge(demo.transaction_labels, on="transaction_id")
    rows = labelled[(labelled.customer_id == customer) & (labelled.flow == "spending")
                    & labelled.category.isin(ESSENTIAL)]
    return -monthly(rows, months)


# --------------------------------------------------------------------------- format


def test_same_arguments_give_identical_frames(demo):
    again = generate_demo_data(seed=42, months=MONTHS, as_of=AS_OF)
    for name in ("customers", "accounts", "transactions", "risk_assessments", "transaction_labels",
                 "opening_balances"):
        pd.testing.assert_frame_equal(getattr(demo, name), getattr(again, name))


def test_another_seed_changes_amounts_and_dates(demo):
    other = generate_demo_data(seed=43, months=MONTHS, as_of=AS_OF)
    mine = demo.transactions.groupby("customer_id")
    theirs = other.transactions.groupby("customer_id")
    for customer in CONTRACT_PERSONAS:
        a, b = mine.get_group(customer), theirs.get_group(customer)
        assert sorted(a["amount"]) != sorted(b["amount"]), customer
        assert list(a["booked_at"]) != list(b["booked_at"]), customer
    # The personas stay who they are: the same customers and accounts.
    assert list(demo.accounts["account_id"]) == list(other.accounts["account_id"])


def test_every_contract_persona_is_present_once(demo):
    assert sorted(demo.customers["customer_id"]) == sorted(CONTRACT_PERSONAS)
    assert set(demo.customers["language"]) == {"zh", "en"}
    assert set(demo.risk_assessments["customer_id"]) == CONTRACT_PERSONAS


def test_frames_have_schema_columns_and_only_strings(demo):
    expected = {
        "customers": schema.CUSTOMER_REQUIRED + schema.CUSTOMER_OPTIONAL,
        "accounts": schema.ACCOUNT_REQUIRED + schema.ACCOUNT_OPTIONAL,
        "transactions": schema.TRANSACTION_REQUIRED + schema.TRANSACTION_OPTIONAL,
    }
    for name, columns in expected.items():
        frame = getattr(demo, name)
        assert list(frame.columns) == list(columns), name
        for column in frame.columns:
            assert frame[column].map(type).eq(str).all(), (name, column)
    assert set(demo.accounts["account_type"]) <= set(schema.ACCOUNT_TYPES)
    assert set(demo.accounts["currency"]) == {"CNY"} == set(demo.transactions["currency"])
    assert (demo.accounts["balance_as_of"] == AS_OF.isoformat()).all()


def test_frames_round_trip_through_csv(demo):
    for name in ("customers", "accounts", "transactions"):
        frame = getattr(demo, name)
        back = pd.read_csv(io.StringIO(frame.to_csv(index=False)), dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(back, frame, check_dtype=False)


def test_amounts_are_decimal_strings_with_two_decimals(demo):
    for text in pd.concat([demo.transactions["amount"], demo.accounts["balance"]]):
        assert AMOUNT_TEXT.match(text), text
        cents(text)
    assert not (demo.transactions["amount"].map(cents) == 0).any()


def test_transaction_ids_are_unique_and_name_their_customer(demo):
    ids = demo.transactions["transaction_id"]
    assert ids.is_unique
    prefix = ids.str.rsplit("-", n=1).str[0]
    assert (prefix == demo.transactions["customer_id"]).all()
    assert ids.str.fullmatch(r".+-\d{6}").all()


def test_dates_cover_the_window_and_stop_at_as_of(tx):
    assert tx["booked_at"].min() >= "2025-04-01"
    assert tx["booked_at"].max() <= AS_OF.isoformat()
    for customer, rows in tx.groupby("customer_id"):
        assert rows["month"].nunique() == MONTHS, customer


def test_transactions_stay_on_the_customers_own_accounts(demo, tx):
    owner = dict(zip(demo.accounts["account_id"], demo.accounts["customer_id"]))
    assert (tx["account_id"].map(owner) == tx["customer_id"]).all()
    internal = tx[~tx.external]
    assert (internal["counterparty_account"].map(owner) == internal["customer_id"]).all()


def test_every_own_transfer_has_its_other_leg(tx):
    internal = tx[~tx.external]
    legs = set(zip(internal.booked_at, internal.account_id, internal.counterparty_account, internal.cents))
    for booked_at, account, other, amount in legs:
        assert (booked_at, other, account, -amount) in legs


def test_monthly_volume_is_realistic(tx, full_months):
    counts = tx[tx.month.isin(full_months)].groupby(["customer_id", "month"]).size().groupby("customer_id").mean()
    assert counts.between(50, 140).all(), counts.to_dict()
    busiest = counts.sort_values().index[-2:]
    assert set(busiest) == {"high_earner", "overspender"}, counts.to_dict()


# --------------------------------------------------------------------------- balances


def test_balances_equal_opening_plus_transactions_to_the_cent(demo, tx):
    opening = dict(zip(demo.opening_balances.account_id, demo.opening_balances.balance.map(cents)))
    flows = tx.groupby("account_id")["cents"].sum()
    assert set(opening) == set(demo.accounts["account_id"])
    for account, balance in zip(demo.accounts["account_id"], demo.accounts["balance"]):
        assert opening[account] + int(flows.get(account, 0)) == cents(balance), account


def test_deposit_accounts_never_go_below_zero_and_cards_are_owed(demo, tx):
    opening = dict(zip(demo.opening_balances.account_id, demo.opening_balances.balance.map(cents)))
    kinds = dict(zip(demo.accounts.account_id, demo.accounts.account_type))
    for account, rows in tx.sort_values("transaction_id").groupby("account_id"):
        running = opening[account] + rows["cents"].cumsum()
        if kinds[account] == "credit_card":
            assert opening[account] <= 0 and running.iloc[-1] < 0, account
        else:
            assert opening[account] >= 0 and running.min() >= 0, account


@pytest.mark.parametrize("seed, months, as_of", [(1, 1, date(2026, 1, 1)), (2, 3, date(2025, 12, 31)),
                                                  (3, 24, date(2026, 7, 9))])
def test_bookkeeping_holds_for_other_windows(seed, months, as_of):
    data = generate_demo_data(seed=seed, months=months, as_of=as_of)
    tx = data.transactions.assign(cents=data.transactions["amount"].map(cents))
    assert tx["booked_at"].str[:7].nunique() == months
    assert tx["booked_at"].max() <= as_of.isoformat()
    opening = dict(zip(data.opening_balances.account_id, data.opening_balances.balance.map(cents)))
    kinds = dict(zip(data.accounts.account_id, data.accounts.account_type))
    closing = dict(zip(data.accounts.account_id, data.accounts.balance.map(cents)))
    for account, rows in tx.groupby("account_id"):
        running = opening[account] + rows["cents"].cumsum()
        assert running.iloc[-1] == closing[account]
        if kinds[account] == "credit_card":
            assert opening[account] <= 0
        else:
            assert running.min() >= 0 and opening[account] >= 0


# --------------------------------------------------------------------------- personas


def test_salaried_saver_is_paid_the_same_by_one_employer_and_saves_a_third(demo, tx, full_months):
    mine = tx[tx.customer_id == "salaried_saver"]
    salary = mine[mine.external & (mine.cents > 1_000_000)]
    assert salary["counterparty"].nunique() == 1
    assert sorted(salary["month"]) == sorted(set(salary["month"])) and set(full_months) <= set(salary["month"])
    pay_day = pd.to_datetime(salary["booked_at"]).dt.day
    assert (pay_day - pay_day.median()).abs().max() <= 1
    assert salary["cents"].between(17_000_00, 19_000_00).all()

    to_savings = mine[(mine.cents < 0) & mine.counterparty_account.str.startswith("SAV-")]
    assert (to_savings.groupby("month")["cents"].sum().reindex(full_months) == -5_400_00).all()

    income = income_by_month(tx, "salaried_saver", full_months).sum()
    spending = spending_by_month(tx, "salaried_saver", full_months).sum()
    assert 0.2 < (income - spending) / income < 0.45

    essential = essential_by_month(demo, tx, "salaried_saver", full_months).median()
    assert 6 <= liquid_cents(demo, "salaried_saver") / essential <= 11


def test_freelancer_income_is_irregular_and_from_several_clients(demo, tx, full_months):
    freelancer = income_by_month(tx, "freelancer", full_months)
    saver = income_by_month(tx, "salaried_saver", full_months)
    cv = lambda s: s.std() / s.mean()
    assert cv(saver) < 0.05
    assert cv(freelancer) > 0.5 and cv(freelancer) > 10 * cv(saver)
    assert freelancer.min() < 3_000_00 and freelancer.max() > 30_000_00
    payments = tx[(tx.customer_id == "freelancer") & tx.external & (tx.cents > 0)]
    assert payments["counterparty"].nunique() >= 3
    assert not payments["description"].str.contains("工资|SALARY", case=False).any()
    essential = essential_by_month(demo, tx, "freelancer", full_months).median()
    assert liquid_cents(demo, "freelancer") / essential < 4


def test_overspender_spends_more_than_earned_on_a_revolving_card(demo, tx, full_months):
    income = income_by_month(tx, "overspender", full_months)
    spending = spending_by_month(tx, "overspender", full_months)
    assert spending.sum() > income.sum()
    assert (spending > income).sum() >= 0.7 * len(full_months)
    mine = tx[tx.customer_id == "overspender"]
    repayments = mine[mine.description.isin(["信用卡还款", "Credit card repayment"]) & (mine.cents < 0)]
    assert len(repayments) >= len(full_months)
    assert repayments["account_id"].str.startswith("CUR-").all()
    assert repayments["counterparty_account"].str.startswith("CC-").all()
    card = demo.accounts[(demo.accounts.customer_id == "overspender") & (demo.accounts.account_type == "credit_card")]
    assert cents(card["balance"].iloc[0]) < -10_000_00
    essential = essential_by_month(demo, tx, "overspender", full_months).median()
    assert liquid_cents(demo, "overspender") < essential


def test_retiree_lives_on_a_pension_with_large_savings(demo, tx, full_months):
    mine = tx[(tx.customer_id == "retiree") & tx.external]
    pension = mine[mine.counterparty.str.contains("社会保险|SOCIAL SECURITY")]
    assert set(full_months) <= set(pension["month"])
    assert mine[mine.description.isin(["结息", "INTEREST CREDIT"])]["cents"].gt(0).any()
    assert mine["mcc"].isin(["5912", "8062"]).sum() >= len(full_months)
    assert liquid_cents(demo, "retiree") > 500_000_00


def test_student_has_little_money_and_an_expired_questionnaire(demo, tx):
    assert liquid_cents(demo, "student") < 10_000_00
    from_parent = tx[(tx.customer_id == "student") & tx.external & (tx.cents > 0) & (tx.counterparty != "知行家教中心")
                     & (tx.counterparty != "ZHIXING TUTORING CENTER")]
    assert from_parent["counterparty"].isin(["周建国", "ZHOU JIANGUO"]).all()
    risk = demo.risk_assessments.set_index("customer_id")
    assert risk.loc["student", "expires_at"] < AS_OF
    others = risk.drop(index="student")
    assert (others["expires_at"] > AS_OF).all() and (others["assessed_at"] <= AS_OF).all()


def test_high_earner_buys_catalogue_funds_monthly_from_a_large_balance(demo, tx, full_months):
    mine = tx[tx.customer_id == "high_earner"]
    purchases = mine[mine.fund_purchase]
    assert set(full_months) <= set(purchases["month"])
    assert purchases["account_id"].str.startswith("CUR-").all()
    codes = set(purchases["description"].str.extract(FUND_PURCHASE_TEXT)[1])
    assert codes <= set(load_fund_catalogue()["fund_code"])
    bonus = mine[mine.description.isin(["年终奖", "ANNUAL BONUS"])]
    assert len(bonus) == 1 and bonus["cents"].iloc[0] > 100_000_00
    assert liquid_cents(demo, "high_earner") > 1_000_000_00
    assert demo.risk_assessments.set_index("customer_id").loc["high_earner", "risk_level"] == "C5"


def test_questionnaire_levels_follow_the_personas(demo):
    levels = dict(zip(demo.risk_assessments.customer_id, demo.risk_assessments.risk_level))
    assert levels == {"salaried_saver": "C3", "freelancer": "C4", "overspender": "C4", "retiree": "C2",
                      "student": "C2", "high_earner": "C5"}
    # The stored answers score to the stored level under the real questionnaire.
    for answers, level in zip(demo.risk_assessments["answers"], demo.risk_assessments["risk_level"]):
        assert score_answers(answers).risk_level == level
        assert score_answers(answers).knocked_out_by is None
    retiree = demo.risk_assessments.set_index("customer_id").loc["retiree", "answers"]
    assert retiree["age_band"] == "over_60"


# --------------------------------------------------------------------------- statement texts


def test_descriptions_are_bilingual(tx):
    chinese = tx["description"].str.contains(r"[\u4e00-\u9fff]")
    english = tx["description"].str.fullmatch(r"[ -~]+") & tx["description"].str.contains(r"[A-Za-z]{3}")
    assert chinese.mean() > 0.3 and english.mean() > 0.2
    for customer, rows in tx.groupby("customer_id"):
        lang_rows = rows["description"]
        assert lang_rows.str.contains(r"[\u4e00-\u9fff]").any(), customer


def test_a_realistic_share_of_payments_has_no_mcc(tx):
    wallet = tx["description"].str.match(WALLET_PREFIX)
    assert (tx.loc[wallet, "mcc"] == "").all()
    card = tx["mcc"] != ""
    share = wallet.sum() / (wallet.sum() + card.sum())
    assert 0.15 < share < 0.5, share
    assert tx.loc[card, "mcc"].str.fullmatch(r"\d{4}").all()
    # Salaries, transfers and fund purchases never carry an MCC.
    assert (tx.loc[~tx.external | tx.fund_purchase | (tx.cents > 0), "mcc"] == "").all()


def test_labels_use_contract_categories(demo):
    labels = demo.transaction_labels
    assert list(labels["transaction_id"]) == list(demo.transactions["transaction_id"])
    spending = {"dining", "groceries", "transport", "housing", "utilities", "shopping", "entertainment", "health",
                "education", "travel", "insurance", "other"}
    income = {"salary", "bonus", "investment_income", "other_income"}
    assert set(labels.loc[labels.flow == "spending", "category"]) <= spending
    assert set(labels.loc[labels.flow == "income", "category"]) <= income
    assert set(labels["flow"]) == {"income", "spending", "own_transfer", "card_repayment", "fund_purchase"}


# --------------------------------------------------------------------------- population


@pytest.fixture(scope="module")
def population():
    """1,000 customers x 12 full months (as_of is a month end), and how long they took."""
    started = time.perf_counter()
    data = generate_population(1_000, 12, seed=7, as_of=date(2026, 2, 28))
    return data, time.perf_counter() - started


@pytest.fixture(scope="module")
def small_population():
    return generate_population(200, 12, seed=3, as_of=date(2026, 3, 15))


def cents_column(amounts: pd.Series) -> pd.Series:
    """Vectorised exact parse; valid only for strings already checked against AMOUNT_TEXT."""
    return amounts.str.replace(".", "", regex=False).astype("int64")


def test_population_shape_and_speed(population):
    data, seconds = population
    assert seconds < 10, seconds
    assert len(data.customers) == 1_000 and data.customers["customer_id"].is_unique
    expected_rows = 1_000 * 12 * 80
    assert abs(len(data.transactions) / expected_rows - 1) < 0.05
    assert list(data.transactions.columns) == list(schema.TRANSACTION_REQUIRED + schema.TRANSACTION_OPTIONAL)
    assert data.transactions["transaction_id"].is_unique
    assert set(data.risk_assessments["risk_level"]) == set(schema.CUSTOMER_LEVELS)
    assert (data.risk_assessments["expires_at"] > date(2026, 2, 28)).all()
    for answers, level in zip(data.risk_assessments["answers"][:100], data.risk_assessments["risk_level"][:100]):
        assert score_answers(answers).risk_level == level


def test_population_balances_are_consistent(small_population):
    data = small_population
    tx = data.transactions
    assert tx["amount"].str.fullmatch(AMOUNT_TEXT.pattern.strip("^$")).all()
    sample = tx["amount"].sample(2_000, random_state=0)
    assert (cents_column(sample) == sample.map(cents)).all()   # the fast parse agrees with Decimal
    amount = cents_column(tx["amount"])
    flows = amount.groupby(tx["account_id"]).sum()
    opening = dict(zip(data.opening_balances.account_id, data.opening_balances.balance.map(cents)))
    assert set(opening) == set(data.accounts["account_id"])
    for account, balance in zip(data.accounts["account_id"], data.accounts["balance"]):
        assert opening[account] + int(flows.get(account, 0)) == cents(balance)
    assert tx["booked_at"].max() <= "2026-03-15"
    # Rows are in statement order, so a running sum per account is the running balance.
    current = tx["account_id"].str.startswith("CUR-")
    running = amount[current].groupby(tx.loc[current, "account_id"]).cumsum() \
        + tx.loc[current, "account_id"].map(opening)
    assert running.min() >= 0


def test_population_is_realistic_enough_to_categorise(small_population):
    data = small_population
    tx = data.transactions
    wallet = tx["description"].str.match(WALLET_PREFIX)
    card = tx["mcc"] != ""
    assert (tx.loc[wallet, "mcc"] == "").all()
    assert 0.15 < wallet.sum() / (wallet.sum() + card.sum()) < 0.5
    assert tx["description"].str.contains(r"[\u4e00-\u9fff]").any()
    assert tx["description"].str.fullmatch(r"[ -~]+").any()
    assert set(data.customers["language"]) == {"zh", "en"}
    labels = data.transaction_labels
    assert {"salary", "housing", "dining", "groceries", "transport", "own_transfer"} <= set(labels["category"])
    # Income exceeds spending for some customers and not for others.
    amount = cents_column(tx["amount"])
    external = tx["counterparty_account"] == ""
    income = amount[external & (amount > 0)].groupby(tx["customer_id"]).sum()
    spending = -amount[external & (amount < 0)].groupby(tx["customer_id"]).sum()
    ratio = (spending / income).dropna()
    assert (ratio > 1).any() and (ratio < 0.8).any()


def test_population_is_deterministic():
    a = generate_population(50, 3, seed=11, as_of=date(2026, 3, 15))
    b = generate_population(50, 3, seed=11, as_of=date(2026, 3, 15))
    c = generate_population(50, 3, seed=12, as_of=date(2026, 3, 15))
    pd.testing.assert_frame_equal(a.transactions, b.transactions)
    pd.testing.assert_frame_equal(a.accounts, b.accounts)
    assert not a.transactions["amount"].equals(c.transactions["amount"])
