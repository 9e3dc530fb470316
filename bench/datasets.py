"""Seeded data sets with the shapes of real Puppet output (tests/fixtures/puppetdb,
../shared/fixtures/puppet): PuppetDB store_report v8 bodies, activity commits and
orchestrator jobs. Everything is generated from a seed, so runs are comparable."""
from __future__ import annotations

import copy
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from chalicelib.activity.model import Entity, NewCommit
from chalicelib.orchestrator.model import NewJob, NewJobEvent

FIXTURES = Path(__file__).parents[1] / "tests" / "fixtures" / "puppetdb"
EPOCH = datetime(2026, 10, 1, tzinfo=timezone.utc)
DAYS = 30
RESOURCE_TYPES = ("File", "Package", "Service", "Exec", "Notify", "User", "Group", "Cron",
                  "Mount", "Host")
PROPERTIES = {"File": ("ensure", "content", "mode", "owner"), "Package": ("ensure",),
              "Service": ("ensure", "enable"), "Exec": ("returns",), "Notify": ("message",),
              "User": ("ensure", "shell"), "Group": ("ensure",), "Cron": ("command",),
              "Mount": ("ensure",), "Host": ("ip",)}
CLASSES = ("Profile::Base", "Profile::Web", "Profile::Db", "Role::App", "Ntp", "Ssh", "Users")


def certname(i: int) -> str:
    return f"node{i:05d}.dc{i % 4}.example.com"


def _time(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+00:00"


def _template() -> dict:
    """The body of the first fixture report: its top-level keys, logs and metrics."""
    body = json.loads((FIXTURES / "store_report_v8_1.json").read_text())["body"]
    return body


# ---------------------------------------------------------------- PuppetDB

def reports(total_events: int, nodes: int = 5000, seed: int = 1) -> Iterator[dict]:
    """store_report v8 bodies: 5-60 events each, a few percent failures/skips/noops,
    producer timestamps spread over 30 days, nodes round-robin (about 6 runs each
    per 1M events, so `latest-report` is a sixth of the events)."""
    rng = random.Random(seed)
    template = _template()
    template.pop("resources")
    made = 0
    index = 0
    runs = max(1, round(total_events / 32.5 / nodes))      # runs per node
    width = DAYS * 86400 / runs
    while made < total_events:
        count = min(rng.randint(5, 60), total_events - made)
        node = certname(index % nodes)
        run = index // nodes
        # Each node's runs move forward in time: run k of a node falls in time slice k.
        start = EPOCH + timedelta(seconds=(run % runs) * width + rng.uniform(0, width))
        body = copy.copy(template)
        body.update(certname=node, producer=node, configuration_version=str(1795324011 + index),
                    transaction_uuid=f"{rng.getrandbits(128):032x}",
                    start_time=_time(start), end_time=_time(start + timedelta(seconds=20)),
                    producer_timestamp=_time(start + timedelta(seconds=21)))
        body["resources"] = [_resource(rng, start + timedelta(milliseconds=10 * i), node, i)
                             for i in range(count)]
        body["status"] = "failed" if any(e["status"] == "failure" for r in body["resources"]
                                         for e in r["events"]) else "changed"
        made += count
        index += 1
        yield body


def _resource(rng: random.Random, when: datetime, node: str, i: int) -> dict:
    kind = RESOURCE_TYPES[min(int(rng.expovariate(0.5)), len(RESOURCE_TYPES) - 1)]
    title = (f"/etc/app/{rng.randrange(400)}.conf" if kind == "File"
             else f"{kind.lower()}-{rng.randrange(300)}")
    klass = rng.choice(CLASSES)
    resource = {"skipped": False, "timestamp": _time(when), "resource_type": kind,
                "resource_title": title, "file": f"/etc/puppetlabs/code/modules/{klass.lower()}.pp",
                "line": rng.randrange(1, 400),
                "containment_path": ["Stage[main]", klass, f"{kind}[{title}]"],
                "corrective_change": False}
    roll = rng.random()
    if roll < 0.02:
        resource["skipped"] = True
        resource["events"] = []
        return resource
    status = "failure" if roll < 0.05 else "noop" if roll < 0.08 else "success"
    prop = rng.choice(PROPERTIES[kind])
    resource["events"] = [{"status": status, "timestamp": _time(when), "name": f"{prop}_changed",
                           "property": prop, "new_value": "present" if status != "failure" else "1.2.3",
                           "old_value": "absent", "corrective_change": False,
                           "message": (f"change from 'absent' to 'present' failed: {node} {i}"
                                       if status == "failure" else f"{prop} changed 'absent' to 'present'")}]
    return resource


# ---------------------------------------------------------------- activity

SERVICES = ("classifier", "rbac", "puppet-ca", "pe-console", "code-manager")
_OBJECT_KINDS = {"classifier": "node_groups", "rbac": "users", "puppet-ca": "node",
                 "pe-console": "node", "code-manager": "environment"}


def commits(total: int, seed: int = 2) -> Iterator[NewCommit]:
    rng = random.Random(seed)
    users = [Entity(f"{rng.getrandbits(128):032x}", f"user{i}", "users") for i in range(200)]
    step = DAYS * 86400 / total
    for i in range(total):
        service = SERVICES[min(int(rng.expovariate(0.7)), 4)]
        kind = _OBJECT_KINDS[service]
        objects = tuple({_object(rng, kind) for _ in range(rng.choice((1, 1, 1, 2, 3)))})
        when = EPOCH + timedelta(seconds=i * step + rng.uniform(0, step))
        events = tuple({"type": "edit", "what": kind, "description": f"edit_{kind}",
                        "message": f"Changed {o.name}"} for o in objects)
        yield NewCommit(service, rng.choice(users), objects,
                        when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z", events,
                        f"10.{rng.randrange(4)}.{rng.randrange(256)}.{rng.randrange(256)}")


def _object(rng: random.Random, kind: str) -> Entity:
    if kind == "node":
        name = certname(rng.randrange(5000))
        return Entity(name, name, "node")
    n = rng.randrange(300 if kind != "environment" else 20)
    return Entity(f"{kind}-{n:04d}", f"{kind} {n}", kind)


# ---------------------------------------------------------------- orchestrator

def jobs(count: int, total_events: int, seed: int = 3) -> Iterator[tuple[NewJob, list[list[NewJobEvent]]]]:
    """Jobs with their events in requests of at most 40. One job in 1,000 is large
    (a hundredth of all events), the others share the rest evenly."""
    rng = random.Random(seed)
    large = max(1, count // 1000)
    large_events = total_events // 100
    small_events = max(1, (total_events - large * large_events) // max(1, count - large))
    for number in range(1, count + 1):
        node_count = 50 if number % 1000 == 500 else rng.randint(1, 30)
        spec = NewJob(type=rng.choice(("deploy", "task", "plan_task")),
                      environment=rng.choice(("production", "staging", "dev")),
                      owner_id=f"{rng.randrange(40):032x}", owner_login=f"user{rng.randrange(40)}",
                      description=f"bench job {number}",
                      nodes=tuple(certname(n) for n in rng.sample(range(5000), node_count)),
                      options={"noop": False, "environment": "production"},
                      timestamp=_stored(EPOCH + timedelta(seconds=number * 200)))
        events = large_events if number % 1000 == 500 else small_events
        yield spec, list(_job_events(spec, events, rng, number))


def _stored(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def _job_events(spec: NewJob, count: int, rng: random.Random, number: int) -> Iterator[list[NewJobEvent]]:
    when = _stored(EPOCH + timedelta(seconds=number * 200 + 1))
    batch: list[NewJobEvent] = []
    for _ in range(count):
        node = rng.choice(spec.nodes)
        batch.append(NewJobEvent("node_running", when, {"node": node, "detail": {"noop": False}},
                                 f"Started puppet run on {node} ..."))
        if len(batch) == 40:
            yield batch
            batch = []
    if batch:
        yield batch
