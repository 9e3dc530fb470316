"""API tokens: `<id>.<secret>`, random, shown once, stored only as a hash.

The id (16 hex digits) is public: it names the token in `token list`/`revoke`
and is the storage key, so a lookup is one keyed read. The secret is 256 bits
from `secrets`; only SHA-256 of the whole token is stored. A fast hash is enough
here because the input is high-entropy: slow password hashes (bcrypt, scrypt)
exist to slow down guessing low-entropy passwords, and 2**256 guesses stay out
of reach at any hash speed. The presented hash is compared with
`hmac.compare_digest`, so the time taken says nothing about the stored hash.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from .. import timestamps

SCOPES = ("orchestrator:read", "orchestrator:write", "puppetdb:read", "puppetdb:write",
          "activity:read", "activity:write", "admin")
ADMIN = "admin"
MAX_TOKEN_LENGTH = 128          # longer than any token we issue: refused unread
_ID = re.compile(r"^[0-9a-f]{16}$")
_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def granted(held, scope: str | None) -> bool:
    """Whether scopes `held` (a token's or a certificate's) open a route needing `scope`:
    None = any credential will do; admin implies every scope."""
    return scope is None or ADMIN in held or scope in held


@dataclass(frozen=True)
class Token:
    """A stored token: everything but the secret."""
    id: str
    secret_hash: str                 # hex SHA-256 of the whole token string
    scopes: tuple[str, ...]
    label: str = ""
    created: str = ""                # stored timestamps (timestamps.stored)
    expires: str | None = None
    revoked: str | None = None

    def grants(self, scope: str | None) -> bool:
        return granted(self.scopes, scope)

    def state(self, now: str) -> str:
        """'revoked', 'expired' or 'valid' at the stored time `now`."""
        if self.revoked is not None:
            return "revoked"
        if self.expires is not None and self.expires <= now:
            return "expired"
        return "valid"


@dataclass(frozen=True)
class Issued:
    token: Token
    secret: str = field(repr=False)  # the whole token string: shown once, never stored


class InvalidScope(ValueError):
    pass


def digest(presented: str) -> str:
    return hashlib.sha256(presented.encode("utf-8")).hexdigest()


def issue(scopes, *, label: str = "", expires_in: timedelta | None = None,
          now=None) -> Issued:
    """A new token (not yet stored)."""
    scopes = tuple(dict.fromkeys(scopes))
    unknown = [s for s in scopes if s not in SCOPES]
    if not scopes or unknown:
        raise InvalidScope(f"scopes must be some of {', '.join(SCOPES)}; got {', '.join(unknown) or 'none'}")
    moment = now or timestamps.now()
    token_id = secrets.token_hex(8)
    secret = f"{token_id}.{secrets.token_urlsafe(32)}"
    expires = timestamps.stored(moment + expires_in) if expires_in else None
    return Issued(Token(id=token_id, secret_hash=digest(secret), scopes=scopes, label=label,
                        created=timestamps.stored(moment), expires=expires), secret)


def token_id(presented: str) -> str | None:
    """The id part of a presented token, or None when it cannot be one of ours."""
    if len(presented) > MAX_TOKEN_LENGTH or "." not in presented:
        return None
    candidate = presented.split(".", 1)[0]
    return candidate if _ID.match(candidate) else None


def matches(stored: Token, presented: str) -> bool:
    return hmac.compare_digest(stored.secret_hash, digest(presented))


def duration(text: str) -> timedelta:
    """`30d`, `12h`, `2w`, `90m`, `45s` -> timedelta (for --expires-in)."""
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"'{text}' is not a duration like 30d, 12h, 2w, 90m or 45s")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
