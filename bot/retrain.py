"""`finbot retrain`: the daily cycle from conversation logs to a better serving model.

    gather     queue doubtful messages from the tracker store (bot.review)
    export     confirmed and corrected messages -> nlu_data/<language>/reviewed/
    train      a candidate (bot.training.train_model, source "retrain"), evaluated on the held-out split
    evaluate   the serving model again, now, so both latencies are measured under the same load
    suite      optionally the conversation tests on the candidate (--conversations), attached to its report
    gate       promote the candidate, or refuse it with the gate's reasons (bot.registry.promote)

Safe to run from cron or a Kubernetes CronJob:

- Two runs never overlap. The lock is a PostgreSQL advisory lock on
  PostgreSQL (held by one connection for the whole run; the database drops
  it if the process dies), otherwise an exclusive ``flock`` on
  ``<data dir>/retrain.lock`` (the kernel drops it if the process dies). A
  second run raises ``RetrainBusy`` at once.
- A failed or interrupted run leaves the serving model as it was: only
  ``promote`` changes it, in one transaction, at the end. An archive that was
  trained but not registered (the run died in between) is deleted, with its
  sidecar and TensorBoard logs, so the models folder holds only registered
  versions. A candidate that was registered stays registered, undecided
  (``candidate``), as every training run is.
- Nothing new, nothing trained: when a registered version was already trained
  from exactly these inputs (config, domain, stories, NLU data including the
  reviewed examples, our component code), the run stops after the export.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Optional

from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from bot import registry, review
from bot.clock import environment_today
from bot.training import PROJECT_ROOT, config_path, training_fingerprint

_RETRAIN_LOCK_KEY = 0x4642524554524E  # "FBRETRN": advisory lock id of `finbot retrain` on PostgreSQL
LOCK_FILE_NAME = "retrain.lock"
DEFAULT_CONVERSATION_PATHS = (PROJECT_ROOT / "tests" / "conversations",)


class RetrainBusy(RuntimeError):
    """Another retraining run holds the lock."""


# --------------------------------------------------------------------------- the lock


@contextmanager
def retrain_lock(engine: Engine, lock_dir: Path) -> Iterator[str]:
    """Hold the retraining lock for the ``with`` block, or raise RetrainBusy; yields what was locked."""
    if engine.dialect.name == "postgresql":
        # Session-level lock on a connection of its own in autocommit: no transaction stays open
        # for the hour a training may take.
        connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": _RETRAIN_LOCK_KEY}).scalar():
                raise RetrainBusy("another `finbot retrain` is running (it holds the PostgreSQL advisory lock "
                                  f"{_RETRAIN_LOCK_KEY:#x}); this run stops without changing anything")
            try:
                yield f"PostgreSQL advisory lock {_RETRAIN_LOCK_KEY:#x}"
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _RETRAIN_LOCK_KEY})
        finally:
            connection.close()
        return
    lock_dir = Path(lock_dir)
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / LOCK_FILE_NAME
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RetrainBusy(f"another `finbot retrain` is running ({holder} holds {path}); "
                              f"this run stops without changing anything") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {datetime.now(timezone.utc).isoformat(timespec='seconds')}\n")
        handle.flush()
        try:
            yield str(path)
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- the report


@dataclass
class RetrainReport:
    started_at: datetime
    config: str
    dry_run: bool = False
    lock: str = ""
    gathered: Optional[review.GatherResult] = None
    queue: dict = field(default_factory=dict)             # status -> items
    exported: Optional[review.ExportResult] = None
    skipped_training: Optional[str] = None                # why no candidate was trained
    candidate: Optional[registry.VersionInfo] = None
    serving: Optional[registry.VersionInfo] = None        # what served when the run started
    serving_report_now: Optional[dict] = None             # the serving model evaluated again in this run
    conversation_suite: Optional[dict] = None
    promotion: Optional[registry.PromotionResult] = None
    seconds: float = 0.0

    @property
    def promoted(self) -> bool:
        return bool(self.promotion and self.promotion.promoted)

    def text(self) -> str:
        lines = [f"finbot retrain, {self.started_at.isoformat(timespec='seconds')} (config {self.config}"
                 + (", dry run" if self.dry_run else "") + ")"]
        if self.gathered is not None:
            lines.append(f"gathered: {self.gathered.summary()}")
            lines.append("review queue: " + ", ".join(f"{n} {s}" for s, n in self.queue.items()))
        if self.exported is not None:
            verb = "would export" if self.dry_run else "exported"
            lines.append(f"{verb}: " + self.exported.summary().replace("\n", "\n  "))
        if self.skipped_training:
            lines.append(f"no training: {self.skipped_training}")
        if self.candidate is not None:
            lines.append(f"candidate {self.candidate.version}: trained in {self.candidate.training_seconds:.0f} s "
                         f"({self.candidate.config_name})")
            lines += self._comparison()
        if self.conversation_suite is not None:
            suite = self.conversation_suite
            lines.append(f"conversation tests on the candidate: {suite['passed']} passed, {suite['failed']} failed")
            lines += [f"  failed: {name}" for name in suite.get("details", [])[:20]]
        if self.promotion is not None:
            decision = self.promotion.decision
            lines.append(f"gate: {'PROMOTE' if decision.promote else 'REFUSE'}")
            lines += [f"  - {reason}" for reason in decision.reasons]
            if self.promotion.promoted:
                lines.append(f"result: promoted; {self.promotion.version} now serves"
                             + (f" (replacing {self.promotion.previous_version})"
                                if self.promotion.previous_version else ""))
            else:
                lines.append(f"result: refused; {self.promotion.previous_version or 'nothing'} keeps serving")
        elif not self.dry_run and self.candidate is None:
            lines.append(f"result: nothing promoted; {self.serving.version if self.serving else 'nothing'} "
                         f"keeps serving")
        lines.append(f"took {self.seconds:.0f} s")
        return "\n".join(lines)

    def _comparison(self) -> list:
        new = self.candidate.report or {}
        old = self.serving_report_now or (self.serving.report if self.serving else None) or {}
        title = (f"{self.serving.version} (evaluated now)" if self.serving_report_now else
                 f"{self.serving.version} (stored report)") if self.serving else "nothing serves"
        lines = [f"  held-out         candidate                     serving: {title}",
                 "  language         accuracy  macro-F1  entity-F1  accuracy  macro-F1  entity-F1"]

        def cells(scores: Optional[dict]) -> str:
            if not scores:
                return f"{'-':>8}  {'-':>8}  {'-':>9}"
            entity = f"{scores['entity_f1']:.3f}" if scores.get("entity_f1") is not None else "-"
            return f"{scores['intent_accuracy']:>8.3f}  {scores['intent_macro_f1']:>8.3f}  {entity:>9}"

        languages = list(new.get("by_language", {})) + [
            lang for lang in old.get("by_language", {}) if lang not in new.get("by_language", {})]
        for language in languages:
            lines.append(f"  {language:15} {cells(new.get('by_language', {}).get(language))}  "
                         f"{cells(old.get('by_language', {}).get(language))}")
        if new.get("latency_ms_p95") is not None:
            serving_p95 = f"{old['latency_ms_p95']:.1f} ms" if old.get("latency_ms_p95") is not None else "-"
            lines.append(f"  parse p95        {new['latency_ms_p95']:.1f} ms{'':21}{serving_p95}")
        return lines


# --------------------------------------------------------------------------- the run


def _already_trained(engine: Engine, fingerprint: str) -> Optional[registry.VersionInfo]:
    with engine.connect() as connection:
        row = connection.execute(select(registry.VERSIONS.c.version).where(
            registry.VERSIONS.c.fingerprint == fingerprint).order_by(registry.VERSIONS.c.registered_at.desc())).first()
    return registry.get_version(engine, row.version) if row else None


def _remove_unregistered(engine: Engine, models_dir: Path, name: str) -> list[Path]:
    """Delete what a training named ``name`` left behind if it never reached the registry."""
    if registry.find_version(engine, name) is not None:
        return []
    removed = []
    for path in (models_dir / f"{name}.tar.gz", models_dir / f"{name}.json"):
        if path.exists():
            path.unlink()
            removed.append(path)
    logs = models_dir.parent / "tensorboard" / name
    if logs.is_dir():
        shutil.rmtree(logs, ignore_errors=True)
        removed.append(logs)
    return removed


def train_candidate(engine: Engine, models_dir: Path, config: Optional[str]) -> registry.VersionInfo:
    """Train and register a candidate; if anything stops it before registration, leave no archive."""
    from bot.training import _new_version_name, train_model

    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    name = _new_version_name(models_dir, engine)  # ours alone: cleaning up never touches another run's archive
    try:
        trained = train_model(models_dir, config=config, name=name, engine=engine, source="retrain")
    except BaseException:  # KeyboardInterrupt and SIGTERM (see the CLI) included
        _remove_unregistered(engine, models_dir, name)
        raise
    return registry.get_version(engine, trained.version)


def run_conversation_suite(model: Path, paths, today: Optional[date] = None, jobs: int = 2) -> dict:
    """The conversation tests against ``model`` in-process: {passed, failed, details}."""
    from bot.conversation_tests import InProcessBot, run_suite

    today = today or environment_today()
    outcome = run_suite([Path(p) for p in paths], InProcessBot(model, default_today=today), jobs=jobs,
                        out=lambda _line: None)
    failed = [f"{r.conversation.where} {r.conversation.name}" for r in outcome.failed]
    failed += [str(error) for error in outcome.format_errors]
    return {"passed": len(outcome.passed), "failed": len(failed), "details": failed}


def retrain(engine: Engine, *, models_dir: Path, lock_dir: Path, config: Optional[str] = None,
            dry_run: bool = False, conversations: bool = False, conversation_paths=DEFAULT_CONVERSATION_PATHS,
            threshold: Optional[float] = None, always_train: bool = False, by: Optional[str] = None,
            nlu_root: Optional[Path] = None, progress: Callable[[str], None] = lambda _line: None) -> RetrainReport:
    """One whole cycle under the lock; returns its report (``report.text()`` is what the CLI prints).

    Raises RetrainBusy when another run holds the lock. Any other exception
    leaves the serving model as it was (see the module docstring).
    """
    started = time.perf_counter()
    config_file = config_path(config)
    label = str(config_file.relative_to(PROJECT_ROOT)) if config_file.is_relative_to(PROJECT_ROOT) else str(config_file)
    report = RetrainReport(started_at=datetime.now(timezone.utc), config=label, dry_run=dry_run)
    by = by or f"finbot retrain ({registry.default_actor()})"
    with retrain_lock(engine, lock_dir) as lock:
        report.lock = lock
        report.serving = registry.serving_version(engine)
        progress("gathering messages from the tracker store")
        report.gathered = review.gather(engine, threshold=threshold)
        report.queue = review.counts(engine)
        progress("exporting reviewed messages")
        report.exported = review.export_reviewed(engine, nlu_root=nlu_root, write=not dry_run)
        if dry_run:
            report.skipped_training = "dry run (gather and report only)"
            report.seconds = time.perf_counter() - started
            return report
        earlier = _already_trained(engine, training_fingerprint(config_file))
        if earlier is not None and earlier.status == "candidate" and not always_train:
            # An earlier run trained it and stopped before the gate: decide it now instead of training again.
            progress(f"{earlier.version} was trained from exactly these inputs and never decided: gating it")
            report.candidate = earlier
        elif earlier is not None and not always_train:
            report.skipped_training = (f"version {earlier.version} ({earlier.status}) was already trained from "
                                       f"exactly these inputs; nothing new to learn")
            report.seconds = time.perf_counter() - started
            return report
        else:
            progress("training a candidate (this takes minutes)")
            report.candidate = train_candidate(engine, Path(models_dir), config)
        if report.serving is not None and report.serving.path.is_file():
            progress(f"evaluating the serving model {report.serving.version} again")
            from bot.evaluation import evaluate_model

            report.serving_report_now = registry._json_safe(evaluate_model(report.serving.path).to_dict())
        if conversations:
            progress("running the conversation tests on the candidate")
            report.conversation_suite = run_conversation_suite(report.candidate.path, conversation_paths)
            registry.attach_conversation_results(engine, report.candidate.version, **report.conversation_suite)
        progress("asking the promotion gate")
        serving_now = registry.serving_version(engine)
        still_serving = serving_now is not None and report.serving is not None and \
            serving_now.version == report.serving.version  # else someone promoted meanwhile: use its own report
        report.promotion = registry.promote(engine, report.candidate.version, by=by,
                                            serving_report=report.serving_report_now if still_serving else None)
        report.candidate = registry.get_version(engine, report.candidate.version)
    report.seconds = time.perf_counter() - started
    return report
