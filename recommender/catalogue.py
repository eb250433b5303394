"""The fund catalogue: every product the recommender may suggest.

``recommender/data/funds.csv`` is a *synthetic* catalogue for demos and tests:
the fund names, the management companies, the 6-digit codes (all ``99xxxx``)
and every figure (fees, returns, volatility, drawdown) are invented. None
imitates a real fund or fund company, and nothing in it is market data. Each
row says so in its ``synthetic`` column, which must be ``true``; a bank
replaces the file with its own shelf of products in the same format
(``schema.FUND_COLUMNS``).

Loading validates every row and refuses the whole file if any row is bad, so
the recommender never ranks a fund with a missing fee or an unknown risk
rating. The file's content hash is the catalogue version stored in every
recommendation's audit record.

Returned frame (one row per fund, index 0..n-1):

================================  ==========  =========================================
column                            dtype       meaning
================================  ==========  =========================================
fund_code, name_*, manager_*,     object      the file's text, unchanged
fund_type, risk_rating, currency,
min_purchase
risk_level                        int64       1..5 from R1..R5
min_purchase_cents                int64       CNY cents, exact (Decimal, no float)
*_fee_pct, return_*_pct,          float64     percent (1.5 means 1.5 %); statistics,
volatility_pct, max_drawdown_pct              not money
redemption_days, min_holding_days int64       calendar days (redemption: T+n)
inception_date                    datetime64
synthetic                         bool        always True
================================  ==========  =========================================
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from recommender import schema

FEE_COLUMNS = ("subscription_fee_pct", "management_fee_pct", "custody_fee_pct")
STATISTIC_COLUMNS = ("return_1y_pct", "return_3y_annualised_pct", "volatility_pct", "max_drawdown_pct")
PERCENT_COLUMNS = FEE_COLUMNS + STATISTIC_COLUMNS
DAY_COLUMNS = ("redemption_days", "min_holding_days")
TEXT_COLUMNS = ("fund_code", "name_zh", "name_en", "manager_zh", "manager_en", "fund_type", "risk_rating",
                "currency", "min_purchase")
# The recommender works in CNY and min_purchase is documented as CNY.
CATALOGUE_CURRENCY = "CNY"

_FUND_CODE = re.compile(r"\d{6}")
_DAYS = re.compile(r"\d{1,5}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class CatalogueProblem:
    line: int      # 1 is the header, 2 the first fund
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class CatalogueError(ValueError):
    """The catalogue file is unusable; ``problems`` names every bad line and why."""

    def __init__(self, source: str, problems: list[CatalogueProblem]):
        self.source = source
        self.problems = list(problems)
        listing = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{source}: fund catalogue rejected, {len(self.problems)} problem(s)\n{listing}")


def _read_bytes(path: str | Path | None) -> tuple[bytes, str]:
    if path is None:
        packaged = resources.files("recommender").joinpath("data", "funds.csv")
        return packaged.read_bytes(), str(packaged)
    path = Path(path)
    return path.read_bytes(), str(path)


def catalogue_version(path: str | Path | None = None) -> str:
    """First 12 hex characters of the sha256 of the catalogue file's bytes."""
    blob, _ = _read_bytes(path)
    return hashlib.sha256(blob).hexdigest()[:12]


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _row_problems(row: dict[str, str]) -> list[str]:
    """Every reason one catalogue row is unusable (empty list: the row is fine)."""
    reasons: list[str] = []
    code = row["fund_code"]
    if not _FUND_CODE.fullmatch(code):
        reasons.append(f"fund_code {code!r} is not 6 digits")
    for column in ("name_zh", "name_en", "manager_zh", "manager_en"):
        if not row[column]:
            reasons.append(f"{column} is empty")
    if row["fund_type"] not in schema.FUND_TYPES:
        reasons.append(f"unknown fund_type {row['fund_type']!r} (known: {', '.join(schema.FUND_TYPES)})")
    if row["risk_rating"] not in schema.PRODUCT_RATINGS:
        reasons.append(f"unknown risk_rating {row['risk_rating']!r} (known: R1..R5)")
    if row["currency"] != CATALOGUE_CURRENCY:
        reasons.append(f"currency {row['currency']!r} is not {CATALOGUE_CURRENCY}")

    for column in FEE_COLUMNS:
        value = _decimal(row[column])
        if value is None:
            reasons.append(f"{column} {row[column]!r} is not a number")
        elif value < 0:
            reasons.append(f"{column} {row[column]!r} is negative")
        elif value >= 100:
            reasons.append(f"{column} {row[column]!r} is not a percentage below 100")
    for column in ("return_1y_pct", "return_3y_annualised_pct"):
        if _decimal(row[column]) is None:
            reasons.append(f"{column} {row[column]!r} is not a number")
    for column in ("volatility_pct", "max_drawdown_pct"):
        value = _decimal(row[column])
        if value is None:
            reasons.append(f"{column} {row[column]!r} is not a number")
        elif not 0 <= value <= 100:
            reasons.append(f"{column} {row[column]!r} is not between 0 and 100")

    for column in DAY_COLUMNS:
        if not _DAYS.fullmatch(row[column]):
            reasons.append(f"{column} {row[column]!r} is not a whole number of days")

    minimum = _decimal(row["min_purchase"])
    if minimum is None:
        reasons.append(f"min_purchase {row['min_purchase']!r} is not an amount")
    elif minimum <= 0:
        reasons.append(f"min_purchase {row['min_purchase']!r} is not positive")
    elif minimum.as_tuple().exponent < -2:
        reasons.append(f"min_purchase {row['min_purchase']!r} has more than 2 decimals")

    try:
        if not _DATE.fullmatch(row["inception_date"]):
            raise ValueError
        date.fromisoformat(row["inception_date"])
    except ValueError:
        reasons.append(f"inception_date {row['inception_date']!r} is not a date (YYYY-MM-DD)")

    if row["synthetic"] != "true":
        reasons.append(f"synthetic is {row['synthetic']!r}; this demo catalogue must mark every row 'true'")
    return reasons


def _validated_rows(blob: bytes, source: str) -> list[dict[str, str]]:
    try:
        text = blob.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CatalogueError(source, [CatalogueProblem(1, "file is not UTF-8 text")]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise CatalogueError(source, [CatalogueProblem(1, "file is empty (no header line)")])
    header = [column.strip() for column in header]
    if tuple(header) != schema.FUND_COLUMNS:
        missing = [c for c in schema.FUND_COLUMNS if c not in header]
        extra = [c for c in header if c not in schema.FUND_COLUMNS]
        detail = f"missing {missing}, unexpected {extra}" if (missing or extra) else "columns in the wrong order"
        raise CatalogueError(source, [CatalogueProblem(1, f"header is not schema.FUND_COLUMNS: {detail}")])

    problems: list[CatalogueProblem] = []
    rows: list[dict[str, str]] = []
    first_line_of_code: dict[str, int] = {}
    for fields in reader:
        line = reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue  # a blank line is not a fund
        if len(fields) != len(header):
            problems.append(CatalogueProblem(line, f"has {len(fields)} fields, expected {len(header)}"))
            continue
        row = {column: value.strip() for column, value in zip(header, fields)}
        reasons = _row_problems(row)
        code = row["fund_code"]
        if code in first_line_of_code:
            reasons.append(f"fund_code {code!r} repeats line {first_line_of_code[code]}")
        else:
            first_line_of_code[code] = line
        problems.extend(CatalogueProblem(line, reason) for reason in reasons)
        rows.append(row)
    if problems:
        raise CatalogueError(source, problems)
    if not rows:
        raise CatalogueError(source, [CatalogueProblem(1, "the catalogue holds no funds")])
    return rows


def _cents(amount: str) -> int:
    return int(Decimal(amount) * 100)  # exact: validated to at most 2 decimals


def load_fund_catalogue(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate the fund catalogue (default: the packaged synthetic one).

    Raises ``CatalogueError`` naming every bad line if any row is unusable.
    Returns one row per fund with typed columns (see the module docstring);
    ``frame.attrs["catalogue_version"]`` is the file's content hash.
    """
    blob, source = _read_bytes(path)
    rows = _validated_rows(blob, source)
    text = pd.DataFrame(rows, columns=list(schema.FUND_COLUMNS))

    frame = pd.DataFrame({column: text[column].astype(object) for column in TEXT_COLUMNS})
    frame["risk_level"] = text["risk_rating"].map(schema.level_number).astype("int64")
    frame["min_purchase_cents"] = np.array([_cents(v) for v in text["min_purchase"]], dtype="int64")
    for column in PERCENT_COLUMNS:
        frame[column] = text[column].astype("float64")
    for column in DAY_COLUMNS:
        frame[column] = text[column].astype("int64")
    frame["inception_date"] = pd.to_datetime(text["inception_date"], format="%Y-%m-%d")
    frame["synthetic"] = True
    frame = frame.reset_index(drop=True)
    frame.attrs["catalogue_version"] = hashlib.sha256(blob).hexdigest()[:12]
    frame.attrs["source"] = source
    return frame
