"""`finbot tune`: automatic hyper-parameter search for the NLU (Optuna).

Registered in api/cli.py by ``add_tune_command``. The work is done by
bot.tuning; this module reads options, settings and prints.
"""
from __future__ import annotations

import argparse
import os
import time
from datetime import datetime, timezone
from pathlib import Path

DESCRIPTION = """\
Search the NLU's hyper-parameters (bot/tuning/search_space.yml) with Optuna.
Each trial cross-validates one configuration on the training data only (never
nlu_data/*/test.yml) and is pruned after its first fold when it scores below
the median of earlier trials. The objective is quality (intent macro-F1 and
entity F1, mean over zh/en/mixed) minus a penalty per ms of p95 parse latency
above a budget, so a slower model must earn its cost.

The study lives in the database (PostgreSQL: schema "optuna" of DATABASE_URL;
SQLite: a file beside finbot's, finbot-tuning.db). The study is named after the
training data (finbot-nlu-<fingerprint>) unless --study names it: running again
on the same data resumes it, machines pointing at the same PostgreSQL with the
same data tune it together, and changed training data starts a new study.

At the end the best configuration is written to bot/configs/tuned.yml, and the
blend of the two best to tuned_ensemble.yml when it cross-validates better. With
the model registry present, the chosen configuration is then trained on all
training data and registered as a candidate version (--no-register to skip).
"""

EXAMPLES = """\
examples:
  finbot tune --trials 20 --budget 60                 the full search, stopped after an hour (17 trials on 2 cores)
  finbot tune --trials 3 --budget 5 --study smoke     a quick look
  finbot tune --trials 10 --budget 60 --storage postgresql://tuner@db:5432/finbot   one of several machines
  finbot tune --trials 0                              only print the report of the stored study
  finbot tune --check                                 validate the search space, train nothing
"""


def add_tune_command(commands) -> None:
    """Add `finbot tune` to the top-level subparsers."""
    from bot.tuning import DEFAULT_STUDY

    tune = commands.add_parser("tune", help="search NLU hyper-parameters (Optuna, cross-validated, pruned)",
                               description=DESCRIPTION, epilog=EXAMPLES,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    tune.add_argument("--trials", type=int, default=20, help="new trials to run in this process (default 20)")
    tune.add_argument("--budget", type=float, default=60, metavar="MINUTES",
                      help="wall-clock budget for the trials and the ensemble check (default 60)")
    tune.add_argument("--study", help=f"study name; reused = resumed (default {DEFAULT_STUDY}-<fingerprint of the "
                                      "training data>: the same data resumes, changed data starts anew)")
    tune.add_argument("--storage", help="Optuna storage URL (default: derived from DATABASE_URL, see above)")
    tune.add_argument("--workers", type=int, default=_default_workers(), metavar="N",
                      help="trials run at once in this machine's processes, sharing the quota and the budget "
                           f"(default: the number of CPU cores, at most {MAX_DEFAULT_WORKERS}: {_default_workers()} here)")
    tune.add_argument("--space", help="search-space file (default bot/tuning/search_space.yml)")
    tune.add_argument("--out-dir", help="folder for tuned.yml / tuned_ensemble.yml (default bot/configs)")
    tune.add_argument("--report", help="write the report here (and JSON beside it; default "
                                       "FINBOT_DATA_DIR/tuning/<study>-<time>.txt)")
    tune.add_argument("--no-register", dest="register", action="store_false",
                      help="do not train and register the chosen configuration")
    tune.add_argument("--check", action="store_true", help="validate the search space and the storage; train nothing")
    tune.set_defaults(func=cmd_tune)


MAX_DEFAULT_WORKERS = 2   # each worker holds its own TensorFlow models (about 2 GB at the search space's largest)


def _default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS))


def cmd_tune(args) -> int:
    from api.settings import get_api_settings
    from bot.tuning.pipeline import TemplateError, read_template
    from bot.tuning.report import render, to_json
    from bot.tuning.search_space import SearchSpaceError, load_search_space
    from bot.tuning.interrupts import sigterm_interrupts
    from bot.tuning.study import TuningError, open_storage, tune, tuning_storage_url

    settings = get_api_settings()
    try:
        space = load_search_space(args.space)
        read_template(space.template)
        storage_url = tuning_storage_url(settings.effective_database_url, args.storage)
    except (SearchSpaceError, TemplateError, TuningError) as error:
        print(error, flush=True)
        return 2
    if args.check:
        print(space.describe())
        try:
            storage = open_storage(storage_url)
        except TuningError as error:
            print(error, flush=True)
            return 2
        storage.engine.dispose()
        print(f"storage ok: {storage.engine.url.render_as_string()}")
        return 0
    if args.trials < 0 or args.budget <= 0 or args.workers < 1:
        print("--trials must be >= 0, --budget > 0 and --workers >= 1", flush=True)
        return 2

    from bot.runtime import quiet_rasa_logs

    quiet_rasa_logs()
    print(f"tuning: up to {args.trials} trials in {args.budget:g} min with {args.workers} worker(s) "
          f"({space.folds}-fold CV on the training data)", flush=True)
    # SIGTERM (kill, a Kubernetes pod stopping) ends the run like Ctrl-C: the running trial is recorded as failed.
    try:
        with sigterm_interrupts():
            result = tune(space, args.trials, args.budget, storage_url, study_name=args.study,
                          out_dir=Path(args.out_dir) if args.out_dir else None,
                          log=lambda line: print(line, flush=True), evaluate_ensemble=args.trials > 0,
                          tensorboard_dir=settings.data_dir / "tensorboard", workers=args.workers)
    except TuningError as error:
        print(error, flush=True)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the running trial is recorded as failed, finished trials stay in the study; "
              "run the same command again to resume", flush=True)
        return 130
    text = render(result)
    print("\n" + text, flush=True)
    report = Path(args.report) if args.report else settings.data_dir / "tuning" / \
        f"{result.study.study_name}-{datetime.now(timezone.utc).strftime('%Y%m%d-%H%M%S')}.txt"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(text + "\n", encoding="utf-8")
    report.with_suffix(".json").write_text(to_json(result), encoding="utf-8")
    print(f"\nreport: {report} (and {report.with_suffix('.json').name})", flush=True)
    if result.chosen and args.register and args.trials > 0:
        return _register(result.written[result.chosen], settings)
    return 0


def _register(config_file: Path, settings) -> int:
    """Train the chosen configuration on all training data; the registry evaluates and registers it (a candidate)."""
    try:
        from bot import registry
    except ImportError:
        print("model registry not available: the tuned config is written but not trained", flush=True)
        return 0
    from bot.training import train_model
    from recommender.store.db import migrate, open_database

    print(f"training {config_file.name} on all training data and registering it as a candidate ...", flush=True)
    started = time.perf_counter()
    engine = open_database(settings.effective_database_url)
    migrate(engine)  # the model registry lives in the database
    trained = train_model(settings.models_dir, config=str(config_file), engine=engine, source="tune")
    info = registry.get_version(engine, trained.version)
    scores = "  ".join(f"{lang} {s['intent_accuracy']:.3f}/{s['intent_macro_f1']:.3f}"
                       for lang, s in info.language_scores().items())
    print(f"registered {info.version} [{info.status}] in {time.perf_counter() - started:.0f} s; held-out intent "
          f"accuracy/macro-F1: {scores}; parse p95 {(info.report or {}).get('latency_ms_p95', 0):.1f} ms", flush=True)
    print(f"promote it through the gate: `finbot models promote {info.version}`", flush=True)
    return 0
