"""`finbot keys ...`: API keys of the bank's backend (create, list, revoke).

Rotation: create a new key, move the backend to it, revoke the old one.
"""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

EXAMPLES = """\
examples:
  finbot keys create --name core-banking --scopes chat,tokens,customers:read
  finbot keys create --name action-server --scopes actions --expires-days 90
  finbot keys list
  finbot keys revoke 3f9c2a1b7d4e5f60
"""


def add_keys_command(commands) -> None:
    import argparse

    from api.security import SCOPES

    keys = commands.add_parser("keys", help="API keys for the bank's backend (create, list, revoke)",
                               epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = keys.add_subparsers(dest="keys_command", metavar="<action>", required=True)
    create = actions.add_parser("create", help="create a key (shown once) with scopes",
                                description="scopes:\n" + "\n".join(f"  {k:18} {v}" for k, v in SCOPES.items()),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    create.add_argument("--name", required=True, help="who uses the key, e.g. core-banking")
    create.add_argument("--scopes", required=True, help="comma-separated, e.g. chat,tokens")
    create.add_argument("--expires-days", type=int, default=None, help="expiry in days (default: none)")
    actions.add_parser("list", help="list keys (never their secrets)")
    revoke = actions.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    keys.set_defaults(func=cmd_keys)


def cmd_keys(args) -> int:
    from api.security import create_api_key, list_api_keys, revoke_api_key
    from api.settings import get_api_settings
    from recommender.store.db import migrate, open_database

    engine = open_database(get_api_settings().effective_database_url)
    migrate(engine)
    if args.keys_command == "create":
        expires = (datetime.now(timezone.utc) + timedelta(days=args.expires_days)) if args.expires_days else None
        try:
            key, record = create_api_key(engine, args.name, [s.strip() for s in args.scopes.split(",") if s.strip()],
                                         expires_at=expires)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"created key {record.key_id} ({record.name}; scopes: {record.scopes})")
        print("store it now; it is not shown again:")
        print(key)
        return 0
    if args.keys_command == "list":
        rows = list_api_keys(engine)
        if not rows:
            print("no API keys")
        for row in rows:
            state = "revoked" if row["revoked_at"] else "active"
            print(f"{row['key_id']}  {state:8} {row['name']:20} scopes={row['scopes']} "
                  f"created={row['created_at']:%Y-%m-%d} expires={row['expires_at'] or '-'}")
        return 0
    if revoke_api_key(engine, args.key_id):
        print(f"revoked {args.key_id}")
        return 0
    print(f"error: no active key {args.key_id}", file=sys.stderr)
    return 1
