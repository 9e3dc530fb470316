"""A small, realistic demo data set, so the README's curl examples return data."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from .. import timestamps
from ..config import settings
from ..activity.demo import COMMITS, load_activity
from ..orchestrator.model import NewJob, NewJobEvent
from ..query.ast import EVERYTHING

START = datetime(2016, 5, 5, 19, 50, 0, tzinfo=timezone.utc)
NODES = ("puppet-agent.example.com", "web01.example.com", "db01.example.com")


def _at(seconds: float) -> str:
    return timestamps.stored(START + timedelta(seconds=seconds))


def orchestrator_jobs() -> list[tuple[NewJob, list[NewJobEvent]]]:
    """Three jobs, with their events: one finished, one failed, one still running."""
    outcomes = [("node_finished", "node_finished", "node_finished"),
                ("node_finished", "node_failed", "node_skipped"),
                ("node_finished", None, None)]
    jobs = []
    for index, outcome in enumerate(outcomes):
        offset = index * 600
        job = NewJob(
            type="deploy", environment="production", owner_id="42bf351c-f9ec-40af-84ad-e976fec7f4bd",
            owner_login="admin", description=f"deploy run {index + 1}", nodes=NODES,
            options={"noop": False, "concurrency": 2, "scope": {"nodes": list(NODES)}},
            timestamp=_at(offset))
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
        jobs.append((job, events))
    return jobs


def load_orchestrator(store) -> int:
    """orchestrator_jobs() into the store. Returns events stored. Each job records its
    runs in the activity service (`pe-console`, one commit per node) as a job created
    through the API does, unless EVENTS_RECORD_JOB_ACTIVITY turns that off."""
    record = settings().record_job_activity
    stored = 0
    for new_job, events in orchestrator_jobs():
        job = store.create_job(new_job, record_activity=record)
        stored += len(store.append_job_events(job.number, events))
    return stored


def is_empty(store) -> bool:
    """No job, no PuppetDB report and no activity commit."""
    return (store.get_job(1) is None
            and not store.find_reports(EVERYTHING, (("hash", "asc"),), 0, 1,
                                       with_total=False).items
            and not store.list_commits(None, EVERYTHING, "desc", 1, 0).items)


def is_loaded(store) -> bool:
    """The demo is there: job 1 is the demo's first job (a store the demo was loaded
    into when empty; `make run` does that)."""
    job, first = store.get_job(1), orchestrator_jobs()[0][0]
    return job is not None and (job.description, job.owner_id, job.nodes, job.created_timestamp) \
        == (first.description, first.owner_id, first.nodes, first.timestamp)


def contents() -> dict[str, int]:
    """What load() adds, without storing it."""
    from ..puppetdb.demo import demo_reports
    jobs = orchestrator_jobs()
    reports = demo_reports()
    return {"orchestrator jobs": len(jobs),
            "orchestrator events": sum(len(events) for _, events in jobs),
            "puppetdb reports": len(reports),
            "puppetdb events": sum(len(r.events) for r in reports),
            "activity commits": len(COMMITS)
            + (len(jobs) * len(NODES) if settings().record_job_activity else 0)}


def load(store) -> dict[str, int]:
    from ..puppetdb.demo import load_puppetdb
    commits_before = store.list_commits(None, EVERYTHING, "asc", 1, 0).total
    counts = {"orchestrator events": load_orchestrator(store),
              "puppetdb events": load_puppetdb(store),
              "activity commits": load_activity(store)}
    # The jobs' own commits (load_orchestrator) count as activity commits too.
    counts["activity commits"] = \
        store.list_commits(None, EVERYTHING, "asc", 1, 0).total - commits_before
    return counts


def run(store, where: str, *, if_empty: bool = False, add: bool = False) -> int:
    """`demo`: loads the demo into an empty store only, so running it twice (or
    `make demo` after `make run`) adds nothing; a store with other data is told what
    would be added, and gets it with --add."""
    if is_loaded(store):
        print(f"demo data: already loaded in {where}; nothing added")
        return 0
    if not is_empty(store):
        if if_empty:
            print(f"demo data: the store at {where} already has data; left as it is")
            return 0
        if not add:
            would = ", ".join(f"{n} {what}" for what, n in contents().items())
            print(f"demo data: the store at {where} holds other data; the demo would add "
                  f"{would}. Nothing added; run `python -m chalicelib.cli demo --add` to add it.")
            return 0
    counts = load(store)
    print(f"demo data loaded into {where}: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
    return 0
