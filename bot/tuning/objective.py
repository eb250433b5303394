"""Scoring one configuration: cross-validation on the training data, one fold at a time.

The objective is what the study maximises::

    quality   = (1 - entity_weight) * intent macro-F1 + entity_weight * entity F1
    objective = quality - penalty_per_ms * max(0, p95 parse ms - latency_budget_ms)

Intent macro-F1 and entity F1 are means over the languages (zh, en, mixed), so
the small mixed set weighs as much as the others. Scores after each fold are
for the folds so far, pooled, so the pruner can compare trials after fold one.
"""
from __future__ import annotations

import gc
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator, Optional

import yaml

from bot.evaluation import Report, cross_validation_folds, score
from bot.tuning.pipeline import rasa_config
from bot.tuning.search_space import SearchSpace


@dataclass(frozen=True)
class Scores:
    accuracy: dict                    # language -> intent accuracy
    macro_f1: dict                    # language -> intent macro-F1
    entity_f1: dict                   # language -> entity F1 (None: no entities in that language's folds)
    intent_macro_f1: float            # mean over languages
    mean_entity_f1: Optional[float]
    quality: float
    p50_ms: float
    p95_ms: float
    objective: float
    examples: int

    def to_dict(self) -> dict:
        return asdict(self)


def scores_of(report: Report, space: SearchSpace) -> Scores:
    languages = report.by_language
    macro = {lang: s.intent_macro_f1 for lang, s in languages.items()}
    entities = {lang: s.entity_f1 for lang, s in languages.items()}
    intent_macro_f1 = sum(macro.values()) / len(macro)
    known_entities = [v for v in entities.values() if v is not None]
    mean_entity_f1 = sum(known_entities) / len(known_entities) if known_entities else None
    quality = intent_macro_f1 if mean_entity_f1 is None else \
        (1 - space.entity_weight) * intent_macro_f1 + space.entity_weight * mean_entity_f1
    over_budget = max(0.0, report.latency_ms_p95 - space.latency_budget_ms)
    return Scores(accuracy={lang: s.intent_accuracy for lang, s in languages.items()}, macro_f1=macro,
                  entity_f1=entities, intent_macro_f1=intent_macro_f1, mean_entity_f1=mean_entity_f1,
                  quality=quality, p50_ms=report.latency_ms_p50, p95_ms=report.latency_ms_p95,
                  objective=quality - space.penalty_per_ms * over_budget,
                  examples=sum(s.examples for s in languages.values()))


@dataclass(frozen=True)
class FoldProgress:
    fold: int                         # 0-based index of the fold just scored
    fold_seconds: float               # training + parsing of this fold
    scores: Scores                    # all folds so far, pooled


def cross_validate_stack(stack: dict, template: dict, space: SearchSpace, pairs: list) -> Iterator[FoldProgress]:
    """Yield the pooled scores after each fold; stop iterating to abandon the rest (pruning, budget)."""
    with tempfile.TemporaryDirectory(prefix="finbot-tune-") as workdir:
        config_file = Path(workdir) / "trial.yml"
        config_file.write_text(yaml.safe_dump(rasa_config(template, stack, for_trial=True), sort_keys=False,
                                              allow_unicode=True), encoding="utf-8")
        examples, parses, latencies = [], [], []
        started = time.perf_counter()
        for fold in cross_validation_folds(str(config_file), folds=space.folds, seed=space.cv_seed, pairs=pairs,
                                           timed_sample=space.latency_sample):
            examples += fold.examples
            parses += fold.parses
            latencies += fold.latencies_ms
            _release_tensorflow_memory()
            finished = time.perf_counter()
            yield FoldProgress(fold.index, finished - started, scores_of(score(examples, parses, latencies), space))
            started = time.perf_counter()


def _release_tensorflow_memory() -> None:
    """Each fold builds new Keras models; without this a long study slows down and grows."""
    import tensorflow as tf

    tf.keras.backend.clear_session()
    gc.collect()
