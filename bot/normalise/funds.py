"""Fund codes and fund names resolved against the fund catalogue.

``resolve_fund(text, catalogue)`` returns the one fund the customer means, or
None; ``candidates(text, catalogue, n)`` the best few, for "did you mean".
``catalogue`` is a frame with at least ``fund_code``, ``name_zh`` and
``name_en`` (``recommender.catalogue.load_fund_catalogue()`` returns one).

Rules, in order:

1. A 6-digit code in the text decides: it matches exactly if the catalogue
   lists it (score 1.0, ``exact``), and a code the catalogue does not list
   gives None, whatever else the text says (the bank cannot sell it).
2. Names are compared after normalisation: ``numbers.fold``, then spaces,
   punctuation, brackets and the generic words 基金 / fund / the removed
   ("Chengxi Pure Bond A fund" ~ "chengxipurebonda"). Each fund scores the
   better of its Chinese and English name:

   * the whole name equal to, or contained in, the text: 1.0 if equal, else
     0.95; ``exact`` is True (the customer wrote the full name);
   * the text contained in the name (at least ``MIN_FRAGMENT_ZH`` Chinese /
     ``MIN_FRAGMENT_EN`` Latin characters): 0.7 + 0.3 x (share of the name
     the text covers); "澄溪天天利" -> "澄溪天天利货币A";
   * otherwise the Dice coefficient of the two strings' character bigrams.

3. The best fund is returned if it scores at least ``NAME_MATCH_THRESHOLD``
   (0.6) and no *other* fund scores within ``AMBIGUITY_MARGIN`` (0.02) of it;
   two share classes ("澄溪纯债债券" -> A or C?) or a bare company name are
   ambiguous, so None, and ``candidates`` lists them for the bot to ask.
   ``candidates`` keeps funds scoring at least ``CANDIDATE_FLOOR`` (0.3).
   A fund type alone ("money market", "债基") names no fund.

Scores are similarities in [0, 1], floats; no money is involved.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from bot.normalise.numbers import MAX_ENTITY_CHARS, fold
from bot.normalise.vocab import FUND_TYPE_SYNONYMS

NAME_MATCH_THRESHOLD = 0.6
AMBIGUITY_MARGIN = 0.02
CANDIDATE_FLOOR = 0.3
MIN_FRAGMENT_ZH = 2
MIN_FRAGMENT_EN = 4

FUND_CODE_PATTERN = re.compile(r"(?<![0-9])[0-9]{6}(?![0-9])")
_GENERIC_WORDS = re.compile(r"基金|\bfunds?\b|\bthe\b")
_NOT_NAME_CHARS = re.compile(r"[^0-9a-z\u3400-\u9fff]+")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class FundMatch:
    fund_code: str
    name_zh: str
    name_en: str
    score: float   # similarity in [0, 1]
    exact: bool    # the code, or the full name, is in the text


@lru_cache(maxsize=65536)  # catalogue names repeat on every call
def normalise_name(text: str) -> str:
    """A fund name (or a customer's text) reduced to comparable characters."""
    folded = fold(text or "")
    return _NOT_NAME_CHARS.sub("", _GENERIC_WORDS.sub(" ", folded))


def find_fund_codes(text: str) -> list[tuple[int, int, str]]:
    """(start, end, code) for every standalone 6-digit number in the text."""
    folded = fold(text or "")
    return [(m.start(), m.end(), m.group()) for m in FUND_CODE_PATTERN.finditer(folded)]


# A fund type on its own ("money market", "债基") names no particular fund, even
# when the catalogue holds only one fund of that type.
_FUND_TYPE_WORDS = frozenset(
    normalise_name(word) for words in FUND_TYPE_SYNONYMS.values() for word in words
) - {""}


@lru_cache(maxsize=65536)
def _bigrams(text: str) -> frozenset[str]:
    if len(text) < 2:
        return frozenset({text}) if text else frozenset()
    return frozenset(text[i:i + 2] for i in range(len(text) - 1))


def dice_similarity(a: str, b: str) -> float:
    """Dice coefficient of the character-bigram sets of a and b, in [0, 1]."""
    grams_a, grams_b = _bigrams(a), _bigrams(b)
    if not grams_a or not grams_b:
        return 0.0
    return 2 * len(grams_a & grams_b) / (len(grams_a) + len(grams_b))


def _name_score(query: str, name: str) -> tuple[float, bool]:
    """(score, exact) of one normalised query against one normalised name."""
    if not query or not name:
        return 0.0, False
    if query == name:
        return 1.0, True
    if name in query:
        return 0.95, True
    minimum = MIN_FRAGMENT_ZH if _CJK.search(query) else MIN_FRAGMENT_EN
    if len(query) >= minimum and query in name:
        return 0.7 + 0.3 * len(query) / len(name), False
    return dice_similarity(query, name), False


def _code(value) -> str:
    return str(value).strip().zfill(6)


def _scored(text: str, catalogue: pd.DataFrame) -> list[FundMatch]:
    query = normalise_name((text or "")[:MAX_ENTITY_CHARS])
    if query in _FUND_TYPE_WORDS:
        return []
    scored = []
    for code, name_zh, name_en in zip(catalogue["fund_code"], catalogue["name_zh"], catalogue["name_en"]):
        best = max(_name_score(query, normalise_name(name_zh)), _name_score(query, normalise_name(name_en)))
        scored.append(FundMatch(_code(code), str(name_zh), str(name_en), round(best[0], 4), best[1]))
    scored.sort(key=lambda match: (-match.score, match.fund_code))
    return scored


def _by_code(text: str, catalogue: pd.DataFrame) -> FundMatch | None | bool:
    """The fund for the first code in the text; None if the code is unknown; False if no code."""
    codes = find_fund_codes(text)
    if not codes:
        return False
    wanted = codes[0][2]
    for code, name_zh, name_en in zip(catalogue["fund_code"], catalogue["name_zh"], catalogue["name_en"]):
        if _code(code) == wanted:
            return FundMatch(wanted, str(name_zh), str(name_en), 1.0, True)
    return None


def resolve_fund(text: str, catalogue: pd.DataFrame) -> FundMatch | None:
    """The one catalogue fund the text names (by code or name), or None.

    None when nothing scores ``NAME_MATCH_THRESHOLD``, when two funds are
    equally good (ask the customer, with ``candidates``), or when the text
    holds a code the catalogue does not list.
    """
    by_code = _by_code(text, catalogue)
    if by_code is not False:
        return by_code
    scored = _scored(text, catalogue)
    if not scored or scored[0].score < NAME_MATCH_THRESHOLD:
        return None
    best = scored[0]
    if len(scored) > 1 and scored[1].score >= best.score - AMBIGUITY_MARGIN and not (best.exact and not scored[1].exact):
        return None
    return best


def candidates(text: str, catalogue: pd.DataFrame, n: int = 3) -> list[FundMatch]:
    """Up to n funds the text may mean, best first (score >= ``CANDIDATE_FLOOR``)."""
    by_code = _by_code(text, catalogue)
    if isinstance(by_code, FundMatch):
        return [by_code]
    return [match for match in _scored(text, catalogue) if match.score >= CANDIDATE_FLOOR][:n]
