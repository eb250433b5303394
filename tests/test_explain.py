"""Step 6: bilingual reasons with the numbers in them, and the disclosure."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from recommender.explain import (
    DISCLOSURE,
    REASON_TEMPLATES,
    WHY_NOT_TEMPLATES,
    disclosure,
    format_money,
    format_number,
    make_reason,
    make_why_not,
)

# Realistic parameters for every template; a new template without a sample fails below.
SAMPLE_PARAMS = {
    "QUESTIONNAIRE_MISSING": {},
    "QUESTIONNAIRE_EXPIRED": {"expired_on": "2025-01-31", "validity_days": 365},
    "LEVEL_FROM_QUESTIONNAIRE": {"questionnaire_level": "C3", "expires_on": "2026-01-31"},
    "CAPACITY_CAP": {"score": 42.4, "cap_level": "C2", "questionnaire_level": "C4"},
    "THIN_HISTORY": {"months_observed": 2, "min_months": 3, "cap_level": "C2"},
    "HORIZON_CAP": {"horizon_months": 6, "shorter_than_months": 12, "cap_level": "C2", "max_rating": "R2"},
    "EFFECTIVE_LEVEL": {"effective_level": "C2", "max_rating": "R2"},
    "EMERGENCY_FUND_FIRST": {"emergency_fund_months": 1.8, "target_months": 3.0, "gap_cents": 840_000, "to_emergency_cents": 840_000},
    "EMERGENCY_FUND_SHORT": {"emergency_fund_months": 1.8, "target_months": 3.0, "gap_cents": 840_000},
    "EMERGENCY_TARGET_RAISED": {"income_volatility_cv": 0.62, "target_months": 6.0, "base_months": 3.0},
    "EMERGENCY_FUND_OK": {"emergency_fund_months": 24.0, "target_months": 3.0, "investable_cents": 10_500_000},
    "AMOUNT_ABOVE_INVESTABLE": {"amount_cents": 2_000_000, "investable_cents": 500_000, "kept_liquid_cents": 1_500_000},
    "NEGATIVE_SURPLUS": {"conservative_monthly_surplus_cents": -250_000, "max_rating": "R2"},
    "MODEL_PORTFOLIO": {
        "effective_level": "C4",
        "type_weights": {"equity": 0.4, "bond": 0.35, "qdii": 0.25},
        "expected_return_pct": 6.19,
        "volatility_pct": 12.97,
        "volatility_cap_pct": 13.0,
    },
    "VOLATILITY_CAP_NOT_MET": {"volatility_cap_pct": 4.0, "volatility_pct": 9.5},
    "REQUESTED_TYPE": {"fund_type": "index"},
    "REQUESTED_TYPE_NOT_SUITABLE": {"fund_type": "equity"},
    "CONCENTRATION_LIMIT": {"max_single_fund_weight": 0.2, "fund_type": "equity", "funds_used": 3},
    "AMOUNT_MOVED": {"amount_cents": 123_456, "fund_type": "money_market"},
    "BELOW_MIN_PURCHASE": {"fund_code": "995006", "min_purchase_cents": 100_000, "amount_cents": 45_000},
    "AMOUNT_NOT_PLACED": {"amount_cents": 300, "max_single_fund_weight": 0.2},
    "NO_EMERGENCY_FUND": {"amount_cents": 500_000},
    "NO_SUITABLE_FUND": {"amount_cents": 1_000_000},
    "NOTHING_TO_INVEST": {"amount_cents": 0},
}
SAMPLE_WHY_NOT = {
    "TYPE_ABOVE_LEVEL": {"fund_type": "equity", "lowest_rating": "R4", "max_rating": "R2"},
    "HOLDING_PERIOD_TOO_LONG": {"fund_type": "bond", "shortest_holding_days": 365, "horizon_months": 6},
    "NEGATIVE_SURPLUS": {"fund_type": "hybrid"},
    "CURRENCY_NOT_ACCEPTED": {"fund_type": "qdii", "currency": "USD"},
    "EMERGENCY_FUND_FIRST": {"fund_type": "bond"},
    "NOT_IN_MODEL_PORTFOLIO": {"fund_type": "index", "effective_level": "C3", "expected_return_pct": 7.0, "volatility_pct": 20.0},
    "BELOW_MIN_PURCHASE": {"fund_type": "qdii", "amount_cents": 50_000, "min_purchase_cents": 100_000},
    "CONCENTRATION_LIMIT": {"fund_type": "bond", "max_single_fund_weight": 0.2},
    "NOT_REQUESTED": {"requested_type": "index"},
}


def test_every_template_has_a_sample_and_renders_in_both_languages():
    assert set(SAMPLE_PARAMS) == set(REASON_TEMPLATES)
    assert set(SAMPLE_WHY_NOT) == set(WHY_NOT_TEMPLATES)
    reasons = [make_reason(code, **params) for code, params in SAMPLE_PARAMS.items()]
    reasons += [make_why_not(code, **params) for code, params in SAMPLE_WHY_NOT.items()]
    for reason in reasons:
        zh, en = reason.text["zh"], reason.text["en"]
        assert zh and en and "{" not in zh + en and "}" not in zh + en
        assert re.search(r"[\u4e00-\u9fff]", zh), reason.code       # Chinese text
        assert not re.search(r"[\u4e00-\u9fff]", en), reason.code   # no Chinese left in English
        json.dumps(reason.to_dict(), ensure_ascii=False)


def test_missing_parameter_is_an_error_not_a_silent_blank():
    with pytest.raises(KeyError):
        make_reason("EMERGENCY_FUND_FIRST", emergency_fund_months=1.8)


def test_emergency_reason_reads_like_the_issue_example():
    reason = make_reason("EMERGENCY_FUND_FIRST", **SAMPLE_PARAMS["EMERGENCY_FUND_FIRST"])
    assert "你的应急资金只够 1.8 个月的必要开支（目标 3 个月" in reason.text["zh"]
    assert "¥8,400.00" in reason.text["zh"]
    assert reason.text["en"].startswith("You have 1.8 months of essential spending in cash (target 3")
    assert "CNY 8,400.00" in reason.text["en"]
    assert reason.params == SAMPLE_PARAMS["EMERGENCY_FUND_FIRST"]   # raw numbers kept for the audit


def test_model_portfolio_reason_lists_types_and_percentages():
    reason = make_reason("MODEL_PORTFOLIO", **SAMPLE_PARAMS["MODEL_PORTFOLIO"])
    assert "股票基金 40%、债券基金 35%、QDII基金 25%" in reason.text["zh"]
    assert "equity fund 40%, bond fund 35%" in reason.text["en"]
    assert "6.2%" in reason.text["en"] and "13.0%" in reason.text["en"]


def test_levels_get_their_names():
    reason = make_reason("LEVEL_FROM_QUESTIONNAIRE", **SAMPLE_PARAMS["LEVEL_FROM_QUESTIONNAIRE"])
    assert "C3（稳健型）" in reason.text["zh"] and "C3 (balanced)" in reason.text["en"]


@pytest.mark.parametrize(
    "cents, zh, en",
    [
        (2_000_000, "¥20,000.00", "CNY 20,000.00"),
        (5, "¥0.05", "CNY 0.05"),
        (0, "¥0.00", "CNY 0.00"),
        (-250_050, "-¥2,500.50", "CNY -2,500.50"),
        (123_456_789_012_345, "¥1,234,567,890,123.45", "CNY 1,234,567,890,123.45"),
    ],
)
def test_money_is_formatted_exactly(cents, zh, en):
    assert format_money(cents, "zh") == zh
    assert format_money(cents, "en") == en


@pytest.mark.parametrize("value, text", [(1.84, "1.8"), (3.0, "3"), (2.96, "3"), (0.05, "0.1"), (12, "12")])
def test_numbers_for_people(value, text):
    assert format_number(value) == text


def test_numpy_numbers_become_plain_json_numbers():
    reason = make_reason("AMOUNT_MOVED", amount_cents=np.int64(1234), fund_type="bond")
    assert type(reason.params["amount_cents"]) is int
    assert reason.text["en"].startswith("CNY 12.34")
    json.dumps(reason.to_dict())


def test_disclosure_is_standard_and_says_the_data_is_synthetic():
    text = disclosure()
    assert text == DISCLOSURE
    assert "基金有风险，投资需谨慎" in text["zh"] and "过往业绩不代表未来表现" in text["zh"] and "合成数据" in text["zh"]
    assert "Funds carry risk" in text["en"] and "Past performance does not guarantee future results" in text["en"]
    assert "synthetic" in text["en"]
