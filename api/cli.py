"""`finbot`: the single command-line entry point.

Every subcommand reads the same settings (DATABASE_URL, FINBOT_DATA_DIR, ...)
as the server. Run `finbot --help` or `finbot <command> --help`.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import date
from pathlib import Path

from recommender.settings import SettingsError

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

EXAMPLES = """\
examples:
  finbot setup                         create/migrate the database, load the fund catalogue and demo data
  finbot serve                         start the HTTP service on 127.0.0.1:8000
  finbot train [--if-stale]            train the bot model (registered as a version: `finbot models list`)
  finbot chat --customer retiree       talk to the bot in the terminal
  finbot import customers customers.csv
  finbot import accounts accounts.csv
  finbot import transactions txns.csv  (CSV, JSON array or JSON Lines; see README "Import formats")
  finbot demo-data --seed 7 --months 12 --out demo/   write the demo personas as CSV files
  finbot db upgrade                    apply database migrations
  finbot audit verify                  check the recommendation audit chain
  finbot bench import --rows 1000000   measure import speed
  finbot bench recommend               one customer's recommendation latency (p50/p95)
  finbot bench features                batch feature throughput over 100,000 customers
  finbot bench turn --profile 40       one chat turn's cost in process, and where it goes

settings come from the environment: DATABASE_URL (default: SQLite file in
FINBOT_DATA_DIR, default ./data), FINBOT_HOST, FINBOT_PORT, FINBOT_WORKERS.
"""


def _settings():
    from api.settings import get_api_settings

    return get_api_settings()


def _engine(settings):
    from recommender.store.db import open_database

    return open_database(settings.effective_database_url)


def _print(message: str = "") -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------- commands


def cmd_db(args) -> int:
    from recommender.store.db import current_revision, downgrade, head_revision, migrate

    settings = _settings()
    engine = _engine(settings)
    if args.action == "upgrade":
        migrate(engine, args.revision or "head")
        _print(f"database at revision {current_revision(engine)} ({engine.url.render_as_string()})")
    elif args.action == "downgrade":
        if not args.revision:
            _print("finbot db downgrade needs a revision (e.g. base)")
            return 2
        downgrade(engine, args.revision)
        _print(f"database at revision {current_revision(engine)}")
    else:
        _print(f"current: {current_revision(engine)}  head: {head_revision()}  url: {engine.url.render_as_string()}")
    return 0


def cmd_setup(args) -> int:
    """Everything `make run` needs before serving; safe to run again."""
    from recommender.seed import load_catalogue, load_demo_data
    from recommender.store import repositories
    from recommender.store.db import current_revision, migrate

    settings = _settings()
    engine = _engine(settings)
    started = time.perf_counter()
    migrate(engine)
    _print(f"database: {engine.url.render_as_string()} at revision {current_revision(engine)}")
    version = load_catalogue(engine)
    _print(f"fund catalogue: version {version}")
    if args.demo:
        customers = repositories.count_customers(engine)
        if customers == 0:
            from recommender.demo import generate_demo_data

            as_of = date.fromisoformat(args.as_of) if args.as_of else date.today()
            report = load_demo_data(engine, generate_demo_data(seed=args.seed, months=args.months, as_of=as_of))
            _print(f"demo data: {report.customers} customers, {report.accounts} accounts, "
                   f"{report.transactions_inserted} transactions, {report.assessments} risk assessments")
        else:
            _print(f"demo data: skipped, the database already has {customers} customers")
    if args.train:
        from api.cli_models import announce_training
        from bot.training import train_model

        _print("bot model: checking whether it is up to date (training takes a few minutes the first time)")
        result = train_model(settings.models_dir, only_if_stale=True, engine=engine, source="setup")
        state = "up to date" if result.skipped else f"trained in {result.seconds:.0f} s"
        _print(f"bot model: {result.path.name} ({state})")
        announce_training(engine, result, by="finbot setup")  # registered; the first model is promoted
    _print(f"setup finished in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_demo_data(args) -> int:
    from recommender.demo import generate_demo_data

    as_of = date.fromisoformat(args.as_of) if args.as_of else date.today()
    demo = generate_demo_data(seed=args.seed, months=args.months, as_of=as_of)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        demo.customers.to_csv(out / "customers.csv", index=False)
        demo.accounts.to_csv(out / "accounts.csv", index=False)
        demo.transactions.to_csv(out / "transactions.csv", index=False)
        assessments = demo.risk_assessments.copy()
        assessments.to_json(out / "risk_assessments.json", orient="records", force_ascii=False, date_format="iso",
                            indent=1)
        _print(f"wrote {len(demo.customers)} customers, {len(demo.accounts)} accounts, "
               f"{len(demo.transactions)} transactions to {out}/")
        return 0
    from recommender.seed import load_catalogue, load_demo_data
    from recommender.store.db import migrate

    engine = _engine(_settings())
    migrate(engine)
    load_catalogue(engine)
    report = load_demo_data(engine, demo)
    _print(f"loaded {report.customers} customers, {report.accounts} accounts, "
           f"{report.transactions_inserted} new transactions ({report.transactions_unchanged} already present), "
           f"{report.assessments} risk assessments")
    return 0


def cmd_import(args) -> int:
    from recommender import importer

    settings = _settings()
    engine = _engine(settings)
    try:
        if args.kind == "transactions":
            report = importer.import_transactions(
                engine, args.file, fmt=args.format, encoding=args.encoding,
                chunk_rows=settings.import_chunk_rows, max_reported_errors=settings.import_max_reported_errors)
        elif args.kind == "customers":
            report = importer.import_customers(engine, args.file, fmt=args.format, encoding=args.encoding)
        else:
            report = importer.import_accounts(engine, args.file, fmt=args.format, encoding=args.encoding)
    except importer.ImportRejected as rejected:
        print(str(rejected), file=sys.stderr)
        for error in rejected.errors[20:]:
            print(f"  {error}", file=sys.stderr)
        if rejected.error_count > len(rejected.errors):
            print(f"  ({rejected.error_count - len(rejected.errors)} more not listed)", file=sys.stderr)
        return 1
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _print(f"{report.kind}: {report.rows_total} rows, {report.rows_inserted} new, "
           f"{report.rows_unchanged} already present/updated, {report.seconds:.2f} s "
           f"({report.rows_per_second:,.0f} rows/s)")
    return 0


def cmd_catalogue(args) -> int:
    from recommender.seed import load_catalogue
    from recommender.store.db import migrate

    engine = _engine(_settings())
    migrate(engine)
    _print(f"fund catalogue version {load_catalogue(engine, args.file)}")
    return 0


def cmd_audit(args) -> int:
    from recommender.store.audit import verify_chain

    report = verify_chain(_engine(_settings()))
    if report.first_broken_id is None:
        _print(f"audit chain OK: {report.records} records verified")
        return 0
    _print(f"audit chain BROKEN at record {report.first_broken_id}: {report.problem}")
    return 1


def cmd_serve(args) -> int:
    import shutil

    import uvicorn

    settings = _settings()
    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    if workers > 1:
        if not settings.redis_url:
            print("error: several workers need FINBOT_REDIS_URL (a Redis lock keeps one conversation "
                  "on one worker at a time)", file=sys.stderr)
            return 2
        # Each worker writes its metrics here; /metrics adds them up.
        metrics_dir = settings.data_dir / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    _print(f"finbot is starting on http://{host}:{port} ({workers} worker{'s' if workers > 1 else ''})")
    _print(f"  chat:     http://{host}:{port}/" + ("   (demo mode: pick a persona)" if settings.demo_mode else ""))
    _print(f"  health:   http://{host}:{port}/health")
    _print(f"  API docs: http://{host}:{port}/docs")
    from api.workers import PortUnavailable, reuse_port_supported, run_workers

    options = dict(factory=True, host=host, port=port, workers=workers, log_level=settings.log_level)
    if workers > 1 and reuse_port_supported():
        # One listening socket per worker, so that a burst of keep-alive connections is spread
        # over the workers instead of landing on one (api/workers.py).
        try:
            run_workers(uvicorn.Config("api.main:app_factory", **options))
        except PortUnavailable as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    else:
        uvicorn.run("api.main:app_factory", **options)
    return 0


def cmd_train(args) -> int:
    from api.cli_models import announce_training
    from bot.training import train_model
    from recommender.store.db import migrate

    settings = _settings()
    engine = _engine(settings)
    migrate(engine)  # the model registry lives in the database
    result = train_model(settings.models_dir, config=args.config, only_if_stale=args.if_stale, engine=engine)
    if result.skipped:
        _print(f"model up to date: {result.path} (fingerprint {result.fingerprint[:12]})")
    else:
        size_mb = result.path.stat().st_size / 1e6
        _print(f"trained {result.path} in {result.seconds:.0f} s ({size_mb:.1f} MB)")
    announce_training(engine, result, by="finbot train")  # registered as a candidate; promoted if nothing serves
    return 0


def _model_to_use(args, settings) -> Path | None:
    """--model if given, else the registry's serving version, else the newest archive;
    None (and a hint) if there is none."""
    from api.model_watcher import registry_model
    from bot.training import latest_model

    model = Path(args.model) if args.model else (
        registry_model(_engine(settings)) or latest_model(settings.models_dir))
    if model is None:
        _print("no trained model: run `finbot train` first")
    return model


def cmd_chat(args) -> int:
    """Talk to the bot in the terminal, in-process, as one customer."""
    import asyncio

    from bot.actions.context import use_service
    from bot.runtime import load_agent
    from recommender.service import RecommenderService

    settings = _settings()
    model = _model_to_use(args, settings)
    if model is None:
        return 2
    use_service(RecommenderService(_engine(settings), today=settings.clock()))
    # The terminal chat binds the conversation to --customer through the sender id.
    os.environ["FINBOT_SENDER_IS_CUSTOMER"] = "1"
    agent = load_agent(model)
    sender = args.customer
    _print(f"chatting as {sender} with {model.name}; empty line to quit")

    async def turn(text: str) -> None:
        for reply in await agent.handle_text(text, sender_id=sender) or []:
            if reply.get("text"):
                _print(f"bot> {reply['text']}")
            for button in reply.get("buttons") or []:
                _print(f"     [{button['title']}] -> {button['payload']}")
            if reply.get("custom"):
                _print(f"     (payload) {reply['custom']}")

    loop = asyncio.new_event_loop()
    for line in sys.stdin if args.script else iter(lambda: input("you> "), ""):
        line = line.strip()
        if not line:
            break
        if args.script:
            _print(f"you> {line}")
        loop.run_until_complete(turn(line))
    return 0


def cmd_evaluate(args) -> int:
    """Held-out scores of one model, per language."""
    import json as _json

    from bot.evaluation import evaluate_model

    model = _model_to_use(args, _settings())
    if model is None:
        return 2
    report = evaluate_model(model, split=args.split)
    _print(f"model: {model} ({args.split} split)")
    _print(report.table())
    if args.errors:
        for language, text, gold, predicted, confidence in report.errors:
            _print(f"  [{language}] {text!r}: expected {gold}, got {predicted} ({confidence})")
    if args.json:
        Path(args.json).write_text(_json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    return 0


def cmd_compare(args) -> int:
    """Cross-validate several pipeline configs on the training data and print them side by side."""
    from bot.evaluation import cross_validate

    from bot.evaluation import held_out_for_config

    rows = []
    for name in args.configs:
        if args.folds > 1:
            started = time.perf_counter()
            report = cross_validate(name, folds=args.folds)
            rows.append((name, f"{args.folds}-fold CV", report, time.perf_counter() - started))
            _print(f"== {name}: {args.folds}-fold cross-validation on the training data "
                   f"({time.perf_counter() - started:.0f} s)")
            _print(report.table())
        if args.held_out:
            report, seconds, size = held_out_for_config(name)
            rows.append((name, "held-out", report, seconds))
            _print(f"== {name}: trained on all training data in {seconds:.0f} s ({size / 1e6:.0f} MB), "
                   f"scored on the held-out split")
            _print(report.table())
    _print("\nsummary: intent accuracy / macro-F1 per language, parse latency p50/p95")
    for name, kind, report, seconds in rows:
        cells = "  ".join(f"{lang} {s.intent_accuracy:.3f}/{s.intent_macro_f1:.3f}"
                          for lang, s in report.by_language.items())
        _print(f"  {name:10} {kind:11} {cells}  {report.latency_ms_p50:.0f}/{report.latency_ms_p95:.0f} ms")
    return 0


def cmd_bench(args) -> int:
    from recommender import bench

    if args.target == "serve":
        from api.bench_serving import run_benchmark

        settings = _settings()
        model = _model_to_use(args, settings)
        if model is None:
            return 2
        levels = [int(n) for n in args.users.split(",")]
        run_benchmark(model, levels, seconds=args.seconds, warm_up=args.warm_up, workers=args.workers,
                      redis_url=settings.redis_url or "redis://127.0.0.1:6379/1", include_stock=args.stock,
                      out=_print, promote_at=args.promote_at)
        return 0
    if args.target == "turn":
        from api.bench_turn import run_turn_benchmark

        settings = _settings()
        model = _model_to_use(args, settings)
        if model is None:
            return 2
        run_turn_benchmark(model, conversations=args.conversations, profile_rows=args.profile,
                           parse_cache_size=settings.parse_cache_size,
                           categorised_cache_size=settings.categorised_cache_size, out=_print)
        return 0
    if args.target == "recommend":
        return bench.bench_recommend(runs=args.runs)
    if args.target == "features":
        return bench.bench_features(customers=args.customers)
    return bench.bench_import(rows=args.rows, keep=args.keep, database_url=args.database_url)


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="finbot",
        description="finbot: a bilingual (中文/English) financial assistant for banks.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug information")
    commands = parser.add_subparsers(dest="command", metavar="<command>")

    setup = commands.add_parser("setup", help="migrate the database, load the fund catalogue and (if empty) demo data")
    setup.add_argument("--no-demo", dest="demo", action="store_false", help="do not load demo customers")
    setup.add_argument("--no-train", dest="train", action="store_false",
                       help="do not train the bot model (by default it is trained when missing or stale)")
    setup.add_argument("--seed", type=int, default=42, help="demo data seed (default 42)")
    setup.add_argument("--months", type=int, default=12, help="months of demo history (default 12)")
    setup.add_argument("--as-of", help="last day of demo history, YYYY-MM-DD (default today)")
    setup.set_defaults(func=cmd_setup)

    serve = commands.add_parser("serve", help="start the HTTP service (uvicorn)")
    serve.add_argument("--host", help="interface to bind (default FINBOT_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default FINBOT_PORT or 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (default FINBOT_WORKERS or 1)")
    serve.set_defaults(func=cmd_serve)

    db = commands.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade", "current"])
    db.add_argument("revision", nargs="?", help="target revision (default head for upgrade)")
    db.set_defaults(func=cmd_db)

    demo = commands.add_parser("demo-data", help="generate the six demo personas (deterministic)")
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--months", type=int, default=12)
    demo.add_argument("--as-of", help="last day of history, YYYY-MM-DD (default today)")
    demo.add_argument("--out", help="write CSV files to this folder instead of loading them into the database")
    demo.set_defaults(func=cmd_demo_data)

    imp = commands.add_parser("import", help="import customers, accounts or transactions from CSV/JSON",
                              description="A file is imported whole or not at all: every bad row is reported "
                                          "with its line number and nothing is written. Re-importing the same "
                                          "rows changes nothing.")
    imp.add_argument("kind", choices=["customers", "accounts", "transactions"])
    imp.add_argument("file", help="a .csv, .json (array of objects) or .jsonl file")
    imp.add_argument("--format", choices=["csv", "json", "jsonl"], help="override the format the suffix implies")
    imp.add_argument("--encoding", default="utf-8-sig", help="text encoding of CSV files (e.g. gbk)")
    imp.set_defaults(func=cmd_import)

    cat = commands.add_parser("catalogue", help="load a fund catalogue file (default: the demo catalogue)")
    cat.add_argument("file", nargs="?", help="funds CSV in the documented format")
    cat.set_defaults(func=cmd_catalogue)

    audit = commands.add_parser("audit", help="recommendation audit trail")
    audit.add_argument("action", choices=["verify"])
    audit.set_defaults(func=cmd_audit)

    train = commands.add_parser("train", help="train the bot model (NLU + dialogue) into FINBOT_DATA_DIR/models")
    train.add_argument("--config", help="a named config in bot/configs/ or a path (default bot/config.yml)")
    train.add_argument("--if-stale", action="store_true",
                       help="skip training when the newest model was trained from the same inputs")
    train.set_defaults(func=cmd_train)

    chat = commands.add_parser("chat", help="talk to the bot in the terminal as a customer (in-process)")
    chat.add_argument("--customer", default="salaried_saver", help="customer id (default salaried_saver)")
    chat.add_argument("--model", help="model archive (default: the serving version, else the newest)")
    chat.add_argument("--script", action="store_true", help="read messages from standard input, one per line")
    chat.set_defaults(func=cmd_chat)

    evaluate = commands.add_parser("evaluate", help="score a model on the held-out NLU split, per language")
    evaluate.add_argument("--model", help="model archive (default: the serving version, else the newest)")
    evaluate.add_argument("--errors", action="store_true", help="list misclassified examples")
    evaluate.add_argument("--json", help="also write the full report (per-intent F1, confusion) to this file")
    evaluate.add_argument("--split", choices=("test", "dev"), default="test",
                          help="test: the held-out split that is reported (default); "
                               "dev: the development split used to choose between configs")
    evaluate.set_defaults(func=cmd_evaluate)

    compare = commands.add_parser("compare", help="cross-validate NLU configs on the training data")
    compare.add_argument("configs", nargs="+", help="config names in bot/configs/ (diet, finbot_tf, ensemble)")
    compare.add_argument("--folds", type=int, default=3, help="cross-validation folds (1 = skip CV)")
    compare.add_argument("--held-out", action="store_true",
                         help="also train each config on all training data and score the held-out split")
    compare.set_defaults(func=cmd_compare)

    bench = commands.add_parser("bench", help="benchmarks that print their figures")
    bench.add_argument("target", choices=["import", "recommend", "features", "serve", "turn"],
                       help="import: rows/s of a large file; recommend: one customer's latency; "
                            "features: batch transactions/s; serve: our server vs stock `rasa run` over REST; "
                            "turn: one chat turn's cost in process (--profile: where it goes)")
    bench.add_argument("--rows", type=int, default=1_000_000, help="rows in the generated file (default 1,000,000)")
    bench.add_argument("--database-url", help="database to measure (default: a fresh SQLite file in a temp dir)")
    bench.add_argument("--keep", action="store_true", help="keep the generated file and database")
    bench.add_argument("--runs", type=int, default=200, help="recommend: timed runs (default 200)")
    bench.add_argument("--customers", type=int, default=100_000, help="features: customers (default 100,000)")
    bench.add_argument("--model", help="serve, turn: model archive (default: the serving version, else the newest)")
    bench.add_argument("--conversations", type=int, default=24,
                       help="turn: scripted conversations timed (default 24, about 140 turns)")
    bench.add_argument("--profile", type=int, default=0, metavar="N",
                       help="turn: also print cProfile's N most expensive functions (cumulative)")
    bench.add_argument("--users", default="1,8,32", help="serve: concurrency levels (default 1,8,32)")
    bench.add_argument("--seconds", type=float, default=30, help="serve: measured seconds per level (default 30)")
    bench.add_argument("--warm-up", type=float, default=5, help="serve: unmeasured seconds per level (default 5)")
    bench.add_argument("--workers", type=int, default=2, help="serve: our uvicorn workers (default 2)")
    bench.add_argument("--no-stock", dest="stock", action="store_false", help="serve: skip stock rasa")
    bench.add_argument("--promote-at", type=int, default=None,
                       help="serve: at this many users, promote a second model version mid-run (hot reload)")
    bench.set_defaults(func=cmd_bench)

    from api.cli_keys import add_keys_command  # `finbot keys create|list|revoke`

    add_keys_command(commands)

    from api.cli_models import add_models_commands  # `finbot models ...`, `finbot tensorboard`

    add_models_commands(commands)

    from api.cli_conversations import add_test_command  # `finbot test conversations`

    add_test_command(commands)

    from api.cli_tune import add_tune_command  # `finbot tune`

    add_tune_command(commands)

    from api.cli_review import add_review_commands  # `finbot review ...`, `finbot retrain`

    add_review_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except SettingsError as error:
        print(f"finbot: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
