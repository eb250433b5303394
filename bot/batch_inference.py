"""DIET over many messages at once, for scoring (cross-validation, tuning), never for serving.

Rasa's ``DIETClassifier.process`` runs the TensorFlow model once per message
(a batch of one) even when the graph hands it thousands: scoring one tuning
fold of about 3,000 held-back messages spent a minute there, 15% of the
fold, profiled with cProfile. ``batched_diet(graph_runner)`` makes the DIET
nodes of one loaded model run their model on
``BATCH_SIZE`` messages at a time and then reads each message's slice of
the output with Rasa's own label and entity decoding, so intents,
confidences and entities are those of one-at-a-time prediction (up to float
rounding in the batched matrix products; tests/test_batch_inference.py
compares both). Subclasses with their own ``process`` (ResponseSelector)
are untouched.

It acts on a loaded graph's nodes, not on the class: a Rasa graph node takes
its component's function when the model is loaded (``GraphNode._fn``), so
patching ``DIETClassifier.process`` afterwards changes nothing (it did not,
in the 2026-11-29 version of this module: tuning folds still predicted one
message at a time).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional

import numpy as np
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT
from rasa.shared.nlu.training_data.message import Message

BATCH_SIZE = 128
_RASA_PROCESS = DIETClassifier.__dict__["process"]


def _one(outputs: Dict[str, Any], index: int) -> Dict[str, Any]:
    """Message ``index``'s part of a batch's outputs, shaped as a batch of one."""
    return {key: _one(value, index) if isinstance(value, dict) else
            (value[index:index + 1] if isinstance(value, np.ndarray) and value.ndim else value)
            for key, value in outputs.items()}


def predict_in_batches(component: DIETClassifier, messages: List[Message],
                       batch_size: int = BATCH_SIZE) -> List[Optional[Dict[str, Any]]]:
    """What ``component._predict(message)`` gives for each message, from one model call per batch."""
    if component.model is None:
        return [None] * len(messages)
    outputs: List[Optional[Dict[str, Any]]] = []
    for start in range(0, len(messages), batch_size):
        chunk = messages[start:start + batch_size]
        model_data = component._create_model_data(chunk, training=False)
        if model_data.is_empty():
            outputs += [component._predict(message) for message in chunk]
            continue
        # One generator batch for the whole chunk: every output is sliced by message, and
        # sequences are padded to the chunk's longest (decoding stops at each message's tokens).
        batch = component.model.run_inference(model_data, batch_size=len(chunk))
        outputs += [_one(batch, index) for index in range(len(chunk))]
    return outputs


def _process_in_batches(self: DIETClassifier, messages: List[Message]) -> List[Message]:
    """Rasa's ``process`` body (rasa 3.6, pinned) with the predictions made in batches
    (without the diagnostic data, which scoring never asks for)."""
    for message, out in zip(messages, predict_in_batches(self, messages)):
        if self.component_config["intent_classification"]:
            label, label_ranking = self._predict_label(out)
            message.set(INTENT, label, add_to_output=True)
            message.set("intent_ranking", label_ranking, add_to_output=True)
        if self.component_config["entity_recognition"]:
            message.set(ENTITIES, self._predict_entities(out, message), add_to_output=True)
    return messages


def _diet_nodes(graph_runner) -> list:
    """The graph nodes that run Rasa's own ``DIETClassifier.process`` (not a subclass's own)."""
    return [node for node in graph_runner._instantiated_nodes.values()
            if node._fn_name == "process" and node._fn is _RASA_PROCESS
            and isinstance(node._component, DIETClassifier)]


@contextmanager
def batched_diet(graph_runner) -> Iterator[int]:
    """Within this block, the DIET nodes of ``graph_runner`` (a loaded model's
    ``processor.graph_runner``) process their messages in batches; yields how many
    nodes that is. Other models, and this one after the block, are untouched."""
    nodes = _diet_nodes(graph_runner)
    for node in nodes:
        node._fn = _process_in_batches
    try:
        yield len(nodes)
    finally:
        for node in nodes:
            node._fn = _RASA_PROCESS
