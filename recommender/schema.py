"""Column schemas shared by importers, the demo-data generator and the recommender.

These are the bank-facing file formats (CSV or JSON) documented in the README.
Money in files is a decimal string in the account's currency ("-35.50");
inside finbot it is always integer cents (``amount_cents``), never a float.
Sign convention: positive is money coming into the account (credit),
negative is money going out (debit).
"""
from __future__ import annotations

# ---- customers ------------------------------------------------------------
CUSTOMER_REQUIRED = ("customer_id", "name", "language")
CUSTOMER_OPTIONAL = ("birth_year", "segment")
LANGUAGES = ("zh", "en")

# ---- accounts -------------------------------------------------------------
ACCOUNT_REQUIRED = ("account_id", "customer_id", "account_type", "currency", "balance", "balance_as_of")
ACCOUNT_OPTIONAL = ("name",)
# Liquid accounts count towards the emergency fund and the investable amount.
ACCOUNT_TYPES = ("current", "savings", "credit_card", "money_market_fund", "term_deposit")
LIQUID_ACCOUNT_TYPES = ("current", "savings", "money_market_fund")

# ---- transactions -----------------------------------------------------------
# transaction_id is the bank's own id; importing the same id twice changes nothing.
TRANSACTION_REQUIRED = (
    "transaction_id",
    "customer_id",
    "account_id",
    "booked_at",      # YYYY-MM-DD
    "amount",         # signed decimal string, at most 2 decimals, "." as separator
    "currency",       # ISO 4217, must equal the account's currency
    "description",    # merchant or counterparty text as the bank shows it
)
TRANSACTION_OPTIONAL = (
    "counterparty",          # payer/payee name (salary payer, landlord, ...)
    "counterparty_account",  # the other account id for transfers, if known
    "mcc",                   # 4-digit ISO 18245 merchant category code for card payments
)

# Currencies finbot accepts (ISO 4217). The recommender works in CNY.
KNOWN_CURRENCIES = ("CNY", "USD", "HKD", "EUR", "GBP", "JPY")

# ---- categories (the product contract) ---------------------------------------------
SPENDING_CATEGORIES = ("dining", "groceries", "transport", "housing", "utilities", "shopping", "entertainment",
                       "health", "education", "travel", "insurance", "other")
INCOME_CATEGORIES = ("salary", "bonus", "investment_income", "other_income")

# ---- fund catalogue -----------------------------------------------------------
# recommender/data/funds.csv. All figures are synthetic (``synthetic`` is true on
# every row) and no name imitates a real fund. Percentages are decimal strings
# ("1.50" means 1.50 %); money is CNY.
FUND_COLUMNS = (
    "fund_code",            # 6 digits, unique
    "name_zh",
    "name_en",
    "manager_zh",           # synthetic fund-management company
    "manager_en",
    "fund_type",            # one of FUND_TYPES
    "risk_rating",          # R1..R5
    "currency",             # CNY
    "subscription_fee_pct", # front-end fee on purchase
    "management_fee_pct",   # per year
    "custody_fee_pct",      # per year
    "redemption_days",      # settlement: 0 = T+0, 1 = T+1, ...
    "min_holding_days",     # redemption before this costs a penalty / is not allowed
    "min_purchase",         # CNY
    "return_1y_pct",
    "return_3y_annualised_pct",
    "volatility_pct",       # annualised standard deviation
    "max_drawdown_pct",     # positive number, worst peak-to-trough over 3 years
    "inception_date",       # YYYY-MM-DD
    "synthetic",            # always "true"
)
FUND_TYPES = ("money_market", "bond", "hybrid", "index", "equity", "qdii")
PRODUCT_RATINGS = ("R1", "R2", "R3", "R4", "R5")

# ---- risk levels ------------------------------------------------------------
CUSTOMER_LEVELS = ("C1", "C2", "C3", "C4", "C5")
LEVEL_NAMES = {
    "C1": ("保守型", "conservative"),
    "C2": ("谨慎型", "cautious"),
    "C3": ("稳健型", "balanced"),
    "C4": ("积极型", "growth"),
    "C5": ("激进型", "aggressive"),
}


def level_number(level: str) -> int:
    """'C3' or 'R3' -> 3. Raises ValueError on anything else."""
    if len(level) != 2 or level[0] not in "CR" or level[1] not in "12345":
        raise ValueError(f"not a risk level: {level!r}")
    return int(level[1])
