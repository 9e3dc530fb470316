"""8 writers at once per API against a real `chalice local` (threaded: one thread
per connection), on SQLite and on DynamoDB (moto server, one request at a time
as DynamoDB applies each atomically): nothing acknowledged is lost, nothing is
stored twice, job numbers have no gap, event ids are unique and increase in
commit order, and every total is exact.

Sizes: 8 x 500 writes per API on SQLite (about 40 s per API here). On DynamoDB
8 x 8: moto copies a whole table for every transaction and its server must apply
one request at a time, so writers contending for one counter (job numbers, a
service's sequence) get a few writes per second on this 2-core machine; 8 x 8 per
API already takes about a minute (docs/faults.md has the measurements). The
contention, 8 writers on one counter, is the same at either size.
"""
from __future__ import annotations

import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import payloads
from tests.e2e import readback

pytestmark = pytest.mark.e2e

WRITERS = 8
WRITES = {"sqlite": 500, "dynamodb": 8}


@pytest.fixture
def writes(request) -> int:
    return WRITES[request.node.callspec.params["served"]]


def _at_once(work) -> tuple[list, float]:
    started = time.monotonic()
    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(pool.map(work, range(WRITERS)))
    return results, time.monotonic() - started


def _report(name: str, count: int, seconds: float, busy: list) -> None:
    print(f"\n{name}: {count} writes by {WRITERS} writers in {seconds:.1f} s; "
          f"{len(busy)} answered 503 and retried")


def test_orchestrator_jobs_and_events_from_8_writers(served, http, writes):
    """Even writes create jobs; odd ones post 2 events to the shared job 1 or to
    the writer's own first job (8 writers contend for job 1's version)."""
    shared = http.post(f"{served}/orchestrator/v1/jobs", json=payloads.job_payload(), timeout=60).json()
    hot = shared["job"]["name"]
    busy: list = []

    def writer(w: int):
        created, posted, own = [], [], None
        for i in range(writes):
            if i % 2 == 0:
                response = readback.post(http, f"{served}/orchestrator/v1/jobs",
                                         json_body=payloads.job_payload(), busy=busy)
                assert response.status_code == 201, response.text
                created.append(response.json()["job"]["name"])
                own = own or created[0]
                continue
            job, marker = (hot if i % 4 == 1 else own), f"w{w}-{i}"
            response = readback.post(http, f"{served}/orchestrator/v1/jobs/{job}/events",
                                     json_body=payloads.job_events(marker), busy=busy)
            assert response.status_code == 201, response.text
            posted.append((job, marker, [int(e["id"]) for e in response.json()["items"]]))
        return created, posted

    results, seconds = _at_once(writer)
    _report("orchestrator", WRITERS * writes, seconds, busy)

    created = [name for names, _ in results for name in names]
    names, total = readback.jobs(http, served)
    assert len(created) == len(set(created)) == WRITERS * ((writes + 1) // 2)
    assert total == len(names) == len(created) + 1
    assert sorted(int(n) for n in names) == list(range(1, total + 1))     # no gap, no repeat
    assert set(created) | {hot} == set(names)

    acknowledged = defaultdict(Counter)          # job -> message -> times acknowledged
    returned_ids = {}
    for _, posted in results:
        for job, marker, ids in posted:
            acknowledged[job].update({f"{marker}/0": 1, f"{marker}/1": 1})
            returned_ids[marker] = ids
    every_id = []
    for job, wanted in acknowledged.items():
        events = readback.job_events(http, served, job)
        ids = [int(e["id"]) for e in events]
        assert ids == sorted(ids)
        assert Counter(e["message"] for e in events) == wanted          # none lost, none twice
        for e in events:
            marker = e["message"].rsplit("/", 1)[0]
            assert int(e["id"]) in returned_ids[marker]
        every_id += ids
    assert len(every_id) == len(set(every_id)) == 2 * sum(len(p) for _, p in results)
    for _, posted in results:                   # one writer's posts to job 1: later = larger ids
        on_hot = [ids for job, _, ids in posted if job == hot]
        assert on_hot == sorted(on_hot)


def test_activity_commits_from_8_writers(served, http, writes):
    """Half the commits go to one shared service (8 writers contend for its
    sequence), half to the writer's own service."""
    busy: list = []

    def writer(w: int):
        sent = []
        for i in range(writes):
            service, marker = ("shared" if i % 2 == 0 else f"own-{w}"), f"w{w}-{i}"
            response = readback.post(http, f"{served}/activity-api/v2/events",
                                     json_body=payloads.commit(marker, service=service), busy=busy)
            assert response.status_code == 201, response.text
            sent.append((service, marker))
        return sent

    results, seconds = _at_once(writer)
    _report("activity", WRITERS * writes, seconds, busy)

    everything, total = readback.commits(http, served)
    # The jobs created earlier in this module recorded their runs under pe-console.
    _, job_commits = readback.commits(http, served, "pe-console")
    assert total == len(everything) == WRITERS * writes + job_commits
    by_service = defaultdict(list)
    for sent in results:
        for service, marker in sent:
            by_service[service].append(marker)
    for service, markers in by_service.items():
        stored, service_total = readback.commits(http, served, service)
        subjects = [c["subject"]["id"] for c in stored]
        assert service_total == len(markers)
        assert Counter(subjects) == Counter(markers)                  # each once
        for w in range(WRITERS):                 # ascending order = each writer's commit order
            own = [s for s in subjects if s.startswith(f"w{w}-")]
            assert own == [m for m in markers if m.startswith(f"w{w}-")]


def test_puppetdb_reports_from_8_writers_with_duplicates(served, http, writes):
    """Every 10th command of every writer is the same shared report (8 copies at
    about the same moment); the rest are distinct. Each report has 3 events."""
    busy: list = []

    def writer(w: int):
        sent = []
        for i in range(writes):
            certname, run = ("shared.example", i // 10) if i % 10 == 0 else (f"node-{w}.example", i)
            response = readback.post(http, served + payloads.report_path(certname),
                                     data=payloads.report_bytes(certname, run),
                                     headers=payloads.JSON, busy=busy)
            assert response.status_code == 200, response.text
            sent.append((certname, f"run-{run}"))
        return sent

    results, seconds = _at_once(writer)
    _report("puppetdb", WRITERS * writes, seconds, busy)

    distinct = {report for sent in results for report in sent}
    assert len(distinct) == WRITERS * (writes - (writes + 9) // 10) + (writes + 9) // 10
    assert readback.pdb_total(http, served) == 3 * len(distinct)
    stored = readback.pdb_events_by_report(http, served)
    assert set(stored) == distinct
    assert {len(events) for events in stored.values()} == {3}          # whole, and once
