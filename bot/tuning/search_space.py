"""The tuning search space: a YAML file in the repository, loaded and checked before any trial runs.

Every parameter is one of

* a range ``{low: L, high: H}`` (integers when both bounds are integers;
  ``step: S`` for a grid, ``log: true`` for a log scale),
* a list of choices ``{choices: [a, b, c]}``,
* a plain value, which fixes it (it is passed to the component, never searched).

Parameter names under ``diet:`` and ``finbot_tf:`` are the components' own
config keys (``DIETClassifier``, ``FinbotTFIntentClassifier``), so the space
can only name things the components read. Every problem in a file is reported
at once, by its dotted name, before any training starts.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from bot.training import PROJECT_ROOT

DEFAULT_SPACE = Path(__file__).resolve().parent / "search_space.yml"
ARCHITECTURES = ("diet", "finbot_tf", "finbot_tf_rules", "ensemble")
SECTIONS = ("template", "cross_validation", "objective", "pruner", "sampler", "architecture", "featurizer", "diet",
            "finbot_tf", "ensemble")

# Value rules by key, wherever the key appears: (kind, lowest allowed, highest allowed, upper bound open?)
_POSITIVE_INTS = {"epochs", "batch_size", "transformer_size", "embedding_dimension", "char_embedding_dim",
                  "char_filters", "word_embedding_dim", "word_filters", "units", "max_chars", "max_words",
                  "min_ngram", "max_ngram", "number_of_attention_heads", "min_word_count"}
_NON_NEGATIVE_INTS = {"number_of_transformer_layers"}
_FRACTIONS = {"dropout", "word_dropout", "drop_rate", "drop_rate_attention", "connection_density"}   # [0, 1)
_RATES = {"learning_rate"}                                                                            # (0, 1)

# Our classifier reads these only with some encoders: they are sampled only then.
ENCODER_ONLY = {"units": ("gru", "lstm"), "word_filters": ("cnn",), "word_kernel_sizes": ("cnn",)}


class SearchSpaceError(ValueError):
    """The search-space file is wrong; ``problems`` lists every reason."""

    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"{source}: {len(problems)} problem(s) in the search space:\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True)
class Parameter:
    """One tunable (or fixed) value. ``name`` is dotted: 'diet.epochs'."""
    name: str
    kind: str                           # int | float | categorical | fixed
    low: Optional[float] = None
    high: Optional[float] = None
    step: Optional[float] = None
    log: bool = False
    choices: tuple = ()
    value: Any = None

    @property
    def searched(self) -> bool:
        return self.kind != "fixed"

    def suggest(self, trial) -> Any:
        """The value for this trial (Optuna records it under ``name``)."""
        if self.kind == "int":
            return trial.suggest_int(self.name, int(self.low), int(self.high), step=int(self.step or 1), log=self.log)
        if self.kind == "float":
            return trial.suggest_float(self.name, self.low, self.high, step=self.step, log=self.log)
        if self.kind == "categorical":
            return trial.suggest_categorical(self.name, list(self.choices))
        return self.value

    def values_to_check(self) -> list:
        """The extreme values a trial can get, for the per-key value rules."""
        if self.kind in ("int", "float"):
            return [self.low, self.high]
        if self.kind == "categorical":
            return list(self.choices)
        return [self.value]

    def describe(self) -> str:
        if self.kind in ("int", "float"):
            extra = (f" step {self.step}" if self.step else "") + (" log" if self.log else "")
            return f"{self.low}..{self.high}{extra}"
        if self.kind == "categorical":
            return " | ".join(map(str, self.choices))
        return f"= {self.value!r}"


@dataclass(frozen=True)
class SearchSpace:
    source: Path
    template: Path
    folds: int
    cv_seed: int
    latency_sample: int                 # messages timed one at a time per fold
    latency_budget_ms: float            # p95 parse latency that costs nothing
    penalty_per_ms: float               # quality given up per ms of p95 above the budget
    entity_weight: float                # share of entity F1 in the quality (the rest is intent macro-F1)
    pruner_startup_trials: int
    sampler_startup_trials: int
    sampler_seed: int
    architecture: Parameter
    featurizer: dict = field(default_factory=dict)   # key -> Parameter
    diet: dict = field(default_factory=dict)
    finbot_tf: dict = field(default_factory=dict)
    ensemble_weight: Optional[Parameter] = None

    def sample(self, trial) -> dict:
        """A design for one trial: {architecture, featurizer, diet, finbot_tf, ensemble_weight}.

        Define-by-run: DIET's parameters only when the architecture has DIET,
        ours only when it has our classifier, the encoder-specific ones only
        for that encoder.
        """
        architecture = self.architecture.suggest(trial)
        design = {"architecture": architecture,
                  "featurizer": {k: p.suggest(trial) for k, p in self.featurizer.items()},
                  "diet": {k: p.suggest(trial) for k, p in self.diet.items()} if architecture != "finbot_tf_rules"
                  else {},
                  "finbot_tf": {}, "ensemble_weight": None}
        if architecture != "diet":
            ours = design["finbot_tf"]
            encoder_parameter = self.finbot_tf.get("encoder")
            if encoder_parameter is not None:
                ours["encoder"] = encoder_parameter.suggest(trial)
            encoder = ours.get("encoder", "cnn")
            for key, parameter in self.finbot_tf.items():
                if key != "encoder" and encoder in ENCODER_ONLY.get(key, (encoder,)):
                    ours[key] = parameter.suggest(trial)
        if architecture == "ensemble" and self.ensemble_weight is not None:
            design["ensemble_weight"] = self.ensemble_weight.suggest(trial)
        return design

    def describe(self) -> str:
        lines = [f"search space {self.source} (template {self.template.name}; {self.folds}-fold CV, "
                 f"latency budget p95 {self.latency_budget_ms:g} ms, penalty {self.penalty_per_ms:g}/ms)",
                 f"  architecture: {self.architecture.describe()}"]
        for section in ("featurizer", "diet", "finbot_tf"):
            for key, parameter in getattr(self, section).items():
                lines.append(f"  {section}.{key}: {parameter.describe()}")
        if self.ensemble_weight is not None:
            lines.append(f"  ensemble.weight: {self.ensemble_weight.describe()}")
        return "\n".join(lines)


# ----------------------------------------------------------------------------- loading


def load_search_space(path: Path | str | None = None) -> SearchSpace:
    """Read and check a search-space file; raises SearchSpaceError listing every problem."""
    source = Path(path) if path else DEFAULT_SPACE
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise SearchSpaceError(str(source), [f"cannot read the file: {error}"]) from error
    return parse_search_space(raw, source)


def parse_search_space(raw: Any, source: Path | str = "<search space>") -> SearchSpace:
    source = Path(source)
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise SearchSpaceError(str(source), ["the file must be a mapping of sections "
                                             f"({', '.join(SECTIONS)})"])
    for unknown in sorted(set(raw) - set(SECTIONS)):
        problems.append(f"unknown section {unknown!r} (known: {', '.join(SECTIONS)})")

    template = _template_path(raw.get("template", "bot/config.yml"), source, problems)
    cv = _mapping(raw, "cross_validation", problems)
    objective = _mapping(raw, "objective", problems)
    pruner = _mapping(raw, "pruner", problems)
    sampler = _mapping(raw, "sampler", problems)
    folds = _setting(cv, "cross_validation.folds", 2, int, problems, minimum=2)
    cv_seed = _setting(cv, "cross_validation.seed", 7, int, problems)
    latency_sample = _setting(cv, "cross_validation.latency_sample", 200, int, problems, minimum=1)
    latency_budget = _setting(objective, "objective.latency_budget_ms", 30.0, float, problems, minimum=0)
    penalty = _setting(objective, "objective.penalty_per_ms", 0.002, float, problems, minimum=0)
    entity_weight = _setting(objective, "objective.entity_weight", 0.2, float, problems, minimum=0)
    if isinstance(entity_weight, float) and entity_weight >= 1:
        problems.append(f"objective.entity_weight must be below 1 (intent macro-F1 must count), not {entity_weight}")
    pruner_startup = _setting(pruner, "pruner.startup_trials", 3, int, problems, minimum=0)
    sampler_startup = _setting(sampler, "sampler.startup_trials", 6, int, problems, minimum=0)
    sampler_seed = _setting(sampler, "sampler.seed", 42, int, problems)
    for name, section, known in (("cross_validation", cv, {"folds", "seed", "latency_sample"}),
                                 ("objective", objective, {"latency_budget_ms", "penalty_per_ms", "entity_weight"}),
                                 ("pruner", pruner, {"startup_trials"}),
                                 ("sampler", sampler, {"startup_trials", "seed"})):
        for unknown in sorted(set(section) - known):
            problems.append(f"unknown setting {name}.{unknown} (known: {', '.join(sorted(known))})")

    architecture = _parameter("architecture", raw.get("architecture", "ensemble"), problems)
    if architecture is not None:
        for value in architecture.values_to_check():
            if value not in ARCHITECTURES:
                problems.append(f"architecture {value!r} is not one of {', '.join(ARCHITECTURES)}")

    featurizer = _section(raw, "featurizer", {"min_ngram", "max_ngram"}, problems)
    # the architecture decides these; the space may not
    diet = _section(raw, "diet", set(_diet_defaults()) - {"intent_classification", "entity_recognition",
                                                          "ranking_length"}, problems)
    ours = _section(raw, "finbot_tf", set(_finbot_tf_defaults()) - {"ensemble_weight"}, problems)
    ensemble = _section(raw, "ensemble", {"weight"}, problems)
    _check_ngrams(featurizer, problems)
    _check_transformer(diet, problems)
    _check_encoder(ours, problems)
    weight = ensemble.get("weight")
    if weight is not None:
        for value in weight.values_to_check():
            if isinstance(value, (int, float)) and not 0 < value <= 1:
                problems.append(f"ensemble.weight must be in (0, 1] (the share of our classifier), not {value}")
    if problems:
        raise SearchSpaceError(str(source), problems)
    return SearchSpace(source=source, template=template, folds=folds, cv_seed=cv_seed, latency_sample=latency_sample,
                       latency_budget_ms=latency_budget, penalty_per_ms=penalty, entity_weight=entity_weight,
                       pruner_startup_trials=pruner_startup, sampler_startup_trials=sampler_startup,
                       sampler_seed=sampler_seed, architecture=architecture, featurizer=featurizer, diet=diet,
                       finbot_tf=ours, ensemble_weight=weight)


def _template_path(value: Any, source: Path, problems: list[str]) -> Path:
    candidates = [PROJECT_ROOT / str(value), source.parent / str(value), Path(str(value))]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    problems.append(f"template {value!r}: no such config (looked in the project and beside the search space)")
    return Path(str(value))


def _mapping(raw: dict, name: str, problems: list[str]) -> dict:
    value = raw.get(name) or {}
    if not isinstance(value, dict):
        problems.append(f"{name} must be a mapping, not {type(value).__name__}")
        return {}
    return value


def _setting(section: dict, name: str, default, kind, problems: list[str], minimum=None):
    value = section.get(name.split(".")[-1], default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        problems.append(f"{name} must be {'an integer' if kind is int else 'a number'}, not {value!r}")
        return default
    if minimum is not None and value < minimum:
        problems.append(f"{name} must be at least {minimum}, not {value}")
    return value


def _section(raw: dict, name: str, known: set, problems: list[str]) -> dict:
    entries = _mapping(raw, name, problems)
    parameters = {}
    for key, spec in entries.items():
        if key not in known:
            problems.append(f"{name}.{key} is not a config key of that component "
                            f"(known: {', '.join(sorted(known))})")
            continue
        parameter = _parameter(f"{name}.{key}", spec, problems)
        if parameter is not None:
            _check_value_rules(parameter, key, problems)
            parameters[key] = parameter
    return parameters


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _parameter(name: str, spec: Any, problems: list[str]) -> Optional[Parameter]:
    if not isinstance(spec, dict):
        return Parameter(name, "fixed", value=spec)
    unknown = set(spec) - {"low", "high", "step", "log", "choices"}
    if unknown:
        problems.append(f"{name}: unknown field(s) {', '.join(sorted(unknown))} (a range has low/high/step/log, "
                        "a choice has choices)")
        return None
    if "choices" in spec:
        choices = spec["choices"]
        if set(spec) != {"choices"}:
            problems.append(f"{name}: give either choices or a low/high range, not both")
            return None
        if not isinstance(choices, list) or not choices:
            problems.append(f"{name}: choices must be a non-empty list")
            return None
        if any(isinstance(c, (list, dict)) for c in choices):
            problems.append(f"{name}: choices must be plain values (numbers, strings, booleans); "
                            "a list or mapping can only be fixed")
            return None
        if len(set(map(repr, choices))) != len(choices):
            problems.append(f"{name}: choices repeat a value: {choices}")
            return None
        return Parameter(name, "categorical", choices=tuple(choices))
    if "low" not in spec or "high" not in spec:
        problems.append(f"{name}: a range needs both low and high (or give choices, or a plain value to fix it)")
        return None
    low, high, step, log = spec["low"], spec["high"], spec.get("step"), spec.get("log", False)
    if not (_is_number(low) and _is_number(high)):
        problems.append(f"{name}: low and high must be numbers, not {low!r} and {high!r}")
        return None
    if low >= high:
        problems.append(f"{name}: low ({low}) must be below high ({high})"
                        + ("; to fix a value, write it plainly" if low == high else ""))
        return None
    if not isinstance(log, bool):
        problems.append(f"{name}: log must be true or false, not {log!r}")
        return None
    kind = "int" if isinstance(low, int) and isinstance(high, int) and (step is None or isinstance(step, int)) \
        else "float"
    if step is not None:
        if not _is_number(step) or step <= 0:
            problems.append(f"{name}: step must be a positive number, not {step!r}")
            return None
        if log:
            problems.append(f"{name}: use either step or log, not both")
            return None
        steps = (high - low) / step
        if not math.isclose(steps, round(steps), abs_tol=1e-9):
            problems.append(f"{name}: high - low ({high - low}) is not a whole number of steps of {step}")
            return None
    if log and low <= 0:
        problems.append(f"{name}: a log range needs low > 0, not {low}")
        return None
    return Parameter(name, kind, low=low, high=high, step=step, log=log)


def _check_value_rules(parameter: Parameter, key: str, problems: list[str]) -> None:
    for value in parameter.values_to_check():
        if key in _POSITIVE_INTS | _NON_NEGATIVE_INTS:
            least = 0 if key in _NON_NEGATIVE_INTS else 1
            if key == "batch_size" and isinstance(value, list):
                continue   # DIET's linear batch-size increase [64, 256], fixed
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                problems.append(f"{parameter.name} must be {'a positive' if least else 'a non-negative'} integer, "
                                f"not {value!r}")
                return
        elif key in _FRACTIONS:
            if not _is_number(value) or not 0 <= value < 1:
                problems.append(f"{parameter.name} must be in [0, 1), not {value!r}")
                return
        elif key in _RATES:
            if not _is_number(value) or not 0 < value < 1:
                problems.append(f"{parameter.name} must be in (0, 1), not {value!r}")
                return


def _check_ngrams(featurizer: dict, problems: list[str]) -> None:
    """Every sampled pair must be a valid range: the largest min_ngram <= the smallest max_ngram."""
    low, high = featurizer.get("min_ngram"), featurizer.get("max_ngram")
    if low is None or high is None:
        return
    minimums = [v for v in low.values_to_check() if _is_number(v)]
    maximums = [v for v in high.values_to_check() if _is_number(v)]
    if minimums and maximums and max(minimums) > min(maximums):
        problems.append(f"featurizer.max_ngram can be {min(maximums)} while featurizer.min_ngram can be "
                        f"{max(minimums)}: every min_ngram must be <= every max_ngram")


def _check_transformer(diet: dict, problems: list[str]) -> None:
    """DIET's attention splits transformer_size across heads: every size must divide evenly."""
    size, heads = diet.get("transformer_size"), diet.get("number_of_attention_heads")
    head_counts = heads.values_to_check() if heads else [_diet_defaults()["number_of_attention_heads"]]
    if size is None:
        return
    if size.kind in ("int", "float"):
        step = int(size.step or 1)
        sizes = range(int(size.low), int(size.high) + 1, step) if size.kind == "int" else [size.low, size.high]
    else:
        sizes = size.values_to_check()
    for value in sizes:
        for count in head_counts:
            if isinstance(value, int) and isinstance(count, int) and count > 0 and value % count:
                problems.append(f"diet.transformer_size {value} is not a multiple of number_of_attention_heads "
                                f"{count} (DIET refuses it); use a step of {count} or choices")
                return


def _check_encoder(ours: dict, problems: list[str]) -> None:
    from bot.components.tf_intent_classifier import ENCODERS

    encoder = ours.get("encoder")
    if encoder is None:
        return
    for value in encoder.values_to_check():
        if value not in ENCODERS:
            problems.append(f"finbot_tf.encoder {value!r} is not supported by FinbotTFIntentClassifier "
                            f"(it supports {', '.join(ENCODERS)})")
    for key in ("word_kernel_sizes", "char_kernel_sizes"):
        parameter = ours.get(key)
        if parameter is not None and parameter.searched:
            problems.append(f"finbot_tf.{key} is a list: it can only be fixed, not searched")


def _diet_defaults() -> dict:
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier

    return DIETClassifier.get_default_config()


def _finbot_tf_defaults() -> dict:
    from bot.components.tf_intent_classifier import FinbotTFIntentClassifier

    return FinbotTFIntentClassifier.get_default_config()
