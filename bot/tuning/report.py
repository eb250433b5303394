"""The tuning report: every trial of the study, the Pareto front of quality against latency, the choice.

Built from the study in storage, so it covers trials from earlier runs and
other machines too; this run's trials are marked with '*'.
"""
from __future__ import annotations

import json
from typing import Optional

from bot.tuning.study import ENSEMBLE_NAME, TuningResult

LANGUAGES = ("zh", "en", "mixed")
_SHORT = {"featurizer.": "cv.", "finbot_tf.": "tf.", "ensemble.": "ens."}


def trial_rows(study) -> list[dict]:
    rows = []
    for trial in study.get_trials(deepcopy=False):
        attrs = trial.user_attrs
        scores = attrs.get("scores")
        rows.append({"number": trial.number, "state": trial.state.name.lower(), "note": attrs.get("note", ""),
                     "architecture": (attrs.get("design") or {}).get("architecture", trial.params.get("architecture")),
                     "params": dict(trial.params), "folds_done": attrs.get("folds_done", 0),
                     "seconds": attrs.get("seconds"), "value": trial.value, "scores": scores})
    return rows


def pareto_front(points: list[dict]) -> list[dict]:
    """Points (with 'quality' and 'p95_ms') that no other point beats on both: higher quality, lower latency."""
    front = []
    for point in points:
        dominated = any(other is not point and other["quality"] >= point["quality"] and
                        other["p95_ms"] <= point["p95_ms"] and
                        (other["quality"] > point["quality"] or other["p95_ms"] < point["p95_ms"])
                        for other in points)
        if not dominated:
            front.append(point)
    return sorted(front, key=lambda p: p["p95_ms"])


def front_points(rows: list[dict], result: Optional[TuningResult]) -> list[dict]:
    points = [{"label": f"trial {r['number']}", "quality": r["scores"]["quality"], "p95_ms": r["scores"]["p95_ms"],
               "objective": r["value"], "architecture": r["architecture"]}
              for r in rows if r["state"] == "complete" and r["scores"]]
    ensemble = result.ensemble if result else None
    if ensemble is not None and ensemble.scores:
        points.append({"label": f"ensemble {ensemble.members[0]}+{ensemble.members[1]}",
                       "quality": ensemble.scores["quality"], "p95_ms": ensemble.scores["p95_ms"],
                       "objective": ensemble.scores["objective"], "architecture": "ensemble of two"})
    return points


def _params_text(params: dict) -> str:
    parts = []
    for name, value in sorted(params.items()):
        if name == "architecture":
            continue
        for long, short in _SHORT.items():
            name = name.replace(long, short)
        parts.append(f"{name}={value:.3g}" if isinstance(value, float) else f"{name}={value}")
    return " ".join(parts)


def render(result: TuningResult) -> str:
    study, space = result.study, result.space
    rows = trial_rows(study)
    this_run = set(result.trials_run)
    lines = [f"study {study.study_name!r} in {result.storage_url}: {len(rows)} trials "
             f"({len(this_run)} in this run, {result.wall_seconds / 60:.1f} min wall"
             f"{', stopped by the time budget' if result.stopped_by_budget else ''})",
             f"objective = quality - {space.penalty_per_ms:g} x (p95 ms - {space.latency_budget_ms:g}) above the "
             f"budget; quality = {1 - space.entity_weight:g} x intent macro-F1 + {space.entity_weight:g} x entity F1; "
             f"{space.folds}-fold CV on the training data only",
             "",
             f"{'#':>4} {'state':16} {'architecture':12} {'acc zh':>6} {'acc en':>6} {'acc mx':>6} {'macroF1':>7} "
             f"{'entF1':>5} {'p95ms':>6} {'object.':>7} {'sec':>5}  params"]
    for row in rows:
        scores = row["scores"]
        state = row["state"]
        if state == "pruned":
            state = f"pruned@{row['folds_done']}" + ("(budget)" if row["note"] == "budget" else "")
        marker = "*" if row["number"] in this_run else " "
        if scores:
            accuracy = [f"{scores['accuracy'].get(lang, float('nan')):6.3f}" for lang in LANGUAGES]
            entity = scores["mean_entity_f1"]
            cells = (f"{' '.join(accuracy)} {scores['intent_macro_f1']:7.3f} "
                     f"{entity if entity is None else format(entity, '5.3f'):>5} {scores['p95_ms']:6.1f} "
                     f"{scores['objective']:7.4f}")
        else:
            cells = f"{'-':>6} {'-':>6} {'-':>6} {'-':>7} {'-':>5} {'-':>6} {'-':>7}"
        seconds = f"{row['seconds']:5.0f}" if row["seconds"] is not None else f"{'-':>5}"
        lines.append(f"{row['number']:>3}{marker} {state:16} {row['architecture'] or '-':12} {cells} {seconds}  "
                     f"{_params_text(row['params'])}")
        if row["state"] == "fail" and row["note"]:
            lines.append(f"       failed: {row['note']}")
    lines.append("(pruned trials show the scores of the folds they finished; '*' = this run)")

    points = front_points(rows, result)
    lines += ["", "Pareto front (no other configuration is both better and faster):"]
    for point in pareto_front(points):
        lines.append(f"  {point['label']:18} {point['architecture']:15} quality {point['quality']:.4f}  "
                     f"p95 {point['p95_ms']:6.1f} ms  objective {point['objective']:.4f}")
    if not points:
        lines.append("  (no complete trial yet)")

    ensemble = result.ensemble
    lines.append("")
    if ensemble is None:
        lines.append("ensemble: fewer than two complete trials, none tried")
    elif ensemble.skipped:
        lines.append(f"ensemble of trials {ensemble.members[0]}+{ensemble.members[1]}: not tried ({ensemble.skipped})")
    else:
        lines.append(f"ensemble of trials {ensemble.members[0]}+{ensemble.members[1]} ({ensemble.description}): "
                     f"objective {ensemble.scores['objective']:.4f}, p95 {ensemble.scores['p95_ms']:.1f} ms -> "
                     f"{'wins' if ensemble.wins else 'does not beat the best trial'}")

    lines.append("")
    if not result.chosen:
        lines.append("chosen configuration: none (no trial completed)")
        return "\n".join(lines)
    if result.chosen == ENSEMBLE_NAME:
        scores, origin = ensemble.scores, f"ensemble of trials {ensemble.members[0]} and {ensemble.members[1]}"
    else:
        best = study.best_trial
        scores, origin = best.user_attrs["scores"], (f"trial {best.number} "
                                                     f"({best.user_attrs['design']['architecture']})")
    lines.append(f"chosen configuration: {result.chosen} = {origin}, written to {result.written[result.chosen]}")
    for lang in LANGUAGES:
        if lang in scores["accuracy"]:
            entity = scores["entity_f1"].get(lang)
            entity_text = "-" if entity is None else f"{entity:.3f}"
            lines.append(f"  {lang:6} CV intent accuracy {scores['accuracy'][lang]:.3f}  macro-F1 "
                         f"{scores['macro_f1'][lang]:.3f}  entity F1 {entity_text}")
    lines.append(f"  parse latency p50 {scores['p50_ms']:.1f} ms, p95 {scores['p95_ms']:.1f} ms; quality "
                 f"{scores['quality']:.4f}; objective {scores['objective']:.4f}")
    if result.chosen != ENSEMBLE_NAME:
        lines.append(f"  parameters: {_params_text(study.best_trial.params)}")
    others = [name for name in result.written if name != result.chosen]
    if others:
        lines.append(f"  also written: {', '.join(f'{n} ({result.written[n]})' for n in others)}")
    lines.append(f"  held-out scores: `finbot compare {result.chosen} --folds 1 --held-out` "
                 "(the held-out split is never used while tuning)")
    return "\n".join(lines)


def to_json(result: TuningResult) -> str:
    rows = trial_rows(result.study)
    ensemble = result.ensemble
    return json.dumps({
        "study": result.study.study_name, "storage": result.storage_url, "wall_seconds": round(result.wall_seconds, 1),
        "stopped_by_budget": result.stopped_by_budget, "trials_this_run": result.trials_run, "trials": rows,
        "pareto_front": pareto_front(front_points(rows, result)),
        "ensemble": None if ensemble is None else {k: v for k, v in vars(ensemble).items() if k != "stack"},
        "chosen": result.chosen, "written": {k: str(v) for k, v in result.written.items()},
    }, ensure_ascii=False, indent=1, default=str)
