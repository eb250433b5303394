"""From a trial's design to a Rasa config: the template config with the tuned parts replaced.

A *design* is what a trial sampled (``SearchSpace.sample``)::

    {"architecture": "diet" | "finbot_tf" | "finbot_tf_rules" | "ensemble",
     "featurizer": {...}, "diet": {...}, "finbot_tf": {...}, "ensemble_weight": w or None}

Every design becomes a *stack*: the char n-gram featurizer settings, DIET
(classifying intents, only extracting entities, or left out: then entities
come from FinbotEntityNormalizer's deterministic parsers alone), then zero, one or two of
our classifiers, each either replacing the intent (weight None) or blending
its probabilities with the ranking before it (weight w). The stack form also
describes the ensemble of the two best trials (``ensemble_of``).
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Optional

import yaml

OURS = "bot.components.tf_intent_classifier.FinbotTFIntentClassifier"
DIET = "DIETClassifier"
# Only picks the FAQ answer among faq/* responses (never the intent): left out of trials, kept in written configs.
NOT_IN_TRIALS = ("ResponseSelector",)


class TemplateError(ValueError):
    """The template config lacks a component tuning needs to adjust."""


def read_template(path: Path) -> dict:
    config = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    pipeline = config.get("pipeline") if isinstance(config, dict) else None
    if not isinstance(pipeline, list):
        raise TemplateError(f"{path}: no pipeline")
    names = [component.get("name") for component in pipeline]
    if DIET not in names:
        raise TemplateError(f"{path}: the pipeline has no {DIET} (tuning adjusts it)")
    if not any(_is_char_featurizer(c) for c in pipeline):
        raise TemplateError(f"{path}: the pipeline has no CountVectorsFeaturizer with analyzer char_wb or char "
                            "(tuning sets its n-gram range)")
    return config


def _is_char_featurizer(component: dict) -> bool:
    return component.get("name") == "CountVectorsFeaturizer" and component.get("analyzer") in ("char_wb", "char")


OURS_ALONE = ("finbot_tf", "finbot_tf_rules")   # our classifier decides the intent alone


def stack_of(design: dict) -> dict:
    """The stack for one trial's design."""
    architecture = design["architecture"]
    stack = {"featurizer": dict(design.get("featurizer") or {}),
             "diet": None if architecture == "finbot_tf_rules" else dict(design.get("diet") or {}),
             "diet_intents": architecture in ("diet", "ensemble"), "ours": []}
    if architecture in OURS_ALONE:
        stack["ours"] = [{"config": dict(design["finbot_tf"]), "weight": None}]
    elif architecture == "ensemble":
        stack["ours"] = [{"config": dict(design["finbot_tf"]), "weight": design.get("ensemble_weight") or 0.5}]
    return stack


def ensemble_of(first: dict, second: dict, weight: float = 0.5) -> tuple[Optional[dict], str]:
    """The stack averaging the intent probabilities of two designs, or (None, why not).

    One Rasa pipeline can blend DIET with ours, or ours with ours, but not two
    DIETs (DIET sets the intent, it does not blend), and a design that is
    already an ensemble would make a three-way blend we never validated.
    """
    kinds = (first["architecture"], second["architecture"])
    if first == second:
        return None, "the two best trials have the same configuration"
    if "ensemble" in kinds:
        return None, "one of the two best trials is already an ensemble of DIET and ours"
    if kinds == ("diet", "diet"):
        return None, "the two best trials are both DIET, and two DIETs cannot be blended in one pipeline"
    if "diet" in kinds:
        diet_design, ours_design = (first, second) if kinds[0] == "diet" else (second, first)
        stack = stack_of(diet_design)
        stack["ours"] = [{"config": dict(ours_design["finbot_tf"]), "weight": weight}]
        return stack, f"DIET of the diet trial blended with the classifier of the {ours_design['architecture']} trial"
    stack = stack_of(first)   # both ours: entity extraction and featurizers of the better one
    stack["ours"] = [{"config": dict(first["finbot_tf"]), "weight": None},
                     {"config": dict(second["finbot_tf"]), "weight": weight}]
    return stack, "the two trials' own classifiers blended (entities as in the better one)"


def rasa_config(template: dict, stack: dict, for_trial: bool) -> dict:
    """The Rasa config for a stack. ``for_trial``: NLU only, without the ResponseSelector."""
    config = copy.deepcopy(template)
    pipeline = []
    ours_placed = False
    for component in config["pipeline"]:
        name = component.get("name")
        if for_trial and name in NOT_IN_TRIALS:
            continue
        if _is_char_featurizer(component):
            component.update(stack["featurizer"])
        if name == DIET:
            if stack["diet"] is not None:
                pipeline.append(_diet_component(component, stack))
            if not ours_placed and not any(c.get("name") == OURS for c in config["pipeline"]):
                pipeline += _our_components(template, stack)
                ours_placed = True
            continue
        if name == OURS:
            if not ours_placed:
                pipeline += _our_components(template, stack)
                ours_placed = True
            continue
        pipeline.append(component)
    config["pipeline"] = pipeline
    if for_trial:
        config.pop("policies", None)
    return config


def _diet_component(template_component: dict, stack: dict) -> dict:
    component = {**template_component, **stack["diet"]}
    component.pop("ranking_length", None)
    if stack["diet_intents"]:
        component.pop("intent_classification", None)
        component.pop("entity_recognition", None)
        if stack["ours"]:
            component["ranking_length"] = 0     # our classifier blends with the whole ranking
    else:
        component["intent_classification"] = False
        component["entity_recognition"] = True
    return component


def _our_components(template: dict, stack: dict) -> list[dict]:
    base = next((dict(c) for c in template["pipeline"] if c.get("name") == OURS), {"name": OURS})
    base.pop("ensemble_weight", None)
    components = []
    for position, stage in enumerate(stack["ours"]):
        component = {**base, **stage["config"], "name": OURS}
        component.pop("ensemble_weight", None)
        if stage["weight"] is not None:
            component["ensemble_weight"] = float(stage["weight"])
        if position + 1 < len(stack["ours"]):
            component["ranking_length"] = 0     # the next classifier blends with the whole ranking
        components.append(component)
    return components


def write_config(config: dict, path: Path, header: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    comment = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines())
    path.write_text(comment + yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
