"""LanguageDetector: tags each message with the language to answer in.

Adds one entity ``{"entity": "language", "value": "zh" | "en"}`` that the
domain maps to the ``language`` slot, so responses (which have a zh variation
and an en default) follow the customer's latest message. Mixed messages are
decided by their grammar, not their nouns: "我想买 index fund" is Chinese
(我/想 frame it), "is 余额宝 safe" is English. A message with neither
Chinese characters nor Latin words ("50000", "👍") adds nothing, so the
slot keeps the previous turn's language.

The entity spans the whole text (so the component runs after the
entity normaliser, whose additions must not overlap other entities) and has ``influence_conversation: false`` in
the domain; NLU evaluation ignores it (it is not annotated in the data).
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

LANGUAGE_ENTITY = "language"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
# Words that frame a sentence: pronouns, question words, particles, auxiliaries.
_ZH_FRAME = re.compile(r"[我你您他她吗呢吧了的么啥咋怎请帮想要能会是有在给把被让多少几哪]")
_EN_FRAME = {
    "i", "me", "my", "you", "your", "we", "what", "whats", "how", "why", "when", "which", "where", "who",
    "is", "are", "am", "was", "do", "does", "did", "can", "could", "should", "would", "will", "please",
    "the", "a", "an", "to", "of", "for", "in", "on", "much", "many", "much", "it", "this", "that", "and",
    "hi", "hello", "thanks", "thank", "bye", "yes", "no", "ok", "okay", "sure",
}


def detect_language(text: str) -> Optional[str]:
    """'zh', 'en' or None (nothing to tell by)."""
    cjk = len(_CJK.findall(text))
    words = [w.lower() for w in _LATIN_WORD.findall(text)]
    if not cjk and not words:
        return None
    if not words:
        return "zh"
    if not cjk:
        return "en"
    zh_frame = len(_ZH_FRAME.findall(text))
    en_frame = sum(1 for w in words if w in _EN_FRAME)
    if zh_frame != en_frame:
        return "zh" if zh_frame > en_frame else "en"
    # No grammar either way: the script with more weight (a Chinese character
    # carries about as much as an English word of ~3 letters).
    return "zh" if cjk >= sum(len(w) for w in words) / 3 else "en"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LanguageDetector":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            language = detect_language(text)
            if language is None:
                continue
            entities = [e for e in message.get(ENTITIES, []) if e.get("entity") != LANGUAGE_ENTITY]
            entities.append({"entity": LANGUAGE_ENTITY, "value": language, "start": 0, "end": len(text),
                             "confidence_entity": 1.0, "extractor": "LanguageDetector"})
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
