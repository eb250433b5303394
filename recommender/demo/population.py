"""A large synthetic customer population for benchmarks, generated with numpy.

``generate_population(n_customers, months, seed, as_of)`` returns the same
frames as ``generate_demo_data`` (all bank-file columns as strings), for any
number of customers: 10,000 customers x 12 months x 80 transactions (about
9.6 million rows) take seconds, because every step works on whole arrays;
there is no Python loop per transaction.

The customers are simpler than the six personas but realistic enough for a
categoriser and the feature step to be meaningful: each has a current and a
savings account (a credit card for about half), income (monthly salary,
pension, or irregular freelance payments), rent for renters, utility bills,
a monthly savings transfer for savers, card purchases at the merchants of
``merchants.py`` (about a quarter through a wallet, without MCC), and a card
repayment of last month's card spending. Balances at ``as_of`` are opening
balance + sum of the account's rows, exactly; a current account's opening
balance is raised where needed so that it never goes below zero.
"""
from __future__ import annotations

import calendar
from datetime import date, timedelta

import numpy as np
import pandas as pd

from recommender import schema
from recommender.demo.generator import (
    ACCOUNT_COLUMNS,
    ALIPAY_COMPANY,
    CARD_REPAYMENT,
    CURRENCY,
    CUSTOMER_COLUMNS,
    INCOME,
    LABEL_COLUMNS,
    OPENING_COLUMNS,
    OWN_TRANSFER,
    RISK_COLUMNS,
    SPENDING,
    TENPAY_COMPANY,
    TRANSACTION_COLUMNS,
    DemoData,
    format_cents,
    questionnaire_answers,
    window_months,
)
from recommender.demo.merchants import CITIES, MERCHANTS, WALLET_TEMPLATES_EN, WALLET_TEMPLATES_ZH, render
from recommender.demo.personas import ACCOUNT_NAMES

# How often a purchase goes to each merchant (relative weights).
PURCHASE_WEIGHTS = {
    "metro": 12, "meituan_delivery": 8, "eleme": 5, "luckin": 5, "starbucks": 4, "convenience": 6, "didi": 5,
    "taobao": 5, "jd": 3, "pinduoduo": 3, "hema": 4, "yonghui": 3, "wet_market": 2, "breakfast_stall": 3,
    "mcdonalds": 2, "restaurant": 3, "haidilao": 0.7, "heytea": 2, "tmall": 2, "amazon": 0.8, "uniqlo": 0.6,
    "dept_store": 0.3, "apple": 0.05, "ikea": 0.1, "cinema": 1, "games": 0.6, "tencent_video": 0.3, "iqiyi": 0.2,
    "netflix": 0.1, "music": 0.3, "gym": 0.1, "pharmacy": 1, "hospital": 0.3, "dental": 0.05, "training": 0.1,
    "books": 0.5, "ctrip": 0.3, "airbnb": 0.1, "airline": 0.2, "hotel": 0.2, "railway": 0.4, "fuel": 0.5,
    "parking": 1, "bus": 2, "canteen": 1, "carrefour": 1, "ole": 0.2, "uber": 0.2, "insurance": 0.2,
}
BILLS = (("electricity", 18), ("water", 18), ("mobile", 8))   # (merchant, day) every month, direct debit
WALLET_SHARE = 0.25
CARD_SHARE_OF_PURCHASES = 0.85       # of a card holder's purchases
VARIANTS_PER_MERCHANT = 6            # pre-rendered statement texts per merchant and language

SURNAMES_ZH = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高")
GIVEN_ZH = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "杰", "娟", "涛", "明", "超", "秀英", "晓东", "海燕",
            "建华", "丽华", "志强", "雨欣", "子涵", "浩然", "思远"]
SURNAMES_EN = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Lin"]
FIRST_EN = ["Alex", "Grace", "Kevin", "Lily", "Jason", "Amy", "Eric", "Nina", "Leo", "Iris", "Ryan", "Joyce"]
EMPLOYERS = [("上海星衡科技有限公司", "XINGHENG TECHNOLOGY"), ("杭州云帆商贸有限公司", "YUNFAN TRADING"),
             ("北京青松软件有限公司", "QINGSONG SOFTWARE"), ("深圳海澜电子有限公司", "HAILAN ELECTRONICS"),
             ("广州南岭物流有限公司", "NANLING LOGISTICS"), ("成都锦程医药有限公司", "JINCHENG PHARMA"),
             ("苏州明湖制造有限公司", "MINGHU MANUFACTURING"), ("武汉长川教育科技有限公司", "CHANGCHUAN EDTECH")]
CLIENTS = ["Lumen Design Studio", "Orchid Media Ltd", "杭州青禾网络科技有限公司", "Bluewave Apps Pte Ltd",
           "Harbor & Pine Consulting", "南京知远文化传媒有限公司"]
LANDLORDS = ["刘德明", "赵桂兰", "周建", "孙丽", "钱国庆", "吴海涛", "郑爱华", "冯志刚"]

# Row kinds: also the order of rows within one day (money arrives before it is spent).
K_INCOME, K_RENT, K_BILL, K_PURCHASE, K_SAVE_OUT, K_SAVE_IN, K_REPAY_OUT, K_REPAY_IN = range(8)


# --------------------------------------------------------------------------- vectorised text


def _digits_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative ints -> (n, width) ASCII digits, zero-padded on the left."""
    out = np.empty((len(values), width), dtype=np.uint8)
    rest = values.astype(np.int64)
    for col in range(width - 1, -1, -1):
        out[:, col] = 48 + rest % 10
        rest = rest // 10
    return out


def _ascii_rows_to_str(matrix: np.ndarray) -> np.ndarray:
    """(n, w) uint8 ASCII, NUL-padded on the right -> object array of str."""
    width = matrix.shape[1]
    return np.ascontiguousarray(matrix).view(f"S{width}").ravel().astype(f"U{width}").astype(object)


def format_cents_array(cents: np.ndarray) -> np.ndarray:
    """int64 cents -> object array of decimal strings ("-35.50"), exact.

    Each distinct amount is formatted once; rows share the string objects.
    """
    inverse, unique = pd.factorize(cents)       # hashing: faster than sorting 10M amounts
    negative = unique < 0
    magnitude = np.abs(unique)
    whole, frac = magnitude // 100, magnitude % 100
    n_digits = np.ones(len(unique), dtype=np.int64)
    for k in range(1, 19):
        n_digits += whole >= 10 ** k
    width = int(n_digits.max()) + 4
    matrix = np.zeros((len(unique), width), dtype=np.uint8)
    rows = np.arange(len(unique))
    start = negative.astype(np.int64)
    matrix[negative, 0] = ord("-")
    digits = _digits_matrix(whole, int(n_digits.max()))
    for k in range(int(n_digits.max())):     # k-th digit from the right
        present = k < n_digits
        matrix[rows[present], (start + n_digits - 1 - k)[present]] = digits[present, -1 - k]
    point = start + n_digits
    matrix[rows, point] = ord(".")
    matrix[rows, point + 1] = 48 + frac // 10
    matrix[rows, point + 2] = 48 + frac % 10
    return _ascii_rows_to_str(matrix)[inverse]


class _TextPool:
    """Distinct strings stored once; rows hold integer codes into the pool."""

    def __init__(self):
        self.values: list[str] = []
        self.codes: dict[str, int] = {}

    def code(self, text: str) -> int:
        if text not in self.codes:
            self.codes[text] = len(self.values)
            self.values.append(text)
        return self.codes[text]

    def decode(self, codes: np.ndarray) -> np.ndarray:
        return np.array(self.values, dtype=object)[codes]


# --------------------------------------------------------------------------- the generator


def generate_population(n_customers: int, months: int, seed: int, as_of: date,
                        transactions_per_month: int = 80) -> DemoData:
    """``n_customers`` synthetic customers over ``months`` calendar months ending at ``as_of``.

    Each customer has about ``transactions_per_month`` rows per full month
    (the last month is cut at as_of). Same arguments give identical frames.
    Customer ids are ``pop-0000001`` ...; transaction ids ``<customer>-<seq:06d>``.
    """
    if n_customers < 1:
        raise ValueError("n_customers must be at least 1")
    rng = np.random.default_rng(seed)
    n = n_customers
    text = _TextPool()
    empty = text.code("")

    # ---- calendar
    month_list = [(y, m0 + 1) for y, m0 in window_months(as_of, months)]
    first_day = date(month_list[0][0], month_list[0][1], 1)
    n_days = (as_of - first_day).days + 1
    day_strings = np.array([(first_day + timedelta(days=i)).isoformat() for i in range(n_days)], dtype=object)
    month_offset = np.array([(date(y, m, 1) - first_day).days for y, m in month_list], dtype=np.int64)
    month_days = np.array([calendar.monthrange(y, m)[1] for y, m in month_list], dtype=np.int64)
    month_last = month_days.copy()
    month_last[-1] = as_of.day if (as_of.year, as_of.month) == month_list[-1] else month_days[-1]
    n_months = len(month_list)

    # ---- customers
    customer_ids = np.array([f"pop-{i:07d}" for i in range(1, n + 1)], dtype=object)
    english = rng.random(n) < 0.25
    birth_year = rng.integers(1950, 2005, n)
    retired = birth_year <= 1963
    freelance = ~retired & (rng.random(n) < 0.18)
    income = np.exp(rng.normal(np.log(11_000_00), 0.55, n))
    income = np.where(retired, np.exp(rng.normal(np.log(5_000_00), 0.3, n)), income)
    income = (np.clip(income, 3_000_00, 150_000_00) // 100 * 100).astype(np.int64)     # whole yuan
    renter = ~retired & (rng.random(n) < 0.6)
    rent = np.where(renter, (income * rng.uniform(0.15, 0.35, n)) // 100_00 * 100_00, 0).astype(np.int64)
    spend_ratio = rng.uniform(0.55, 1.15, n)
    has_card = rng.random(n) < 0.5
    saving = np.where(spend_ratio < 0.85, (income * (0.85 - spend_ratio)) // 100_00 * 100_00, 0).astype(np.int64)
    saver = saving > 0
    payday = rng.integers(1, 29, n)
    rent_day = rng.integers(1, 6, n)
    employer = rng.integers(len(EMPLOYERS), size=n)
    landlord = rng.integers(len(LANDLORDS), size=n)
    segment = np.select([income >= 50_000_00, income >= 20_000_00, retired, birth_year >= 2000],
                        ["private_banking", "mass_affluent", "senior", "youth"], "mass")

    # ---- accounts: 0 current, 1 savings, 2 credit card (card holders only)
    account_ids = np.empty((n, 3), dtype=object)
    for col, prefix in enumerate(("CUR", "SAV", "CC")):
        account_ids[:, col] = [f"{prefix}-{cid}" for cid in customer_ids]
    opening = np.zeros((n, 3), dtype=np.int64)
    opening[:, 0] = (income * rng.uniform(0.3, 2.5, n)).astype(np.int64)
    opening[:, 1] = (income * np.exp(rng.normal(np.log(4.0), 1.0, n))).astype(np.int64)
    opening[:, 2] = np.where(has_card, -(income * rng.uniform(0.0, 0.3, n)).astype(np.int64), 0)

    # Fixed rows per customer and full month; purchases fill up to transactions_per_month.
    incomes_per_month = np.where(freelance, 2, 1)
    fixed = incomes_per_month + renter + len(BILLS) + 2 * saver + 2 * has_card
    purchases_per_month = np.maximum(transactions_per_month - fixed, 5)

    blocks: list[dict[str, np.ndarray]] = []

    def block(cust, month, day, kind, account, cents, desc, counterparty, counter_account, mcc, flow, category):
        keep = day <= month_last[month]            # the final month stops at as_of
        size = int(keep.sum())

        def col(value, dtype=np.int32):
            arr = np.asarray(value)
            return (np.full(size, arr, dtype=dtype) if arr.ndim == 0 else arr[keep].astype(dtype))

        # Narrow integer types: the sort below moves every column of ~10M rows.
        blocks.append({
            "cust": col(cust), "day_index": col(month_offset[month] + day - 1, np.int16), "kind": col(kind, np.int8),
            "account": col(account, np.int8), "cents": col(cents, np.int64), "desc": col(desc),
            "counterparty": col(counterparty), "counter_account": col(counter_account), "mcc": col(mcc),
            "flow": col(flow), "category": col(category),
        })

    def pick_text(options_zh, options_en, english_row):
        """Text codes per row: a random English option where english_row, else a Chinese one."""
        zh = np.array([text.code(t) for t in options_zh])
        en = np.array([text.code(t) for t in options_en])
        return np.where(english_row, en[rng.integers(len(en), size=len(english_row))],
                        zh[rng.integers(len(zh), size=len(english_row))])

    flow_code = {f: text.code(f) for f in (INCOME, SPENDING, OWN_TRANSFER, CARD_REPAYMENT)}
    cat_code = {c: text.code(c) for c in ("salary", "other_income", "housing", OWN_TRANSFER, CARD_REPAYMENT)}

    # ---- income: salary or pension on payday +-1, freelance twice a month at random
    cm_cust = np.repeat(np.arange(n), n_months)
    cm_month = np.tile(np.arange(n_months), n)
    regular = ~freelance[cm_cust]
    c, m = cm_cust[regular], cm_month[regular]
    day = np.clip(payday[c] + rng.integers(-1, 2, len(c)), 1, month_days[m])
    cents = income[c] + np.where(retired[c], 0, np.round(rng.normal(0, 0.01, len(c)) * income[c])).astype(np.int64)
    eng = english[c] & (rng.random(len(c)) < 0.8)
    pension_desc = pick_text(["养老金发放"], ["PENSION PAYMENT"], eng)
    salary_desc = pick_text(["代发工资", "工资"], ["SALARY PAYMENT", "PAYROLL"], eng)
    employer_codes = np.array([[text.code(zh), text.code(en)] for zh, en in EMPLOYERS])
    pension_payer = np.array([text.code("社会保险基金管理中心"), text.code("SOCIAL SECURITY FUND")])
    payer_language = english[c].astype(int)      # a payer is always printed the same way for one customer
    block(c, m, day, K_INCOME, 0, cents, np.where(retired[c], pension_desc, salary_desc),
          np.where(retired[c], pension_payer[payer_language], employer_codes[employer[c], payer_language]),
          empty, empty, flow_code[INCOME], np.where(retired[c], cat_code["other_income"], cat_code["salary"]))

    c = np.repeat(cm_cust[~regular], 2)
    m = np.repeat(cm_month[~regular], 2)
    day = 1 + (rng.random(len(c)) * month_days[m]).astype(np.int64)
    cents = (income[c] * rng.gamma(0.6, 1 / 0.6, len(c)) / 2 // 100 * 100).astype(np.int64)   # CV about 1.3
    cents = np.maximum(cents, 100_00)
    client = np.array([text.code(name) for name in CLIENTS])[rng.integers(len(CLIENTS), size=len(c))]
    eng = english[c]
    desc = pick_text(["转账-客户服务费"], ["PAYMENT FROM CLIENT"], eng)
    block(c, m, day, K_INCOME, 0, cents, desc, client, empty, empty, flow_code[INCOME], cat_code["other_income"])

    # ---- rent
    c, m = cm_cust[renter[cm_cust]], cm_month[renter[cm_cust]]
    landlord_codes = np.array([text.code(name) for name in LANDLORDS])
    rent_desc = np.array([text.code(f"房租-{name}") for name in LANDLORDS])
    block(c, m, rent_day[c], K_RENT, 0, -rent[c], rent_desc[landlord[c]], landlord_codes[landlord[c]], empty, empty,
          flow_code[SPENDING], cat_code["housing"])

    # ---- utility bills, direct debit
    for key, bill_day in BILLS:
        merchant = MERCHANTS[key]
        c, m = cm_cust, cm_month
        day = np.minimum(bill_day + rng.integers(0, 2, len(c)), month_days[m])
        cents = np.maximum(100, np.round(merchant.median_cny * 100 * np.exp(merchant.spread * rng.standard_normal(len(c))))
                           ).astype(np.int64)
        variants_zh = [f"代扣 {render(t, rng, city_)}" for t in merchant.statement_zh for city_ in CITIES]
        variants_en = [f"DIRECT DEBIT {render(t, rng, city_)}" for t in merchant.statement_en for city_ in CITIES]
        desc = pick_text(variants_zh, variants_en, english[c])
        biller = np.where(english[c], text.code(merchant.wallet_en), text.code(merchant.wallet_zh))
        block(c, m, day, K_BILL, 0, -cents, desc, biller, empty, empty, flow_code[SPENDING],
              text.code(merchant.category))

    # ---- purchases
    keys = list(PURCHASE_WEIGHTS)
    weights = np.array([PURCHASE_WEIGHTS[k] for k in keys], dtype=float)
    weights /= weights.sum()
    merchants = [MERCHANTS[k] for k in keys]
    fixed_price = np.array([bool(mm.fixed_prices_cents) for mm in merchants])
    median = np.array([mm.median_cny * 100 for mm in merchants])
    spread = np.array([mm.spread for mm in merchants])
    max_fixed = max(len(mm.fixed_prices_cents) for mm in merchants)
    fixed_table = np.zeros((len(merchants), max_fixed), dtype=np.int64)
    fixed_count = np.ones(len(merchants), dtype=np.int64)
    for i, mm in enumerate(merchants):
        if mm.fixed_prices_cents:
            fixed_table[i, :len(mm.fixed_prices_cents)] = mm.fixed_prices_cents
            fixed_count[i] = len(mm.fixed_prices_cents)
    mean_fixed = (weights * np.where(fixed_price, fixed_table.sum(1) / fixed_count, 0)).sum()
    mean_variable = (weights * np.where(fixed_price, 0, median * np.exp(spread ** 2 / 2))).sum()
    # Scale variable-price tickets so the month's spending is about income * spend_ratio.
    bills_estimate = sum(MERCHANTS[k].median_cny * 100 for k, _ in BILLS)
    budget = np.maximum(income * spend_ratio - rent - bills_estimate, 0.15 * income)
    scale = np.clip((budget - purchases_per_month * mean_fixed) / (purchases_per_month * mean_variable), 0.2, 8.0)

    per_cm = np.round(purchases_per_month[cm_cust] * (month_last[cm_month] / month_days[cm_month])).astype(np.int64)
    c = np.repeat(cm_cust, per_cm)
    m = np.repeat(cm_month, per_cm)
    rows = len(c)
    day = 1 + (rng.random(rows) * month_last[m]).astype(np.int64)
    which = rng.choice(len(merchants), size=rows, p=weights)
    variable = np.round(median[which] * scale[c] * np.exp(spread[which] * rng.standard_normal(rows)))
    fixed_pick = fixed_table[which, rng.integers(0, max_fixed, rows) % fixed_count[which]]
    cents = np.where(fixed_price[which], fixed_pick, np.maximum(variable, 100)).astype(np.int64)
    card_terminal = np.array([mm.card_terminal for mm in merchants])
    wallet = ~card_terminal[which] | (rng.random(rows) < WALLET_SHARE)
    on_card = has_card[c] & (rng.random(rows) < CARD_SHARE_OF_PURCHASES)

    # Statement texts: a few pre-rendered variants per merchant, language and channel.
    v = VARIANTS_PER_MERCHANT
    card_zh = np.array([[text.code(render(mm.statement_zh[j % len(mm.statement_zh)], rng, CITIES[j % len(CITIES)]))
                         for j in range(v)] for mm in merchants])
    card_en = np.array([[text.code(render(mm.statement_en[j % len(mm.statement_en)], rng, CITIES[j % len(CITIES)]))
                         for j in range(v)] for mm in merchants])
    wallet_zh = np.array([[text.code(t.format(name=mm.wallet_zh)) for t in WALLET_TEMPLATES_ZH] for mm in merchants])
    wallet_en = np.array([[text.code(t.format(name=mm.wallet_en)) for t in WALLET_TEMPLATES_EN] for mm in merchants])
    eng = np.where(english[c], rng.random(rows) < 0.65, rng.random(rows) < 0.12)
    variant = rng.integers(0, v, rows)
    wallet_variant = rng.integers(0, len(WALLET_TEMPLATES_ZH), rows)
    desc = np.where(wallet, np.where(eng, wallet_en[which, wallet_variant], wallet_zh[which, wallet_variant]),
                    np.where(eng, card_en[which, variant], card_zh[which, variant]))
    alipay = wallet_variant == 0      # template 0 is Alipay in both languages
    counterparty = np.where(wallet, np.where(alipay, text.code(ALIPAY_COMPANY), text.code(TENPAY_COMPANY)), empty)
    mcc_codes = np.array([text.code(mm.mcc) for mm in merchants])
    category_codes = np.array([text.code(mm.category) for mm in merchants])
    block(c, m, day, K_PURCHASE, np.where(on_card, 2, 0), -cents, desc, counterparty, empty,
          np.where(wallet, empty, mcc_codes[which]), flow_code[SPENDING], category_codes[which])

    # Card spending per (customer, month), for next month's repayment. Exact integer sums.
    in_window = day <= month_last[m]
    card_rows = in_window & on_card
    card_spend = np.zeros((n, n_months), dtype=np.int64)
    spend_frame = pd.DataFrame({"c": c[card_rows], "m": m[card_rows], "cents": cents[card_rows]})
    sums = spend_frame.groupby(["c", "m"])["cents"].sum()
    card_spend[sums.index.get_level_values(0), sums.index.get_level_values(1)] = sums.to_numpy()

    # ---- savings transfers two days after payday; both legs. Counter-account codes -10/-11/-12
    # stand for the customer's own current/savings/card account and are resolved at the end.
    own = {
        "zh_out": text.code("转出至本人储蓄账户"), "zh_in": text.code("本人活期账户转入"),
        "en_out": text.code("Transfer to own savings account"), "en_in": text.code("Transfer from own current account"),
    }
    c, m = cm_cust[saver[cm_cust]], cm_month[saver[cm_cust]]
    day = np.minimum(payday[c] + 2, month_days[m])
    eng = english[c]
    for kind, account, sign, other, out in ((K_SAVE_OUT, 0, -1, 1, True), (K_SAVE_IN, 1, 1, 0, False)):
        desc = np.where(eng, own["en_out" if out else "en_in"], own["zh_out" if out else "zh_in"])
        block(c, m, day, kind, account, sign * saving[c], desc, -1 - c, -10 - other, empty,
              flow_code[OWN_TRANSFER], cat_code[OWN_TRANSFER])

    # ---- card repayment on the 20th: last month's card spending (first month: the opening debt)
    c, m = cm_cust[has_card[cm_cust]], cm_month[has_card[cm_cust]]
    previous = np.where(m == 0, -opening[c, 2], card_spend[c, np.maximum(m - 1, 0)])
    pay = previous > 0
    c, m, previous = c[pay], m[pay], previous[pay]
    day = np.full(len(c), 20)
    repay_desc = np.where(english[c], text.code("Credit card repayment"), text.code("信用卡还款"))
    block(c, m, day, K_REPAY_OUT, 0, -previous, repay_desc, -1 - c, -12, empty,
          flow_code[CARD_REPAYMENT], cat_code[CARD_REPAYMENT])
    block(c, m, day, K_REPAY_IN, 2, previous, repay_desc, -1 - c, -10, empty,
          flow_code[CARD_REPAYMENT], cat_code[CARD_REPAYMENT])

    # ---- assemble, in statement order: customer, date, kind
    cols = {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}
    sort_key = (cols["cust"].astype(np.int64) * n_days + cols["day_index"]) * 8 + cols["kind"]
    order = np.argsort(sort_key, kind="stable")
    cols = {k: v_[order] for k, v_ in cols.items()}
    cust, account, cents = cols["cust"], cols["account"], cols["cents"]
    total = len(cust)

    # Opening balances: raise a current account's opening so it never goes below zero.
    current_rows = account == 0
    running = pd.Series(cents[current_rows]).groupby(cust[current_rows]).cumsum()
    lowest = running.groupby(cust[current_rows]).min()
    shortfall = np.zeros(n, dtype=np.int64)
    shortfall[lowest.index.to_numpy()] = np.maximum(0, -(opening[lowest.index.to_numpy(), 0] + lowest.to_numpy()))
    opening[:, 0] += np.where(shortfall > 0, shortfall + 200_00, 0)
    flows = pd.Series(cents).groupby([cust, account]).sum()
    closing = opening.copy()
    closing[flows.index.get_level_values(0), flows.index.get_level_values(1)] += flows.to_numpy()

    # ---- strings
    names = [(f"{FIRST_EN[i % len(FIRST_EN)]} {SURNAMES_EN[j % len(SURNAMES_EN)]}" if english[k]
              else f"{SURNAMES_ZH[j % len(SURNAMES_ZH)]}{GIVEN_ZH[i % len(GIVEN_ZH)]}")
             for k, (i, j) in enumerate(zip(rng.integers(0, 1000, n), rng.integers(0, 1000, n)))]
    # Counterparty codes < 0 stand for the customer's own name (-1 - customer index);
    # counter-account codes -10/-11/-12 for the customer's current/savings/card account.
    name_codes = np.array([text.code(nm) for nm in names])
    counterparty = cols["counterparty"]
    counterparty = np.where(counterparty < 0, name_codes[np.maximum(-1 - counterparty, 0) % n], counterparty)
    counter_account_code = cols["counter_account"]
    own_account = counter_account_code <= -10
    counter_account = text.decode(np.where(own_account, empty, counter_account_code))
    counter_account[own_account] = account_ids[cust[own_account], -10 - counter_account_code[own_account]]

    first_row = np.searchsorted(cust, np.arange(n), side="left")    # rows are sorted by customer
    seq = np.arange(total) - first_row[cust] + 1
    id_matrix = np.concatenate([
        np.frombuffer("".join(customer_ids).encode("ascii"), dtype=np.uint8).reshape(n, -1)[cust],
        np.full((total, 1), ord("-"), dtype=np.uint8),
        _digits_matrix(seq, 6),
    ], axis=1)

    transactions = pd.DataFrame({
        "transaction_id": _ascii_rows_to_str(id_matrix),
        "customer_id": customer_ids[cust],
        "account_id": account_ids[cust, account],
        "booked_at": day_strings[cols["day_index"]],
        "amount": format_cents_array(cents),
        "currency": np.full(total, CURRENCY, dtype=object),
        "description": text.decode(cols["desc"]),
        "counterparty": text.decode(counterparty),
        "counterparty_account": counter_account,
        "mcc": text.decode(cols["mcc"]),
    }, columns=TRANSACTION_COLUMNS, copy=False)   # copy=False: no 10-column object block copy
    labels = pd.DataFrame({"transaction_id": transactions["transaction_id"], "flow": text.decode(cols["flow"]),
                           "category": text.decode(cols["category"])}, columns=LABEL_COLUMNS, copy=False)

    customers = pd.DataFrame({
        "customer_id": customer_ids, "name": names, "language": np.where(english, "en", "zh").astype(object),
        "birth_year": birth_year.astype(str).astype(object), "segment": segment.astype(object),
    }, columns=CUSTOMER_COLUMNS)

    account_rows, opening_rows = [], []
    opening_date = (first_day - timedelta(days=1)).isoformat()
    for k in range(n):
        for col, account_type in ((0, "current"), (1, "savings"), (2, "credit_card")):
            if col == 2 and not has_card[k]:
                continue
            account_rows.append((account_ids[k, col], customer_ids[k], account_type, CURRENCY,
                                 format_cents(int(closing[k, col])), as_of.isoformat(),
                                 _account_name(account_type, english[k])))
            opening_rows.append((account_ids[k, col], format_cents(int(opening[k, col])), opening_date))
    accounts = pd.DataFrame(account_rows, columns=ACCOUNT_COLUMNS)
    openings = pd.DataFrame(opening_rows, columns=OPENING_COLUMNS)

    levels = [schema.CUSTOMER_LEVELS[i] for i in rng.integers(0, 5, n)]
    assessed = [as_of - timedelta(days=int(days)) for days in rng.integers(0, 331, n)]
    risk = pd.DataFrame({
        "customer_id": customer_ids,
        "answers": [questionnaire_answers(level, when.year - int(born), rng)
                    for level, when, born in zip(levels, assessed, birth_year)],
        "risk_level": levels,
        "assessed_at": assessed,
        "expires_at": [when + timedelta(days=365) for when in assessed],
    }, columns=RISK_COLUMNS)
    return DemoData(customers, accounts, transactions, risk, labels, openings)



def _account_name(account_type: str, english: bool) -> str:
    zh, en = ACCOUNT_NAMES[account_type]
    return en if english else zh
