"""Training the bot: one place that knows where the domain, config and data live.

``finbot train`` calls ``train_model``; `make run` calls it with
``only_if_stale=True``, which skips training when the newest model was trained
from exactly the same inputs (a SHA-256 fingerprint of the domain, config,
training data and our NLU component code, stored beside the archive).
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

BOT_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BOT_DIR.parent
DOMAIN = BOT_DIR / "domain.yml"
DEFAULT_CONFIG = BOT_DIR / "config.yml"
CONFIGS_DIR = BOT_DIR / "configs"
CORE_DATA = BOT_DIR / "data"
NLU_DATA = PROJECT_ROOT / "nlu_data"
LANGUAGES = ("zh", "en", "mixed")


def nlu_training_paths() -> list[Path]:
    """Training examples only: the held-out test files are never passed to training."""
    paths = []
    for language in LANGUAGES:
        folder = NLU_DATA / language / "train"
        single = NLU_DATA / language / "train.yml"
        if folder.is_dir():
            paths.append(folder)
        elif single.is_file():
            paths.append(single)
    return paths


def nlu_test_path(language: str) -> Path:
    return NLU_DATA / language / "test.yml"


def config_path(name_or_path: Optional[str]) -> Path:
    """'diet' -> bot/configs/diet.yml; a path is used as is; None -> bot/config.yml."""
    if not name_or_path:
        return DEFAULT_CONFIG
    candidate = Path(name_or_path)
    if candidate.suffix in (".yml", ".yaml") and candidate.exists():
        return candidate
    named = CONFIGS_DIR / f"{name_or_path}.yml"
    if named.exists():
        return named
    raise FileNotFoundError(f"no config {name_or_path!r} (looked for {candidate} and {named})")


def _files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]


def training_fingerprint(config: Path, extra_inputs: list[Path] | None = None) -> str:
    """SHA-256 over every input that changes the trained model."""
    digest = hashlib.sha256()
    inputs = [DOMAIN, config, *_files_under(CORE_DATA), *[f for p in nlu_training_paths() for f in _files_under(p)],
              *_files_under(BOT_DIR / "components"), *_files_under(BOT_DIR / "normalise"), *(extra_inputs or [])]
    for path in inputs:
        if path.suffix in (".pyc",) or "__pycache__" in path.parts:
            continue
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class TrainedModel:
    path: Path
    fingerprint: str
    seconds: float
    skipped: bool          # True: an up-to-date model existed, nothing was trained


def latest_model(models_dir: Path) -> Optional[Path]:
    archives = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime) if models_dir.is_dir() else []
    return archives[-1] if archives else None


def _sidecar(model: Path) -> Path:
    return model.with_name(model.name[: -len(".tar.gz")] + ".json")


def model_metadata(model: Path) -> dict:
    sidecar = _sidecar(model)
    return json.loads(sidecar.read_text()) if sidecar.exists() else {}


def train_model(models_dir: Path, config: Optional[str] = None, only_if_stale: bool = False,
                name: Optional[str] = None, nlu_only: bool = False) -> TrainedModel:
    """Train (or reuse) a model archive in ``models_dir`` and return it."""
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    config_file = config_path(config)
    fingerprint = training_fingerprint(config_file)
    newest = latest_model(models_dir)
    if only_if_stale and newest is not None and model_metadata(newest).get("fingerprint") == fingerprint:
        return TrainedModel(newest, fingerprint, 0.0, skipped=True)

    from rasa.api import train as rasa_train

    models_dir.mkdir(parents=True, exist_ok=True)
    name = name or datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    started = time.perf_counter()
    data = [str(CORE_DATA), *map(str, nlu_training_paths())] if not nlu_only else list(map(str, nlu_training_paths()))
    result = rasa_train(domain=str(DOMAIN), config=str(config_file), training_files=data, output=str(models_dir),
                        fixed_model_name=name, force_training=True)
    if result.code != 0 or not result.model:
        raise RuntimeError(f"rasa training failed (code {result.code})")
    seconds = time.perf_counter() - started
    model = Path(result.model)
    _sidecar(model).write_text(json.dumps({
        "fingerprint": fingerprint, "config": str(config_file.relative_to(PROJECT_ROOT))
        if config_file.is_relative_to(PROJECT_ROOT) else str(config_file),
        "trained_at": datetime.now(timezone.utc).isoformat(), "training_seconds": round(seconds, 1),
        "size_bytes": model.stat().st_size,
    }, indent=1))
    return TrainedModel(model, fingerprint, seconds, skipped=False)
