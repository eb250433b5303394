"""ISO 18245 merchant category codes (MCC) -> finbot spending category.

Card networks attach a 4-digit MCC to every card payment. It is the most
reliable evidence we have of what a payment was for, so categorise() uses it
first. The table below is written from the public ISO 18245 groupings (ranges
for airlines, car rental and lodging; single codes elsewhere). Codes not in
the table fall through to the merchant rules.

Choices worth knowing:
- 4112 passenger railways, 4511 airlines, 4722 travel agencies -> travel
  (long-distance trips); 4111 commuter transport, 4121 taxis -> transport.
- 5300 wholesale clubs, 5411 supermarkets, 5499 convenience stores -> groceries.
- 5942 book stores, 8351 child care -> education.
- 6010/6011 cash withdrawals and 4829 money transfers -> other (use unknown).
- 6211 securities brokers is handled as a fund purchase/redemption by the
  policy (``CategorisationPolicy.fund_mccs``), not as spending; it maps to
  "other" here only so that a bank that removes it from fund_mccs still gets
  a category.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

# (first code, last code, category); inclusive ranges, sorted, never overlapping.
MCC_RANGES: tuple[tuple[int, int, str], ...] = (
    (742, 742, "health"),          # veterinary services
    (763, 763, "groceries"),       # agricultural co-operatives
    (780, 780, "housing"),         # landscaping and horticultural services
    (1520, 1799, "housing"),       # contractors: general, HVAC, electrical, roofing
    (2741, 2791, "shopping"),      # publishing and printing
    (2842, 2842, "shopping"),      # cleaning and sanitation preparations
    (3000, 3299, "travel"),        # airlines (named carriers)
    (3351, 3441, "travel"),        # car rental agencies (named)
    (3501, 3999, "travel"),        # hotels and resorts (named)
    (4011, 4011, "transport"),     # railroads
    (4111, 4111, "transport"),     # local and suburban commuter transport, metro
    (4112, 4112, "travel"),        # passenger railways
    (4119, 4119, "health"),        # ambulance services
    (4121, 4121, "transport"),     # taxicabs and limousines, ride hailing
    (4131, 4131, "transport"),     # bus lines
    (4214, 4215, "other"),         # freight, courier services
    (4225, 4225, "other"),         # public warehousing and storage
    (4411, 4411, "travel"),        # cruise lines
    (4457, 4468, "entertainment"), # boat rentals, marinas
    (4511, 4511, "travel"),        # airlines, air carriers
    (4582, 4582, "travel"),        # airports, airport terminals
    (4722, 4723, "travel"),        # travel agencies, tour operators
    (4784, 4784, "transport"),     # tolls and bridge fees
    (4789, 4789, "transport"),     # transportation services
    (4812, 4812, "shopping"),      # telecommunication equipment and phones
    (4814, 4816, "utilities"),     # telecom services, computer network services
    (4821, 4821, "utilities"),     # telegraph services
    (4829, 4829, "other"),         # money orders, wire transfers
    (4899, 4899, "entertainment"), # cable, satellite and pay TV
    (4900, 4900, "utilities"),     # electric, gas, water, sanitary
    (5013, 5199, "shopping"),      # wholesale goods
    (5200, 5299, "shopping"),      # home supply, building materials, hardware, garden
    (5300, 5300, "groceries"),     # wholesale clubs
    (5309, 5399, "shopping"),      # duty free, discount, department and variety stores
    (5411, 5499, "groceries"),     # supermarkets, butchers, bakeries, convenience stores
    (5511, 5521, "shopping"),      # car dealers
    (5531, 5599, "transport"),     # auto parts, tyres, service stations, fuel
    (5611, 5699, "shopping"),      # clothing and shoes
    (5712, 5735, "shopping"),      # furniture, appliances, electronics, music
    (5811, 5811, "dining"),        # caterers
    (5812, 5814, "dining"),        # restaurants, bars, fast food
    (5815, 5818, "entertainment"), # digital goods: books, films, music, games, apps
    (5912, 5912, "health"),        # drug stores and pharmacies
    (5921, 5921, "groceries"),     # package stores: beer, wine, liquor
    (5931, 5941, "shopping"),      # used goods, antiques, pawn, bicycles, sporting goods
    (5942, 5942, "education"),     # book stores
    (5943, 5959, "shopping"),      # stationery, jewellery, toys, cameras, gifts, luggage
    (5960, 5960, "insurance"),     # direct marketing: insurance services
    (5961, 5974, "shopping"),      # direct marketing, catalogue and mail order
    (5975, 5976, "health"),        # hearing aids, orthopaedic goods
    (5977, 5999, "shopping"),      # cosmetics, florists, pet shops, misc retail
    (6010, 6012, "other"),         # cash disbursements, ATMs, financial institutions
    (6051, 6051, "other"),         # quasi-cash, foreign currency
    (6211, 6211, "other"),         # securities brokers (see fund_mccs)
    (6300, 6300, "insurance"),     # insurance sales and underwriting
    (6381, 6399, "insurance"),     # insurance premiums
    (6513, 6513, "housing"),       # real estate agents and managers: rentals
    (7011, 7033, "travel"),        # hotels, timeshares, camps
    (7210, 7221, "other"),         # laundry, dry cleaning, photo studios
    (7230, 7230, "shopping"),      # barber and beauty shops
    (7251, 7261, "other"),         # shoe repair, funeral services
    (7273, 7273, "entertainment"), # dating services
    (7276, 7276, "other"),         # tax preparation
    (7277, 7277, "health"),        # counselling services
    (7278, 7296, "shopping"),      # buying services, clothing rental
    (7297, 7298, "health"),        # massage parlours, health and beauty spas
    (7299, 7299, "other"),         # miscellaneous personal services
    (7311, 7399, "other"),         # business services
    (7512, 7512, "travel"),        # car rental
    (7513, 7513, "transport"),     # truck and utility trailer rental
    (7519, 7519, "travel"),        # motor home and RV rental
    (7523, 7523, "transport"),     # parking lots and garages
    (7531, 7549, "transport"),     # car repair, car wash, towing
    (7622, 7699, "other"),         # repair shops
    (7829, 7841, "entertainment"), # film distribution, cinemas, video rental
    (7911, 7990, "entertainment"), # dance halls, theatres, bands, sports, bowling
    (7991, 7991, "travel"),        # tourist attractions and exhibits
    (7992, 7999, "entertainment"), # golf, arcades, gambling, amusement parks, gyms, recreation
    (8011, 8099, "health"),        # doctors, dentists, opticians, hospitals, labs
    (8111, 8111, "other"),         # legal services
    (8211, 8299, "education"),     # schools, colleges, vocational training
    (8351, 8351, "education"),     # child care services
    (8398, 8699, "other"),         # charities, associations, religious organisations
    (8734, 8999, "other"),         # testing labs, architects, accountants, professional services
    (9211, 9405, "other"),         # court costs, fines, tax payments, government services, postal
)

_LOWS = np.array([r[0] for r in MCC_RANGES], dtype=np.int64)
_HIGHS = np.array([r[1] for r in MCC_RANGES], dtype=np.int64)
_CATEGORIES = np.array([r[2] for r in MCC_RANGES], dtype=object)


def check_table() -> None:
    """Raise AssertionError if the ranges are unsorted, overlap, or are not 4-digit codes."""
    assert np.all(_LOWS <= _HIGHS), "a range ends before it starts"
    assert np.all(_HIGHS[:-1] < _LOWS[1:]), "ranges must be sorted and must not overlap"
    assert _LOWS[0] >= 0 and _HIGHS[-1] <= 9999


check_table()


def mcc_categories(mcc: pd.Series) -> np.ndarray:
    """Category for each MCC, or None where it is missing, malformed or not in the table.

    mcc: Series of 4-digit strings ("5812"; None/NaN/"" when absent; integers
    are accepted too), length n. Returns an object array of shape (n,).
    Work is done once per distinct code, then broadcast back.
    """
    row_codes, distinct = pd.factorize(mcc, use_na_sentinel=True)
    numbers = np.array([_as_number(v) for v in distinct], dtype=np.int64)
    distinct_categories = np.full(len(numbers), None, dtype=object)
    valid = numbers >= 0
    if valid.any():
        pos = np.searchsorted(_LOWS, numbers[valid], side="right") - 1
        inside = (pos >= 0) & (numbers[valid] <= _HIGHS[np.clip(pos, 0, None)])
        found = np.full(int(valid.sum()), None, dtype=object)
        found[inside] = _CATEGORIES[pos[inside]]
        distinct_categories[valid] = found
    out = np.full(len(row_codes), None, dtype=object)
    present = row_codes >= 0
    out[present] = distinct_categories[row_codes[present]]
    return out


def _as_number(value) -> int:
    """'5812' or 5812 -> 5812; anything that is not a 1-4 digit code -> -1."""
    text = str(value).strip()
    if text.endswith(".0"):  # an integer column that pandas read as float
        text = text[:-2]
    return int(text) if text.isdigit() and len(text) <= 4 else -1
