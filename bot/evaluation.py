"""How good is an NLU model? Held-out evaluation per language and cross-validation.

- ``evaluate_model``: parse every example of nlu_data/<language>/test.yml
  (never used for training) with a trained model and report, per language,
  intent accuracy and macro-F1, entity F1, per-intent F1, the confusion
  matrix and parse latency per message (p50/p95, this machine).
- ``cross_validate``: k-fold cross-validation on the *training* examples
  only (stratified by intent, all languages pooled, reported per language),
  to compare pipeline configurations without touching the held-out split.

Retrieval intents are scored on their base intent ("faq/fees" counts as
"faq"). The ``language`` entity (LanguageDetector) is not annotated in the
data and is left out of entity scores.
"""
from __future__ import annotations

import asyncio
import os
import random
import tempfile
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Optional

import numpy as np

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

from bot.training import DOMAIN, LANGUAGES, config_path, nlu_test_path

IGNORED_ENTITIES = {"language"}


@dataclass
class Example:
    text: str
    intent: str                      # base intent
    entities: set                    # {(entity, start, end)}
    language: str


def load_examples(path: Path, language: str) -> list[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    out = []
    for message in data.intent_examples:
        entities = {(e["entity"], e["start"], e["end"]) for e in message.get("entities") or []
                    if e["entity"] not in IGNORED_ENTITIES}
        out.append(Example(message.get("text"), message.get("intent"), entities, language))
    return out


def held_out_examples(languages: Iterable[str] = LANGUAGES, split: str = "test") -> list[Example]:
    paths = [(nlu_test_path(lang, split), lang) for lang in languages]
    return [e for path, lang in paths if path.exists() for e in load_examples(path, lang)]


def training_examples(languages: Iterable[str] = LANGUAGES) -> list:
    """(Message, language) pairs of the training data, for cross-validation."""
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.training import NLU_DATA

    pairs = []
    for lang in languages:
        folder, single = NLU_DATA / lang / "train", NLU_DATA / lang / "train.yml"
        path = folder if folder.is_dir() else single
        if path.exists():
            pairs += [(m, lang) for m in load_data(str(path)).training_examples]
    return pairs


@dataclass
class LanguageScores:
    examples: int
    intent_accuracy: float
    intent_macro_f1: float
    entity_f1: Optional[float]
    per_intent_f1: dict = field(default_factory=dict)
    fallback_rate: float = 0.0       # went to nlu_fallback: the bot asks to rephrase (safe)
    wrong_intent_rate: float = 0.0   # another real intent: the bot would act on a wrong guess


@dataclass
class Report:
    by_language: dict                 # language -> LanguageScores
    confusion: dict                   # gold -> {predicted: count}
    latency_ms_p50: float
    latency_ms_p95: float
    errors: list                      # (language, text, gold, predicted, confidence), first 50

    def table(self) -> str:
        lines = [f"{'language':8} {'n':>5} {'accuracy':>9} {'macro-F1':>9} {'entity-F1':>10} {'fallback':>9} "
                 f"{'wrong':>7}"]
        for lang, s in self.by_language.items():
            entity = f"{s.entity_f1:.3f}" if s.entity_f1 is not None else "-"
            lines.append(f"{lang:8} {s.examples:>5} {s.intent_accuracy:>9.3f} {s.intent_macro_f1:>9.3f} {entity:>10} "
                         f"{s.fallback_rate:>9.3f} {s.wrong_intent_rate:>7.3f}")
        lines.append(f"parse latency per message: p50 {self.latency_ms_p50:.1f} ms, p95 {self.latency_ms_p95:.1f} ms")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "by_language": {k: vars(v) for k, v in self.by_language.items()},
            "confusion": self.confusion, "latency_ms_p50": self.latency_ms_p50,
            "latency_ms_p95": self.latency_ms_p95, "errors": self.errors,
        }


def _macro_f1(gold: list[str], predicted: list[str]) -> tuple[float, dict]:
    labels = sorted(set(gold))
    per = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        per[label] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return (float(np.mean(list(per.values()))) if per else 0.0), per


def _entity_f1(gold_sets: list[set], predicted_sets: list[set]) -> Optional[float]:
    tp = sum(len(g & p) for g, p in zip(gold_sets, predicted_sets))
    fp = sum(len(p - g) for g, p in zip(gold_sets, predicted_sets))
    fn = sum(len(g - p) for g, p in zip(gold_sets, predicted_sets))
    if tp + fp + fn == 0:
        return None
    return 2 * tp / (2 * tp + fp + fn)


def score(examples: list[Example], parses: list[dict], latencies_ms: list[float]) -> Report:
    by_language = {}
    confusion: dict = defaultdict(Counter)
    errors = []
    grouped = defaultdict(list)
    for example, parse in zip(examples, parses):
        grouped[example.language].append((example, parse))
        predicted = ((parse.get("intent") or {}).get("name") or "None").split("/")[0]
        confusion[example.intent][predicted] += 1
        if predicted != example.intent and len(errors) < 50:
            errors.append((example.language, example.text, example.intent, predicted,
                           round((parse.get("intent") or {}).get("confidence") or 0.0, 3)))
    for lang, pairs in grouped.items():
        gold = [e.intent for e, _ in pairs]
        predicted = [((p.get("intent") or {}).get("name") or "None").split("/")[0] for _, p in pairs]
        macro, per = _macro_f1(gold, predicted)
        gold_entities = [e.entities for e, _ in pairs]
        predicted_entities = [{(x["entity"], x["start"], x["end"]) for x in p.get("entities") or []
                               if x["entity"] not in IGNORED_ENTITIES} for _, p in pairs]
        by_language[lang] = LanguageScores(
            examples=len(pairs), intent_accuracy=sum(g == p for g, p in zip(gold, predicted)) / len(pairs),
            intent_macro_f1=macro, entity_f1=_entity_f1(gold_entities, predicted_entities),
            per_intent_f1={k: round(v, 3) for k, v in per.items()},
            fallback_rate=sum(p == "nlu_fallback" for p in predicted) / len(pairs),
            wrong_intent_rate=sum(p != g and p != "nlu_fallback" for g, p in zip(gold, predicted)) / len(pairs))
    values = np.array(latencies_ms) if latencies_ms else np.array([0.0])
    return Report(by_language, {k: dict(v) for k, v in confusion.items()}, float(np.percentile(values, 50)),
                  float(np.percentile(values, 95)), errors)


def parse_all(model_path: Path, texts: list[str]) -> tuple[list[dict], list[float]]:
    """Parse one message at a time (as a chat does), timing each."""
    from rasa.core.agent import Agent

    from bot import model_loading
    from bot.runtime import quiet_rasa_logs

    quiet_rasa_logs()
    model_loading.install()
    agent = Agent.load(str(model_path))
    loop = asyncio.new_event_loop()
    loop.run_until_complete(agent.parse_message("warm up"))
    parses, latencies = [], []
    for text in texts:
        started = time.perf_counter()
        parses.append(loop.run_until_complete(agent.parse_message(text)))
        latencies.append((time.perf_counter() - started) * 1000)
    loop.close()
    return parses, latencies


def evaluate_model(model_path: Path, languages: Iterable[str] = LANGUAGES, split: str = "test") -> Report:
    examples = held_out_examples(languages, split)
    parses, latencies = parse_all(model_path, [e.text for e in examples])
    return score(examples, parses, latencies)


def _stratified_folds(pairs: list, folds: int, seed: int) -> list[list[int]]:
    by_intent = defaultdict(list)
    for index, (message, _lang) in enumerate(pairs):
        by_intent[message.get("intent")].append(index)
    rng = random.Random(seed)
    buckets: list[list[int]] = [[] for _ in range(folds)]
    for indices in by_intent.values():
        rng.shuffle(indices)
        for position, index in enumerate(indices):
            buckets[position % folds].append(index)
    return buckets


def cross_validate(config: Optional[str], folds: int = 3, seed: int = 7) -> Report:
    """k-fold CV on the training examples only; the returned report pools all folds."""
    all_examples, all_parses, all_latencies = [], [], []
    for fold in cross_validation_folds(config, folds=folds, seed=seed):
        all_examples += fold.examples
        all_parses += fold.parses
        all_latencies += fold.latencies_ms
    return score(all_examples, all_parses, all_latencies)


@dataclass
class Fold:
    """One cross-validation fold: what its model made of the examples it never saw."""
    index: int
    examples: list[Example]
    parses: list[dict]
    latencies_ms: list[float]        # one per timed message (all, or the timed sample)
    train_seconds: float
    parse_seconds: float


def cross_validation_folds(config: Optional[str], folds: int = 3, seed: int = 7, pairs: Optional[list] = None,
                           timed_sample: Optional[int] = None) -> Iterator[Fold]:
    """Train and score one fold at a time, so a caller can stop after any fold (tuning prunes there).

    ``pairs`` are (Message, language) training pairs (default: all training
    data; never the held-out split). ``timed_sample`` None parses every
    held-back message one at a time, timing each; a number parses them all in
    one batch (same predictions, much faster) and times only that many, one
    at a time, as a chat would. The folds are the same for the same data and seed.
    """
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.training_data import TrainingData

    pairs = training_examples() if pairs is None else pairs
    buckets = _stratified_folds(pairs, folds, seed)
    with tempfile.TemporaryDirectory(prefix="finbot-cv-") as workdir:
        for fold, test_indices in enumerate(buckets):
            held = set(test_indices)
            train = TrainingData([m for i, (m, _) in enumerate(pairs) if i not in held])
            data_file = Path(workdir) / f"fold{fold}.yml"
            data_file.write_text(RasaYAMLWriter().dumps(train), encoding="utf-8")
            started = time.perf_counter()
            with _without_training_cache():
                model = train_nlu(config=str(config_path(config)), nlu_data=str(data_file), output=workdir,
                                  domain=str(DOMAIN), fixed_model_name=f"fold{fold}",
                                  additional_arguments={"force_full_training": True})
            trained = time.perf_counter()
            examples = []
            for i in test_indices:
                message, lang = pairs[i]
                entities = {(e["entity"], e["start"], e["end"]) for e in message.get("entities") or []}
                examples.append(Example(message.get("text"), message.get("intent"), entities, lang))
            texts = [e.text for e in examples]
            if timed_sample is None:
                parses, latencies = parse_all(Path(model), texts)
            else:
                timed = random.Random(seed + fold).sample(texts, min(timed_sample, len(texts)))
                parses, latencies = parse_batch(Path(model), texts, timed)
            yield Fold(fold, examples, parses, latencies, trained - started, time.perf_counter() - trained)
            Path(model).unlink(missing_ok=True)   # archives are large; a long tuning run trains many


@contextmanager
def _without_training_cache() -> Iterator[None]:
    """Train without Rasa's training cache (in this process, within the block).

    Rasa fingerprints every node's output after training it (the whole
    featurized training data) to cache it, and fingerprints the graph's
    inputs first to look for hits. A fold's data is seen once, so nothing
    would ever be reused: that bookkeeping was 21 s of a 118 s fold, profiled.
    ``force_full_training`` skips the look-up; this skips the storing.
    """
    from rasa.engine.training.hooks import TrainingHook

    storing = TrainingHook.__dict__["on_after_node"]
    TrainingHook.on_after_node = lambda self, *args, **kwargs: None
    try:
        yield
    finally:
        TrainingHook.on_after_node = storing


def parse_batch(model_path: Path, texts: list[str], timed: Iterable[str] = ()) -> tuple[list[dict], list[float]]:
    """Parse ``texts`` in one pass through the NLU graph, and time ``timed`` one message at a time.

    Every NLU component processes a list of messages, so one pass gives the
    same intents and entities as parsing one by one (``parse_all``) in a
    fraction of the time; only the latency needs single messages.
    """
    from rasa.core.agent import Agent
    from rasa.core.channels import UserMessage
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot import model_loading
    from bot.batch_inference import batched_diet
    from bot.runtime import quiet_rasa_logs

    quiet_rasa_logs()
    model_loading.install()
    agent = Agent.load(str(model_path))
    processor = agent.processor
    target = processor.model_metadata.nlu_target
    with batched_diet(processor.graph_runner):   # DIET, too, runs its model on many messages at once
        messages = processor.graph_runner.run(
            inputs={PLACEHOLDER_MESSAGE: [UserMessage(text) for text in texts],
                    PLACEHOLDER_TRACKER: DialogueStateTracker.from_events("batch", [])},
            targets=[target])[target]
    parses = []
    for message in messages:
        parse = {"text": "", "intent": {"name": None, "confidence": 0.0}, "entities": []}
        parse.update(message.as_dict(only_output_properties=True))
        parses.append(parse)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(agent.parse_message("warm up"))
    latencies = []
    for text in timed:
        started = time.perf_counter()
        loop.run_until_complete(agent.parse_message(text))
        latencies.append((time.perf_counter() - started) * 1000)
    loop.close()
    return parses, latencies


def held_out_for_config(config: Optional[str]) -> tuple[Report, float, int]:
    """Train the config's NLU on all training data, score it on the held-out split.
    Returns (report, training seconds, model size in bytes)."""
    from rasa.model_training import train_nlu

    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.training_data import TrainingData

    with tempfile.TemporaryDirectory(prefix="finbot-heldout-") as workdir:
        data = TrainingData([m for m, _ in training_examples()])
        data_file = Path(workdir) / "train.yml"
        data_file.write_text(RasaYAMLWriter().dumps(data), encoding="utf-8")
        started = time.perf_counter()
        model = Path(train_nlu(config=str(config_path(config)), nlu_data=str(data_file), output=workdir,
                               domain=str(DOMAIN), fixed_model_name="heldout"))
        seconds = time.perf_counter() - started
        return evaluate_model(model), seconds, model.stat().st_size
