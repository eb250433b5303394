"""Each tuning trial as a TensorBoard run in the HParams dashboard.

``<data dir>/tensorboard/tuning/<study>/trial-<n>/``: the trial's
hyper-parameters and its cross-validated scores (objective, quality, intent
macro-F1 per language, entity F1, parse p95), so `finbot tensorboard` shows
every trial side by side, filterable and sortable, next to the training
curves of registered models.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

log = logging.getLogger(__name__)

METRICS = ("objective", "quality", "intent_macro_f1", "mean_entity_f1", "p95_ms", "p50_ms")


def trial_metrics(value: Optional[float], scores: Optional[dict]) -> dict:
    """{metric name: number} of a trial; pruned and failed trials have fewer (or none)."""
    metrics = {}
    if value is not None:
        metrics["objective"] = float(value)
    for name in METRICS[1:]:
        if scores and scores.get(name) is not None:
            metrics[name] = float(scores[name])
    for language, f1 in ((scores or {}).get("macro_f1") or {}).items():
        metrics[f"macro_f1_{language}"] = float(f1)
    return metrics


def write_trial(log_root: Path, study_name: str, number: int, params: dict, state: str,
                value: Optional[float], scores: Optional[dict]) -> Optional[Path]:
    """Write one trial's run; returns its folder (None if TensorBoard logging failed: tuning goes on)."""
    try:
        import tensorflow as tf
        from tensorboard.plugins.hparams import api as hp

        folder = Path(log_root) / "tuning" / study_name / f"trial-{number:03d}"
        hparams = {name: (value if isinstance(value, (bool, int, float, str)) else str(value))
                   for name, value in params.items()}
        hparams["state"] = state
        writer = tf.summary.create_file_writer(str(folder))
        with writer.as_default():
            hp.hparams(hparams, trial_id=f"{study_name}/{number}")
            for name, metric in trial_metrics(value, scores).items():
                tf.summary.scalar(name, metric, step=0)
        writer.flush()
        writer.close()
        return folder
    except Exception:  # a log is a convenience; never lose a trial over it
        log.exception("could not write the TensorBoard run of trial %s", number)
        return None
