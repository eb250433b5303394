"""`finbot test conversations`: the conversation regression suite from the command line.

Registered in api/cli.py by ``add_test_command``. The work is done by
bot.conversation_tests; this module only reads options and picks the target.
"""
from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

from bot.clock import environment_today

DEFAULT_PATHS = ["tests/conversations"]

DESCRIPTION = """\
Run conversation tests (YAML) through the whole bot: NLU, dialogue policies,
custom actions, the recommender and a database seeded with the demo personas
(a fresh copy per conversation). Prints every failing step with what was
expected and what the bot did, a summary line "N passed, N failed", and exits
non-zero when a conversation fails or a file is malformed.

With --url the conversations go to a running server's POST /v1/chat instead
(black-box regression of a deployment; the server's own database and date).
"""

EXAMPLES = """\
examples:
  finbot test conversations                                  every file under tests/conversations/
  finbot test conversations tests/conversations/buying.yml -k refused
  finbot test conversations --model data/models/20260301.tar.gz --junit reports/conversations.xml
  finbot test conversations --url https://finbot.bank.example --api-key $FINBOT_API_KEY
  finbot test conversations --check                          only validate the files
"""


def add_test_command(commands) -> None:
    """Add `finbot test conversations` to the top-level subparsers."""
    import argparse

    test = commands.add_parser("test", help="regression suites against the bot (conversations)")
    suites = test.add_subparsers(dest="suite", metavar="<suite>")
    conversations = suites.add_parser("conversations", help="run YAML conversation tests through the whole bot",
                                      description=DESCRIPTION, epilog=EXAMPLES,
                                      formatter_class=argparse.RawDescriptionHelpFormatter)
    conversations.add_argument("paths", nargs="*", help="files or folders (default: tests/conversations)")
    conversations.add_argument("--model", help="model archive (default: the newest in FINBOT_DATA_DIR/models)")
    conversations.add_argument("--url", help="test a running server at this base URL instead of in-process")
    conversations.add_argument("--api-key", help="API key for --url (default: the FINBOT_API_KEY variable)")
    conversations.add_argument("--junit", help="also write JUnit XML to this file")
    conversations.add_argument("--jobs", type=int, default=4, help="conversations run at once (default 4)")
    conversations.add_argument("--today", help="date of conversations that set none, YYYY-MM-DD "
                                               "(default FINBOT_TODAY, else the real date)")
    conversations.add_argument("-k", dest="keyword", help="only conversations whose name, tag or file contains this")
    conversations.add_argument("-v", "--verbose", dest="every_step", action="store_true",
                               help="list every step of passing conversations too")
    conversations.add_argument("--check", action="store_true", help="only validate the files (no model needed)")
    conversations.set_defaults(func=cmd_test_conversations)
    test.set_defaults(func=lambda args: _usage(test))


def _usage(parser) -> int:
    parser.print_help()
    return 2


def cmd_test_conversations(args) -> int:
    from bot.conversation_tests import load_paths

    paths = [Path(p) for p in (args.paths or DEFAULT_PATHS)]
    if args.check:
        loaded = load_paths(paths)
        for error in loaded.errors:
            print(error)
        print(f"{len(loaded.conversations)} conversations in {len(loaded.files)} files, "
              f"{len(loaded.errors)} format errors")
        return 1 if loaded.errors or not loaded.conversations else 0

    # The report is what QA reads: keep third-party deprecation chatter out of it.
    import warnings

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with warnings.catch_warnings():
        # Rasa/TensorFlow imports add warning filters of their own; show nothing while importing.
        warnings.showwarning = lambda *args, **kwargs: None
        import bot.runtime  # noqa: F401
    _quiet_warnings()
    from bot.conversation_tests import InProcessBot, RemoteBot, run_suite

    if args.url:
        target = RemoteBot(args.url, args.api_key or os.environ.get("FINBOT_API_KEY"))
    else:
        model = _model(args.model)
        if model is None:
            return 2
        try:
            today = date.fromisoformat(args.today) if args.today else environment_today()
        except ValueError:
            print(f"error: --today must be YYYY-MM-DD, not {args.today!r}", file=sys.stderr)
            return 2
        target = InProcessBot(model, default_today=today)
    outcome = run_suite(paths, target, jobs=args.jobs, keyword=args.keyword, verbose=args.every_step,
                        junit=Path(args.junit) if args.junit else None, out=_print)
    if not outcome.results and not outcome.format_errors:
        print("no conversations to run", file=sys.stderr)
    return outcome.exit_code


def _quiet_warnings() -> None:
    import warnings

    for category in (DeprecationWarning, PendingDeprecationWarning, UserWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category)


def _model(given: str | None) -> Path | None:
    if given:
        model = Path(given)
        if not model.is_file():
            print(f"error: no model archive at {model}", file=sys.stderr)
            return None
        return model
    from api.model_watcher import registry_model
    from api.settings import get_api_settings
    from bot.training import latest_model
    from recommender.store.db import open_database

    settings = get_api_settings()  # the serving version first: that is what customers talk to
    model = registry_model(open_database(settings.effective_database_url)) or latest_model(settings.models_dir)
    if model is None:
        print("error: no trained model: run `finbot train` first or pass --model", file=sys.stderr)
    return model


def _print(text: str) -> None:
    print(text, flush=True)
