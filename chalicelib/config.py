"""Settings, read from the environment when first needed.

`chalice local` and the Chalice test client put a stage's environment variables
into `os.environ` only around a request, so nothing here is read at import time
(see ../shared/notes/chalice-dynamodb.md, "Test client").
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

from .retention import parse_duration


@dataclass(frozen=True)
class Settings:
    storage: str                 # "sqlite" or "dynamodb"
    sqlite_path: str
    table_prefix: str            # DynamoDB table names are prefix + logical name
    public_url: str | None       # base URL for links; None = from the request's Host
                                 # on the `local` stage, relative links elsewhere
    stage: str                   # the Chalice stage (.chalice/config.json); "" = deployed
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
    # Write bounds (docs/security.md, "Write bounds"): what one request may store.
    max_report_events: int       # resource events of one report (413)
    max_commit_rows: int         # objects x events of one activity commit = its CSV rows (413)
    max_job_message_bytes: int   # an orchestrator event's message, UTF-8 bytes (413)
    max_job_details_bytes: int   # an orchestrator event's details, as JSON text bytes (413)
    max_future_seconds: int      # how far a report's producer timestamp may pass receipt (400)
    # Query cost (docs/security.md, "Query cost"): static caps on the parsed query,
    # each a 400, and a per-request budget on the read, a 503.
    max_query_terms: int         # tests in a query; an `in` counts one per value
    max_query_width: int         # terms of one and/or, values of one `in`
    max_query_regexes: int       # `~` tests in a query
    query_deadline_ms: int       # SQLite: a request's reads stop after this (0 = none)
    max_items_read: int          # DynamoDB: items a request's reads may read (0 = no cap)
    max_response_bytes: int      # an answer's body in Lambda's envelope (answer_budget.py)
    log_queries: bool            # access log: parameter values and query text (logs.py)
    # Orchestrator jobs recorded in the activity service as PE does (orchestrator/activity.py).
    record_job_activity: bool = True
    # Client certificate CN -> the scopes it has on every route a token's scope would
    # open (EVENTS_CERT_SCOPES, auth/certs.py; docs/security.md "Client certificates").
    cert_scopes: tuple[tuple[str, frozenset[str]], ...] = ()
    # Retention (retention.py, README "Retention"): PuppetDB's and PE's lifetimes;
    # timedelta(0) keeps forever.
    report_ttl: timedelta = timedelta(days=14)              # PuppetDB report-ttl
    resource_events_ttl: timedelta = timedelta(days=14)     # resource-events-ttl
    node_ttl: timedelta = timedelta(days=7)                 # node-ttl
    node_purge_ttl: timedelta = timedelta(days=14)          # node-purge-ttl
    job_prune_days_threshold: int = 30                      # PE orchestrator, days (0 = keep)
    activity_ttl: timedelta = timedelta(0)                  # PE keeps commits: forever
    gc_interval_minutes: float = 60                         # PuppetDB gc-interval (0 = off)
    # Webhook subscriptions (chalicelib/subscriptions, docs/subscriptions.md).
    subscription_dispatcher: bool = True     # `chalice local`: run the delivery thread
    subscription_allow_private: bool = False  # cloud stage: allow private/loopback/metadata URLs
    subscription_retry_horizon: float = 86400.0  # seconds of retries before a dead letter
    subscription_retry_base: float = 1.0     # first backoff, seconds (doubles per attempt)
    subscription_retry_max: float = 3600.0   # longest backoff, seconds
    subscription_timeout: float = 10.0       # seconds a receiver may take to answer
    subscription_key: str | None = None      # derives signing secrets (subscriptions/signing.py)
    subscription_key_secret: str | None = None  # or: Secrets Manager id holding that key

    @classmethod
    def from_environment(cls) -> "Settings":
        env = os.environ
        return cls(
            storage=env.get("EVENTS_STORAGE", "sqlite").strip().lower(),
            sqlite_path=env.get("EVENTS_SQLITE_PATH", "./data/events.db"),
            table_prefix=env.get("EVENTS_TABLE_PREFIX", "puppet-events-"),
            public_url=(env.get("EVENTS_PUBLIC_URL") or "").rstrip("/") or None,
            stage=env.get("EVENTS_STAGE", "").strip(),
            event_query_limit=_int(env, "EVENT_QUERY_LIMIT", "20000"),
            client_cert_header=(env.get("EVENTS_CLIENT_CERT_HEADER") or "").strip() or None,
            cert_allowlist=_names(env.get("EVENTS_CERT_ALLOWLIST")),
            cert_submit_all=_names(env.get("EVENTS_CERT_SUBMIT_ALL")),
            max_body_bytes=_int(env, "EVENTS_MAX_BODY_BYTES", str(16 << 20)),
            max_json_depth=_int(env, "EVENTS_MAX_JSON_DEPTH", "64"),
            max_query_bytes=_int(env, "EVENTS_MAX_QUERY_BYTES", str(16 << 10)),
            max_query_depth=_int(env, "EVENTS_MAX_QUERY_DEPTH", "32"),
            max_page_limit=_int(env, "EVENTS_MAX_PAGE_LIMIT", "10000"),
            max_regex_length=_int(env, "EVENTS_MAX_REGEX_LENGTH", "1024"),
            max_header_bytes=_int(env, "EVENTS_MAX_HEADER_BYTES", str(16 << 10)),
            max_report_events=_int(env, "EVENTS_MAX_REPORT_EVENTS", "50000"),
            max_commit_rows=_int(env, "EVENTS_MAX_COMMIT_ROWS", "10000"),
            max_job_message_bytes=_int(env, "EVENTS_MAX_JOB_MESSAGE_BYTES", "2048"),
            max_job_details_bytes=_int(env, "EVENTS_MAX_JOB_DETAILS_BYTES", "2048"),
            max_future_seconds=_int(env, "EVENTS_MAX_FUTURE_SECONDS", "3600"),
            max_query_terms=_int(env, "EVENTS_MAX_QUERY_TERMS", "256"),
            max_query_width=_int(env, "EVENTS_MAX_QUERY_WIDTH", "100"),
            max_query_regexes=_int(env, "EVENTS_MAX_QUERY_REGEXES", "8"),
            query_deadline_ms=_int(env, "EVENTS_QUERY_DEADLINE_MS", "10000"),
            max_items_read=_int(env, "EVENTS_MAX_ITEMS_READ", "100000"),
            max_response_bytes=_int(env, "EVENTS_MAX_RESPONSE_BYTES", str(5 << 20)),
            log_queries=_switch(env, "EVENTS_LOG_QUERIES", default=False),
            record_job_activity=_switch(env, "EVENTS_RECORD_JOB_ACTIVITY", default=True),
            cert_scopes=cert_scopes(env.get("EVENTS_CERT_SCOPES")),
            **_retention(env),
            subscription_dispatcher=_switch(env, "EVENTS_SUBSCRIPTION_DISPATCHER", default=True),
            subscription_allow_private=_switch(env, "EVENTS_SUBSCRIPTION_ALLOW_PRIVATE",
                                               default=False),
            subscription_retry_horizon=_float(env, "EVENTS_SUBSCRIPTION_RETRY_HORIZON", "86400"),
            subscription_retry_base=_float(env, "EVENTS_SUBSCRIPTION_RETRY_BASE", "1"),
            subscription_retry_max=_float(env, "EVENTS_SUBSCRIPTION_RETRY_MAX", "3600"),
            subscription_timeout=_float(env, "EVENTS_SUBSCRIPTION_TIMEOUT", "10"),
            subscription_key=env.get("EVENTS_SUBSCRIPTION_KEY") or None,
            subscription_key_secret=env.get("EVENTS_SUBSCRIPTION_KEY_SECRET") or None,
        )


def _retention(env) -> dict:
    """The retention settings; resource-events-ttl defaults to report-ttl and may
    not be longer (PuppetDB config.clj require-enclosing-report-ttl)."""
    report_ttl = parse_duration(env.get("EVENTS_REPORT_TTL") or "14d", "EVENTS_REPORT_TTL")
    raw_events = env.get("EVENTS_RESOURCE_EVENTS_TTL")
    events_ttl = (parse_duration(raw_events, "EVENTS_RESOURCE_EVENTS_TTL") if raw_events
                  else report_ttl)
    if report_ttl and (not events_ttl or events_ttl > report_ttl):
        raise ValueError("EVENTS_RESOURCE_EVENTS_TTL must not be longer than EVENTS_REPORT_TTL")
    days = _int(env, "EVENTS_JOB_PRUNE_DAYS_THRESHOLD", "30")
    if days and days < 2:
        raise ValueError("EVENTS_JOB_PRUNE_DAYS_THRESHOLD: at least 2 days, as PE (0 keeps forever)")
    return {
        "report_ttl": report_ttl,
        "resource_events_ttl": events_ttl,
        "node_ttl": parse_duration(env.get("EVENTS_NODE_TTL") or "7d", "EVENTS_NODE_TTL"),
        "node_purge_ttl": parse_duration(env.get("EVENTS_NODE_PURGE_TTL") or "14d",
                                         "EVENTS_NODE_PURGE_TTL"),
        "job_prune_days_threshold": days,
        "activity_ttl": parse_duration(env.get("EVENTS_ACTIVITY_TTL") or "0", "EVENTS_ACTIVITY_TTL"),
        "gc_interval_minutes": _minutes(env, "EVENTS_GC_INTERVAL", "60"),
    }


# Each reader below raises a ValueError naming the setting, which the console
# commands print as one line (cli/__main__.py); unset or empty = the default.
def _int(env, name: str, default: str) -> int:
    raw = env.get(name) or default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name}: expected a whole number, not {raw!r}") from None


def _float(env, name: str, default: str) -> float:
    raw = env.get(name) or default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name}: expected a number, not {raw!r}") from None


def _minutes(env, name: str, default: str) -> float:
    """A number of minutes, 0 or more (0: off)."""
    value = _float(env, name, default)
    if not 0 <= value < float("inf"):
        raise ValueError(f"{name}: expected 0 or more minutes, not {env.get(name)!r}")
    return value


def _switch(env, name: str, default: bool) -> bool:
    """A yes/no setting: `true`/`false` (also 1/0, yes/no, on/off); unset = default."""
    raw = env.get(name)
    value = (raw or "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name}: expected true or false, not {raw!r}")


def _names(raw: str | None) -> frozenset[str]:
    return frozenset(name.strip() for name in (raw or "").split(",") if name.strip())


def cert_scopes(raw: str | None) -> tuple[tuple[str, frozenset[str]], ...]:
    """EVENTS_CERT_SCOPES: `<CN>=<scope>[,<scope>...]` entries separated by `;`, e.g.
    `puppetboard.example.com=puppetdb:read;ops.example.com=puppetdb:read,activity:read`.
    A CN named twice has the union. ValueError on an entry without `=`, without a CN
    or scope, or with a scope tokens do not have (auth/tokens.py SCOPES)."""
    from .auth.tokens import SCOPES     # here: auth imports config
    granted: dict[str, set[str]] = {}
    for entry in (raw or "").split(";"):
        if not entry.strip():
            continue
        cn, equals, listed = entry.partition("=")
        scopes = [scope.strip() for scope in listed.split(",") if scope.strip()]
        if not equals or not cn.strip() or not scopes:
            raise ValueError("EVENTS_CERT_SCOPES: expected <CN>=<scope>[,<scope>...], "
                             f"not {entry.strip()!r}")
        unknown = [scope for scope in scopes if scope not in SCOPES]
        if unknown:
            raise ValueError(f"EVENTS_CERT_SCOPES: unknown scope {unknown[0]!r} for "
                             f"{cn.strip()!r}; scopes are {', '.join(SCOPES)}")
        granted.setdefault(cn.strip(), set()).update(scopes)
    return tuple((cn, frozenset(scopes)) for cn, scopes in sorted(granted.items()))


def settings() -> Settings:
    return Settings.from_environment()
