"""Reusing the NLU parse of a message text the serving model has already parsed.

Customers send the same short texts again and again ("你好", "余额", "thanks",
quick-reply payloads), and every one of them went through the whole NLU
graph: tokenizer, featurizers, DIET and our classifier, a third of a turn
(the benchmark's conversations in-process under cProfile, default model:
94 ms a turn without the cache, 62 ms with it). A parse depends only on
the model, the text and the day (relative periods such as 上个月 resolve
against today), so it is safe
to reuse within one loaded model and one day: the cache belongs to the
processor of one loaded agent (a promoted model starts with an empty one)
and its key holds the text and the date the entity normaliser would use.

What is cached is the parse data Rasa puts into the ``UserUttered`` event
(intent, ranking, entities, response selector), never a conversation's state: the
dialogue policies and actions still run on every turn. Texts longer than
``MAX_TEXT_CHARS`` are not cached (they rarely repeat). Each worker process
has its own cache, bounded to ``size`` texts, least recently used out first.
"""
from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any, Dict, Optional

from bot.clock import current_day

MAX_TEXT_CHARS = 200


class ParseCache:
    """An LRU of parse data by (text, day), wrapped around one processor's ``parse_message``."""

    def __init__(self, processor, size: int) -> None:
        self.size = size
        self.hits = self.misses = 0
        self._parses: "OrderedDict[tuple, Dict[str, Any]]" = OrderedDict()
        self._parse = processor.parse_message      # Rasa's, bound to this processor

    async def parse_message(self, message, tracker=None, only_output_properties: bool = True) -> Dict[str, Any]:
        text = message.text
        if not only_output_properties or not isinstance(text, str) or len(text) > MAX_TEXT_CHARS:
            return await self._parse(message, tracker, only_output_properties)
        key = (text, current_day())   # the normaliser's day, unless its config fixes one
        cached = self._parses.get(key)
        if cached is not None:
            self._parses.move_to_end(key)
            self.hits += 1
            return copy.deepcopy(cached)    # the caller may change it (Rasa adds to the event's parse data)
        parse = await self._parse(message, tracker, only_output_properties)
        self.misses += 1
        self._parses[key] = copy.deepcopy(parse)
        if len(self._parses) > self.size:
            self._parses.popitem(last=False)
        return parse


def install(processor, size: int) -> Optional[ParseCache]:
    """Make ``processor`` reuse parses of up to ``size`` texts (0: parse every message)."""
    if size <= 0:
        return None
    cache = ParseCache(processor, size)
    processor.parse_message = cache.parse_message   # this processor only; Rasa's class is untouched
    return cache
