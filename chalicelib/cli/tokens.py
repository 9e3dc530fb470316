"""`python -m chalicelib.cli token {create,list,revoke,ensure-admin}`: API tokens
in the configured store. A token is printed once, at creation; only its hash is
kept (auth/tokens.py)."""
from __future__ import annotations

import argparse
import os
import sys

from .. import timestamps
from ..auth import tokens

ADMIN_TOKEN_FILE = "data/admin-token"


def add_parser(commands) -> None:
    token = commands.add_parser("token", help="create, list and revoke API tokens")
    actions = token.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a token and print it (once)")
    create.add_argument("--scope", action="append", required=True, choices=tokens.SCOPES,
                        help="a scope the token grants (repeat for several)")
    create.add_argument("--label", default="", help="what the token is for")
    create.add_argument("--expires-in", type=_duration, metavar="DURATION",
                        help="e.g. 30d, 12h, 2w (default: never expires)")
    actions.add_parser("list", help="list tokens (ids and metadata, never secrets)")
    revoke = actions.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("id")
    ensure = actions.add_parser("ensure-admin",
                                help="write a local admin token file unless a valid one exists")
    ensure.add_argument("--file", default=ADMIN_TOKEN_FILE)


def _duration(text: str):
    try:
        return tokens.duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run(arguments, store) -> int:
    if arguments.action == "create":
        issued = tokens.issue(arguments.scope, label=arguments.label,
                              expires_in=arguments.expires_in)
        store.add_token(issued.token)
        print(f"created token {issued.token.id} ({', '.join(issued.token.scopes)}); "
              "it is shown once, store it now:", file=sys.stderr)
        print(issued.secret)
        return 0
    if arguments.action == "list":
        now = timestamps.stored(timestamps.now())
        rows = [("ID", "STATE", "CREATED", "EXPIRES", "SCOPES", "LABEL")]
        rows += [(token.id, token.state(now), timestamps.seconds(token.created),
                  timestamps.seconds(token.expires) or "-", ",".join(token.scopes), token.label)
                 for token in store.list_tokens()]
        for line in columns(rows):
            print(line)
        return 0
    if arguments.action == "revoke":
        revoked = store.revoke_token(arguments.id, timestamps.stored(timestamps.now()))
        if revoked is None:
            print(f"no token with id {arguments.id}", file=sys.stderr)
            return 1
        print(f"revoked token {revoked.id} at {timestamps.seconds(revoked.revoked)}")
        return 0
    return ensure_admin(store, arguments.file)


def columns(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows as lines whose columns line up: each padded to its widest value, two
    spaces apart; the last column is not padded (no trailing blanks)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join([value.ljust(width) for value, width in zip(row, widths)] + [row[-1]])
            for row in rows]


def ensure_admin(store, path: str) -> int:
    """`make run`'s first start: an admin token in `path` (mode 0600), kept while
    it is still valid in the store, replaced otherwise."""
    existing = _read(path)
    if existing is not None:
        token_id = tokens.token_id(existing)
        stored = store.get_token(token_id) if token_id else None
        if stored is not None and tokens.matches(stored, existing) \
                and stored.state(timestamps.stored(timestamps.now())) == "valid":
            print(f"admin token: {path} (send it as X-Authentication)")
            return 0
    issued = tokens.issue([tokens.ADMIN], label="local admin (make run)")
    store.add_token(issued.token)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, mode=0o700, exist_ok=True)   # when new: private, as the store's
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as output:
        os.fchmod(output.fileno(), 0o600)      # also when the file existed with other modes
        output.write(issued.secret + "\n")
    print(f"admin token created: {path} (send it as X-Authentication)")
    return 0


def _read(path: str) -> str | None:
    try:
        with open(path) as stored:
            return stored.read().strip() or None
    except FileNotFoundError:
        return None
