"""python -m chalicelib.cli {demo,create-tables,import-reports,backfill-activity,backfill-latest,gc,token,check-port} —
works on the configured store (EVENTS_STORAGE, EVENTS_SQLITE_PATH, EVENTS_TABLE_PREFIX,
AWS_ENDPOINT_URL_DYNAMODB)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import settings
from ..storage import build
from . import demo, gc, import_reports, serve, tokens


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo_command = commands.add_parser("demo", help="load the demo data set into the store")
    demo_command.add_argument("--if-empty", action="store_true",
                              help="do nothing unless the store is empty")
    demo_command.add_argument("--add", action="store_true",
                              help="add the demo to a store that holds other data")
    tables = commands.add_parser("create-tables", help="create the DynamoDB tables (idempotent)")
    tables.add_argument("--prefix", help="table name prefix (default: EVENTS_TABLE_PREFIX)")
    reports = commands.add_parser(
        "import-reports", help="import a Puppet reportdir (`reports = store` YAML) idempotently")
    reports.add_argument("directory", type=Path, help="the reportdir (searched recursively)")
    commands.add_parser("backfill-activity",
                        help="DynamoDB: copy activity commits stored before the all-services "
                             "copy existed into it (idempotent; docs/dynamodb.md)")
    commands.add_parser("backfill-latest",
                        help="DynamoDB: copy each node's latest-report events into pdb-latest "
                             "for reports stored before it existed (idempotent; docs/dynamodb.md)")
    collector = commands.add_parser(
        "gc", help="delete what the retention settings say has expired (README, Retention)")
    collector.add_argument("--every", type=float, nargs="?", const=-1.0, metavar="MINUTES",
                           help="repeat every MINUTES (default EVENTS_GC_INTERVAL) until the "
                                "parent process ends, as `make run` does")
    tokens.add_parser(commands)
    port = commands.add_parser("check-port", help="exit 1 with one line when HOST:PORT is busy")
    port.add_argument("--host", default="127.0.0.1")
    port.add_argument("--port", type=int, default=8000)
    arguments = parser.parse_args(argv)
    if arguments.command == "check-port":
        return serve.check_port(arguments.host, arguments.port)

    try:
        config = settings()
    except ValueError as error:         # a bad setting: config.py names it and says why
        return _refuse(parser, error)
    if arguments.command == "create-tables":
        from ..storage.dynamodb import DynamoStorage
        store = DynamoStorage(arguments.prefix or config.table_prefix)
        created = store.create_tables()
        print(f"created {len(created)} table(s): {', '.join(created) or 'all exist already'}")
        return 0

    try:
        store = build(config)
    except ValueError as error:         # EVENTS_STORAGE
        return _refuse(parser, error)
    if arguments.command == "token":
        return tokens.run(arguments, store)
    where = config.sqlite_path if config.storage == "sqlite" else f"DynamoDB tables {config.table_prefix}*"
    if arguments.command in BACKFILLS:
        method, done = BACKFILLS[arguments.command]
        if not hasattr(store, method):          # only DynamoDB keeps these copies
            print(f"{arguments.command}: nothing to do for {where}")
            return 0
        print(f"{arguments.command}: {done.format(getattr(store, method)())} in {where}")
        return 0
    if arguments.command == "gc":
        every = arguments.every
        if every is not None and every < 0:
            every = config.gc_interval_minutes
        return gc.run(store, config, where, every)
    if arguments.command == "import-reports":
        return import_reports.run(store, arguments.directory, where)
    return demo.run(store, where, if_empty=arguments.if_empty, add=arguments.add)


# Upgrade steps for DynamoDB tables written by earlier versions: the store's method,
# and what its count says.
BACKFILLS = {"backfill-activity": ("backfill_all_services", "{} commit(s) copied"),
             "backfill-latest": ("backfill_latest", "the latest events of {} node(s) copied")}


def _refuse(parser: argparse.ArgumentParser, error: ValueError) -> int:
    """One line on stderr and argparse's status for a usage error, not a traceback."""
    print(f"{parser.prog}: {error}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
