"""The conversation test format: reading YAML files strictly, with line numbers.

A file holds ``conversations:`` (and optionally a default ``today:``)::

    today: 2026-03-15                       # optional default for the file
    conversations:
      - name: overspender is told to build a buffer first
        customer: overspender               # a demo persona, a fixture file (.yml), or null (not signed in)
        language: zh                        # zh, en or mixed: what the conversation is written in
        today: 2026-03-15                   # optional: fixes "today" (上个月 = February)
        tags: [recommendation]              # optional
        steps:
          - user: 给我推荐点基金吧，我有两万块
            expect:                         # ``bot:`` is accepted as another name for ``expect:``
              intent: request_recommendation
              entities: {amount: 20000}
              action: recommendation_form

Every problem is reported with its file and line, and a file's other
conversations still load: a QA engineer sees all mistakes at once.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError

LANGUAGES = ("zh", "en", "mixed")
FIXTURE_SUFFIXES = (".yml", ".yaml")

FILE_KEYS = {"conversations": "the list of conversations", "today": "default date for every conversation"}
CONVERSATION_KEYS = {
    "name": "what the conversation checks (unique in its file)",
    "customer": "a demo persona id, a fixture file (.yml) or null",
    "language": "zh, en or mixed",
    "today": "the date the conversation happens on (YYYY-MM-DD)",
    "tags": "a list of words to group and filter conversations",
    "steps": "the user's messages and what to expect",
}
STEP_KEYS = {"user": "the customer's message", "expect": "what the bot must do", "bot": "same as expect"}
EXPECT_KEYS = {
    "intent": "the intent NLU found (a name)",
    "min_confidence": "the intent's confidence is at least this (0-1)",
    "entities": "entity -> expected value (null: absent), or a list of entity names",
    "action": "an action run for this message",
    "actions": "exactly the actions run for this message, in order",
    "text_contains": "text(s) the replies contain (case-insensitive)",
    "not_text_contains": "text(s) the replies must not contain (case-insensitive)",
    "text_matches": "a regular expression the replies match",
    "slots": "slot -> value after the message (null: empty)",
    "buttons": "button titles or payloads that are offered",
    "custom": "dotted path -> value in a custom payload (chart.kind: allocation, chart.labels.length: 3)",
    "language": "the reply language (zh or en)",
    "max_ms": "the reply came within this many milliseconds",
}


@dataclass(frozen=True)
class FormatError:
    path: Path
    line: int            # 1-based; 0 when the problem is the file as a whole
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


@dataclass
class Step:
    user: str
    expect: Dict[str, Any]          # validated checks, in the order written
    line: int
    number: int                     # 1-based position in its conversation
    check_lines: Dict[str, int] = field(default_factory=dict)  # check -> its line


@dataclass
class Conversation:
    name: str
    customer: Optional[str]         # persona / customer id to bind, or None (not signed in)
    fixture: Optional[Path]         # a fixture file that seeds this customer, if any
    language: str
    today: Optional[date]
    tags: List[str]
    steps: List[Step]
    path: Path
    line: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class LoadedFiles:
    conversations: List[Conversation] = field(default_factory=list)
    errors: List[FormatError] = field(default_factory=list)
    files: List[Path] = field(default_factory=list)


# --------------------------------------------------------------------------- finding files


def find_files(paths: Iterable[Path]) -> Tuple[List[Path], List[FormatError]]:
    """Conversation files under ``paths`` (files, or folders searched recursively).

    Files in a folder named ``fixtures`` are customer fixtures, not conversations.
    """
    found: List[Path] = []
    errors: List[FormatError] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in FIXTURE_SUFFIXES and p.is_file()
                                and "fixtures" not in p.relative_to(path).parts))
        elif path.is_file():
            found.append(path)
        else:
            errors.append(FormatError(path, 0, "no such file or folder"))
    return found, errors


def load_paths(paths: Iterable[Path]) -> LoadedFiles:
    files, errors = find_files(paths)
    loaded = LoadedFiles(errors=errors, files=files)
    for path in files:
        conversations, file_errors = load_file(path)
        loaded.conversations.extend(conversations)
        loaded.errors.extend(file_errors)
    return loaded


# --------------------------------------------------------------------------- reading one file


class _Int(int):
    """A YAML integer that remembers how it was written ("000198", "18_30")."""
    source: str = ""


class _Float(float):
    source: str = ""


class _Constructor(RoundTripConstructor):
    """Round-trip loading (keeps the line of every key and item), plus each number's source text.

    Conversation files are written by people, not programs: ``user: 991002`` is a
    message, ``fund_code: 000198`` a code and ``q_age_band: 18_30`` an option id,
    although YAML reads all three as numbers (198 and 1830 for the last two).
    """

    def construct_yaml_int(self, node):
        number = _Int(int(super().construct_yaml_int(node)))
        number.source = str(node.value)
        return number

    def construct_yaml_float(self, node):
        number = _Float(float(super().construct_yaml_float(node)))
        number.source = str(node.value)
        return number

    def construct_yaml_timestamp(self, node, values=None):
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:  # 2026-02-30: keep the text, so the check reports it with its line
            return str(node.value)


_Constructor.add_constructor("tag:yaml.org,2002:int", _Constructor.construct_yaml_int)
_Constructor.add_constructor("tag:yaml.org,2002:float", _Constructor.construct_yaml_float)
_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.allow_duplicate_keys = False
    return yaml


def read_yaml(path: Path) -> Tuple[Any, Optional[FormatError]]:
    """The parsed document, or a FormatError with the line of a syntax error."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, FormatError(path, 0, f"cannot read the file: {exc}")
    try:
        return _yaml().load(text), None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        return None, FormatError(path, line, f"not valid YAML: {problem}")
    except Exception as exc:  # ruamel raises a few unmarked errors (e.g. bad tags)
        return None, FormatError(path, 0, f"not valid YAML: {exc}")


def load_file(path: Path) -> Tuple[List[Conversation], List[FormatError]]:
    """Every valid conversation of one file, and every problem found in it."""
    document, error = read_yaml(path)
    if error:
        return [], [error]
    errors: List[FormatError] = []
    if not isinstance(document, CommentedMap):
        return [], [FormatError(path, 1, "the file must be a mapping with a `conversations:` list")]
    _unknown_keys(document, FILE_KEYS, "file", path, errors)
    default_today = None
    if "today" in document:
        default_today = _date(document["today"], _key_line(document, "today"), "today", path, errors)
    if "conversations" not in document:
        errors.append(FormatError(path, 1, "missing `conversations:` (the list of conversations)"))
        return [], errors
    items = document["conversations"]
    if not isinstance(items, CommentedSeq) or not items:
        errors.append(FormatError(path, _key_line(document, "conversations"),
                                  "`conversations` must be a non-empty list"))
        return [], errors
    conversations: List[Conversation] = []
    names: Dict[str, int] = {}
    for index, item in enumerate(items):
        line = _item_line(items, index)
        before = len(errors)
        conversation = _conversation(item, line, path, default_today, errors)
        if conversation is None or len(errors) > before:
            continue
        if conversation.name in names:
            errors.append(FormatError(path, line, f"conversation name {conversation.name!r} is already used on "
                                                  f"line {names[conversation.name]}; names must be unique"))
            continue
        names[conversation.name] = line
        conversations.append(conversation)
    return conversations, errors


def _conversation(item: Any, line: int, path: Path, default_today: Optional[date],
                  errors: List[FormatError]) -> Optional[Conversation]:
    if not isinstance(item, CommentedMap):
        errors.append(FormatError(path, line, f"a conversation must be a mapping (name, customer, language, steps), "
                                              f"not {_kind(item)}"))
        return None
    _unknown_keys(item, CONVERSATION_KEYS, "conversation", path, errors)
    for required in ("name", "customer", "language", "steps"):
        if required not in item:
            errors.append(FormatError(path, line, f"conversation is missing `{required}:` "
                                                  f"({CONVERSATION_KEYS[required]})"))
    name = item.get("name")
    if "name" in item and (not isinstance(name, str) or not name.strip()):
        errors.append(FormatError(path, _key_line(item, "name"), "`name` must be non-empty text"))
    customer, fixture = None, None
    if "customer" in item:
        customer, fixture = _customer(item["customer"], _key_line(item, "customer"), path, errors)
    language = item.get("language")
    if "language" in item and language not in LANGUAGES:
        errors.append(FormatError(path, _key_line(item, "language"),
                                  f"`language` must be one of {', '.join(LANGUAGES)}, not {language!r}"))
    today = default_today
    if "today" in item:
        today = _date(item["today"], _key_line(item, "today"), "today", path, errors)
    tags: List[str] = []
    if "tags" in item:
        raw = item["tags"]
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
            errors.append(FormatError(path, _key_line(item, "tags"), "`tags` must be a list of words"))
        else:
            tags = [str(t) for t in raw]
    steps: List[Step] = []
    if "steps" in item:
        raw_steps = item["steps"]
        if not isinstance(raw_steps, CommentedSeq) or not raw_steps:
            errors.append(FormatError(path, _key_line(item, "steps"), "`steps` must be a non-empty list"))
        else:
            for index, raw_step in enumerate(raw_steps):
                step = _step(raw_step, _item_line(raw_steps, index), index + 1, path, errors)
                if step is not None:
                    steps.append(step)
    if not isinstance(name, str) or not steps:
        return None
    return Conversation(name=name.strip(), customer=customer, fixture=fixture, language=str(language),
                        today=today, tags=tags, steps=steps, path=path, line=line)


def _customer(value: Any, line: int, path: Path, errors: List[FormatError]) -> Tuple[Optional[str], Optional[Path]]:
    if value is None:
        return None, None
    if not isinstance(value, str) or not value.strip():
        errors.append(FormatError(path, line, "`customer` must be a persona id, a fixture file name or null"))
        return None, None
    value = value.strip()
    if value.endswith(FIXTURE_SUFFIXES):
        fixture = (path.parent / value).resolve()
        if not fixture.is_file():
            errors.append(FormatError(path, line, f"customer fixture file {value!r} not found "
                                                  f"(looked for {fixture})"))
            return None, None
        from bot.conversation_tests.fixtures import fixture_customer_id

        customer_id, problem = fixture_customer_id(fixture)
        if problem:
            errors.append(FormatError(path, line, f"customer fixture {value!r}: {problem}"))
            return None, None
        return customer_id, fixture
    return value, None


def _step(item: Any, line: int, number: int, path: Path, errors: List[FormatError]) -> Optional[Step]:
    if not isinstance(item, CommentedMap):
        errors.append(FormatError(path, line, f"step {number} must be a mapping with `user:` and `expect:`, "
                                              f"not {_kind(item)}"))
        return None
    _unknown_keys(item, STEP_KEYS, "step", path, errors)
    if "user" not in item:
        errors.append(FormatError(path, line, f"step {number} has no `user:` message"))
        return None
    user = item["user"]
    if isinstance(user, (_Int, _Float)):
        user = user.source  # `user: 991002` is a message, not a number
    if not isinstance(user, str) or not user.strip():
        errors.append(FormatError(path, _key_line(item, "user"), "`user` must be non-empty text"))
        return None
    if "expect" in item and "bot" in item:
        errors.append(FormatError(path, _key_line(item, "bot"), "give `expect:` or `bot:`, not both"))
        return None
    key = "expect" if "expect" in item else "bot" if "bot" in item else None
    expect: Dict[str, Any] = {}
    check_lines: Dict[str, int] = {}
    if key is not None:
        raw = item[key]
        if raw is None:
            raw = CommentedMap()
        if not isinstance(raw, CommentedMap):
            errors.append(FormatError(path, _key_line(item, key), f"`{key}` must be a mapping of checks "
                                                                  f"({', '.join(EXPECT_KEYS)})"))
            return None
        expect = _expectation(raw, path, errors)
        check_lines = {str(k): _key_line(raw, k) for k in raw}
    return Step(user=user.strip(), expect=expect, line=line, number=number, check_lines=check_lines)


# --------------------------------------------------------------------------- the checks of one step


def _expectation(raw: CommentedMap, path: Path, errors: List[FormatError]) -> Dict[str, Any]:
    _unknown_keys(raw, EXPECT_KEYS, "check", path, errors)
    checks: Dict[str, Any] = {}
    for key, value in raw.items():
        if key not in EXPECT_KEYS:
            continue
        line = _key_line(raw, key)
        problem, parsed = _check_value(key, plain(value))
        if problem:
            errors.append(FormatError(path, line, f"`{key}` {problem}"))
        else:
            checks[key] = parsed
    return checks


def _check_value(key: str, value: Any) -> Tuple[Optional[str], Any]:
    """(problem, parsed value) for one check."""
    if key in ("intent", "action"):
        return (None, value) if _is_name(value) else (f"must be a name, not {value!r}", None)
    if key == "language":
        return (None, value) if value in ("zh", "en") else (f"must be zh or en, not {value!r}", None)
    if key == "actions":
        if isinstance(value, list) and all(_is_name(v) for v in value):
            return None, value
        return "must be a list of action names, in the order they run", None
    if key in ("text_contains", "not_text_contains", "buttons"):
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
            return None, value
        return "must be a text or a list of texts", None
    if key == "text_matches":
        if not isinstance(value, str):
            return "must be a regular expression", None
        try:
            re.compile(value)
        except re.error as exc:
            return f"is not a valid regular expression: {exc}", None
        return None, value
    if key == "min_confidence":
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
            return None, float(value)
        return f"must be a number between 0 and 1, not {value!r}", None
    if key == "max_ms":
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return None, float(value)
        return f"must be a positive number of milliseconds, not {value!r}", None
    if key == "entities":
        if isinstance(value, list) and all(_is_name(v) for v in value):
            return None, {name: PRESENT for name in value}
        if isinstance(value, dict) and all(_is_name(k) for k in value):
            return None, value
        return "must be a mapping (entity: value) or a list of entity names", None
    if key == "slots":
        if isinstance(value, dict) and all(_is_name(k) for k in value):
            return None, value
        return "must be a mapping (slot: value)", None
    if key == "custom":
        if isinstance(value, dict) and value and all(isinstance(k, str) and k for k in value):
            return None, value
        return "must be a mapping of dotted paths to values (chart.kind: allocation)", None
    return "is not a known check", None  # EXPECT_KEYS guards this


class _Present:
    """An entity expected with any value (``entities: [amount]``)."""

    def __repr__(self) -> str:
        return "(any value)"


PRESENT = _Present()


# --------------------------------------------------------------------------- helpers


def plain(value: Any) -> Any:
    """ruamel's round-trip types -> plain Python (dates stay dates)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, _Int):
        # Leading zeros, underscores, hex...: the writer meant the text ("000198", "18_30").
        plain_digits = re.fullmatch(r"[-+]?(0|[1-9][0-9]*)", value.source)
        return int(value) if plain_digits else value.source
    if isinstance(value, _Float):
        return float(value)
    if isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, value.hour, value.minute, value.second)
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        return str(value)
    return value


def _date(value: Any, line: int, key: str, path: Path, errors: List[FormatError]) -> Optional[date]:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors.append(FormatError(path, line, f"`{key}` must be a date YYYY-MM-DD, not {value!r}"))
    return None


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and bool(re.fullmatch(r"[A-Za-z_][\w/.-]*", value))


def _unknown_keys(mapping: CommentedMap, known: Dict[str, str], what: str, path: Path,
                  errors: List[FormatError]) -> None:
    for key in mapping:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
        hint = f"; did you mean `{close[0]}`?" if close else f"; a {what} may have: {', '.join(known)}"
        errors.append(FormatError(path, _key_line(mapping, key), f"unknown {what} key `{key}`{hint}"))


def _key_line(mapping: CommentedMap, key: Any) -> int:
    try:
        return mapping.lc.key(key)[0] + 1
    except Exception:
        return mapping.lc.line + 1


def _item_line(seq: CommentedSeq, index: int) -> int:
    try:
        return seq.lc.item(index)[0] + 1
    except Exception:
        return seq.lc.line + 1


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    return f"{type(value).__name__} {value!r}"
