"""Entity normalisation without external servers (no Duckling).

Pure functions over text (no Rasa imports), used by the Rasa component
``bot.components.entity_normalizer.FinbotEntityNormalizer`` and by actions:

* ``parse_amount(text) -> Decimal | None``       CNY, exact, 2 decimals   (amounts.py)
* ``parse_money(text) -> Money | None``          amount + ISO currency    (amounts.py)
* ``parse_period(text, today) -> Period | None`` inclusive date range     (periods.py)
* ``parse_horizon_months(text) -> int | None``   whole months             (horizons.py)
* ``canonical_category(text) -> str | None``     spending category        (vocab.py)
* ``canonical_fund_type(text) -> str | None``    fund type                (vocab.py)
* ``resolve_fund(text, catalogue) -> FundMatch | None`` and
  ``candidates(text, catalogue, n=3)``           fund code / name         (funds.py)
* ``parse_number(text) -> Decimal | None``       any numeral              (numbers.py)

``find_amounts``, ``find_periods``, ``find_horizons`` and ``find_fund_codes``
scan a whole message and return spans (offsets into the original text).
"""
from bot.normalise.amounts import AmountMatch, Money, find_amounts, parse_amount, parse_money
from bot.normalise.funds import FundMatch, candidates, find_fund_codes, resolve_fund
from bot.normalise.horizons import VAGUE_HORIZON_MONTHS, HorizonMatch, find_horizons, parse_horizon_months
from bot.normalise.numbers import fold, parse_number
from bot.normalise.periods import Period, PeriodMatch, find_periods, parse_period
from bot.normalise.vocab import FUND_TYPES, SPENDING_CATEGORIES, canonical_category, canonical_fund_type

__all__ = [
    "AmountMatch", "FUND_TYPES", "FundMatch", "HorizonMatch", "Money", "Period", "PeriodMatch",
    "SPENDING_CATEGORIES", "VAGUE_HORIZON_MONTHS", "candidates", "canonical_category", "canonical_fund_type",
    "find_amounts", "find_fund_codes", "find_horizons", "find_periods", "fold", "parse_amount", "parse_horizon_months",
    "parse_money", "parse_number", "parse_period", "resolve_fund",
]
