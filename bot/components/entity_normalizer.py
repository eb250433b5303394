"""FinbotEntityNormalizer: turns extracted entities into the contract's values.

A Rasa 3.6 graph component (an entity extractor that needs no training),
placed after the extractors (DIET, RegexEntityExtractor, EntitySynonymMapper)
in ``config.yml``::

    - name: bot.components.entity_normalizer.FinbotEntityNormalizer
      # today: "2026-03-15"          # tests only; default: the server's date per message
      # catalogue_path: null         # default: the packaged fund catalogue
      # add_missing_entities: {time_period: [...intents], amount: [...], horizon: [...], fund_code: "*",
      #                        category: [...], fund_type: [...]}

For every entity in ``message.get("entities")`` it keeps the extractor's value
in ``raw_value`` and sets ``value`` to the normalised one:

==============  ====================================================================
entity          ``value`` after normalisation
==============  ====================================================================
amount          CNY as a decimal *string* with 2 decimals, "20000.00"; plus
                ``"currency": "CNY"``. A string, not a float: tracker events and
                slots are JSON, a float would round money (0.1 + 0.2), and a
                Decimal is not JSON. Actions read it with ``Decimal(value)``.
time_period     {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD", "label": ...}
                (inclusive; see bot/normalise/periods.py for the conventions)
horizon         whole months, an int
category        one of the contract's spending categories ("dining")
fund_type       money_market / bond / hybrid / index / equity / qdii
fund_code,      the catalogue's 6-digit code; ``"resolved": true`` and
fund_name       ``fund_name_zh`` / ``fund_name_en``. If the catalogue does not
                list it (or no catalogue could be loaded): the raw value stays,
                ``"resolved": false`` and ``"candidates"`` holds up to 3 codes
                for "did you mean". A well-formed but unknown 6-digit fund_code
                is still ``"normalised": true`` (it is a code), ``resolved`` false.
==============  ====================================================================

Each handled entity gets ``"normalised": true/false``; one that cannot be
normalised keeps its raw value with ``"normalised": false`` (and a short
``"reason"``). Nothing here raises on customer text: a failure is logged and
the entity is marked not normalised. Other entity types pass through untouched.

Numbers tagged as the wrong type: an ``amount`` entity whose text is a bare
6-digit number that starts with 0 or is a catalogue fund code ("000198",
"991001") is not read as money; it becomes a ``fund_code`` entity (with
``"retyped_from": "amount"``) and is resolved as one. A ``fund_code``
entity that holds no 6-digit code but reads as a CNY amount ("8000", "1万")
becomes an ``amount``. The extractor sees digits as one "number" feature,
so only the format can tell the two apart. (The parsers already refuse bare
numbers with a leading 0, and the scanner below only adds amounts with a
currency, a magnitude such as 万 / k / thousand, or thousands separators, so
"买 110022" never becomes an amount of 110,022 yuan.)

Entities the extractors missed (``add_missing_entities``): the parsers are
deterministic, so when a message has *no* entity of one of these types the
component scans the text and adds what it finds, with ``"extractor":
"FinbotEntityNormalizer"``, in this order, never overlapping an existing or
already added entity:

* time_period: any period expression; a bare English month ("may") or a bare
  year ("2024") only after a preposition ("in May", "since 2024");
* fund_code: a standalone 6-digit number the catalogue lists;
* amount: CNY amounts with evidence: a currency, a magnitude, separators, or
  a money word next to a bare number ("buy 5000 of", "买入5000的");
* horizon: explicit durations and the vague words, except periods, points in
  time, ages, rates and fund statistics ("最近三年", "三年前", "5k a month",
  "1 year return");
* category: a spending category's word from bot/normalise/vocab.py ("外卖",
  "dining", "resturants"), except words that are one only in context
  ("other" / 其他) and phrases like "of course" (``find_categories``);
* fund_type: a fund type's word ("债基", "index fund", "标普500指数基金" =
  qdii); "fund" / 基金 alone is none (``find_fund_types``).

Categories and fund types come last, so a word that is part of a period, an
amount or a horizon already added is not taken again. Their ``value`` is the
canonical name, as for an extracted entity; a message may get several
("外卖和打车": dining and transport).

Words like "today", "周末" or "a month" are everywhere in small talk and FAQ
questions, so each type is only added when the message's intent (set by an
intent classifier earlier in the pipeline) is one where the entity means
something; see ``DEFAULT_ADD_MISSING`` (used when the option is not set). A
message without an intent (the component placed before the classifier) gets
every configured type. The config value is a mapping ``{entity type:
[intents] or "*"}`` that replaces the default one; a plain list of entity
types means "for any intent"; ``[]`` switches adding off. This is what makes
phrasings the model never saw still fill the slots.
"""
from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    INTENT,
    INTENT_NAME_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.clock import environment_today, fixed_today
from bot.normalise.amounts import find_amounts, parse_money
from bot.normalise.funds import candidates, find_fund_codes, resolve_fund
from bot.normalise.horizons import find_horizons, parse_horizon_months
from bot.normalise.numbers import fold
from bot.normalise.periods import find_periods, parse_period
from bot.normalise.vocab import canonical_category, canonical_fund_type, find_categories, find_fund_types

logger = logging.getLogger(__name__)

AMOUNT, TIME_PERIOD, HORIZON = "amount", "time_period", "horizon"
CATEGORY, FUND_TYPE, FUND_CODE, FUND_NAME = "category", "fund_type", "fund_code", "fund_name"
HANDLED_ENTITIES = (AMOUNT, TIME_PERIOD, HORIZON, CATEGORY, FUND_TYPE, FUND_CODE, FUND_NAME)
ADDABLE_ENTITIES = (TIME_PERIOD, FUND_CODE, AMOUNT, HORIZON, CATEGORY, FUND_TYPE)  # the order they are added in
ANY_INTENT = "*"
# For which intents (CONTRACT.md) each type is added when the extractors missed it.
DEFAULT_ADD_MISSING: Dict[Text, Any] = {
    TIME_PERIOD: ["ask_spending", "ask_income", "ask_cashflow", "inform"],
    FUND_CODE: ANY_INTENT,   # checked against the catalogue: precise enough anywhere
    AMOUNT: ["request_recommendation", "buy_fund", "inform", "ask_cashflow"],
    HORIZON: ["request_recommendation", "buy_fund", "inform"],
    CATEGORY: ["ask_spending", "inform"],
    FUND_TYPE: ["request_recommendation", "ask_fund_info", "buy_fund", "inform"],
}

RAW_VALUE, NORMALISED, REASON, RESOLVED = "raw_value", "normalised", "reason", "resolved"
_BARE_SIX_DIGITS = re.compile(r"\s*[0-9]{6}\s*")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class FinbotEntityNormalizer(GraphComponent, EntityExtractorMixin):
    """Normalises amount, time_period, horizon, category, fund_type, fund_code and fund_name."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # "YYYY-MM-DD": the date periods are relative to (tests). None: the
            # server's local date when each message is processed.
            "today": None,
            # Fund catalogue CSV (recommender.schema.FUND_COLUMNS). None: the
            # packaged catalogue. False or "": no fund resolution.
            "catalogue_path": None,
            # Entity types to find in the text when no extractor found one,
            # and for which intents (see the module docstring). None:
            # DEFAULT_ADD_MISSING. Not a dict here on purpose: Rasa merges a
            # user's dict *into* a default dict, so a default mapping could
            # never be narrowed or switched off from config.yml.
            "add_missing_entities": None,
        }

    def __init__(self, config: Dict[Text, Any], catalogue=None) -> None:
        self.component_config = config
        self._today = _configured_date(config.get("today"))
        self.catalogue = catalogue
        self._catalogue_codes = (
            frozenset(str(code).zfill(6) for code in catalogue["fund_code"]) if catalogue is not None else frozenset()
        )
        wanted = config.get("add_missing_entities")
        if wanted is None:
            wanted = DEFAULT_ADD_MISSING
        elif not wanted:
            wanted = {}  # [], {} or false: adding is off
        elif not isinstance(wanted, dict):
            wanted = {name: ANY_INTENT for name in wanted}
        wanted = {name: [intents] if isinstance(intents, str) and intents != ANY_INTENT else intents
                  for name, intents in wanted.items()}
        unknown = [name for name in wanted if name not in ADDABLE_ENTITIES]
        if unknown:
            logger.warning("FinbotEntityNormalizer cannot add %s (only %s)", unknown, list(ADDABLE_ENTITIES))
        # entity type -> None (any intent) or the set of intents it is added for
        self._add_missing: Dict[Text, Optional[frozenset]] = {
            name: None if wanted[name] == ANY_INTENT else frozenset(wanted[name] or ())
            for name in ADDABLE_ENTITIES if name in wanted
        }

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "FinbotEntityNormalizer":
        """Creates the component (Rasa merges the default config in; so do we, for direct use)."""
        merged = {**cls.get_default_config(), **(config or {})}
        return cls(merged, _load_catalogue(merged.get("catalogue_path")))

    # ---- processing -----------------------------------------------------------------

    def today(self) -> date:
        """The configured date, else FINBOT_TODAY (the same clock the recommender
        and actions use), else the server's date. A date fixed for the current
        conversation (bot.clock, used by conversation tests) comes first."""
        conversation_day = fixed_today()
        if conversation_day is not None:
            return conversation_day
        if self._today is not None:
            return self._today
        return environment_today()

    def process(self, messages: List[Message]) -> List[Message]:
        """Normalises each message's entities in place and adds the ones missed."""
        for message in messages:
            text = message.get(TEXT) or ""
            entities = [dict(entity) for entity in (message.get(ENTITIES) or [])]
            today = self.today()
            for entity in entities:
                if entity.get(ENTITY_ATTRIBUTE_TYPE) in HANDLED_ENTITIES and NORMALISED not in entity:
                    self._normalise(entity, text, today)
            kinds = self._kinds_to_add(message)
            if text and kinds:
                entities.extend(self._missing_entities(text, entities, today, kinds))
                entities.sort(key=lambda e: (e.get(ENTITY_ATTRIBUTE_START) is None, e.get(ENTITY_ATTRIBUTE_START) or 0))
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def _normalise(self, entity: Dict[Text, Any], text: Text, today: date) -> None:
        raw = entity.get(ENTITY_ATTRIBUTE_VALUE)
        entity[RAW_VALUE] = raw
        texts = _texts_to_try(raw, text, entity)
        try:
            self._handler(entity)(entity, texts, today)
            retyped = self._retyped_number(entity)
            if retyped:
                # The extractor saw only "a number" (word features map digits to one
                # token), so it may tag "8000" as a fund code or "992001" as an
                # amount; the format decides which one the number is.
                entity[ENTITY_ATTRIBUTE_TYPE], entity["retyped_from"] = retyped, entity[ENTITY_ATTRIBUTE_TYPE]
                for key in (REASON, NORMALISED, RESOLVED, "candidates", "currency"):
                    entity.pop(key, None)
                entity[ENTITY_ATTRIBUTE_VALUE] = raw
                self._handler(entity)(entity, texts, today)
        except Exception:  # customer text must never break the pipeline
            logger.exception("could not normalise entity %r", entity)
            entity[ENTITY_ATTRIBUTE_VALUE] = raw
            entity[NORMALISED] = False
            entity[REASON] = "error"
        self.add_processor_name(entity)

    def _handler(self, entity: Dict[Text, Any]):
        return {
            AMOUNT: self._amount, TIME_PERIOD: _period, HORIZON: _horizon, CATEGORY: _category,
            FUND_TYPE: _fund_type, FUND_CODE: self._fund, FUND_NAME: self._fund,
        }[entity[ENTITY_ATTRIBUTE_TYPE]]

    def _retyped_number(self, entity: Dict[Text, Any]) -> Optional[Text]:
        """The type a bare number tagged as the wrong one really is, else None.

        An "amount" that is a fund code (6 digits, a leading 0 or listed in the
        catalogue) is a fund_code; a "fund_code" that holds no 6-digit code but
        reads as a CNY amount ("8000", "1万") is an amount.
        """
        if entity.get(REASON) == "fund_code" and entity[ENTITY_ATTRIBUTE_TYPE] == AMOUNT:
            return FUND_CODE
        if entity.get(REASON) == "no_fund_code" and entity[ENTITY_ATTRIBUTE_TYPE] == FUND_CODE:
            money = parse_money(str(entity[RAW_VALUE]))
            if money is not None and money.currency == "CNY":
                return AMOUNT
        return None

    # -- amount --
    def _amount(self, entity, texts, today) -> None:
        if any(self._looks_like_fund_code(t) for t in texts):
            _not_normalised(entity, "fund_code")
            return
        for candidate in texts:
            money = parse_money(candidate)
            if money is None:
                continue
            if money.currency != "CNY":
                entity[ENTITY_ATTRIBUTE_VALUE] = entity[RAW_VALUE]
                entity["currency"] = money.currency
                _not_normalised(entity, "not_cny")
                return
            entity[ENTITY_ATTRIBUTE_VALUE] = f"{money.amount:.2f}"
            entity["currency"] = "CNY"
            entity[NORMALISED] = True
            return
        _not_normalised(entity, "no_amount")

    def _looks_like_fund_code(self, candidate: Text) -> bool:
        if not _BARE_SIX_DIGITS.fullmatch(fold(candidate)):
            return False
        code = fold(candidate).strip()
        return code.startswith("0") or code in self._catalogue_codes

    # -- funds --
    def _fund(self, entity, texts, today) -> None:
        if entity[ENTITY_ATTRIBUTE_TYPE] == FUND_CODE:
            codes = [code for t in texts for _, _, code in find_fund_codes(t)]
            if not codes:
                _not_normalised(entity, "no_fund_code")
                entity[RESOLVED] = False
                return
            entity[NORMALISED] = True
        if self.catalogue is None:
            entity[RESOLVED] = False
            if entity[ENTITY_ATTRIBUTE_TYPE] == FUND_CODE:
                entity[ENTITY_ATTRIBUTE_VALUE] = codes[0]  # a well-formed code, unchecked
                entity[REASON] = "no_catalogue"
            else:
                _not_normalised(entity, "no_catalogue")
            return
        for candidate in texts:
            match = resolve_fund(candidate, self.catalogue)
            if match is not None:
                entity[ENTITY_ATTRIBUTE_VALUE] = match.fund_code
                entity[RESOLVED] = True
                entity[NORMALISED] = True
                entity["fund_name_zh"] = match.name_zh
                entity["fund_name_en"] = match.name_en
                return
        entity[RESOLVED] = False
        entity["candidates"] = [m.fund_code for m in candidates(texts[0], self.catalogue, n=3)] if texts else []
        if entity[ENTITY_ATTRIBUTE_TYPE] == FUND_CODE:
            entity[ENTITY_ATTRIBUTE_VALUE] = codes[0]  # a well-formed code, just not one we sell
            entity[REASON] = "not_in_catalogue"
        else:
            entity[ENTITY_ATTRIBUTE_VALUE] = entity[RAW_VALUE]
            _not_normalised(entity, "not_in_catalogue")

    # ---- entities the extractors missed ---------------------------------------------

    def _kinds_to_add(self, message: Message) -> List[Text]:
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        if intent:
            intent = intent.split("/")[0]  # faq/fees -> faq
        return [
            kind for kind, intents in self._add_missing.items()
            if intents is None or intent is None or intent in intents
        ]

    def _missing_entities(self, text: Text, entities: List[Dict[Text, Any]], today: date,
                          kinds: List[Text]) -> List[Dict[Text, Any]]:
        present = {e.get(ENTITY_ATTRIBUTE_TYPE) for e in entities}
        taken = [
            (e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_END])
            for e in entities
            if isinstance(e.get(ENTITY_ATTRIBUTE_START), int) and isinstance(e.get(ENTITY_ATTRIBUTE_END), int)
        ]
        added: List[Dict[Text, Any]] = []

        def free(start: int, end: int) -> bool:
            return all(end <= s or start >= e for s, e in taken)

        def add(kind: Text, start: int, end: int, value: Any, **extra: Any) -> None:
            entity = {
                ENTITY_ATTRIBUTE_TYPE: kind, ENTITY_ATTRIBUTE_START: start, ENTITY_ATTRIBUTE_END: end,
                ENTITY_ATTRIBUTE_VALUE: value, RAW_VALUE: text[start:end], NORMALISED: True, **extra,
            }
            added.append(self.add_extractor_name([entity])[0])
            taken.append((start, end))

        try:
            for kind in kinds:
                if kind in present:
                    continue
                if kind == TIME_PERIOD:
                    for found in find_periods(text, today):
                        if free(found.start, found.end):
                            add(TIME_PERIOD, found.start, found.end, found.period.to_dict())
                elif kind == FUND_CODE and self.catalogue is not None:
                    for start, end, code in find_fund_codes(text):
                        if code in self._catalogue_codes and free(start, end):
                            match = resolve_fund(code, self.catalogue)
                            add(FUND_CODE, start, end, code, **{
                                RESOLVED: True, "fund_name_zh": match.name_zh, "fund_name_en": match.name_en})
                elif kind == AMOUNT:
                    for found in find_amounts(text):
                        if found.currency == "CNY" and free(found.start, found.end):
                            add(AMOUNT, found.start, found.end, f"{found.amount:.2f}", currency="CNY")
                elif kind == HORIZON:
                    for found in find_horizons(text):
                        if free(found.start, found.end):
                            add(HORIZON, found.start, found.end, found.months)
                elif kind in (CATEGORY, FUND_TYPE):
                    for found in (find_categories if kind == CATEGORY else find_fund_types)(text):
                        if free(found.start, found.end):
                            add(kind, found.start, found.end, found.value)
        except Exception:  # customer text must never break the pipeline
            logger.exception("could not scan %r for missing entities", text)
        return added


# ---- helpers ----------------------------------------------------------------------------


def _configured_date(value: Any) -> Optional[date]:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))  # a bad config value should fail loudly at load time


def _load_catalogue(path: Any):
    """The fund catalogue frame, or None if switched off or unloadable (logged)."""
    if path is False or path == "":
        return None
    try:
        from recommender.catalogue import load_fund_catalogue

        return load_fund_catalogue(path)
    except Exception:  # the bot still works without fund resolution
        logger.exception("FinbotEntityNormalizer: no fund catalogue (path %r); fund names stay unresolved", path)
        return None


def _texts_to_try(raw: Any, text: Text, entity: Dict[Text, Any]) -> List[Text]:
    """The entity's value, then the message text it covers, without repeats."""
    texts: List[Text] = []
    if isinstance(raw, str) and raw.strip():
        texts.append(raw)
    start, end = entity.get(ENTITY_ATTRIBUTE_START), entity.get(ENTITY_ATTRIBUTE_END)
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        span = text[start:end]
        if span not in texts:
            texts.append(span)
    return texts


def _not_normalised(entity: Dict[Text, Any], reason: Text) -> None:
    entity[NORMALISED] = False
    entity[REASON] = reason


def _first(entity, texts, parse, reason: Text) -> None:
    for candidate in texts:
        value = parse(candidate)
        if value is not None:
            entity[ENTITY_ATTRIBUTE_VALUE] = value
            entity[NORMALISED] = True
            return
    _not_normalised(entity, reason)


def _period(entity, texts, today) -> None:
    def as_dict(candidate: Text) -> Optional[Dict[Text, Text]]:
        period = parse_period(candidate, today)
        return period.to_dict() if period is not None else None

    _first(entity, texts, as_dict, "no_period")


def _horizon(entity, texts, today) -> None:
    _first(entity, texts, parse_horizon_months, "no_horizon")


def _category(entity, texts, today) -> None:
    _first(entity, texts, canonical_category, "unknown_category")


def _fund_type(entity, texts, today) -> None:
    _first(entity, texts, canonical_fund_type, "unknown_fund_type")
