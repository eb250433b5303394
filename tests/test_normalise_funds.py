"""Fund codes and names resolved against a catalogue (bot/normalise/funds.py)."""
from __future__ import annotations

import pandas as pd
import pytest

from bot.normalise.funds import (
    NAME_MATCH_THRESHOLD,
    FundMatch,
    candidates,
    dice_similarity,
    find_fund_codes,
    normalise_name,
    resolve_fund,
)
from recommender import schema

# A small catalogue in the real schema's shape; all names invented for the test.
ROWS = [
    ("880001", "青枫天天利货币A", "Qingfeng Daily Yield Money Market A", "money_market", "R1"),
    ("880002", "青枫纯债债券A", "Qingfeng Pure Bond A", "bond", "R2"),
    ("880003", "青枫纯债债券C", "Qingfeng Pure Bond C", "bond", "R2"),
    ("880004", "白塔红利低波指数", "Baita Dividend Low-Volatility Index", "index", "R3"),
    ("880005", "白塔科技先锋股票", "Baita Tech Pioneer Equity", "equity", "R5"),
    ("880006", "远舟全球医疗(QDII)", "Yuanzhou Global Healthcare (QDII)", "qdii", "R4"),
    ("080007", "远舟稳健配置混合", "Yuanzhou Balanced Allocation Hybrid", "hybrid", "R3"),
]


@pytest.fixture
def catalogue() -> pd.DataFrame:
    frame = pd.DataFrame(ROWS, columns=["fund_code", "name_zh", "name_en", "fund_type", "risk_rating"])
    assert set(frame.columns) <= set(schema.FUND_COLUMNS)
    return frame


@pytest.mark.parametrize("text, code", [
    ("880004", "880004"),
    ("基金880004怎么样", "880004"),
    ("080007", "080007"),                          # a leading zero is part of the code
    ("青枫天天利货币A", "880001"),                  # full Chinese name
    ("Qingfeng Pure Bond A", "880002"),            # full English name
    ("qingfeng pure bond c fund", "880003"),       # case, "fund" and spacing ignored
    ("我想买白塔科技先锋股票", "880005"),            # full name inside a sentence
    ("青枫天天利", "880001"),                        # a fragment only one fund contains
    ("白塔红利低波", "880004"),
    ("Baita Dividend Low Vol Index", "880004"),     # abbreviated word
    ("Baita Tech Pionere Equity", "880005"),        # typo
    ("远舟全球医疗QDII", "880006"),                  # brackets ignored
])
def test_resolve_fund(catalogue, text, code):
    match = resolve_fund(text, catalogue)
    assert isinstance(match, FundMatch) and match.fund_code == code
    assert match.score >= NAME_MATCH_THRESHOLD


def test_code_and_full_name_matches_are_exact_fragments_are_not(catalogue):
    assert resolve_fund("880004", catalogue).exact
    assert resolve_fund("青枫天天利货币A", catalogue).exact
    fragment = resolve_fund("青枫天天利", catalogue)
    assert not fragment.exact and fragment.score < 1.0


@pytest.mark.parametrize("text", [
    "000198",            # well-formed code the catalogue does not list
    "青枫天天利 000198",  # the unknown code decides, whatever the name says
    "青枫纯债债券",        # share class A or C: ambiguous
    "青枫",               # the company: ambiguous
    "白塔",
    "华信货币",            # not in the catalogue
    "hello",
    "",
    "money market",       # a fund type, not a fund name
])
def test_unresolved(catalogue, text):
    assert resolve_fund(text, catalogue) is None


def test_candidates_offer_both_share_classes(catalogue):
    offered = candidates("青枫纯债债券", catalogue, n=3)
    assert {m.fund_code for m in offered[:2]} == {"880002", "880003"}
    assert offered[0].score == offered[1].score
    assert len(offered) <= 3 and all(a.score >= b.score for a, b in zip(offered, offered[1:]))


def test_candidates_for_a_known_code_is_that_fund(catalogue):
    assert [m.fund_code for m in candidates("880006", catalogue)] == ["880006"]


def test_candidates_respect_n(catalogue):
    assert len(candidates("青枫", catalogue, n=2)) == 2


def test_find_fund_codes_takes_standalone_six_digit_numbers():
    text = "买两万 000198 和 1234567 还有 991001"
    assert [code for _, _, code in find_fund_codes(text)] == ["000198", "991001"]
    start, end, _ = find_fund_codes(text)[0]
    assert text[start:end] == "000198"


def test_name_normalisation_and_similarity():
    assert normalise_name("Qingfeng Pure Bond A Fund") == normalise_name("qingfeng  pure-bond (A)") == "qingfengpurebonda"
    assert normalise_name("远舟全球医疗(QDII)基金") == "远舟全球医疗qdii"
    assert dice_similarity("abcd", "abcd") == 1.0
    assert dice_similarity("abcd", "wxyz") == 0.0
    assert 0 < dice_similarity("青枫纯债", "青枫稳健") < 1


def test_integer_codes_in_the_frame_still_match(catalogue):
    numeric = catalogue.assign(fund_code=catalogue["fund_code"].astype(int))
    assert resolve_fund("080007", numeric).fund_code == "080007"


def test_every_fund_in_the_packaged_catalogue_resolves_to_itself():
    try:
        from recommender.catalogue import load_fund_catalogue

        real = load_fund_catalogue()
    except (ImportError, FileNotFoundError) as exc:
        pytest.skip(f"packaged fund catalogue not available: {exc}")
    for row in real.itertuples():
        for text in (row.fund_code, row.name_zh, row.name_en, f"我想了解{row.name_zh}"):
            match = resolve_fund(text, real)
            assert match is not None and match.fund_code == row.fund_code, (text, match)
