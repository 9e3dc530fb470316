"""A small, realistic demo data set, so the README's curl examples return data."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .. import timestamps
from ..config import settings
from ..query.ast import EVERYTHING
from ..activity.demo import load_activity
from ..orchestrator.model import NewJob, NewJobEvent

START = datetime(2016, 5, 5, 19, 50, 0, tzinfo=timezone.utc)
NODES = ("puppet-agent.example.com", "web01.example.com", "db01.example.com")


def _at(seconds: float) -> str:
    return timestamps.stored(START + timedelta(seconds=seconds))


def load_orchestrator(store) -> int:
    """Three jobs: one finished, one failed, one still running. Returns events stored.
    Each job records its runs in the activity service (`pe-console`, one commit per
    node) as a job created through the API does, unless EVENTS_RECORD_JOB_ACTIVITY
    turns that off."""
    record = settings().record_job_activity
    outcomes = [("node_finished", "node_finished", "node_finished"),
                ("node_finished", "node_failed", "node_skipped"),
                ("node_finished", None, None)]
    stored = 0
    for index, outcome in enumerate(outcomes):
        offset = index * 600
        job = store.create_job(NewJob(
            type="deploy", environment="production", owner_id="42bf351c-f9ec-40af-84ad-e976fec7f4bd",
            owner_login="admin", description=f"deploy run {index + 1}", nodes=NODES,
            options={"noop": False, "concurrency": 2, "scope": {"nodes": list(NODES)}},
            timestamp=_at(offset)), record_activity=record)
        events = [NewJobEvent("node_running", _at(offset + 8 + i),
                              {"node": node, "detail": {"noop": False}},
                              f"Started puppet run on {node} ...")
                  for i, node in enumerate(NODES)]
        for i, (node, result) in enumerate(zip(NODES, outcome)):
            if result is None:
                continue
            detail = {"noop": False, "status": "changed" if result == "node_finished" else "failed",
                      "environment": "production", "configuration_version": "1462477800"}
            events.append(NewJobEvent(result, _at(offset + 30 + i), {"node": node, "detail": detail},
                                      f"Finished puppet run on {node} - {detail['status']}"
                                      if result != "node_skipped" else f"Skipped puppet run on {node}"))
        if None not in outcome:
            events.append(NewJobEvent("job_finished", _at(offset + 40), {}, "Job finished"))
        stored += len(store.append_job_events(job.number, events))
    return stored


def is_empty(store) -> bool:
    return store.get_job(1) is None


def load(store) -> dict[str, int]:
    from ..puppetdb.demo import load_puppetdb
    counts = {"orchestrator events": load_orchestrator(store),
              "puppetdb events": load_puppetdb(store),
              "activity commits": load_activity(store)}
    # The jobs' own commits (load_orchestrator) count as activity commits too.
    counts["activity commits"] = store.list_commits(None, EVERYTHING, "asc", 1, 0).total
    return counts
