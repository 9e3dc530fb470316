"""SQLite: `chalice local` SIGKILLed in the middle of a stream of writes, three
times, restarted on the same file each time. Every report, commit and job-event
batch that was acknowledged is there whole; one cut off by the kill is whole or
absent, never part; and the database passes PRAGMA integrity_check."""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import threading
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest
import requests

from tests import payloads
from tests.e2e import readback
from tests.e2e.conftest import start_chalice

pytestmark = pytest.mark.e2e

KILLS = 3
EVENTS = 20            # per report, commit and job-event batch: a big write to cut in half
ACKS_BEFORE_KILL = (15, 45)


def _session(base: str, env: dict) -> requests.Session:
    """The one place this module makes its HTTP session (contract 1)."""
    from tests.e2e import conftest
    authorised = getattr(conftest, "authorised_session", None)
    return authorised(base, "sqlite", env) if authorised else requests.Session()


def _chalice_pid(process) -> int:
    """start_chalice runs `timeout ... chalice local`: the server is its child."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


class Stream:
    """Three writers (reports, commits, job events) posting until the server dies.
    Each write is `acked` (2xx seen) or `cut` (the connection died under it)."""

    def __init__(self, http, base: str, cycle: int, job: str):
        self.http, self.base, self.cycle, self.job = http, base, cycle, job
        self.acked: list[tuple[str, str]] = []
        self.cut: list[tuple[str, str]] = []
        self.refused: list[tuple] = []        # answered, but not 2xx: must stay empty
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(kind,), daemon=True)
                        for kind in ("report", "commit", "job-events")]

    def _send(self, kind: str, i: int) -> tuple[str, requests.Response]:
        marker = f"c{self.cycle}-{kind}-{i}"
        if kind == "report":
            return marker, self.http.post(self.base + payloads.report_path(marker),
                                          data=payloads.report_bytes(marker, i, EVENTS),
                                          headers=payloads.JSON, timeout=30)
        if kind == "commit":
            return marker, self.http.post(f"{self.base}/activity-api/v2/events",
                                          json=payloads.commit(marker, events=EVENTS), timeout=30)
        return marker, self.http.post(f"{self.base}/orchestrator/v1/jobs/{self.job}/events",
                                      json=payloads.job_events(marker, EVENTS), timeout=30)

    def _run(self, kind: str) -> None:
        for i in range(10_000):
            try:
                marker, response = self._send(kind, i)
            except requests.RequestException:       # refused, reset, or cut mid-answer
                with self._lock:
                    self.cut.append((kind, f"c{self.cycle}-{kind}-{i}"))
                return
            with self._lock:
                if response.status_code in (200, 201):
                    self.acked.append((kind, marker))
                else:
                    self.refused.append((kind, response.status_code, response.text))

    def acks(self) -> int:
        with self._lock:
            return len(self.acked)


def _kill_mid_stream(http, base: str, process, cycle: int, job: str) -> Stream:
    stream = Stream(http, base, cycle, job)
    for thread in stream.threads:
        thread.start()
    target = random.Random(cycle).randint(*ACKS_BEFORE_KILL)
    while stream.acks() < target and any(t.is_alive() for t in stream.threads):
        threading.Event().wait(0.005)
    os.kill(_chalice_pid(process), signal.SIGKILL)
    process.wait(timeout=10)
    for thread in stream.threads:
        thread.join(timeout=30)
    return stream


def _stored(http, base: str, jobs: list[str]) -> Counter:
    """(kind, marker) -> events stored for it."""
    found = Counter()
    for (certname, _), events in readback.pdb_events_by_report(http, base).items():
        found[("report", certname)] += len(events)
    for commit in readback.commits(http, base, "faults")[0]:
        found[("commit", commit["subject"]["id"])] += len(commit["events"])
    # Each job's own pe-console commits (one per node) were acknowledged with the job.
    for commit in readback.commits(http, base, "pe-console")[0]:
        found[("job-commit", commit["objects"][0]["id"])] += 1
    for job in jobs:
        for event in readback.job_events(http, base, job):
            found[("job-events", event["message"].rsplit("/", 1)[0])] += 1
    return found


def test_writes_survive_sigkill_whole_or_not_at_all(tmp_path):
    database = tmp_path / "events.db"
    env = {"EVENTS_SQLITE_PATH": str(database)}
    acked, cut, refused, jobs = [], [], [], []
    for cycle in range(KILLS + 1):
        process, base = start_chalice("local", env, tmp_path)
        with _session(base, env) as http:
            if cycle == KILLS:       # the last start only reads back
                stored = _stored(http, base, jobs)
                process.terminate()
                process.wait(timeout=10)
                break
            created = http.post(f"{base}/orchestrator/v1/jobs",
                                json=payloads.job_payload(), timeout=30)
            jobs.append(created.json()["job"]["name"])
            stream = _kill_mid_stream(http, base, process, cycle, jobs[-1])
            acked += stream.acked
            cut += stream.cut
            refused += stream.refused

    assert refused == []
    assert len(acked) >= KILLS * ACKS_BEFORE_KILL[0] and cut      # the kills did land mid-stream
    for write in acked:
        assert stored[write] == EVENTS, write                     # acknowledged: whole
    for write in cut:
        assert stored[write] in (0, EVENTS), write                # cut off: whole or absent
    job_commits = {w: n for w, n in stored.items() if w[0] == "job-commit"}
    assert job_commits == {("job-commit", node): len(jobs)
                           for node in payloads.job_payload()["nodes"]}
    assert set(stored) - set(job_commits) <= set(acked) | set(cut)
    print(f"\n{KILLS} kills: {len(acked)} writes acknowledged, {len(cut)} cut off "
          f"({sum(1 for w in cut if stored[w])} of them stored whole)")
    with closing(sqlite3.connect(database)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
