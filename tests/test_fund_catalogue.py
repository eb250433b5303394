"""The synthetic fund catalogue: complete, typed, plausible per fund type, and
refused line by line when a row is broken."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from recommender import schema
from recommender.catalogue import CatalogueError, catalogue_version, load_fund_catalogue

PACKAGED = Path(__file__).resolve().parent.parent / "recommender" / "data" / "funds.csv"
MIN_PER_TYPE = {"money_market": 8, "bond": 8, "hybrid": 8, "index": 8, "equity": 8, "qdii": 6}
# Annualised volatility bands by type, in percent (the brief for the synthetic figures).
VOLATILITY_BAND = {"money_market": (0, 0.5), "bond": (1, 4), "hybrid": (8, 15), "index": (15, 25),
                   "equity": (18, 30), "qdii": (15, 25)}


@pytest.fixture(scope="module")
def funds():
    return load_fund_catalogue()


def test_loads_at_least_forty_funds_with_typed_columns(funds):
    assert len(funds) >= 40
    assert list(funds.index) == list(range(len(funds)))
    assert funds["risk_level"].dtype == "int64" and funds["min_purchase_cents"].dtype == "int64"
    for column in ("subscription_fee_pct", "management_fee_pct", "custody_fee_pct", "return_1y_pct",
                   "return_3y_annualised_pct", "volatility_pct", "max_drawdown_pct"):
        assert funds[column].dtype == "float64", column
    for column in ("redemption_days", "min_holding_days"):
        assert funds[column].dtype == "int64", column
    assert pd.api.types.is_datetime64_any_dtype(funds["inception_date"])
    assert (funds["risk_level"] == funds["risk_rating"].str[1].astype(int)).all()


def test_every_type_and_rating_is_present(funds):
    counts = funds["fund_type"].value_counts()
    for fund_type, minimum in MIN_PER_TYPE.items():
        assert counts.get(fund_type, 0) >= minimum, fund_type
    assert set(funds["fund_type"]) == set(schema.FUND_TYPES)
    assert set(funds["risk_rating"]) == set(schema.PRODUCT_RATINGS)


def test_codes_are_unique_six_digit_strings(funds):
    assert funds["fund_code"].is_unique
    assert funds["fund_code"].str.fullmatch(r"\d{6}").all()


def test_money_market_funds_are_r1_cash_like(funds):
    mmf = funds[funds.fund_type == "money_market"]
    assert (mmf["risk_rating"] == "R1").all()
    assert (mmf["redemption_days"] <= 1).all()
    assert (mmf["min_holding_days"] == 0).all()
    assert (mmf["subscription_fee_pct"] == 0).all()
    assert mmf["min_purchase_cents"].between(1, 100).all()


def test_figures_are_plausible_for_each_type(funds):
    for fund_type, (low, high) in VOLATILITY_BAND.items():
        volatility = funds.loc[funds.fund_type == fund_type, "volatility_pct"]
        assert volatility.between(low, high).all(), fund_type
        # A spread within a type, so ranking on risk-adjusted figures means something.
        assert volatility.nunique() > 1 or fund_type == "money_market"
    assert (funds.groupby("fund_type")["max_drawdown_pct"].nunique() > 1).all()
    # Riskier types are riskier on average.
    mean_vol = funds.groupby("fund_type")["volatility_pct"].mean()
    assert mean_vol["money_market"] < mean_vol["bond"] < mean_vol["hybrid"] < mean_vol["equity"]
    bond_ratings = funds.loc[funds.fund_type == "bond", "risk_rating"]
    assert set(bond_ratings) <= {"R2", "R3"} and (bond_ratings == "R2").mean() > 0.5
    assert set(funds.loc[funds.fund_type.isin(["equity", "qdii"]), "risk_rating"]) <= {"R4", "R5"}
    assert (funds["max_drawdown_pct"] >= 0).all()
    assert (funds["min_holding_days"] >= 365).sum() >= 2       # a few locked-up funds


def test_min_purchase_is_exact_cents(funds):
    assert funds["min_purchase_cents"].min() >= 1
    for text, value in zip(funds["min_purchase"], funds["min_purchase_cents"]):
        whole, _, frac = text.partition(".")
        assert int(whole) * 100 + int((frac + "00")[:2]) == value


def test_every_row_is_marked_synthetic_and_names_are_bilingual(funds):
    assert funds["synthetic"].all()
    assert funds["name_zh"].str.contains(r"[\u4e00-\u9fff]").all()
    assert funds["name_en"].str.fullmatch(r"[ -~]+").all()
    assert funds["name_zh"].is_unique and funds["name_en"].is_unique


def test_catalogue_version_is_the_file_hash(funds):
    expected = hashlib.sha256(PACKAGED.read_bytes()).hexdigest()[:12]
    assert funds.attrs["catalogue_version"] == expected == catalogue_version()
    assert load_fund_catalogue(PACKAGED).attrs["catalogue_version"] == expected


def test_a_changed_file_has_another_version(tmp_path):
    copy = tmp_path / "funds.csv"
    copy.write_bytes(PACKAGED.read_bytes().replace(b",1.62,", b",1.63,", 1))
    assert catalogue_version(copy) != catalogue_version()
    assert len(load_fund_catalogue(copy)) == len(load_fund_catalogue())


def test_broken_rows_are_all_named_with_their_line(tmp_path):
    lines = PACKAGED.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    col = {name: i for i, name in enumerate(header)}

    def broken(line_number: int, column: str, value: str) -> None:
        fields = lines[line_number - 1].split(",")
        fields[col[column]] = value
        lines[line_number - 1] = ",".join(fields)

    broken(3, "fund_code", "12345")                  # five digits
    broken(7, "fund_type", "crypto")                 # unknown type
    broken(12, "management_fee_pct", "-0.30")        # negative fee
    broken(15, "fund_code", lines[1].split(",")[0])  # repeats line 2's code
    bad = tmp_path / "funds.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with pytest.raises(CatalogueError) as caught:
        load_fund_catalogue(bad)
    problems = {p.line: p.reason for p in caught.value.problems}
    assert set(problems) == {3, 7, 12, 15}
    assert "fund_code" in problems[3] and "12345" in problems[3]
    assert "crypto" in problems[7]
    assert "management_fee_pct" in problems[12] and "negative" in problems[12]
    assert "repeats line 2" in problems[15]
    message = str(caught.value)
    for line in (3, 7, 12, 15):
        assert f"line {line}:" in message


def test_unmarked_rows_and_wrong_headers_are_refused(tmp_path):
    text = PACKAGED.read_text(encoding="utf-8")
    unmarked = tmp_path / "unmarked.csv"
    unmarked.write_text(text.replace(",true\n", ",false\n", 1), encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_fund_catalogue(unmarked)
    assert [p.line for p in caught.value.problems] == [2]

    renamed = tmp_path / "renamed.csv"
    renamed.write_text(text.replace("risk_rating", "rating", 1), encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_fund_catalogue(renamed)
    assert caught.value.problems[0].line == 1 and "risk_rating" in caught.value.problems[0].reason
