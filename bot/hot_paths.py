"""Work Rasa repeats on every message that only needs doing once per process.

1. Checking custom-action results. Rasa validates every custom action's result against its response schema
(``RemoteAction._validate_action_result``) with ``jsonschema.validate``,
which first validates the *schema itself* against JSON Schema's meta-schema,
on every call. The events schema is large: on the default model that
meta-check was more than half of a whole chat turn's CPU time (about 110 ms
of 190 ms per message, profiled with cProfile on 2 cores).

``install()`` keeps the check on every result, with the same schema and the
same error, but builds the validator once. Rasa's schema is a constant, so
checking it once per process is enough.

2. Finding an event's class by its type name. Rasa walks every subclass of
``Event`` for each event it reads back from the tracker store (thousands per
turn in a long conversation; 14% of a turn's CPU once (1) was fixed).
``install()`` looks the name up in a table built once, and walks the
subclasses as before for a name the table does not know.

3. Choosing an FAQ answer for messages that are not FAQ questions. The
ResponseSelector (``retrieval_intent: faq``) ran its TensorFlow model on every
message, about 13% of a turn in a profile, while only a message whose intent is ``faq``
ever uses its choice (``utter_faq``). ``install()`` runs it for those
messages (and for all of them when a selector has no retrieval intent or no
intent was classified before it); other messages pass through without a
``response_selector`` entry in their parse data.

Behaviour is unchanged otherwise: tests/test_hot_paths.py compares both ways.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any, Dict, List, Text

from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.utils.common import all_subclasses

_RASA_VALIDATE = RemoteAction.__dict__["_validate_action_result"]
_RASA_RESOLVE = Event.__dict__["resolve_by_type"]
_RASA_SELECT = ResponseSelector.__dict__["process"]
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _validator():
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once: the check jsonschema.validate repeats on every call
    return cls(schema)


def _validate_action_result(self, result: Dict[Text, Any]) -> bool:
    try:
        _validator().validate(result)
        return True
    except ValidationError as error:  # the same message Rasa's own check gives
        error.message += (
            f". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions")
        raise error


_event_classes: dict = {}


def _resolve_by_type(type_name, default=None):
    cls = _event_classes.get(type_name)
    if cls is not None:
        return cls
    if not _event_classes:
        for subclass in all_subclasses(Event):
            _event_classes.setdefault(subclass.type_name, subclass)  # first wins, as Rasa's walk
        if type_name in _event_classes:
            return _event_classes[type_name]
    return _RASA_RESOLVE.__func__(type_name, default)  # unknown here: Rasa's own answer (default or error)


def _needs_response(selector: ResponseSelector, message: Message) -> bool:
    wanted = selector.retrieval_intent
    intent = (message.get("intent") or {}).get("name")
    return not wanted or intent is None or intent == wanted


def _select_responses(self, messages: List[Message]) -> List[Message]:
    """Rasa's selection for the messages that can use it; the others unchanged.

    Annotated as Rasa's own: its graph validation reads these types whenever a
    model is trained or loaded with this installed.
    """
    asking = [message for message in messages if _needs_response(self, message)]
    if asking:
        _RASA_SELECT(self, asking)
    return messages


def install() -> None:
    """The three shortcuts for every agent in this process (idempotent)."""
    with _lock:
        RemoteAction._validate_action_result = _validate_action_result
        Event.resolve_by_type = staticmethod(_resolve_by_type)
        ResponseSelector.process = _select_responses


def uninstall() -> None:
    """Back to Rasa's own code."""
    with _lock:
        RemoteAction._validate_action_result = _RASA_VALIDATE
        Event.resolve_by_type = _RASA_RESOLVE
        ResponseSelector.process = _RASA_SELECT
