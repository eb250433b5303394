"""Customer fixture files: a bank's own test customer, seeded into the conversation's database.

A conversation names a fixture instead of a demo persona with ``customer:
fixtures/new_customer.yml`` (relative to the conversation file). The file::

    customer: {customer_id: new_customer, name: 新客户, language: zh}
    accounts:                       # the import format of the README ("accounts")
      - {account_id: NEW-CUR, account_type: current, currency: CNY, balance: "5200.00", balance_as_of: 2026-03-14}
    transactions:                   # the import format ("transactions"); customer_id may be left out
      - {transaction_id: N1, account_id: NEW-CUR, booked_at: 2026-02-10, amount: "8000.00", currency: CNY,
         description: 工资}
    risk_assessment:                # optional: none means "never took the questionnaire"
      level: C3                     # or answers: {question id: option id} (scored)
      assessed: 2026-01-10          # valid for the policy's validity period from this date

Rows go through the same importers as real bank files, so a bad row is
reported the same way (line = position in the list).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pandas as pd
from sqlalchemy.engine import Engine

from bot.conversation_tests.format import plain, read_yaml

FIXTURE_KEYS = ("customer", "accounts", "transactions", "risk_assessment")


class FixtureError(ValueError):
    """A fixture file that cannot be loaded; the message says why."""


def read_fixture(path: Path) -> Dict[str, Any]:
    document, error = read_yaml(path)
    if error:
        raise FixtureError(str(error))
    data = plain(document)
    if not isinstance(data, dict):
        raise FixtureError(f"{path}: a fixture must be a mapping ({', '.join(FIXTURE_KEYS)})")
    unknown = sorted(set(data) - set(FIXTURE_KEYS))
    if unknown:
        raise FixtureError(f"{path}: unknown key(s) {unknown}; a fixture may have {', '.join(FIXTURE_KEYS)}")
    customer = data.get("customer")
    if not isinstance(customer, dict) or not isinstance(customer.get("customer_id"), str):
        raise FixtureError(f"{path}: `customer:` must be a mapping with a customer_id (and name, language)")
    for key in ("accounts", "transactions"):
        if key in data and not (isinstance(data[key], list) and all(isinstance(r, dict) for r in data[key])):
            raise FixtureError(f"{path}: `{key}:` must be a list of rows (mappings)")
    return data


def fixture_customer_id(path: Path) -> Tuple[Optional[str], Optional[str]]:
    """(customer id, None) or (None, what is wrong)."""
    try:
        return read_fixture(path)["customer"]["customer_id"], None
    except FixtureError as exc:
        return None, str(exc)


def load_fixture(engine: Engine, path: Path, validity_days: int) -> str:
    """Import the fixture's customer, accounts, transactions and questionnaire; returns the customer id."""
    from recommender import importer, questionnaire
    from recommender.store import repositories

    data = read_fixture(path)
    customer = data["customer"]
    customer_id = customer["customer_id"]
    try:
        importer.import_customers(engine, _frame([customer]))
        if data.get("accounts"):
            importer.import_accounts(engine, _frame(data["accounts"], customer_id))
        if data.get("transactions"):
            importer.import_transactions(engine, _frame(data["transactions"], customer_id))
    except importer.ImportRejected as rejected:
        details = "; ".join(str(e) for e in rejected.errors[:5])
        raise FixtureError(f"{path}: {rejected} {details}") from None
    except ValueError as exc:  # a missing column, an unreadable value
        raise FixtureError(f"{path}: {exc}") from None
    assessment = data.get("risk_assessment")
    if assessment:
        if not isinstance(assessment, dict) or not isinstance(assessment.get("assessed"), (date, str)):
            raise FixtureError(f"{path}: `risk_assessment:` needs `assessed:` (a date) and `level:` or `answers:`")
        assessed = assessment["assessed"]
        assessed = date.fromisoformat(assessed) if isinstance(assessed, str) else assessed
        assessed_at = datetime.combine(assessed, time.min, tzinfo=timezone.utc)
        answers: Dict[str, str] = dict(assessment.get("answers") or {})
        if answers:
            try:
                score = questionnaire.score_answers(answers)
            except ValueError as exc:
                raise FixtureError(f"{path}: risk_assessment: {exc}") from None
            level, points = score.risk_level, score.total_points
        else:
            level, points = assessment.get("level"), None
            if level not in ("C1", "C2", "C3", "C4", "C5"):
                raise FixtureError(f"{path}: risk_assessment: level must be C1..C5, not {level!r}")
        repositories.add_assessment(engine, customer_id, answers=answers, risk_level=level, total_points=points,
                                    assessed_at=assessed_at, expires_at=assessed_at + timedelta(days=validity_days),
                                    channel="fixture")
    return customer_id


def _frame(rows: List[Dict[str, Any]], customer_id: Optional[str] = None) -> pd.DataFrame:
    """Rows as the importers read files: every value text, customer_id filled in."""
    texts = []
    for row in rows:
        row = dict(row)
        if customer_id is not None:
            row.setdefault("customer_id", customer_id)
        texts.append({k: "" if v is None else (v.isoformat() if isinstance(v, date) else str(v))
                      for k, v in row.items()})
    return pd.DataFrame(texts)
