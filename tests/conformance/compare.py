"""How an answer of PuppetDB and one of the service are put side by side.

An answer becomes (status, media type, charset, X-Records, body); a JSON body has
report hashes replaced by `report:<certname>@<start_time>` (the service computes
PuppetDB's own hashes, test_the_service_computes_puppetdbs_own_report_hashes; the
labels make a differing answer readable), the fields DIFFERENCES masks removed, and, unless the
request's `order_by` fixes the order, its list items sorted.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

HASH = re.compile(r"\b[0-9a-f]{40}\b")


@dataclass(frozen=True)
class Case:
    """One request. `{a1}`-style names in path, params and body stand for a report
    (REPORTS), spelled with each side's own hash."""
    name: str
    path: str
    params: dict = field(default_factory=dict)
    method: str = "GET"
    body: object = None          # JSON (dict) or raw text
    headers: dict = field(default_factory=dict)
    ordered: bool = False        # order_by fixes the whole order

    def id(self) -> str:
        return self.name


@dataclass(frozen=True)
class Answer:
    status: int
    media_type: str
    charset: str | None
    records: str | None
    body: object


def content_type(value: str | None) -> tuple[str, str | None]:
    if not value:
        return "", None
    parts = [p.strip() for p in value.split(";")]
    params = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    return parts[0].lower(), (params.get("charset") or "").lower() or None


def _map_hashes(value, names: dict[str, str]):
    if isinstance(value, str):
        return HASH.sub(lambda m: names.get(m.group(0), "report:UNKNOWN"), value)
    if isinstance(value, list):
        return [_map_hashes(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _map_hashes(v, names) for k, v in value.items()}
    return value


def _mask(value, masked: frozenset[str]):
    if isinstance(value, list):
        return [_mask(v, masked) for v in value]
    if isinstance(value, dict):
        return {k: _mask(v, masked) for k, v in value.items() if k not in masked}
    return value


def normalise(status: int, headers: dict, raw: bytes, names: dict[str, str], *,
              masked: frozenset[str], ordered: bool) -> Answer:
    media_type, charset = content_type(headers.get("content-type"))
    text = raw.decode("utf-8", errors="replace")
    body: object = text.strip()
    if media_type == "application/json":
        try:
            body = json.loads(text)
        except ValueError:
            pass
    body = _mask(_map_hashes(body, names), masked)
    if isinstance(body, list) and not ordered:
        body = sorted(body, key=lambda item: json.dumps(item, sort_keys=True))
    return Answer(status, media_type, charset, headers.get("x-records"), body)
