"""Reading back over HTTP everything a fault or concurrency test wrote: every page,
so a lost or duplicated write cannot hide behind a page boundary."""
from __future__ import annotations

import json
import time
from collections import defaultdict
from urllib.parse import urlencode

PAGE = 500
PDB_PAGE = 10_000     # the largest page allowed (EVENTS_MAX_PAGE_LIMIT): each page counts every match again
# A client's patience, not a timed assertion: on moto's one-request-at-a-time server,
# 8 writers contending for one counter can keep a write in the adapter's 40 retries
# (docs/faults.md) past a minute on a slow, busy machine (CI measured a 60 s timeout
# expire). A write that times out here is not retried (a commit is not idempotent),
# so the test would fail without anything being wrong.
TIMEOUT = 300


def post(http, url: str, *, json_body=None, data=None, headers=None, busy: list | None = None):
    """POST as a well-behaved client: a 503 (Retry-After) is retried. `busy`
    collects the URLs that were answered 503, for the test's report."""
    while True:
        response = http.post(url, json=json_body, data=data, headers=headers, timeout=TIMEOUT)
        if response.status_code != 503:
            return response
        assert response.headers.get("Retry-After")
        if busy is not None:
            busy.append(url)
        time.sleep(0.01)


def jobs(http, base: str) -> tuple[list[str], int]:
    """(every job name in the listing, the listing's pagination total)."""
    names, offset = [], 0
    while True:
        page = http.get(f"{base}/orchestrator/v1/jobs?order_by=name&limit={PAGE}&offset={offset}",
                        timeout=TIMEOUT).json()
        names += [job["name"] for job in page["items"]]
        total = page["pagination"]["total"]
        offset += PAGE
        if offset >= total:
            return names, total


def job_events(http, base: str, job: str) -> list[dict]:
    """Every event of a job, following next-events as a poller does."""
    found, url = [], f"{base}/orchestrator/v1/jobs/{job}/events"
    while True:
        page = http.get(url, timeout=TIMEOUT).json()
        if not page["items"]:
            return found
        found += page["items"]
        url = page["next-events"]["id"]


def commits(http, base: str, service: str | None = None) -> tuple[list[dict], int]:
    """(every commit, oldest first; the pagination total) of a service or of all."""
    found, offset = [], 0
    service_param = {"service_id": service} if service else {}
    while True:
        query = urlencode({**service_param, "order": "asc", "limit": PAGE, "offset": offset})
        page = http.get(f"{base}/activity-api/v2/events?{query}", timeout=TIMEOUT).json()
        found += page["commits"]
        total = page["pagination"]["total"]
        offset += PAGE
        if offset >= total:
            return found, total


def pdb_total(http, base: str) -> int:
    """PuppetDB's count of every stored resource event (include-total, X-Records)."""
    query = urlencode({"query": json.dumps(["~", "certname", "."]), "include-total": "true",
                       "limit": 1})
    response = http.get(f"{base}/experimental/events?{query}", timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return int(response.headers["X-Records"])


def pdb_events_by_report(http, base: str) -> dict[tuple[str, str], list[dict]]:
    """(certname, configuration-version) -> that report's stored events."""
    grouped: dict[tuple[str, str], list[dict]] = defaultdict(list)
    total, offset = None, 0
    while total is None or offset < total:
        query = urlencode({"query": json.dumps(["~", "certname", "."]), "include-total": "true",
                           "limit": PDB_PAGE, "offset": offset})
        response = http.get(f"{base}/experimental/events?{query}", timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        total = int(response.headers["X-Records"])
        for event in response.json():
            grouped[(event["certname"], event["configuration-version"])].append(event)
        offset += PDB_PAGE
    return grouped
