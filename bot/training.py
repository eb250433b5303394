"""Training the bot: one place that knows where the domain, config and data live.

``finbot train`` calls ``train_model``; `make run` calls it with
``only_if_stale=True``, which skips training when a model on disk was trained
from exactly the same inputs (a SHA-256 fingerprint of the domain, config,
training data and our NLU component code, stored beside the archive).

Given a database ``engine``, every model it trains (or finds up to date but
not yet registered) is evaluated on the held-out split and registered as a
model version (``bot.registry``), and the training writes TensorBoard logs for
every classifier into ``<data dir>/tensorboard/<version>/``.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

BOT_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BOT_DIR.parent
DOMAIN = BOT_DIR / "domain.yml"
DEFAULT_CONFIG = BOT_DIR / "config.yml"
CONFIGS_DIR = BOT_DIR / "configs"
CORE_DATA = BOT_DIR / "data"
NLU_DATA = PROJECT_ROOT / "nlu_data"
LANGUAGES = ("zh", "en", "mixed")


def nlu_training_paths() -> list[Path]:
    """Training examples only: the held-out test files are never passed to training.

    Per language: the hand-written ``train/`` (or ``train.yml``), then the
    reviewed chat messages in ``reviewed/`` (bot.review) when there are any.
    """
    paths = []
    for language in LANGUAGES:
        folder = NLU_DATA / language / "train"
        single = NLU_DATA / language / "train.yml"
        if folder.is_dir():
            paths.append(folder)
        elif single.is_file():
            paths.append(single)
        reviewed = NLU_DATA / language / "reviewed"
        if reviewed.is_dir() and any(reviewed.glob("*.yml")):
            paths.append(reviewed)
    return paths


# Evaluation splits beside each language's training data. "test" is the held-out
# split that is reported; "dev" is the one used to choose between configs, so
# choosing never looks at the reported split. Training reads neither.
SPLITS = ("test", "dev")


def nlu_test_path(language: str, split: str = "test") -> Path:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: one of {', '.join(SPLITS)}")
    return NLU_DATA / language / f"{split}.yml"


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
        digest.update(_label(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _label(path: Path) -> str:
    """A file's name in a fingerprint: relative to the project, or (a config in a temp folder) its name."""
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else path.name


def _sha256_of(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(_label(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def data_fingerprints() -> dict:
    """SHA-256 of each part of the training data, so a registry entry says which part changed."""
    return {
        "nlu": _sha256_of([f for p in nlu_training_paths() for f in _files_under(p)]),
        "domain": _sha256_of([DOMAIN]),
        "stories": _sha256_of(_files_under(CORE_DATA)),
    }


@dataclass(frozen=True)
class TrainedModel:
    path: Path
    fingerprint: str
    seconds: float
    skipped: bool          # True: an up-to-date model existed, nothing was trained
    version: Optional[str] = None  # the registry's version id (trained with an engine)


def tensorboard_config(config_file: Path, log_root: Path, out_dir: Path) -> Path:
    """A copy of ``config_file`` whose TensorFlow components log to TensorBoard under ``log_root``.

    Injected at train time so no config file has to carry the option. Every
    component whose defaults know ``tensorboard_log_directory`` (DIET,
    ResponseSelector, TED, ours) gets its own folder: Rasa writes straight
    into the folder it is given, so two components sharing one would mix
    their curves.
    """
    import yaml
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.utils.tensorflow.constants import TENSORBOARD_LOG_DIR, TENSORBOARD_LOG_LEVEL

    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    for section in ("pipeline", "policies"):
        for index, step in enumerate(config.get(section) or []):
            try:
                defaults = DefaultV1Recipe._from_registry(step["name"]).clazz.get_default_config()
            except Exception:  # an unknown name: let rasa's own validation report it
                continue
            if TENSORBOARD_LOG_DIR not in defaults:
                continue
            label = step["name"].rsplit(".", 1)[-1]
            if step.get("retrieval_intent"):
                label += f"_{step['retrieval_intent']}"
            step[TENSORBOARD_LOG_DIR] = str(log_root / f"{section}-{index}-{label}")
            if TENSORBOARD_LOG_LEVEL in defaults:
                step[TENSORBOARD_LOG_LEVEL] = "epoch"
    out_dir.mkdir(parents=True, exist_ok=True)
    copy = out_dir / config_file.name
    copy.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return copy


def _archives_oldest_first(models_dir: Path) -> list[Path]:
    return sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime) if models_dir.is_dir() else []


def latest_model(models_dir: Path) -> Optional[Path]:
    archives = _archives_oldest_first(models_dir)
    return archives[-1] if archives else None


def up_to_date_model(models_dir: Path, fingerprint: str) -> Optional[Path]:
    """The newest archive trained from the inputs ``fingerprint`` describes, if any.

    Not just the newest archive: after ``finbot tune`` or ``finbot train --config``
    registers a candidate, the default's archive is older but still up to date.
    """
    newest_first = reversed(_archives_oldest_first(models_dir))
    return next((archive for archive in newest_first if model_metadata(archive).get("fingerprint") == fingerprint),
                None)


def _sidecar(model: Path) -> Path:
    return model.with_name(model.name[: -len(".tar.gz")] + ".json")


def model_metadata(model: Path) -> dict:
    sidecar = _sidecar(model)
    return json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else {}


def _new_version_name(models_dir: Path, engine: "Optional[Engine]") -> str:
    """A timestamp, made unique against archives on disk and versions in the registry."""
    base = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    name, attempt = base, 1
    while (models_dir / f"{name}.tar.gz").exists() or (engine is not None and _is_registered(engine, name)):
        attempt += 1
        name = f"{base}-{attempt}"
    return name


def _is_registered(engine: "Engine", version: str) -> bool:
    from bot.registry import find_version

    return find_version(engine, version) is not None


def train_model(models_dir: Path, config: Optional[str] = None, only_if_stale: bool = False,
                name: Optional[str] = None, nlu_only: bool = False, *, engine: "Optional[Engine]" = None,
                source: str = "train", tensorboard_dir: Optional[Path] = None) -> TrainedModel:
    """Train (or reuse) a model archive in ``models_dir`` and return it.

    With ``engine``: the model is evaluated on the held-out split and
    registered as a candidate version (``bot.registry``; ``source`` says who
    started the run: train, setup, tune, retrain), and TensorBoard logs go to
    ``tensorboard_dir`` (default ``<models_dir>/../tensorboard``) under the
    version's name. An up-to-date model that is not yet registered is
    registered as it is. Without ``engine`` nothing is registered, and
    TensorBoard logs are written only when ``tensorboard_dir`` is given.
    """
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    config_file = config_path(config)
    fingerprint = training_fingerprint(config_file)
    current = up_to_date_model(models_dir, fingerprint) if only_if_stale else None
    if current is not None:
        version = None
        if engine is not None:
            from bot.registry import ensure_registered

            version = ensure_registered(engine, current, source=source).version
        return TrainedModel(current, fingerprint, 0.0, skipped=True, version=version)

    from rasa.api import train as rasa_train

    models_dir.mkdir(parents=True, exist_ok=True)
    if name is None:
        name = _new_version_name(models_dir, engine)
    elif engine is not None and _is_registered(engine, name):
        raise ValueError(f"model version {name!r} is already registered; choose another name")
    log_dir = None
    with tempfile.TemporaryDirectory(prefix="finbot-train-") as workdir:
        train_config = config_file
        if engine is not None or tensorboard_dir is not None:
            log_dir = (tensorboard_dir or models_dir.parent / "tensorboard") / name
            train_config = tensorboard_config(config_file, log_dir, Path(workdir))
        started = time.perf_counter()
        data = [str(CORE_DATA), *map(str, nlu_training_paths())] if not nlu_only else list(map(str, nlu_training_paths()))
        result = rasa_train(domain=str(DOMAIN), config=str(train_config), training_files=data,
                            output=str(models_dir), fixed_model_name=name, force_training=True)
    if result.code != 0 or not result.model:
        raise RuntimeError(f"rasa training failed (code {result.code})")
    seconds = time.perf_counter() - started
    model = Path(result.model)
    _sidecar(model).write_text(json.dumps({
        "fingerprint": fingerprint, "config": str(config_file.relative_to(PROJECT_ROOT))
        if config_file.is_relative_to(PROJECT_ROOT) else str(config_file),
        "trained_at": datetime.now(timezone.utc).isoformat(), "training_seconds": round(seconds, 1),
        "size_bytes": model.stat().st_size,
        # what the registry needs to describe this archive even if it is registered later
        "data": data_fingerprints(), "config_text": config_file.read_text(encoding="utf-8"),
    }, indent=1, ensure_ascii=False), encoding="utf-8")
    version = None
    if engine is not None:
        from bot.registry import register_model

        version = register_model(engine, model, config_file=config_file, source=source, tensorboard_dir=log_dir,
                                 training_seconds=seconds).version
    return TrainedModel(model, fingerprint, seconds, skipped=False, version=version)
