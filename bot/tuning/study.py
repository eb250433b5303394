"""Running a tuning study: Optuna with our storage, a time budget, pruning after the first fold.

Where the study lives (``tuning_storage_url``):

* PostgreSQL: in finbot's own database, in a schema of its own (``optuna``).
  Optuna records its table version in an ``alembic_version`` table, the same
  name finbot's migrations use, so the two cannot share a schema; a schema
  each keeps both migration histories intact. Several machines pointing at
  the same database tune one study together.
* SQLite has no schemas: the study goes to a file beside finbot's database
  (``finbot-tuning.db`` next to ``finbot.db``). A ``--storage`` URL naming
  finbot's own SQLite file is refused for the same reason.

The budget: a trial starts only when a whole trial (median fold time so far
times the folds) still fits; a started trial stops between folds when the
next fold would not fit (recorded as pruned, note "budget"). One fold can
overrun the budget by its own length, never more.

Workers: ``tune(..., workers=N)`` runs N trial loops at once, this process
and N-1 spawned ones, all asking the same study in the same storage (as
several machines would) and sharing one trial quota and one deadline. A trial
spends much of its time in single-threaded Python (Rasa's graph, featurizers,
fingerprints), so two workers on 2 cores finish about 1.7 times as many
folds per hour as one (measured on one fold of ours run alone and two at
once: 85 s against 87 and 118 s). TPE samples with a "constant liar" so parallel workers do not pick the
same point. Each worker keeps its own Rasa training cache.

A running trial records a heartbeat every minute; a trial whose process died
(killed, machine lost) is marked failed by the next run that asks for a trial
after five minutes of silence, so shared studies do not keep ghosts running.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import multiprocessing
import os
import socket
import statistics
import tempfile
import threading
import time
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional

from bot.tf_threads import limit_tensorflow_threads
from bot.tuning.interrupts import caught, sigterm_interrupts
from bot.tuning.objective import cross_validate_stack
from bot.tuning.pipeline import ensemble_of, rasa_config, read_template, stack_of, write_config
from bot.tuning.search_space import SearchSpace

from bot.tuning import DEFAULT_STUDY
OPTUNA_SCHEMA = "optuna"
HEARTBEAT_SECONDS = 60
STALE_AFTER_SECONDS = 300      # a fold records no heartbeat of its own: the thread below does, every minute
TUNED_NAME = "tuned"
ENSEMBLE_NAME = "tuned_ensemble"

logger = logging.getLogger(__name__)


class TuningError(RuntimeError):
    """The study cannot run as asked (storage, data changed under a study, ...)."""


# ----------------------------------------------------------------------------- storage


def tuning_storage_url(database_url: str, storage: Optional[str] = None) -> str:
    """The Optuna storage URL: ``storage`` if given, else derived from finbot's DATABASE_URL."""
    from sqlalchemy.engine import make_url

    url = make_url(storage or database_url)
    if url.get_backend_name() == "sqlite" and storage is None:
        if not url.database or url.database == ":memory:":
            raise TuningError("an in-memory SQLite database cannot hold a study; give --storage")
        database = Path(url.database)
        url = url.set(database=str(database.with_name(f"{database.stem}-tuning{database.suffix or '.db'}")))
    return url.render_as_string(hide_password=False)


def open_storage(url: str, schema: str = OPTUNA_SCHEMA):
    """An Optuna RDBStorage on ``url``; on PostgreSQL in ``schema`` (created if missing)."""
    import optuna
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    engine_kwargs: dict = {}
    if parsed.get_backend_name() == "postgresql":
        admin = create_engine(parsed, future=True)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        admin.dispose()
        # In the URL, not in connect_args, so `optuna storage upgrade --storage URL` finds the same tables.
        parsed = parsed.update_query_dict({"options": f"-csearch_path={schema}"})
        engine_kwargs["pool_pre_ping"] = True
    elif parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        _refuse_finbot_schema(parsed)
        engine_kwargs["connect_args"] = {"timeout": 30}   # several local processes may share the file
    with warnings.catch_warnings():   # heartbeats are "experimental" in Optuna 4; we rely only on their basics
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RDBStorage(parsed.render_as_string(hide_password=False), engine_kwargs=engine_kwargs,
                                          heartbeat_interval=HEARTBEAT_SECONDS, grace_period=STALE_AFTER_SECONDS)


def _refuse_finbot_schema(url) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from recommender.store.db import MIGRATIONS_DIR, current_revision

    engine = create_engine(url, future=True)
    try:
        revision = current_revision(engine)
    finally:
        engine.dispose()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if revision and revision in {r.revision for r in ScriptDirectory.from_config(config).walk_revisions()}:
        raise TuningError(f"{url.render_as_string()} is finbot's own database: Optuna keeps its table version in "
                          "alembic_version too and would clash with finbot's migrations. Give --storage another "
                          "SQLite file, or use PostgreSQL (the study gets a schema of its own there).")


def data_fingerprint(pairs: list, space: SearchSpace) -> str:
    """Trials are comparable only on the same examples and folds: stored with the study, checked on resume."""
    digest = hashlib.sha256(f"folds={space.folds};seed={space.cv_seed}\n".encode())
    for line in sorted(f"{lang}\t{m.get('intent')}\t{m.get('text')}" for m, lang in pairs):
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()[:16]


def open_study(name: str, storage, space: SearchSpace, fingerprint: str, seed_offset: int = 0):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=name, storage=storage, direction="maximize", load_if_exists=True,
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=space.pruner_startup_trials,
                                                                   n_warmup_steps=0))
    stored = study.user_attrs.get("training_data")
    if stored is None:
        study.set_user_attr("training_data", fingerprint)
        study.set_user_attr("created_at", datetime.now(timezone.utc).isoformat(timespec="seconds"))
    elif stored != fingerprint:
        raise TuningError(f"study {name!r} was tuned on other training data or folds (fingerprint {stored}, now "
                          f"{fingerprint}): its scores are not comparable. Start a new study with --study NAME.")
    # A fresh seed per resumption: the same seed would repeat the first run's random trials.
    # seed_offset: parallel workers start together and must not repeat each other's random trials either.
    study.sampler = optuna.samplers.TPESampler(n_startup_trials=space.sampler_startup_trials,
                                               seed=space.sampler_seed + len(study.trials) + 1000 * seed_offset,
                                               constant_liar=True)
    return study


# ----------------------------------------------------------------------------- running


@dataclass
class EnsembleCheck:
    members: tuple                    # trial numbers of the two best trials
    description: str
    scores: Optional[dict] = None     # Scores.to_dict() of the ensemble's cross-validation
    wins: bool = False
    skipped: str = ""                 # why it was not evaluated
    seconds: float = 0.0
    stack: Optional[dict] = None


@dataclass
class TuningResult:
    study: object                     # optuna.Study
    storage_url: str
    space: SearchSpace
    trials_run: list = field(default_factory=list)     # numbers of the trials this run added
    wall_seconds: float = 0.0
    stopped_by_budget: bool = False
    ensemble: Optional[EnsembleCheck] = None
    chosen: Optional[str] = None      # TUNED_NAME or ENSEMBLE_NAME
    written: dict = field(default_factory=dict)        # config name -> path


def tune(space: SearchSpace, trials: int, budget_minutes: float, storage_url: str, study_name: Optional[str] = None,
         out_dir: Optional[Path] = None, pairs: Optional[list] = None, enqueue: tuple = (),
         log: Callable[[str], None] = print, evaluate_ensemble: bool = True,
         tensorboard_dir: Optional[Path] = None, workers: int = 1) -> TuningResult:
    """Run up to ``trials`` new trials within the budget, then check the ensemble and write the configs.

    ``study_name`` None: "finbot-nlu-<fingerprint of the training data and folds>",
    so running again on the same data resumes, machines with the same data
    share a study, and changed data starts a new one. ``evaluate_ensemble``
    False never trains the ensemble of the two best (a result stored by an
    earlier run is still used): `finbot tune --trials 0`. ``tensorboard_dir``:
    each trial also becomes a run in TensorBoard's HParams dashboard there.
    ``workers``: trial loops running at once (see the module docstring).
    """
    from bot.evaluation import training_examples
    from bot.training import CONFIGS_DIR

    clock = time.monotonic
    started = clock()
    template = read_template(space.template)
    pairs = training_examples() if pairs is None else pairs
    storage = open_storage(storage_url)
    fingerprint = data_fingerprint(pairs, space)
    study = open_study(study_name or f"{DEFAULT_STUDY}-{fingerprint[:8]}", storage, space, fingerprint)
    for params in enqueue:
        study.enqueue_trial(params)
    result = TuningResult(study, _hide_password(storage_url), space)
    deadline = clock() + budget_minutes * 60                 # covers the trials and the ensemble check
    budget = _Budget(deadline, clock)
    run_id = uuid.uuid4().hex[:12]                           # marks this run's trials, whichever worker ran them

    with _private_rasa_cache():
        if trials > 0 and workers > 1:
            result.stopped_by_budget = _run_with_workers(
                workers, study, space, template, pairs, budget, log, tensorboard_dir, trials, run_id,
                storage_url, fingerprint)
        else:
            result.stopped_by_budget = _run_trials(study, space, template, pairs, budget, log, tensorboard_dir,
                                                   multiprocessing.Value("i", trials), run_id)
        result.trials_run = sorted(t.number for t in study.get_trials(deepcopy=False)
                                   if t.user_attrs.get("run") == run_id)
        complete = _complete_by_value(study)
        if len(complete) >= 2:
            result.ensemble = _check_ensemble(study, complete[0], complete[1], template, space, pairs,
                                              budget if evaluate_ensemble else None, log)
            study.set_user_attr(f"ensemble:{complete[0].number}+{complete[1].number}",
                                _ensemble_record(result.ensemble))
    if complete:
        result.chosen, result.written = _write_configs(study, complete[0], result.ensemble, template,
                                                       Path(out_dir) if out_dir else CONFIGS_DIR)
    result.wall_seconds = clock() - started
    storage.remove_session()
    storage.engine.dispose()
    return result


class _Budget:
    """The deadline, and the fold times seen so far to judge whether more work fits."""

    def __init__(self, deadline: float, clock):
        self.deadline, self.clock, self.fold_seconds = deadline, clock, []

    def fits(self, folds: int) -> bool:
        """Whether ``folds`` more folds fit (always, before the first fold gave a measure, if time is left)."""
        expected = statistics.median(self.fold_seconds) * folds if self.fold_seconds else 0.0
        return self.clock() + expected <= self.deadline

    def next_fold_fits(self, last_fold_seconds: float) -> bool:
        return self.clock() + last_fold_seconds <= self.deadline


def _take_trial(quota) -> bool:
    """Take one trial from this run's quota (a multiprocessing Value, shared by the workers); False when none left."""
    with quota.get_lock():
        if quota.value <= 0:
            return False
        quota.value -= 1
        return True


def _run_trials(study, space: SearchSpace, template: dict, pairs: list, budget: _Budget, log,
                tensorboard_dir: Optional[Path], quota, run_id: str) -> bool:
    """One worker's loop: trials while the quota and the budget last. Returns whether the budget stopped it."""
    while True:
        if not budget.fits(space.folds):
            return True
        if not _take_trial(quota):
            return False
        _, stopped = _run_trial(study, space, template, pairs, budget, log, tensorboard_dir, run_id)
        if stopped:
            return True


def _run_with_workers(workers: int, study, space: SearchSpace, template: dict, pairs: list, budget: _Budget, log,
                      tensorboard_dir: Optional[Path], trials: int, run_id: str, storage_url: str,
                      fingerprint: str) -> bool:
    """This process's loop plus ``workers - 1`` spawned ones; returns whether the budget stopped any of them."""
    context = multiprocessing.get_context("spawn")   # TensorFlow and fork do not mix
    quota = context.Value("i", trials)
    stopped = context.Value("b", 0)
    ready = context.Barrier(workers)   # all start trials together (a spawned worker needs ~30 s of imports first)
    children = [context.Process(target=_worker_main, name=f"finbot-tune-worker-{index}", daemon=True,
                                args=(index, space, template, pairs, budget.deadline, tensorboard_dir, quota,
                                      stopped, ready, run_id, storage_url, study.study_name, fingerprint))
                for index in range(1, workers)]
    for child in children:
        child.start()
    log(f"{workers} workers: this process and {len(children)} spawned (pids "
        f"{', '.join(str(c.pid) for c in children)})")
    _one_tensorflow_thread(log)
    try:
        try:
            ready.wait(timeout=max(1.0, min(600.0, budget.deadline - budget.clock())))
        except threading.BrokenBarrierError:
            log("a worker did not start in time; going on with those that did")
        mine = _run_trials(study, space, template, pairs, budget, log, tensorboard_dir, quota, run_id)
        for child in children:
            child.join()
    except BaseException:
        caught()                 # a SIGTERM re-sent now must not cut the clean-up short
        for child in children:   # SIGTERM: each records its running trial as failed (see _worker_main)
            if child.is_alive():
                child.terminate()
        for child in children:
            child.join(timeout=60)
        raise
    for child in children:
        if child.exitcode != 0:
            log(f"worker {child.name} ended with exit code {child.exitcode}; its finished trials are kept")
    return mine or bool(stopped.value)


def _one_tensorflow_thread(log) -> None:
    """Each worker's TensorFlow runs its ops on one thread: with TensorFlow's default (a pool
    per core in every process) two workers on 2 cores oversubscribe them. Two DIET folds run
    at once took 178 and 166 s with the default, 139 and 167 s with one thread each
    (2026-11-30, idle 2-core machine)."""
    limit_tensorflow_threads(1, log)


def _worker_main(index: int, space: SearchSpace, template: dict, pairs: Optional[list], deadline: float,
                 tensorboard_dir: Optional[Path], quota, stopped, ready, run_id: str, storage_url: str,
                 study_name: str, fingerprint: str) -> None:
    """A spawned worker: its own storage connection, Rasa cache and sampler seed; the shared quota and deadline.

    The deadline is a time.monotonic() value: one clock for every process on the machine (Linux).
    """
    from bot.runtime import quiet_rasa_logs

    os.environ.pop("RASA_CACHE_DIRECTORY", None)   # the parent's cache is its own; two writers would clash
    quiet_rasa_logs()
    _one_tensorflow_thread(lambda line: print(f"[worker {index}] {line}", flush=True))
    if pairs is None:
        from bot.evaluation import training_examples

        pairs = training_examples()
    try:
        storage = open_storage(storage_url)
        study = open_study(study_name, storage, space, fingerprint, seed_offset=index)
        ready.wait(timeout=600)
    except BaseException:
        ready.abort()   # the others go on without this worker
        raise

    def log(line: str) -> None:
        print(f"[worker {index}] {line}", flush=True)

    try:
        with sigterm_interrupts(), _private_rasa_cache():
            if _run_trials(study, space, template, pairs, _Budget(deadline, time.monotonic), log, tensorboard_dir,
                           quota, run_id):
                stopped.value = 1
    except KeyboardInterrupt:
        caught()
        return
    finally:
        storage.remove_session()
        storage.engine.dispose()


def _run_trial(study, space: SearchSpace, template: dict, pairs: list, budget: _Budget, log,
               tensorboard_dir: Optional[Path] = None, run_id: str = "") -> tuple[int, bool]:
    """Ask, cross-validate fold by fold (pruning after each), tell. Returns (trial number, stopped by budget)."""
    import optuna

    optuna.storages.fail_stale_trials(study)   # trials of processes that died (here or on another machine)
    trial = study.ask()
    trial.set_user_attr("run", run_id)
    trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")   # which machine and process ran it
    with _heartbeat(study, trial):
        outcome = _cross_validate_trial(study, trial, space, template, pairs, budget, log)
    if tensorboard_dir is not None:
        from bot.tuning.hparams import write_trial

        done = study._storage.get_trial(trial._trial_id)
        write_trial(tensorboard_dir, study.study_name, done.number, done.params, done.state.name.lower(),
                    done.value, done.user_attrs.get("scores"))
    return outcome


@contextlib.contextmanager
def _heartbeat(study, trial):
    """Record the trial's heartbeat every HEARTBEAT_SECONDS while it runs (folds take minutes)."""
    storage, trial_id = study._storage, trial._trial_id   # Optuna's own optimize() does the same
    stop = threading.Event()

    def beat() -> None:
        while True:
            storage.record_heartbeat(trial_id)
            if stop.wait(HEARTBEAT_SECONDS):
                return

    thread = threading.Thread(target=beat, name=f"tuning-heartbeat-{trial.number}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _cross_validate_trial(study, trial, space: SearchSpace, template: dict, pairs: list, budget: _Budget,
                          log) -> tuple[int, bool]:
    from optuna.trial import TrialState

    design = space.sample(trial)
    trial.set_user_attr("design", design)
    started = budget.clock()
    state, note, last = TrialState.COMPLETE, "", None
    try:
        with contextlib.closing(cross_validate_stack(stack_of(design), template, space, pairs)) as folds:
            for progress in folds:
                last = progress
                budget.fold_seconds.append(progress.fold_seconds)
                trial.report(progress.scores.objective, progress.fold)
                trial.set_user_attr("scores", progress.scores.to_dict())
                trial.set_user_attr("folds_done", progress.fold + 1)
                if progress.fold + 1 == space.folds:
                    break
                if trial.should_prune():
                    state, note = TrialState.PRUNED, "pruned"
                    break
                if not budget.next_fold_fits(progress.fold_seconds):
                    state, note = TrialState.PRUNED, "budget"
                    break
    except KeyboardInterrupt:
        caught()
        trial.set_user_attr("note", "interrupted")
        study.tell(trial, state=TrialState.FAIL)
        raise
    except Exception as error:   # a configuration the components refuse: record it, go on
        logger.exception("trial %s failed", trial.number)
        state, note = TrialState.FAIL, f"{type(error).__name__}: {str(error)[:200]}"
    seconds = budget.clock() - started
    trial.set_user_attr("seconds", round(seconds, 1))
    trial.set_user_attr("note", note)
    if state == TrialState.COMPLETE and last is not None:
        study.tell(trial, last.scores.objective)
    else:
        study.tell(trial, state=state)
    log(_trial_line(trial.number, design, state.name.lower(), note, last, seconds, space.folds))
    return trial.number, note == "budget"


def _complete_by_value(study) -> list:
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return sorted(trials, key=lambda t: (-t.value, t.number))


def _check_ensemble(study, first, second, template: dict, space: SearchSpace, pairs: list,
                    budget: Optional[_Budget], log) -> EnsembleCheck:
    """Cross-validate the blend of the two best trials on the same folds; it wins if its objective is higher."""
    stack, description = ensemble_of(first.user_attrs["design"], second.user_attrs["design"])
    check = EnsembleCheck((first.number, second.number), description, stack=stack)
    if stack is None:
        check.skipped = description
        return check
    stored = study.user_attrs.get(f"ensemble:{first.number}+{second.number}")
    if stored and stored.get("scores"):   # evaluated by an earlier run of this study
        check.scores, check.seconds = stored["scores"], stored.get("seconds", 0.0)
        check.wins = check.scores["objective"] > first.value
        return check
    if budget is None:
        check.skipped = "not evaluated (no trials were asked for)"
        return check
    if not budget.fits(space.folds):
        check.skipped = "no budget left for its cross-validation"
        return check
    started = budget.clock()
    last = None
    try:
        with contextlib.closing(cross_validate_stack(stack, template, space, pairs)) as folds:
            for last in folds:
                pass
    except Exception as error:
        logger.exception("ensemble check failed")
        check.skipped = f"its cross-validation failed: {type(error).__name__}: {error}"
        return check
    check.seconds = round(budget.clock() - started, 1)
    check.scores = last.scores.to_dict()
    check.wins = last.scores.objective > first.value
    log(f"ensemble of trials {first.number}+{second.number}: objective {last.scores.objective:.4f} vs best "
        f"{first.value:.4f} -> {'wins' if check.wins else 'does not win'} ({check.seconds:.0f} s)")
    return check


def _ensemble_record(check: EnsembleCheck) -> dict:
    return {"members": list(check.members), "description": check.description, "scores": check.scores,
            "wins": check.wins, "skipped": check.skipped, "seconds": check.seconds}


def _write_configs(study, best, ensemble: Optional[EnsembleCheck], template: dict, out_dir: Path):
    written = {}
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    scores = best.user_attrs["scores"]
    written[TUNED_NAME] = write_config(
        rasa_config(template, stack_of(best.user_attrs["design"]), for_trial=False), out_dir / f"{TUNED_NAME}.yml",
        f"Written by `finbot tune` ({when}): study {study.study_name!r}, trial {best.number} "
        f"({best.user_attrs['design']['architecture']}).\n"
        f"{_scores_sentence(scores)}\n"
        "Regenerate with `finbot tune`; edits by hand are overwritten.")
    chosen = TUNED_NAME
    if ensemble is not None and ensemble.wins and ensemble.stack is not None:
        written[ENSEMBLE_NAME] = write_config(
            rasa_config(template, ensemble.stack, for_trial=False), out_dir / f"{ENSEMBLE_NAME}.yml",
            f"Written by `finbot tune` ({when}): study {study.study_name!r}, ensemble of trials "
            f"{ensemble.members[0]} and {ensemble.members[1]}: {ensemble.description}.\n"
            f"{_scores_sentence(ensemble.scores)}\n"
            "Regenerate with `finbot tune`; edits by hand are overwritten.")
        chosen = ENSEMBLE_NAME
    return chosen, written


def _scores_sentence(scores: dict) -> str:
    per_language = ", ".join(f"{lang} {acc:.3f}/{scores['macro_f1'][lang]:.3f}" for lang, acc in
                             scores["accuracy"].items())
    return (f"Cross-validation on the training data (intent accuracy/macro-F1): {per_language}; "
            f"objective {scores['objective']:.4f}; parse p95 {scores['p95_ms']:.1f} ms.")


def _trial_line(number: int, design: dict, state: str, note: str, last, seconds: float, folds: int) -> str:
    if last is None:
        return f"trial {number:>3} {design['architecture']:9} {state} {note} ({seconds:.0f} s)"
    s = last.scores
    status = state if state != "pruned" else f"pruned after fold {last.fold + 1}/{folds}" + \
        (" (budget)" if note == "budget" else "")
    return (f"trial {number:>3} {design['architecture']:9} objective {s.objective:.4f} macro-F1 "
            f"{s.intent_macro_f1:.3f} p95 {s.p95_ms:.0f} ms  {status} ({seconds:.0f} s)")


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@contextlib.contextmanager
def _private_rasa_cache():
    """Trials share featurizer results through Rasa's training cache: a private one, removed afterwards."""
    if os.environ.get("RASA_CACHE_DIRECTORY"):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="finbot-tune-cache-") as directory:
        os.environ["RASA_CACHE_DIRECTORY"] = directory
        try:
            yield
        finally:
            os.environ.pop("RASA_CACHE_DIRECTORY", None)
