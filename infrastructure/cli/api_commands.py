"""Commands of the HTTP API: `billing serve` and `billing tokens create|list|revoke`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from infrastructure.cli.output import print_json, table

SCOPES = {"btbconnect": ["btbconnect"], "etincelle": ["etincelle"], "both": ["btbconnect", "etincelle"]}


def add_commands(sub: argparse._SubParsersAction, common: Callable) -> None:
    """Adds the API's subcommands to the `billing` parser."""
    p = common(sub.add_parser("serve", help="run the HTTP API (OpenAPI at /openapi.json, docs at /docs)"))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    insecure_dev(p)
    p.set_defaults(run=serve)
    tokens = sub.add_parser("tokens", help="the HTTP API's bearer tokens").add_subparsers(
        dest="tokens_command", required=True)
    p = common(tokens.add_parser("create", help="make a token and print it, once"))
    p.add_argument("--role", choices=["service", "auditor", "finance"], required=True,
                   help="service: append facts; finance: read; auditor: read and replay")
    p.add_argument("--provider", choices=sorted(SCOPES), required=True, help="the providers it may touch")
    p.add_argument("--name", default="", help="who or what holds it")
    p.set_defaults(run=tokens_create)
    common(tokens.add_parser("list", help="every token, without secrets")).set_defaults(run=tokens_list)
    p = common(tokens.add_parser("revoke", help="refuse a token from now on"))
    p.add_argument("id", help="the token's id (see `billing tokens list`)")
    p.set_defaults(run=tokens_revoke)


def insecure_dev(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--insecure-dev", action="store_true", help="start even with keys of personal data "
                        "unwrapped (no BILLING_MASTER_KEY): a development machine only")


def serve(args: argparse.Namespace) -> int:
    from infrastructure.cli.commands import keys_guarded
    from infrastructure.http.server import serve as run_server  # FastAPI is loaded for this command only

    keys_guarded(args.db, "billing serve", args.insecure_dev)
    return run_server(args.db, args.host, args.port)


def token_store(args: argparse.Namespace):
    from infrastructure.http.tokens import TokenStore
    from infrastructure.store import database_url

    return TokenStore(database_url(args.db))


def tokens_create(args: argparse.Namespace) -> int:
    store = token_store(args)
    try:
        record, secret = store.create(args.role, SCOPES[args.provider], args.name)
    finally:
        store.close()
    if args.format == "json":
        print_json(record.as_dict() | {"token": secret})
    else:
        print(secret)
        print(f"token {record.id} ({record.role}, {', '.join(record.providers)}): keep it now, "
              "it is not shown again", file=sys.stderr)
    return 0


def tokens_list(args: argparse.Namespace) -> int:
    store = token_store(args)
    try:
        records = [r.as_dict() for r in store.list()]
    finally:
        store.close()
    if args.format == "json":
        print_json(records)
    else:
        print(table(["id", "name", "role", "providers", "created", "revoked"],
                    [[r["id"], r["name"], r["role"], ",".join(r["providers"]), r["created_at"],
                      r["revoked_at"] or ""] for r in records]))
    return 0


def tokens_revoke(args: argparse.Namespace) -> int:
    store = token_store(args)
    try:
        record = store.revoke(args.id)
    finally:
        store.close()
    print_json(record.as_dict()) if args.format == "json" else print(f"token {record.id} revoked at {record.revoked_at}")
    return 0
