"""`finbot review ...` (the review queue) and `finbot retrain` (the daily cycle).

    finbot review gather [--since 2026-05-01] [--threshold 0.6]   queue doubtful messages from the tracker store
    finbot review list [--status pending|confirmed|corrected|discarded|all]
    finbot review label ID INTENT [--entity NAME=WORDS ...]       correct an item
    finbot review confirm ID                                      the model was right
    finbot review discard ID                                      not training data
    finbot review export                                          write nlu_data/<language>/reviewed/*.yml
    finbot retrain [--config NAME] [--dry-run] [--conversations]  gather, export, train, gate, promote or refuse

Registered in api/cli.py by ``add_review_commands``; the work is done by
bot.review and bot.retrain.
"""
from __future__ import annotations

import argparse
import signal
import sys
from datetime import datetime, timezone

from api.cli_models import _engine, _print  # the migrated database (the review queue: migration 0005)

EXIT_FAILED = 2
EXIT_BUSY = 75  # EX_TEMPFAIL: another run holds the lock; try again later

RETRAIN_DESCRIPTION = """\
The whole cycle from conversation logs to the serving model, safe to run daily:
gather doubtful messages into the review queue, export the reviewed ones to
nlu_data/<language>/reviewed/, train a candidate, evaluate the serving model
again in the same run, optionally run the conversation tests on the candidate,
and let the promotion gate promote it or refuse it. Prints a report.

Exit codes: 0 the run finished (promoted, refused, or nothing new to train:
the report says which); 2 it failed (nothing was promoted; the serving model
is unchanged); 130 interrupted (Ctrl-C or SIGTERM; likewise unchanged); 75
another retrain is running (nothing was done).
"""


def _since(value: str | None):
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _item_line(item: dict) -> str:
    guess = item["predicted_intent"] or "-"
    if item["confidence"] is not None:
        guess += f" {item['confidence']:.2f}"
    label = ""
    if item["status"] in ("confirmed", "corrected"):
        entities = " ".join(f"{e['entity']}={e['value']}" for e in item["reviewed_entities"] or [])
        label = f" -> {item['reviewed_intent']}" + (f" [{entities}]" if entities else "") + f" by {item['reviewer']}"
    text = item["text"] if len(item["text"]) <= 60 else item["text"][:57] + "..."
    return (f"{item['id']:>6}  {item['status']:9}  {item['language']:5}  {','.join(item['reasons']):26}  "
            f"{guess:28}  {text}{label}")


def cmd_review(args) -> int:
    from bot import review
    from bot.registry import default_actor

    engine = _engine()
    try:
        if args.action == "gather":
            result = review.gather(engine, since=_since(args.since), threshold=args.threshold)
            _print(f"gathered: {result.summary()}")
            _print("review queue: " + ", ".join(f"{n} {s}" for s, n in review.counts(engine).items()))
        elif args.action == "list":
            items = review.list_items(engine, None if args.status == "all" else args.status, limit=args.limit)
            _print(f"{'id':>6}  {'status':9}  {'lang':5}  {'reasons':26}  {'model guess':28}  text")
            for item in items:
                _print(_item_line(item))
            _print("review queue: " + ", ".join(f"{n} {s}" for s, n in review.counts(engine).items()))
        elif args.action in ("label", "confirm", "discard"):
            decision = {"label": "correct", "confirm": "confirm", "discard": "discard"}[args.action]
            entities = review.parse_entity_options(args.entity) if args.action == "label" else None
            item = review.review(engine, args.id, decision, intent=getattr(args, "intent", None), entities=entities,
                                 reviewer=args.by or default_actor())
            _print(_item_line(item))
        elif args.action == "export":
            result = review.export_reviewed(engine)
            _print(f"exported: {result.summary()}")
            for path in result.files:
                _print(f"  wrote {path}")
            for path in result.removed:
                _print(f"  removed {path} (no reviewed examples left)")
    except review.ReviewItemNotFound as missing:
        print(f"error: {missing}", file=sys.stderr)
        return EXIT_FAILED
    except (review.ReviewError, ValueError) as problem:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_FAILED
    return 0


class _Terminated(KeyboardInterrupt):
    """SIGTERM (a CronJob deleted, a pod evicted): unwind like Ctrl-C so the run cleans up."""


def _raise_terminated(_signum, _frame) -> None:
    raise _Terminated("terminated (SIGTERM)")


def cmd_retrain(args) -> int:
    from api.settings import get_api_settings
    from bot import registry
    from bot.retrain import RetrainBusy, retrain

    settings = get_api_settings()
    engine = _engine()
    import threading

    in_main_thread = threading.current_thread() is threading.main_thread()  # only it may set signal handlers
    previous_handler = signal.signal(signal.SIGTERM, _raise_terminated) if in_main_thread else None
    try:
        report = retrain(engine, models_dir=settings.models_dir, lock_dir=settings.data_dir, config=args.config,
                         dry_run=args.dry_run, conversations=args.conversations,
                         **({"conversation_paths": args.conversation_paths} if args.conversation_paths else {}),
                         threshold=args.threshold, always_train=args.always_train, by=args.by,
                         progress=lambda line: _print(f"... {line}"))
    except RetrainBusy as busy:
        print(f"finbot retrain: {busy}", file=sys.stderr)
        return EXIT_BUSY
    except KeyboardInterrupt as stop:
        serving = registry.serving_version(engine)
        print(f"finbot retrain interrupted ({stop or 'Ctrl-C'}): nothing was promoted; "
              f"{serving.version if serving else 'nothing'} keeps serving", file=sys.stderr)
        return 130
    except Exception as failure:  # noqa: BLE001 - reported, and the exit code says the run failed
        serving = registry.serving_version(engine)
        print(f"finbot retrain failed: {type(failure).__name__}: {failure}\nnothing was promoted; "
              f"{serving.version if serving else 'nothing'} keeps serving", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous_handler)
    _print(report.text())
    return 0


def add_review_commands(commands) -> None:
    """Add `finbot review ...` and `finbot retrain` to the top-level subparsers."""
    review = commands.add_parser("review", help="the review queue: doubtful chat messages, labelled by a person")
    actions = review.add_subparsers(dest="action", metavar="<action>")
    review.set_defaults(func=lambda _args: (review.print_help(), 2)[1])

    gather = actions.add_parser("gather", help="queue fallback, low-confidence, corrected and handed-off messages")
    gather.add_argument("--since", help="only messages from this time on (YYYY-MM-DD[THH:MM], UTC)")
    gather.add_argument("--threshold", type=float,
                        help="queue messages scored below this confidence (default FINBOT_REVIEW_CONFIDENCE or 0.6)")
    gather.set_defaults(func=cmd_review)

    listing = actions.add_parser("list", help="list review items (oldest first)")
    listing.add_argument("--status", default="pending",
                         choices=["pending", "confirmed", "corrected", "discarded", "all"])
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(func=cmd_review)

    label = actions.add_parser("label", help="correct an item: its intent and entities")
    label.add_argument("id", type=int)
    label.add_argument("intent", help="an intent of the domain (faq as faq/<sub-intent>)")
    label.add_argument("--entity", action="append", default=[], metavar="NAME=WORDS",
                       help="an entity and the words of the message it covers, e.g. amount=5万 (repeatable)")
    label.add_argument("--by", help="reviewer (default user@host)")
    label.set_defaults(func=cmd_review)

    for name, help_text in (("confirm", "the model's intent and entities were right"),
                            ("discard", "not training data (nonsense, personal data, ...)")):
        parser = actions.add_parser(name, help=help_text)
        parser.add_argument("id", type=int)
        parser.add_argument("--by", help="reviewer (default user@host)")
        parser.set_defaults(func=cmd_review)

    export = actions.add_parser("export", help="write confirmed and corrected items to nlu_data/<lang>/reviewed/")
    export.set_defaults(func=cmd_review)

    retrain = commands.add_parser("retrain", help="gather, export, train a candidate, gate it, promote or refuse",
                                  description=RETRAIN_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    retrain.add_argument("--config", help="a named config in bot/configs/ or a path (default bot/config.yml)")
    retrain.add_argument("--dry-run", action="store_true", help="gather and report only: no export, no training")
    retrain.add_argument("--conversations", action="store_true",
                         help="run the conversation tests on the candidate; failures refuse it")
    retrain.add_argument("--conversation-paths", nargs="+", metavar="PATH",
                         help="conversation test files or folders (default tests/conversations)")
    retrain.add_argument("--threshold", type=float, help="review confidence threshold (default 0.6)")
    retrain.add_argument("--always-train", action="store_true",
                         help="train even when a version was already trained from exactly these inputs")
    retrain.add_argument("--by", help="recorded as who decided (default: finbot retrain (user@host))")
    retrain.set_defaults(func=cmd_retrain)
