"""The six demo customers, described as data.

A persona is a profile (name, language, accounts) plus the money habits the
generator (``generator.py``) turns into bank statements: income streams,
bills, card spending habits, and standing rules (savings transfers, card
repayments, fund purchases). Ids and behaviours are named in
/work/shared/design/CONTRACT.md ("Demo customers"); conversation tests rely
on each persona being recognisably itself:

- ``salaried_saver``: one employer, same day each month, saves about 30 %,
  liquid money about 8 months of essential spending, questionnaire C3.
- ``freelancer``: irregular payments from several clients, about 2 months of
  essentials in the bank, questionnaire C4.
- ``overspender``: spends more than the salary, revolving credit-card debt,
  almost nothing liquid, questionnaire C4 (the recommender must cap it).
- ``retiree``: monthly pension, deposit interest, health spending, about
  600k in savings, questionnaire C2.
- ``student``: allowance from a parent and a part-time job, little money,
  questionnaire C2 but expired.
- ``high_earner``: 80k salary plus an annual bonus, about 1.5M liquid,
  monthly fund purchases, questionnaire C5.

Amounts are integer cents (``*_cents``); ``1_000_00`` reads as 1,000.00 CNY.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from recommender.demo.merchants import BEIJING, HANGZHOU, SHANGHAI, SHENZHEN, City

ACCOUNT_PREFIX = {"current": "CUR", "savings": "SAV", "credit_card": "CC", "term_deposit": "TD"}
ACCOUNT_NAMES = {
    "current": ("活期账户", "Current account"),
    "savings": ("储蓄账户", "Savings account"),
    "credit_card": ("信用卡", "Credit card"),
    "term_deposit": ("定期存款", "Term deposit"),
}


# ---- building blocks -----------------------------------------------------------------


@dataclass(frozen=True)
class AccountSpec:
    account_type: str               # schema.ACCOUNT_TYPES; one account per type per persona
    closing_target_cents: int       # roughly the balance at as_of
    # Expected net change per month: opening balance = target - change * months,
    # so the closing balance lands near the target whatever ``months`` is.
    monthly_change_cents: int = 0


@dataclass(frozen=True)
class RegularIncome:
    """Salary, pension or allowance: the same payer on about the same day each month."""
    category: str                   # salary | other_income | ...
    payer_zh: str
    payer_en: str
    description_zh: str
    description_en: str
    amount_cents: int
    day: int
    day_jitter: int = 1             # paid on day +- jitter
    noise_cents: int = 0            # std of month-to-month variation (overtime, allowances)
    months: tuple[int, ...] = ()    # calendar months it is paid in; empty means every month
    yearly_raise_month: int = 0     # pensions are adjusted once a year (0: never)
    yearly_raise_pct: float = 0.0


@dataclass(frozen=True)
class OccasionalIncome:
    """A few payments a month on random days, e.g. a part-time job."""
    category: str
    payer_zh: str
    payer_en: str
    description_zh: str
    description_en: str
    per_month: float
    median_cents: int
    spread: float = 0.4


@dataclass(frozen=True)
class FreelanceIncome:
    """Invoices paid by several clients at irregular dates.

    Each month is dry, normal or big. A freelancer chases clients when money
    runs low and coasts when it is plentiful, so the month's kind depends on
    liquid money measured in months of essential spending.
    """
    clients: tuple[str, ...]
    essential_monthly_cents: int
    low_cover_months: float = 2.0
    high_cover_months: float = 2.8
    dry_total_cents: tuple[int, int] = (0, 2_000_00)
    normal_total_cents: tuple[int, int] = (8_000_00, 16_000_00)
    big_total_cents: tuple[int, int] = (30_000_00, 48_000_00)


@dataclass(frozen=True)
class AnnualBonus:
    month: int
    day: int
    amount_cents: int
    payer_zh: str
    payer_en: str
    move_to_savings_cents: int = 0  # part of the bonus moved to savings two days later


@dataclass(frozen=True)
class DepositInterest:
    account_type: str
    annual_rate_pct: float          # interest rate, a statistic; the credited amount is whole cents
    months: tuple[int, ...] = (3, 6, 9, 12)   # Chinese banks settle interest quarterly
    day: int = 21


@dataclass(frozen=True)
class Bill:
    """A scheduled payment to a biller in merchants.MERCHANTS."""
    merchant: str
    day: int
    via: str = "direct_debit"       # direct_debit (no MCC) | card (MCC) | wallet (no MCC)
    scale: float = 1.0
    months: tuple[int, ...] = ()    # empty: every month
    amount_cents: int = 0           # fixed amount; 0 means drawn from the merchant's ticket size


@dataclass(frozen=True)
class Rent:
    landlord_zh: str
    landlord_en: str
    amount_cents: int
    day: int


@dataclass(frozen=True)
class Habit:
    """Card (or wallet) payments at one of ``merchants``, ``per_month`` on average."""
    merchants: tuple[str, ...]
    per_month: float
    scale: float = 1.0              # price level relative to the merchant's median ticket
    use_credit_card: bool = True    # if the persona has one; otherwise the current account's debit card


@dataclass(frozen=True)
class PersonTransfer:
    """Money sent to another person (gifts, red envelopes): spending in category other."""
    recipient_zh: str
    recipient_en: str
    probability_per_month: float
    median_cents: int
    spread: float = 0.5


@dataclass(frozen=True)
class RegularSaving:
    from_type: str
    to_type: str
    day: int
    amount_cents: int


@dataclass(frozen=True)
class Sweep:
    """Move money above a level into another own account, in whole steps."""
    from_type: str
    to_type: str
    day: int
    keep_cents: int
    step_cents: int
    measure: str = "from_account"   # from_account: keep the source account at keep_cents;
                                    # liquid: keep all liquid money at keep_cents


@dataclass(frozen=True)
class CardRepayment:
    """``statement``: repay the statement balance in full on the due day.
    ``leftover``: repay whatever the current account holds above a small buffer."""
    mode: str
    statement_day: int
    due_day: int
    buffer_cents: tuple[int, int] = (0, 0)
    interest_pct_per_month: float = 0.0   # revolving interest on an unpaid statement


@dataclass(frozen=True)
class FundPurchases:
    funds: tuple[tuple[str, str, str], ...]   # (fund code, manager zh, manager en) from funds.csv
    per_month: int
    amount_steps_cents: int
    amount_range_steps: tuple[int, int]       # amount = steps * amount_steps_cents
    days: tuple[int, int]


@dataclass(frozen=True)
class Persona:
    customer_id: str
    name: str
    language: str
    birth_year: int
    segment: str
    city: City
    english_share: float            # share of statement texts printed in English
    wallet_share: float             # share of card-terminal purchases paid through Alipay / WeChat Pay
    accounts: tuple[AccountSpec, ...]
    regular_incomes: tuple[RegularIncome, ...] = ()
    occasional_incomes: tuple[OccasionalIncome, ...] = ()
    freelance: FreelanceIncome | None = None
    bonus: AnnualBonus | None = None
    interest: tuple[DepositInterest, ...] = ()
    rent: Rent | None = None
    bills: tuple[Bill, ...] = ()
    habits: tuple[Habit, ...] = ()
    person_transfers: tuple[PersonTransfer, ...] = ()
    savings: tuple[RegularSaving, ...] = ()
    sweeps: tuple[Sweep, ...] = ()
    card: CardRepayment | None = None
    funds: FundPurchases | None = None
    questionnaire_level: str = "C3"
    questionnaire_age_days: int = 90      # days from the assessment to as_of
    questionnaire_validity_days: int = 365
    questionnaire_hints: tuple[tuple[str, str], ...] = ()   # (question id, option id) answered as the persona would
    description: str = field(default="", compare=False)

    def account_types(self) -> tuple[str, ...]:
        return tuple(a.account_type for a in self.accounts)


def account_id(account_type: str, customer_id: str) -> str:
    return f"{ACCOUNT_PREFIX[account_type]}-{customer_id}-01"


# ---- the six personas ------------------------------------------------------------------

UTILITY_BILLS = (
    Bill("electricity", 18), Bill("water", 18), Bill("gas", 19), Bill("mobile", 8, via="wallet"),
)

SALARIED_SAVER = Persona(
    customer_id="salaried_saver", name="李晓雯", language="zh", birth_year=1991, segment="mass_affluent",
    city=SHANGHAI, english_share=0.12, wallet_share=0.25,
    description="Stable 18k salary, saves ~30 %, ~8 months of essentials liquid.",
    accounts=(
        AccountSpec("current", 14_000_00),
        AccountSpec("savings", 45_000_00),
        AccountSpec("credit_card", -3_500_00),
        AccountSpec("term_deposit", 160_000_00, monthly_change_cents=5_000_00),
    ),
    regular_incomes=(RegularIncome("salary", "上海星衡科技有限公司", "SHANGHAI XINGHENG TECHNOLOGY CO LTD",
                                   "代发工资", "SALARY PAYMENT", 18_000_00, day=10, noise_cents=120_00),),
    interest=(DepositInterest("savings", 0.25),),
    rent=Rent("刘德明", "LIU DEMING", 4_500_00, day=5),
    bills=UTILITY_BILLS + (
        Bill("insurance", 20, amount_cents=350_00),
        Bill("tencent_video", 12, via="card"),
        Bill("gym", 2, via="card"),
    ),
    habits=(
        Habit(("meituan_delivery", "eleme"), 8),
        Habit(("starbucks", "luckin", "heytea"), 8),
        Habit(("restaurant", "haidilao", "mcdonalds"), 6),
        Habit(("hema", "yonghui", "carrefour"), 10),
        Habit(("convenience",), 4),
        Habit(("metro",), 34, use_credit_card=False),
        Habit(("didi",), 5),
        Habit(("taobao", "jd", "tmall", "pinduoduo"), 8),
        Habit(("uniqlo", "dept_store"), 0.5),
        Habit(("cinema",), 1),
        Habit(("pharmacy",), 0.6),
        Habit(("hospital",), 0.15),
        Habit(("books",), 0.5),
        Habit(("ctrip", "hotel", "railway"), 1),
    ),
    savings=(RegularSaving("current", "savings", day=12, amount_cents=5_400_00),),
    # Keep about 8 months of essentials liquid; the rest goes into term deposits.
    sweeps=(Sweep("savings", "term_deposit", day=28, keep_cents=48_000_00, step_cents=10_000_00, measure="liquid"),),
    card=CardRepayment("statement", statement_day=5, due_day=23),
    questionnaire_level="C3", questionnaire_age_days=120,
    questionnaire_hints=(("income_stability", "stable"),),
)

FREELANCER = Persona(
    customer_id="freelancer", name="Daniel Wu", language="en", birth_year=1988, segment="mass",
    city=SHANGHAI, english_share=0.65, wallet_share=0.25,
    description="Irregular income from several clients, ~2 months of essentials liquid.",
    accounts=(
        AccountSpec("current", 14_000_00),
        AccountSpec("savings", 6_000_00),
        AccountSpec("term_deposit", 60_000_00, monthly_change_cents=2_000_00),
    ),
    freelance=FreelanceIncome(
        clients=("Lumen Design Studio", "Orchid Media Ltd", "杭州青禾网络科技有限公司", "Bluewave Apps Pte Ltd",
                 "Harbor & Pine Consulting"),
        essential_monthly_cents=9_000_00, low_cover_months=1.8, high_cover_months=2.6,
    ),
    rent=Rent("周建", "ZHOU JIAN", 5_200_00, day=3),
    # Windfalls above ~2.5 months of essentials are locked into term deposits.
    sweeps=(Sweep("current", "term_deposit", day=28, keep_cents=27_000_00, step_cents=5_000_00, measure="liquid"),),
    bills=UTILITY_BILLS + (
        Bill("broadband", 6),
        Bill("social_insurance", 15, amount_cents=1_300_00),
        Bill("netflix", 9, via="card"),
    ),
    habits=(
        Habit(("meituan_delivery", "eleme"), 7),
        Habit(("starbucks", "luckin"), 10),
        Habit(("restaurant", "haidilao"), 4),
        Habit(("hema", "carrefour"), 7),
        Habit(("convenience",), 3),
        Habit(("didi", "uber"), 8, scale=1.3),
        Habit(("metro",), 12),
        Habit(("amazon", "jd", "taobao"), 5),
        Habit(("cinema",), 1),
        Habit(("pharmacy",), 0.5),
        Habit(("books",), 0.6),
        Habit(("ctrip", "airbnb", "railway"), 0.3),
        Habit(("apple",), 0.08),
    ),
    questionnaire_level="C4", questionnaire_age_days=200,
    questionnaire_hints=(("income_stability", "somewhat_unstable"),),
)

OVERSPENDER = Persona(
    customer_id="overspender", name="陈浩", language="zh", birth_year=1996, segment="mass",
    city=HANGZHOU, english_share=0.10, wallet_share=0.30,
    description="9k salary, spends more, revolving credit-card debt, almost nothing liquid.",
    accounts=(
        AccountSpec("current", 600_00),
        AccountSpec("savings", 320_00),
        AccountSpec("credit_card", -30_000_00, monthly_change_cents=-1_800_00),
    ),
    regular_incomes=(RegularIncome("salary", "杭州云帆商贸有限公司", "HANGZHOU YUNFAN TRADING CO LTD",
                                   "代发工资", "SALARY PAYMENT", 9_000_00, day=15, day_jitter=0, noise_cents=80_00),),
    rent=Rent("赵桂兰", "ZHAO GUILAN", 2_600_00, day=15),
    bills=(
        Bill("electricity", 20, via="card"), Bill("water", 20, via="card"), Bill("gas", 21, via="card"),
        Bill("mobile", 8, via="card"), Bill("tencent_video", 3, via="card"), Bill("iqiyi", 11, via="card"),
    ),
    habits=(
        Habit(("meituan_delivery", "eleme"), 28),
        Habit(("starbucks", "luckin", "heytea"), 12),
        Habit(("restaurant", "haidilao"), 5),
        Habit(("mcdonalds",), 3),
        Habit(("convenience",), 10),
        Habit(("hema", "yonghui"), 2),
        Habit(("taobao", "tmall", "jd", "pinduoduo"), 14),
        Habit(("uniqlo", "dept_store"), 1),
        Habit(("cinema",), 2),
        Habit(("games",), 2),
        Habit(("didi",), 12),
        Habit(("metro",), 15),
        Habit(("pharmacy",), 0.3),
        Habit(("ctrip", "railway"), 0.3),
        Habit(("apple",), 0.05),
    ),
    # Auto-repayment sweeps the current account on payday, after the rent.
    card=CardRepayment("leftover", statement_day=5, due_day=15, buffer_cents=(150_00, 450_00),
                       interest_pct_per_month=1.5),
    questionnaire_level="C4", questionnaire_age_days=60,
    questionnaire_hints=(("income_stability", "stable"),),
)

RETIREE = Persona(
    customer_id="retiree", name="王淑芬", language="zh", birth_year=1956, segment="senior",
    city=SHANGHAI, english_share=0.05, wallet_share=0.35,
    description="Monthly pension, deposit interest, health spending, ~600k savings.",
    accounts=(
        AccountSpec("current", 15_000_00),
        AccountSpec("savings", 600_000_00, monthly_change_cents=2_800_00),
    ),
    regular_incomes=(RegularIncome("other_income", "上海市社会保险基金管理中心", "SHANGHAI SOCIAL SECURITY FUND",
                                   "养老金发放", "PENSION PAYMENT", 6_200_00, day=15, day_jitter=0,
                                   yearly_raise_month=7, yearly_raise_pct=2.5),),
    interest=(DepositInterest("savings", 1.35),),
    bills=(
        Bill("electricity", 18), Bill("water", 18), Bill("gas", 19), Bill("mobile", 8, via="wallet", scale=0.6),
        Bill("property_fee", 10, amount_cents=350_00),
        Bill("insurance", 20, months=(3,), amount_cents=3_600_00),
    ),
    habits=(
        Habit(("wet_market",), 22),
        Habit(("yonghui", "carrefour"), 5),
        Habit(("breakfast_stall",), 12),
        Habit(("convenience",), 2),
        Habit(("pharmacy",), 4),
        Habit(("hospital",), 1.2, scale=1.2),
        Habit(("dental",), 0.1),
        Habit(("restaurant",), 2),
        Habit(("metro",), 6),
        Habit(("bus",), 8),
        Habit(("didi",), 2),
        Habit(("taobao", "pinduoduo"), 2, scale=0.6),
        Habit(("atm",), 0.5),
        Habit(("railway",), 0.1),
    ),
    person_transfers=(PersonTransfer("王小明", "WANG XIAOMING", 0.4, 1_000_00),),
    savings=(RegularSaving("current", "savings", day=20, amount_cents=1_000_00),),
    questionnaire_level="C2", questionnaire_age_days=300,
    questionnaire_hints=(("income_stability", "stable"), ("goal", "income")),
)

STUDENT = Persona(
    customer_id="student", name="Emily Zhou", language="en", birth_year=2004, segment="youth",
    city=BEIJING, english_share=0.55, wallet_share=0.40,
    description="Allowance from a parent plus a part-time job, little money, expired questionnaire.",
    accounts=(AccountSpec("current", 1_500_00),),
    regular_incomes=(
        RegularIncome("other_income", "周建国", "ZHOU JIANGUO", "转账-周建国 生活费", "Transfer from ZHOU JIANGUO",
                      1_400_00, day=1),
        RegularIncome("other_income", "周建国", "ZHOU JIANGUO", "转账-周建国 学费", "Transfer from ZHOU JIANGUO tuition",
                      5_500_00, day=25, months=(8,)),
    ),
    occasional_incomes=(OccasionalIncome("salary", "知行家教中心", "ZHIXING TUTORING CENTER", "兼职工资",
                                         "Payroll ZHIXING TUTORING", per_month=1.5, median_cents=400_00),),
    bills=(
        Bill("mobile", 8, via="wallet", scale=0.5), Bill("music", 14, via="card"), Bill("tencent_video", 20, via="card"),
        Bill("tuition", 1, via="card", months=(9,), amount_cents=5_500_00),
    ),
    habits=(
        Habit(("canteen",), 30, scale=1.1),
        Habit(("luckin", "heytea"), 8),
        Habit(("meituan_delivery", "eleme"), 5, scale=0.85),
        Habit(("convenience",), 6, scale=0.9),
        Habit(("metro",), 22),
        Habit(("bus",), 3),
        Habit(("didi",), 1),
        Habit(("taobao", "pinduoduo"), 6, scale=0.6),
        Habit(("cinema",), 1, scale=0.8),
        Habit(("books",), 1),
        Habit(("railway",), 0.25),
        Habit(("games",), 0.5),
    ),
    questionnaire_level="C2", questionnaire_age_days=420,   # expired 55 days before as_of
    questionnaire_hints=(("income_stability", "unstable"),),
)

HIGH_EARNER = Persona(
    customer_id="high_earner", name="Michael Lin", language="en", birth_year=1982, segment="private_banking",
    city=SHENZHEN, english_share=0.60, wallet_share=0.15,
    description="80k salary plus annual bonus, ~1.5M liquid, monthly fund purchases.",
    accounts=(
        AccountSpec("current", 120_000_00),
        AccountSpec("savings", 1_380_000_00, monthly_change_cents=32_500_00),
        AccountSpec("credit_card", -28_000_00),
    ),
    regular_incomes=(RegularIncome("salary", "鹰岭资本(深圳)有限公司", "KESTREL RIDGE CAPITAL (SHENZHEN) CO LTD",
                                   "代发工资", "SALARY KESTREL RIDGE CAPITAL", 80_000_00, day=25, noise_cents=400_00),),
    bonus=AnnualBonus(month=2, day=25, amount_cents=240_000_00, payer_zh="鹰岭资本(深圳)有限公司",
                      payer_en="KESTREL RIDGE CAPITAL (SHENZHEN) CO LTD", move_to_savings_cents=150_000_00),
    interest=(DepositInterest("savings", 0.25),),
    bills=(
        Bill("electricity", 18), Bill("water", 18), Bill("gas", 19), Bill("mobile", 8, scale=2.0),
        Bill("broadband", 6), Bill("property_fee", 10, amount_cents=1_200_00),
        Bill("insurance", 20, via="card", amount_cents=2_500_00),
        Bill("training", 3, via="card", amount_cents=2_400_00),
        Bill("netflix", 9, via="card"), Bill("gym", 2, via="card"),
    ),
    habits=(
        Habit(("restaurant", "haidilao"), 8, scale=2.0),
        Habit(("starbucks",), 14, scale=1.2),
        Habit(("meituan_delivery", "eleme"), 8, scale=1.3),
        Habit(("ole", "hema"), 10, scale=1.5),
        Habit(("convenience",), 6),
        Habit(("didi", "uber"), 16, scale=1.5),
        Habit(("fuel",), 3),
        Habit(("parking",), 10),
        Habit(("jd", "tmall", "amazon"), 12, scale=1.5),
        Habit(("dept_store", "apple", "ikea"), 1),
        Habit(("airline", "hotel", "ctrip", "airbnb"), 3, scale=1.5),
        Habit(("cinema",), 2),
        Habit(("dental", "hospital"), 0.3),
        Habit(("pharmacy",), 0.5),
    ),
    savings=(RegularSaving("current", "savings", day=27, amount_cents=20_000_00),),
    funds=FundPurchases(
        funds=(("994002", "远岫基金", "Yuanxiu Fund Management"), ("996002", "远岫基金", "Yuanxiu Fund Management"),
               ("995004", "衡川基金", "Hengchuan Fund Management"), ("996006", "朗屿基金", "Langyu Fund Management")),
        per_month=2, amount_steps_cents=1_000_00, amount_range_steps=(5, 20), days=(27, 28),
    ),
    card=CardRepayment("statement", statement_day=8, due_day=26),
    questionnaire_level="C5", questionnaire_age_days=30,
    questionnaire_hints=(("income_stability", "very_stable"),),
)

PERSONAS: tuple[Persona, ...] = (SALARIED_SAVER, FREELANCER, OVERSPENDER, RETIREE, STUDENT, HIGH_EARNER)
PERSONA_IDS: tuple[str, ...] = tuple(p.customer_id for p in PERSONAS)
