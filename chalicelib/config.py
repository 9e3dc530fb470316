"""Settings, read from the environment when first needed.

`chalice local` and the Chalice test client put a stage's environment variables
into `os.environ` only around a request, so nothing here is read at import time
(see ../shared/notes/chalice-dynamodb.md, "Test client").
"""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    storage: str                 # "sqlite" or "dynamodb"
    sqlite_path: str
    table_prefix: str            # DynamoDB table names are prefix + logical name
    public_url: str | None       # base URL for links; None = from the request's Host
    event_query_limit: int       # PuppetDB's fail limit (0 = unlimited)
    # Client certificates for `store report` (docs/security.md, "Client certificates").
    client_cert_header: str | None   # header a trusted TLS front sets to the verified DN
    cert_allowlist: frozenset[str]   # CNs that may submit reports for themselves
    cert_submit_all: frozenset[str]  # CNs that may submit reports for any certname
    # Input limits (docs/security.md, "Limits"); each refused with a 4xx.
    max_body_bytes: int          # a request body, after gzip decompression
    max_json_depth: int          # nesting of a JSON body
    max_query_bytes: int         # a JSON query parameter (PuppetDB query, activity query)
    max_query_depth: int         # nesting of a JSON query parameter
    max_page_limit: int          # `limit` of PuppetDB and activity listings
    max_regex_length: int        # a `~` pattern (RE2: linear time in pattern x input)
    max_header_bytes: int        # names + values of every request header
    max_response_bytes: int      # an answer's body in Lambda's envelope (budget.py)

    @classmethod
    def from_environment(cls) -> "Settings":
        env = os.environ
        return cls(
            storage=env.get("EVENTS_STORAGE", "sqlite").strip().lower(),
            sqlite_path=env.get("EVENTS_SQLITE_PATH", "./data/events.db"),
            table_prefix=env.get("EVENTS_TABLE_PREFIX", "puppet-events-"),
            public_url=(env.get("EVENTS_PUBLIC_URL") or "").rstrip("/") or None,
            event_query_limit=int(env.get("EVENT_QUERY_LIMIT", "20000")),
            client_cert_header=(env.get("EVENTS_CLIENT_CERT_HEADER") or "").strip() or None,
            cert_allowlist=_names(env.get("EVENTS_CERT_ALLOWLIST")),
            cert_submit_all=_names(env.get("EVENTS_CERT_SUBMIT_ALL")),
            max_body_bytes=int(env.get("EVENTS_MAX_BODY_BYTES", str(16 << 20))),
            max_json_depth=int(env.get("EVENTS_MAX_JSON_DEPTH", "64")),
            max_query_bytes=int(env.get("EVENTS_MAX_QUERY_BYTES", str(16 << 10))),
            max_query_depth=int(env.get("EVENTS_MAX_QUERY_DEPTH", "32")),
            max_page_limit=int(env.get("EVENTS_MAX_PAGE_LIMIT", "10000")),
            max_regex_length=int(env.get("EVENTS_MAX_REGEX_LENGTH", "1024")),
            max_header_bytes=int(env.get("EVENTS_MAX_HEADER_BYTES", str(16 << 10))),
            max_response_bytes=int(env.get("EVENTS_MAX_RESPONSE_BYTES", str(5 << 20))),
        )


def _names(raw: str | None) -> frozenset[str]:
    return frozenset(name.strip() for name in (raw or "").split(",") if name.strip())


def settings() -> Settings:
    return Settings.from_environment()
