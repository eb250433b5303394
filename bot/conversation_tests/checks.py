"""One step's checks: what the bot did (an ``Observed`` turn) against what the file expects.

Every check yields a ``Mismatch`` that reads as "expected X, got Y", so a
failing step tells what broke without opening a debugger.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Optional

from bot.conversation_tests.format import PRESENT


@dataclass
class Observed:
    """What one user message produced, in-process or from /v1/chat."""
    messages: List[Dict[str, Any]]
    intent: Dict[str, Any]
    entities: List[Dict[str, Any]]
    actions: List[str]
    slots: Dict[str, Any]
    latency_ms: float
    language: Optional[str] = None

    @property
    def text(self) -> str:
        return "\n".join(m.get("text") or "" for m in self.messages if m.get("text"))

    @property
    def buttons(self) -> List[Dict[str, Any]]:
        return [b for m in self.messages for b in (m.get("buttons") or [])]

    @property
    def customs(self) -> List[Any]:
        return [m["custom"] for m in self.messages if m.get("custom") is not None]

    @property
    def intent_text(self) -> str:
        name = self.intent.get("name")
        confidence = self.intent.get("confidence")
        return f"{name} ({confidence:.2f})" if isinstance(confidence, (int, float)) else str(name)


@dataclass
class Mismatch:
    check: str          # the key in the file: intent, action, text_contains, ...
    expected: str
    got: str


@dataclass
class StepOutcome:
    mismatches: List[Mismatch] = field(default_factory=list)
    error: Optional[str] = None   # the step could not run (exception, HTTP error)

    @property
    def passed(self) -> bool:
        return not self.mismatches and self.error is None


def check_step(expect: Dict[str, Any], got: Observed) -> List[Mismatch]:
    """Every way ``got`` differs from ``expect`` (empty: the step passed)."""
    found: List[Mismatch] = []
    for key, wanted in expect.items():
        found.extend(CHECKS[key](wanted, got))
    return found


# --------------------------------------------------------------------------- the checks


def _intent(wanted: str, got: Observed) -> List[Mismatch]:
    if got.intent.get("name") == wanted:
        return []
    return [Mismatch("intent", wanted, got.intent_text)]


def _min_confidence(wanted: float, got: Observed) -> List[Mismatch]:
    confidence = got.intent.get("confidence")
    if isinstance(confidence, (int, float)) and confidence >= wanted:
        return []
    return [Mismatch("min_confidence", f"intent confidence >= {wanted:g}", got.intent_text)]


def _action(wanted: str, got: Observed) -> List[Mismatch]:
    if wanted in got.actions:
        return []
    return [Mismatch("action", f"{wanted} among the actions run", _list(got.actions))]


def _actions(wanted: List[str], got: Observed) -> List[Mismatch]:
    if list(got.actions) == list(wanted):
        return []
    return [Mismatch("actions", _list(wanted), _list(got.actions))]


def _text_contains(wanted: List[str], got: Observed) -> List[Mismatch]:
    text = got.text.casefold()
    return [Mismatch("text_contains", f"the reply to contain {piece!r}", "not found")
            for piece in wanted if piece.casefold() not in text]


def _not_text_contains(wanted: List[str], got: Observed) -> List[Mismatch]:
    text = got.text.casefold()
    return [Mismatch("not_text_contains", f"the reply not to contain {piece!r}", f"found: …{_around(got.text, piece)}…")
            for piece in wanted if piece.casefold() in text]


def _text_matches(wanted: str, got: Observed) -> List[Mismatch]:
    if re.search(wanted, got.text, flags=re.IGNORECASE | re.MULTILINE):
        return []
    return [Mismatch("text_matches", f"the reply to match /{wanted}/", "no match")]


def _entities(wanted: Dict[str, Any], got: Observed) -> List[Mismatch]:
    found: List[Mismatch] = []
    for name, value in wanted.items():
        values = [e.get("value") for e in got.entities if e.get("entity") == name]
        if value is None:
            if values:
                found.append(Mismatch(f"entities.{name}", "no such entity", _list(values)))
            continue
        if value is PRESENT:
            if not values:
                found.append(Mismatch(f"entities.{name}", "present (any value)", _entity_summary(got)))
            continue
        for one in (value if isinstance(value, list) else [value]):
            if not any(same_value(one, v) for v in values):
                found.append(Mismatch(f"entities.{name}", show(one),
                                      _list(values) if values else f"none; entities found: {_entity_summary(got)}"))
    return found


def _slots(wanted: Dict[str, Any], got: Observed) -> List[Mismatch]:
    return [Mismatch(f"slots.{name}", show(value), show(got.slots.get(name)))
            for name, value in wanted.items() if not same_value(value, got.slots.get(name))]


def _buttons(wanted: List[str], got: Observed) -> List[Mismatch]:
    offered = got.buttons
    shown = ", ".join(f"{b.get('title')} -> {b.get('payload')}" for b in offered) or "no buttons"
    return [Mismatch("buttons", f"a button {piece!r}", shown) for piece in wanted
            if not any(piece in (b.get("title"), b.get("payload")) for b in offered)]


def _custom(wanted: Dict[str, Any], got: Observed) -> List[Mismatch]:
    payloads = got.customs
    if not payloads:
        return [Mismatch("custom", _mapping(wanted), "no custom payload in the replies")]
    best: Optional[List[Mismatch]] = None
    for payload in payloads:  # every path must hold within one payload; report the closest one
        misses = []
        for dotted, value in wanted.items():
            actual = resolve_path(payload, dotted)
            if actual is _MISSING:
                misses.append(Mismatch(f"custom.{dotted}", show(value), "no such field"))
            elif not same_value(value, actual):
                misses.append(Mismatch(f"custom.{dotted}", show(value), show(actual)))
        if not misses:
            return []
        if best is None or len(misses) < len(best):
            best = misses
    return best or []


def _language(wanted: str, got: Observed) -> List[Mismatch]:
    actual = got.language if got.language is not None else got.slots.get("language")
    return [] if actual == wanted else [Mismatch("language", wanted, show(actual))]


def _max_ms(wanted: float, got: Observed) -> List[Mismatch]:
    if got.latency_ms <= wanted:
        return []
    return [Mismatch("max_ms", f"a reply within {wanted:g} ms", f"{got.latency_ms:.0f} ms")]


CHECKS = {
    "intent": _intent, "min_confidence": _min_confidence, "entities": _entities, "action": _action,
    "actions": _actions, "text_contains": _text_contains, "not_text_contains": _not_text_contains,
    "text_matches": _text_matches, "slots": _slots, "buttons": _buttons, "custom": _custom,
    "language": _language, "max_ms": _max_ms,
}


# --------------------------------------------------------------------------- comparing values

_MISSING = object()


def resolve_path(value: Any, dotted: str) -> Any:
    """``chart.labels.length`` -> len(value["chart"]["labels"]); ``chart.labels.0`` -> the first label."""
    for part in dotted.split("."):
        if isinstance(value, dict):
            value = value.get(part, _MISSING)
        elif isinstance(value, (list, str)) and part == "length":
            value = len(value)
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def same_value(expected: Any, actual: Any) -> bool:
    """Equal as the bank means it: 20000 matches "20000.00", a date matches "2026-02-01",
    a mapping matches when its keys match (other keys of ``actual`` are ignored)."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(same_value(v, actual.get(k)) for k, v in expected.items())
    if isinstance(expected, list):
        return (isinstance(actual, list) and len(expected) == len(actual)
                and all(same_value(e, a) for e, a in zip(expected, actual)))
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual or (isinstance(actual, str) and actual.lower() == str(expected).lower())
    if isinstance(expected, (date, datetime)):
        return str(actual) == expected.isoformat()
    left, right = _number(expected), _number(actual)
    if left is not None and right is not None:
        return left == right
    return str(expected) == str(actual)


def _number(value: Any) -> Optional[Decimal]:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
        # Leading zeros make it a code ("000198"), not a number.
        if re.fullmatch(r"-?0\d+", value.strip()):
            return None
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def show(value: Any) -> str:
    if value is PRESENT:
        return "(any value)"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return _mapping(value)
    if isinstance(value, str):
        return repr(value)
    return repr(value) if value is not None else "null"


def _mapping(value: Dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"


def _list(values: List[Any]) -> str:
    return "[" + ", ".join(str(v) if isinstance(v, str) else show(v) for v in values) + "]" if values else "none"


def _entity_summary(got: Observed) -> str:
    return ", ".join(f"{e.get('entity')}={show(e.get('value'))}" for e in got.entities) or "none"


def _around(text: str, piece: str, width: int = 30) -> str:
    at = text.casefold().find(piece.casefold())
    start, end = max(0, at - width), min(len(text), at + len(piece) + width)
    return text[start:end].replace("\n", " ")
