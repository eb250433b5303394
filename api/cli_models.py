"""`finbot models ...` (the model registry) and `finbot tensorboard`.

    finbot models list                         every version, * = serving
    finbot models show VERSION                 the text report ("serving" names the serving one)
    finbot models compare A B                  side by side, and the gate's verdict on B replacing A
    finbot models report VERSION --html FILE   an HTML page with its plots
    finbot models promote VERSION [--force]    through the gate (--force overrides a refusal, recorded)
    finbot models rollback                     serve the previously serving version again
    finbot models register ARCHIVE             evaluate and register an archive trained elsewhere
    finbot tensorboard [--port 6006]           TensorBoard on the training logs in FINBOT_DATA_DIR/tensorboard
"""
from __future__ import annotations

import sys
from pathlib import Path


def _print(message: str = "") -> None:
    print(message, flush=True)


def _engine():
    from api.settings import get_api_settings
    from recommender.store.db import migrate, open_database

    engine = open_database(get_api_settings().effective_database_url)
    migrate(engine)  # idempotent; the registry tables arrive with migration 0004
    return engine


def _scores_line(info) -> str:
    scores = info.language_scores()
    cells = "  ".join(f"{lang} {s['intent_accuracy']:.3f}/{s['intent_macro_f1']:.3f}" for lang, s in scores.items())
    p95 = (info.report or {}).get("latency_ms_p95")
    return f"accuracy/macro-F1 {cells}; parse p95 {p95:.1f} ms" if info.report else "no evaluation report"


def _print_promotion(result) -> None:
    if result.promoted:
        verb = "promoted (FORCED over the gate)" if result.forced else "promoted"
        _print(f"{result.version} {verb}; it now serves"
               + (f" (replacing {result.previous_version})" if result.previous_version else ""))
    else:
        _print(f"{result.version} refused by the gate; {result.previous_version or 'nothing'} keeps serving")
    for reason in result.decision.reasons:
        _print(f"  - {reason}")


def announce_training(engine, trained, *, by: str) -> None:
    """After `finbot train` / `finbot setup`: the registered version, and promotion if nothing serves yet."""
    from bot import registry

    if trained.version is None:
        return
    info = registry.get_version(engine, trained.version)
    _print(f"model version {info.version} [{info.status}]: {_scores_line(info)}")
    if info.status != "candidate":
        return
    first = registry.promote_if_nothing_serving(engine, info.version, by=by)
    if first is not None:
        _print_promotion(first)
        return
    serving = registry.serving_version(engine)
    preview = registry.gate(info.report, serving.report)
    _print(f"{serving.version} keeps serving. The gate would {'PROMOTE' if preview.promote else 'REFUSE'} "
           f"{info.version}: `finbot models promote {info.version}` (`finbot models compare {serving.version} "
           f"{info.version}` for details)")


def cmd_models(args) -> int:
    from bot import model_report, registry

    engine = _engine()
    try:
        if args.action == "list":
            versions = registry.list_versions(engine)
            _print(model_report.list_table(versions) if versions else "no registered model versions: `finbot train`")
        elif args.action == "show":
            info = registry.get_version(engine, args.version)
            _print(model_report.text_report(info, registry.decisions(engine, info.version)))
        elif args.action == "compare":
            a, b = registry.get_version(engine, args.a), registry.get_version(engine, args.b)
            _print(model_report.compare_text(a, b))
        elif args.action == "report":
            info = registry.get_version(engine, args.version)
            page = model_report.html_report(info, registry.list_versions(engine), registry.decisions(engine, info.version))
            Path(args.html).write_text(page, encoding="utf-8")
            _print(f"wrote {args.html} ({len(page) / 1e3:.0f} kB)")
        elif args.action == "promote":
            result = registry.promote(engine, args.version, by=args.by, reason=args.reason or "", force=args.force)
            _print_promotion(result)
            return 0 if result.promoted else 1
        elif args.action == "rollback":
            result = registry.rollback(engine, by=args.by, reason=args.reason or "")
            _print(f"rolled back: {result.version} serves again (replacing {result.previous_version})")
        elif args.action == "register":
            info = registry.register_model(engine, Path(args.archive), source="register",
                                           config_file=Path(args.config) if args.config else None)
            _print(f"registered {info.version} [{info.status}]: {_scores_line(info)}")
    except registry.RegistryError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    return 0


def cmd_tensorboard(args) -> int:
    """Run TensorBoard (installed with TensorFlow) on the training logs; Ctrl-C stops it."""
    import subprocess

    from api.settings import get_api_settings

    log_dir = get_api_settings().data_dir / "tensorboard"
    log_dir.mkdir(parents=True, exist_ok=True)
    _print(f"TensorBoard on http://{args.host}:{args.port}/ reading {log_dir} (Ctrl-C to stop)")
    try:
        return subprocess.call([sys.executable, "-m", "tensorboard.main", "--logdir", str(log_dir),
                                "--host", args.host, "--port", str(args.port)])
    except KeyboardInterrupt:
        return 0


def add_models_commands(commands) -> None:
    """Register `finbot models` and `finbot tensorboard` on the main parser's subcommands."""
    models = commands.add_parser("models", help="the model registry: list, show, compare, report, promote, rollback")
    actions = models.add_subparsers(dest="action", metavar="<action>", required=True)
    actions.add_parser("list", help="every registered version (* = serving)")
    show = actions.add_parser("show", help="a version's text report and promotion history")
    show.add_argument("version", help='a version id, or "serving"')
    compare = actions.add_parser("compare", help="two versions side by side, and the gate's verdict on B replacing A")
    compare.add_argument("a")
    compare.add_argument("b")
    report = actions.add_parser("report", help="an HTML report with plots")
    report.add_argument("version")
    report.add_argument("--html", required=True, help="the file to write")
    promote = actions.add_parser("promote", help="serve a version if it passes the promotion gate")
    promote.add_argument("version")
    promote.add_argument("--force", action="store_true", help="promote even if the gate refuses (recorded)")
    rollback = actions.add_parser("rollback", help="serve the previously serving version again")
    for sub in (promote, rollback):
        sub.add_argument("--reason", help="why (stored in the promotion history)")
        sub.add_argument("--by", help="who decides (default user@host)")
    register = actions.add_parser("register", help="evaluate an existing archive and register it as a candidate")
    register.add_argument("archive")
    register.add_argument("--config", help="the config it was trained with, if it has no sidecar JSON")
    models.set_defaults(func=cmd_models)

    tensorboard = commands.add_parser("tensorboard", help="open the training curves in TensorBoard")
    tensorboard.add_argument("--host", default="127.0.0.1")
    tensorboard.add_argument("--port", type=int, default=6006)
    tensorboard.set_defaults(func=cmd_tensorboard)
