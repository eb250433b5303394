"""Deterministic bank statements for the six demo personas.

``generate_demo_data(seed, months, as_of)`` simulates each persona day by day
over the ``months`` calendar months ending at ``as_of`` (the last month only
up to ``as_of``) and returns the frames a bank would hand to finbot's
importer: every column a string, exactly as in a CSV export.

How a month is simulated: first everything the persona decides up front is
drawn (pay days, bills, card purchases); then the month's events run in date
order against the account balances, so standing rules (savings transfers,
card repayments, fund purchases, sweeps) see the real balance of that day.
A purchase a deposit account cannot cover is declined and leaves no row, so
current and savings accounts never go below zero. Balances at ``as_of`` are
opening balance + sum of the account's rows, to the cent.

Randomness: each persona has its own generator seeded with
``(seed, crc32(customer_id))``, so adding a persona never changes another.
"""
from __future__ import annotations

import calendar
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable

import numpy as np
import pandas as pd

from recommender import schema
from recommender.demo.merchants import MERCHANTS, Merchant, statement_text, ticket_cents
from recommender.demo.personas import (
    ACCOUNT_NAMES,
    PERSONAS,
    Persona,
    account_id,
)

CURRENCY = "CNY"
DEPOSIT_TYPES = ("current", "savings", "term_deposit")
TOP_UP_STEP_CENTS = 500_00

# Ground-truth flows in DemoData.transaction_labels.
INCOME, SPENDING = "income", "spending"
OWN_TRANSFER, CARD_REPAYMENT, FUND_PURCHASE = "own_transfer", "card_repayment", "fund_purchase"

ALIPAY_COMPANY = "支付宝(中国)网络技术有限公司"
TENPAY_COMPANY = "财付通支付科技有限公司"


CUSTOMER_COLUMNS = list(schema.CUSTOMER_REQUIRED + schema.CUSTOMER_OPTIONAL)
ACCOUNT_COLUMNS = list(schema.ACCOUNT_REQUIRED + schema.ACCOUNT_OPTIONAL)
TRANSACTION_COLUMNS = list(schema.TRANSACTION_REQUIRED + schema.TRANSACTION_OPTIONAL)
RISK_COLUMNS = ["customer_id", "answers", "risk_level", "assessed_at", "expires_at"]
LABEL_COLUMNS = ["transaction_id", "flow", "category"]
OPENING_COLUMNS = ["account_id", "balance", "balance_as_of"]


@dataclass(frozen=True)
class DemoData:
    """Bank-format frames; all customer/account/transaction columns are strings.

    customers:         schema.CUSTOMER_REQUIRED + CUSTOMER_OPTIONAL
    accounts:          schema.ACCOUNT_REQUIRED + ACCOUNT_OPTIONAL; balance "12345.67" at balance_as_of
    transactions:      schema.TRANSACTION_REQUIRED + TRANSACTION_OPTIONAL, "" where absent
    risk_assessments:  customer_id, answers (dict question id -> option id), risk_level "C1".."C5",
                       assessed_at, expires_at (datetime.date)
    transaction_labels: transaction_id, flow, category - the generator's ground truth, for
                       evaluating a categoriser; not part of any bank file. flow is income,
                       spending, own_transfer, card_repayment or fund_purchase.
    opening_balances:  account_id, balance, balance_as_of (the day before the first day of the
                       window): accounts.balance == opening balance + sum of the account's amounts.
    """
    customers: pd.DataFrame
    accounts: pd.DataFrame
    transactions: pd.DataFrame
    risk_assessments: pd.DataFrame
    transaction_labels: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LABEL_COLUMNS))
    opening_balances: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=OPENING_COLUMNS))




def format_cents(cents: int) -> str:
    """-3550 -> "-35.50": the bank-file form of an amount in cents."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{frac:02d}"


def persona_rng(seed: int, customer_id: str) -> np.random.Generator:
    """The persona's own random stream: independent of every other persona."""
    return np.random.default_rng([seed, zlib.crc32(customer_id.encode("utf-8"))])


def window_months(as_of: date, months: int) -> list[tuple[int, int]]:
    """The ``months`` calendar months (year, month) ending with as_of's month, oldest first."""
    if months < 1:
        raise ValueError("months must be at least 1")
    index = as_of.year * 12 + as_of.month - 1
    return [divmod(i, 12) for i in range(index - months + 1, index + 1)]


def _ym(pair: tuple[int, int]) -> tuple[int, int]:
    year, month0 = pair
    return year, month0 + 1


# --------------------------------------------------------------------------- the ledger


@dataclass
class _Row:
    day: date
    account_type: str
    cents: int
    description: str
    counterparty: str
    counterparty_account: str
    mcc: str
    flow: str
    category: str


class _Ledger:
    """Account balances (cents) and the rows posted so far, for one persona."""

    def __init__(self, persona: Persona, months: int):
        self.persona = persona
        self.ids = {a.account_type: account_id(a.account_type, persona.customer_id) for a in persona.accounts}
        self.balance = {a.account_type: self._opening_cents(a, months) for a in persona.accounts}
        self.opening = dict(self.balance)
        self.rows: list[_Row] = []
        self.declined = 0
        self.card_statement_cents = 0     # owed at the last statement date

    @staticmethod
    def _opening_cents(spec, months: int) -> int:
        """Balance before the window: a card never starts in credit, a deposit never below zero."""
        opening = spec.closing_target_cents - spec.monthly_change_cents * months
        return min(opening, 0) if spec.account_type == "credit_card" else max(opening, 0)

    def has(self, account_type: str) -> bool:
        return account_type in self.balance

    def liquid_cents(self) -> int:
        return sum(v for t, v in self.balance.items() if t in schema.LIQUID_ACCOUNT_TYPES)

    def post(self, day: date, account_type: str, cents: int, description: str, flow: str, category: str,
             counterparty: str = "", counterparty_account: str = "", mcc: str = "") -> None:
        self.balance[account_type] += cents
        self.rows.append(_Row(day, account_type, cents, description, counterparty, counterparty_account, mcc,
                              flow, category))

    def can_pay(self, account_type: str, cents: int) -> bool:
        """Deposit accounts cannot go below zero; the card has no limit in the demo."""
        return account_type not in DEPOSIT_TYPES or self.balance[account_type] >= cents

    def pay(self, day: date, account_type: str, cents: int, description: str, category: str,
            counterparty: str = "", mcc: str = "") -> bool:
        if account_type == "current" and not self.can_pay("current", cents):
            self._top_up_from_savings(day, cents - self.balance["current"])
        if not self.can_pay(account_type, cents):
            self.declined += 1
            return False
        self.post(day, account_type, -cents, description, SPENDING, category, counterparty, "", mcc)
        return True

    def _top_up_from_savings(self, day: date, shortfall: int) -> None:
        """People move money over from savings when the current account runs short."""
        amount = -(-shortfall // TOP_UP_STEP_CENTS) * TOP_UP_STEP_CENTS   # round up to whole steps
        if self.has("savings") and self.balance["savings"] >= amount:
            zh_out, en_out = "转出至本人活期账户", "Transfer to own current account"
            zh_in, en_in = "本人储蓄账户转入", "Transfer from own savings account"
            english = self.persona.language == "en"
            self.transfer(day, "savings", "current", amount, en_out if english else zh_out,
                          en_in if english else zh_in)

    def transfer(self, day: date, from_type: str, to_type: str, cents: int, text_out: str, text_in: str,
                 flow: str = OWN_TRANSFER) -> bool:
        """Both legs of a move between two own accounts."""
        if cents <= 0 or not self.can_pay(from_type, cents):
            return False
        name = self.persona.name
        self.post(day, from_type, -cents, text_out, flow, flow, name, self.ids[to_type])
        self.post(day, to_type, cents, text_in, flow, flow, name, self.ids[from_type])
        return True


# --------------------------------------------------------------------------- one month


# Priorities within a day: money arrives before it is spent, rules run last.
_INCOME, _BILL, _PURCHASE, _RULE = 0, 1, 2, 3

_SEASONAL = {  # bills that follow the weather: multiplier by calendar month
    "electricity": {1: 1.3, 2: 1.3, 7: 1.7, 8: 1.7, 12: 1.3},
    "gas": {1: 1.8, 2: 1.6, 12: 1.6},
}


@dataclass
class _Month:
    year: int
    month: int
    last_day: int           # the last simulated day: month end, or as_of in the final month
    days_in_month: int
    events: list = field(default_factory=list)

    @property
    def fraction(self) -> float:
        return self.last_day / self.days_in_month

    def day(self, number: int) -> date:
        return date(self.year, self.month, min(max(number, 1), self.days_in_month))

    def add(self, day_number: int, priority: int, action: Callable[[], None]) -> None:
        day_number = min(max(day_number, 1), self.days_in_month)
        if day_number <= self.last_day:
            self.events.append((day_number, priority, len(self.events), action))

    def run(self) -> None:
        for _, _, _, action in sorted(self.events, key=lambda e: e[:3]):
            action()


class _PersonaSimulation:
    def __init__(self, persona: Persona, seed: int, months: int, as_of: date):
        self.p = persona
        self.rng = persona_rng(seed, persona.customer_id)
        self.as_of = as_of
        self.months = [_ym(m) for m in window_months(as_of, months)]
        self.ledger = _Ledger(persona, months)

    # -- language helpers
    def _english(self) -> bool:
        return bool(self.rng.random() < self.p.english_share)

    def _text(self, zh: str, en: str) -> str:
        """Merchant-style text: the statement prints either language."""
        return en if self._english() else zh

    def _name(self, zh: str, en: str) -> str:
        """A counterparty or payroll text: always printed the same way for one customer."""
        return en if self.p.language == "en" else zh

    def _card_account(self, prefer_credit_card: bool = True) -> str:
        return "credit_card" if prefer_credit_card and self.ledger.has("credit_card") else "current"

    # -- run
    def run(self) -> _Ledger:
        for year, month in self.months:
            days_in_month = calendar.monthrange(year, month)[1]
            last_day = self.as_of.day if (year, month) == (self.as_of.year, self.as_of.month) else days_in_month
            m = _Month(year, month, last_day, days_in_month)
            self._plan_incomes(m)
            self._plan_bills(m)
            self._plan_purchases(m)
            self._plan_rules(m)
            m.run()
        return self.ledger

    # -- income
    def _plan_incomes(self, m: _Month) -> None:
        p, rng, led = self.p, self.rng, self.ledger
        for inc in p.regular_incomes:
            if inc.months and m.month not in inc.months:
                continue
            day = inc.day + int(rng.integers(-inc.day_jitter, inc.day_jitter + 1))
            amount = inc.amount_cents
            if inc.yearly_raise_month:
                raises = sum(1 for (y, mo) in self.months[1:]
                             if mo == inc.yearly_raise_month and (y, mo) <= (m.year, m.month))
                amount = int(round(amount * (1 + inc.yearly_raise_pct / 100) ** raises / 100)) * 100
            if inc.noise_cents:
                amount += int(round(rng.normal(0, inc.noise_cents)))
            payer = self._name(inc.payer_zh, inc.payer_en)
            text = self._name(inc.description_zh, inc.description_en)
            m.add(day, _INCOME, lambda d=m.day(day), a=amount, t=text, c=payer, cat=inc.category:
                  led.post(d, "current", a, t, INCOME, cat, c))

        for inc in p.occasional_incomes:
            for _ in range(int(rng.poisson(inc.per_month * m.fraction))):
                day = int(rng.integers(1, m.last_day + 1))
                amount = max(50_00, int(round(inc.median_cents * np.exp(inc.spread * rng.standard_normal()))))
                text = self._name(inc.description_zh, inc.description_en)
                payer = self._name(inc.payer_zh, inc.payer_en)
                m.add(day, _INCOME, lambda d=m.day(day), a=amount, t=text, c=payer, cat=inc.category:
                      led.post(d, "current", a, t, INCOME, cat, c))

        if p.freelance:
            self._plan_freelance(m)

        if p.bonus and m.month == p.bonus.month:
            b = p.bonus
            payer = self._name(b.payer_zh, b.payer_en)
            m.add(b.day, _INCOME, lambda d=m.day(b.day), t=self._name("年终奖", "ANNUAL BONUS"), c=payer:
                  led.post(d, "current", b.amount_cents, t, INCOME, "bonus", c))
            if b.move_to_savings_cents and led.has("savings"):
                m.add(b.day + 2, _RULE, lambda d=m.day(b.day + 2): led.transfer(
                    d, "current", "savings", b.move_to_savings_cents, *self._transfer_texts("current", "savings")))

        for interest in p.interest:
            if m.month in interest.months:
                m.add(interest.day, _INCOME, lambda d=m.day(interest.day), i=interest: self._credit_interest(d, i))

    def _plan_freelance(self, m: _Month) -> None:
        f, rng, led = self.p.freelance, self.rng, self.ledger
        cover = led.liquid_cents() / f.essential_monthly_cents
        short = cover < f.low_cover_months
        if short:                               # money is short: chase the big invoices
            kind = "big" if rng.random() < 0.6 else "normal"
        elif cover > f.high_cover_months:       # plenty in the bank: a quiet month
            kind = "dry" if rng.random() < 0.6 else "normal"
        else:
            kind = rng.choice(["dry", "normal", "big"], p=[0.3, 0.45, 0.25])
        low, high = {"dry": f.dry_total_cents, "normal": f.normal_total_cents, "big": f.big_total_cents}[kind]
        total = int(rng.integers(low, high + 1))
        count = {"dry": int(total >= 300_00), "normal": int(rng.integers(1, 4)), "big": int(rng.integers(2, 5))}[kind]
        if count == 0:
            return
        shares = rng.dirichlet(np.ones(count))
        for n, share in enumerate(shares):
            amount = max(100_00, int(round(total * share / 100)) * 100)   # invoices in whole yuan
            # When money is short the first client pays early in the month.
            first_day = 5 if (n == 0 and short) else m.days_in_month
            day = int(rng.integers(1, first_day + 1))
            client = f.clients[int(rng.integers(len(f.clients)))]
            invoice = f"INV-{m.year}{m.month:02d}-{int(rng.integers(1, 99)):02d}"
            text = self._name(f"转账-{client} 服务费", f"Payment from {client} {invoice}")
            m.add(day, _INCOME, lambda d=m.day(day), a=amount, t=text, c=client:
                  led.post(d, "current", a, t, INCOME, "other_income", c))

    def _credit_interest(self, day: date, interest) -> None:
        balance = self.ledger.balance[interest.account_type]
        quarter = Decimal(balance) * Decimal(str(interest.annual_rate_pct)) / Decimal(400)
        cents = int(quarter.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if cents > 0:
            self.ledger.post(day, interest.account_type, cents, self._name("结息", "INTEREST CREDIT"), INCOME,
                             "investment_income", self._name("本行", "BANK"))

    # -- spending
    def _plan_bills(self, m: _Month) -> None:
        p, rng, led = self.p, self.rng, self.ledger
        if p.rent:
            landlord = self._name(p.rent.landlord_zh, p.rent.landlord_en)
            text = self._name(f"房租-{p.rent.landlord_zh}", f"Rent - {p.rent.landlord_en}")
            m.add(p.rent.day, _BILL, lambda d=m.day(p.rent.day), t=text, c=landlord:
                  led.pay(d, "current", p.rent.amount_cents, t, "housing", c))
        for bill in p.bills:
            if bill.months and m.month not in bill.months:
                continue
            merchant = MERCHANTS[bill.merchant]
            if bill.amount_cents:
                amount = bill.amount_cents
            else:
                scale = bill.scale * _SEASONAL.get(bill.merchant, {}).get(m.month, 1.0)
                amount = ticket_cents(merchant, rng, scale)
            day = bill.day + int(rng.integers(0, 2))
            if bill.via == "direct_debit":
                english = self._english()
                biller = self._name(merchant.wallet_zh, merchant.wallet_en)
                body = statement_text(merchant, rng, p.city, 1.0 if english else 0.0, via_wallet=False)
                text = f"DIRECT DEBIT {body}" if english else f"代扣 {body}"
                m.add(day, _BILL, lambda d=m.day(day), a=amount, t=text, c=biller, cat=merchant.category:
                      led.pay(d, "current", a, t, cat, c))
            else:
                self._add_merchant_payment(m, day, merchant, amount, self._card_account(),
                                           via_wallet=bill.via == "wallet")

        for gift in p.person_transfers:
            if rng.random() < gift.probability_per_month * m.fraction:
                day = int(rng.integers(1, m.last_day + 1))
                amount = int(round(gift.median_cents * np.exp(gift.spread * rng.standard_normal()) / 10000)) * 10000
                amount = max(100_00, amount)
                who = self._name(gift.recipient_zh, gift.recipient_en)
                text = self._name(f"转账-{gift.recipient_zh}", f"Transfer to {gift.recipient_en}")
                m.add(day, _BILL, lambda d=m.day(day), a=amount, t=text, c=who:
                      led.pay(d, "current", a, t, "other", c))

    def _plan_purchases(self, m: _Month) -> None:
        p, rng = self.p, self.rng
        for habit in p.habits:
            for _ in range(int(rng.poisson(habit.per_month * m.fraction))):
                merchant = MERCHANTS[habit.merchants[int(rng.integers(len(habit.merchants)))]]
                day = int(rng.integers(1, m.last_day + 1))
                amount = ticket_cents(merchant, rng, habit.scale)
                wallet = (not merchant.card_terminal) or rng.random() < p.wallet_share
                self._add_merchant_payment(m, day, merchant, amount, self._card_account(habit.use_credit_card),
                                           via_wallet=wallet)

    def _add_merchant_payment(self, m: _Month, day: int, merchant: Merchant, amount: int, account_type: str,
                              via_wallet: bool) -> None:
        text = statement_text(merchant, self.rng, self.p.city, self.p.english_share, via_wallet)
        if via_wallet:
            company = ALIPAY_COMPANY if text.startswith(("支付宝", "ALIPAY")) else TENPAY_COMPANY
            mcc = ""
        else:
            company, mcc = "", merchant.mcc
        led = self.ledger
        m.add(day, _PURCHASE, lambda d=m.day(day), a=amount, t=text, c=company, code=mcc, cat=merchant.category:
              led.pay(d, account_type, a, t, cat, c, code))

    # -- standing rules
    def _transfer_texts(self, from_type: str, to_type: str) -> tuple[str, str]:
        zh_from, en_from = ACCOUNT_NAMES[from_type]
        zh_to, en_to = ACCOUNT_NAMES[to_type]
        if self._english():
            return f"Transfer to own {en_to.lower()}", f"Transfer from own {en_from.lower()}"
        return f"转出至本人{zh_to}", f"本人{zh_from}转入"

    def _plan_rules(self, m: _Month) -> None:
        p, rng, led = self.p, self.rng, self.ledger

        for rule in p.savings:
            m.add(rule.day, _RULE, lambda d=m.day(rule.day), r=rule: led.transfer(
                d, r.from_type, r.to_type, r.amount_cents, *self._transfer_texts(r.from_type, r.to_type)))

        for sweep in p.sweeps:
            m.add(sweep.day, _RULE, lambda d=m.day(sweep.day), s=sweep: self._sweep(d, s))

        if p.card:
            card = p.card
            m.add(card.statement_day, _RULE, lambda d=m.day(card.statement_day): self._card_statement(d))
            buffer = int(rng.integers(card.buffer_cents[0], card.buffer_cents[1] + 1))
            m.add(card.due_day, _RULE, lambda d=m.day(card.due_day), b=buffer: self._card_repayment(d, b))

        if p.funds:
            f = p.funds
            for _ in range(f.per_month):
                code, manager_zh, manager_en = f.funds[int(rng.integers(len(f.funds)))]
                steps = int(rng.integers(f.amount_range_steps[0], f.amount_range_steps[1] + 1))
                day = int(rng.integers(f.days[0], f.days[1] + 1))
                text = self._text(f"基金申购 {code}", f"Fund subscription {code}")
                manager = self._name(manager_zh, manager_en)
                m.add(day, _RULE, lambda d=m.day(day), a=steps * f.amount_steps_cents, t=text, c=manager:
                      self._buy_fund(d, a, t, c))

    def _sweep(self, day: date, sweep) -> None:
        led = self.ledger
        level = led.liquid_cents() if sweep.measure == "liquid" else led.balance[sweep.from_type]
        excess = min(level - sweep.keep_cents, led.balance[sweep.from_type])
        steps = excess // sweep.step_cents
        if steps > 0:
            if sweep.to_type == "term_deposit":
                english = self._english()
                texts = ("Transfer to term deposit", "Term deposit placement") if english else ("活期转定期", "定期存款存入")
            else:
                texts = self._transfer_texts(sweep.from_type, sweep.to_type)
            led.transfer(day, sweep.from_type, sweep.to_type, steps * sweep.step_cents, *texts)

    def _card_statement(self, day: date) -> None:
        led, card = self.ledger, self.p.card
        owed = max(0, -led.balance["credit_card"])
        if card.interest_pct_per_month and owed > 0:
            interest = int((Decimal(owed) * Decimal(str(card.interest_pct_per_month)) / 100)
                           .quantize(Decimal(1), rounding=ROUND_HALF_UP))
            led.post(day, "credit_card", -interest, self._text("信用卡循环利息", "Card interest charge"),
                     SPENDING, "other")
            owed += interest
        led.card_statement_cents = owed

    def _card_repayment(self, day: date, buffer: int) -> None:
        led, card = self.ledger, self.p.card
        owed = max(0, -led.balance["credit_card"])
        if card.mode == "statement":
            amount = min(led.card_statement_cents, owed, led.balance["current"])
        else:  # leftover: everything above a small buffer
            amount = min(owed, led.balance["current"] - buffer)
        if amount > 0:
            text = self._text("信用卡还款", "Credit card repayment")
            led.transfer(day, "current", "credit_card", amount, text, text, flow=CARD_REPAYMENT)

    def _buy_fund(self, day: date, cents: int, text: str, manager: str) -> None:
        led = self.ledger
        if led.can_pay("current", cents):
            led.post(day, "current", -cents, text, FUND_PURCHASE, FUND_PURCHASE, manager)
        else:
            led.declined += 1


# --------------------------------------------------------------------------- frames


def questionnaire_answers(level: str, age_years: int, rng: np.random.Generator,
                          hints: dict[str, str] | None = None) -> dict[str, str]:
    """Answers to ``recommender.questionnaire`` that score to ``level`` (no knock-out unless C1).

    The age question is answered truthfully, ``hints`` fix other answers
    (e.g. a freelancer's income stability); the rest start at their most
    cautious option and are raised one step at a time, on questions picked at
    random, until the total reaches a random point inside the level's band.
    """
    from recommender.questionnaire import LEVEL_BANDS, QUESTIONS, parse_answer, score_answers

    answers = {"age_band": parse_answer("age_band", str(age_years), "en")}
    answers.update(hints or {})
    ladders = {q.id: [o.id for o in sorted(q.options, key=lambda o: o.points)] for q in QUESTIONS}
    points = {q.id: {o.id: o.points for o in q.options} for q in QUESTIONS}
    free = [q.id for q in QUESTIONS if q.id not in answers]
    for question in free:
        # "Accept no loss at all" forces C1, so only a C1 customer starts there.
        answers[question] = ladders[question][0 if level == "C1" or question != "loss_tolerance" else 1]

    bands = sorted(LEVEL_BANDS)                      # lowest total first
    low = next(lowest for lowest, name in bands if name == level)
    higher = [lowest for lowest, _ in bands if lowest > low]
    high = (min(higher) - 1) if higher else sum(max(p.values()) for p in points.values())
    target = int(rng.integers(low, high + 1))
    total = lambda: sum(points[q][a] for q, a in answers.items())
    while total() < target:
        raisable = [q for q in free if ladders[q].index(answers[q]) + 1 < len(ladders[q])]
        if not raisable:
            break
        question = raisable[int(rng.integers(len(raisable)))]
        answers[question] = ladders[question][ladders[question].index(answers[question]) + 1]
    scored = score_answers(answers)
    if scored.risk_level != level:
        raise ValueError(f"cannot answer the questionnaire as {level} with {answers} "
                         f"(scores {scored.total_points}, {scored.risk_level})")
    return {q.id: answers[q.id] for q in QUESTIONS}


def generate_demo_data(seed: int = 42, months: int = 12, as_of: date | None = None) -> DemoData:
    """Statements of the six demo personas over ``months`` calendar months ending at ``as_of``.

    Same (seed, months, as_of) gives identical frames. ``as_of`` defaults to today.
    Returns ``DemoData``; see its docstring for the columns.
    """
    as_of = as_of or date.today()
    year, month0 = window_months(as_of, months)[0]
    opening_date = (date(year, month0 + 1, 1) - timedelta(days=1)).isoformat()
    customers, accounts, transactions, labels, assessments, openings = [], [], [], [], [], []
    for persona in PERSONAS:
        sim = _PersonaSimulation(persona, seed, months, as_of)
        ledger = sim.run()
        cid = persona.customer_id
        customers.append({"customer_id": cid, "name": persona.name, "language": persona.language,
                          "birth_year": str(persona.birth_year), "segment": persona.segment})
        for spec in persona.accounts:
            zh, en = ACCOUNT_NAMES[spec.account_type]
            accounts.append({
                "account_id": ledger.ids[spec.account_type], "customer_id": cid,
                "account_type": spec.account_type, "currency": CURRENCY,
                "balance": format_cents(ledger.balance[spec.account_type]),
                "balance_as_of": as_of.isoformat(), "name": zh if persona.language == "zh" else en,
            })
            openings.append({"account_id": ledger.ids[spec.account_type],
                             "balance": format_cents(ledger.opening[spec.account_type]),
                             "balance_as_of": opening_date})
        for seq, row in enumerate(ledger.rows, start=1):
            txn_id = f"{cid}-{seq:06d}"
            transactions.append({
                "transaction_id": txn_id, "customer_id": cid, "account_id": ledger.ids[row.account_type],
                "booked_at": row.day.isoformat(), "amount": format_cents(row.cents), "currency": CURRENCY,
                "description": row.description, "counterparty": row.counterparty,
                "counterparty_account": row.counterparty_account, "mcc": row.mcc,
            })
            labels.append({"transaction_id": txn_id, "flow": row.flow, "category": row.category})
        assessed = as_of - timedelta(days=persona.questionnaire_age_days)
        assessments.append({
            "customer_id": cid,
            "answers": questionnaire_answers(persona.questionnaire_level, assessed.year - persona.birth_year, sim.rng,
                                             dict(persona.questionnaire_hints)),
            "risk_level": persona.questionnaire_level, "assessed_at": assessed,
            "expires_at": assessed + timedelta(days=persona.questionnaire_validity_days),
        })

    return DemoData(
        customers=pd.DataFrame(customers, columns=CUSTOMER_COLUMNS),
        accounts=pd.DataFrame(accounts, columns=ACCOUNT_COLUMNS),
        transactions=pd.DataFrame(transactions, columns=TRANSACTION_COLUMNS),
        risk_assessments=pd.DataFrame(assessments, columns=RISK_COLUMNS),
        transaction_labels=pd.DataFrame(labels, columns=LABEL_COLUMNS),
        opening_balances=pd.DataFrame(openings, columns=OPENING_COLUMNS),
    )
