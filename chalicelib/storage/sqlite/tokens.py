"""API tokens in SQLite (the hash and metadata; never the secret)."""
from __future__ import annotations

import json
import sqlite3

from ...auth.tokens import Token

SCHEMA = """
CREATE TABLE IF NOT EXISTS auth_tokens (
    id TEXT PRIMARY KEY,            -- public id, the first part of the token
    secret_hash TEXT NOT NULL,      -- hex SHA-256 of the whole token
    scopes TEXT NOT NULL,           -- JSON array
    label TEXT NOT NULL,
    created TEXT NOT NULL,
    expires TEXT,
    revoked TEXT
);
"""


def _token(row) -> Token:
    return Token(id=row[0], secret_hash=row[1], scopes=tuple(json.loads(row[2])), label=row[3],
                 created=row[4], expires=row[5], revoked=row[6])


_SELECT = "SELECT id, secret_hash, scopes, label, created, expires, revoked FROM auth_tokens"


class TokenTables:
    def add_token(self, token: Token) -> None:
        try:
            with self.write() as db:
                db.conn.execute(
                    "INSERT INTO auth_tokens VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (token.id, token.secret_hash, json.dumps(list(token.scopes)), token.label,
                     token.created, token.expires, token.revoked))
        except sqlite3.IntegrityError:
            raise ValueError(f"a token with id {token.id} exists") from None

    def get_token(self, token_id: str) -> Token | None:
        row = self.db().conn.execute(_SELECT + " WHERE id = ?", (token_id,)).fetchone()
        return _token(row) if row else None

    def list_tokens(self) -> list[Token]:
        rows = self.db().conn.execute(_SELECT + " ORDER BY created, id").fetchall()
        return [_token(r) for r in rows]

    def revoke_token(self, token_id: str, when: str) -> Token | None:
        with self.write() as db:
            db.conn.execute("UPDATE auth_tokens SET revoked = COALESCE(revoked, ?) WHERE id = ?",
                            (when, token_id))
            row = db.conn.execute(_SELECT + " WHERE id = ?", (token_id,)).fetchone()
        return _token(row) if row else None
