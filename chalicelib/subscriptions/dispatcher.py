"""The local dispatcher: a daemon thread beside `chalice local` (`make run`) that
turns SQLite outbox rows into deliveries and sends them (delivery.dispatch).

It polls every POLL_SECONDS, so an event reaches its receiver well inside the 2 s
the issue asks; all of its state is in the SQLite file, so a restart resumes where
the last process stopped (a delivery cut off mid-send is sent again, same id).
EVENTS_SUBSCRIPTION_DISPATCHER=false turns it off (e.g. a second server on the file).
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time

from ..config import settings
from . import delivery

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1
OUTBOX_BATCH = 500
# The thread shares the GIL (and SQLite's one writer) with the request threads: it
# works in small cycles and, after a busy one, rests for the CPU time it used, so a
# backlog takes at most about half of the process from ingest (docs/performance.md,
# "Subscriptions").
MAX_REST_SECONDS = 0.5
THREAD_BATCH = 20           # outbox rows per cycle of the thread
THREAD_PER_GROUP = 10       # deliveries of one group per cycle of the thread
_started: list["Dispatcher"] = []


def drain_outbox(store, clock=time.time, limit: int = OUTBOX_BATCH) -> int:
    """Outbox rows -> deliveries (filters applied, CloudEvents fixed); rows handled."""
    rows = store.take_outbox(limit)
    if not rows:
        return 0
    deliveries = delivery.fan_out(store.list_subscriptions(), [r for _, r in rows], clock())
    store.fanned_out([i for i, _ in rows], deliveries)
    return len(rows)


def cycle(store, clock=time.time, config=None, outbox_limit: int | None = None,
          per_group: int = delivery.PER_GROUP) -> int:
    """One pass: drain the outbox (all of it, or `outbox_limit` rows), send what is
    due (up to `per_group` of each group). Work done (0 = idle)."""
    moved = 0
    while True:
        drained = drain_outbox(store, clock, outbox_limit or OUTBOX_BATCH)
        moved += drained
        if outbox_limit or drained < OUTBOX_BATCH:
            break
    return moved + delivery.dispatch(store, clock, config, per_group=per_group)


class Dispatcher(threading.Thread):
    def __init__(self, store, clock=time.time, config=None, poll: float = POLL_SECONDS):
        super().__init__(name="subscription-dispatcher", daemon=True)
        self.store, self.clock, self.config, self.poll = store, clock, config, poll
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            started = time.thread_time()
            try:
                busy = cycle(self.store, self.clock, self.config, THREAD_BATCH, THREAD_PER_GROUP)
            except Exception:        # a bad cycle must not end deliveries for good
                log.exception("subscription dispatcher cycle failed")
                busy = 0
            # Rest for the CPU time the cycle used (not its wall time: waiting on a slow
            # receiver holds no GIL and must not delay the other groups).
            worked = min(time.thread_time() - started, MAX_REST_SECONDS)
            self.stopping.wait(worked if busy else self.poll)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)


def start_local() -> Dispatcher | None:
    """Start the thread under `chalice local` on the SQLite `local` stage (chalice sets
    the stage's variables before importing app.py, and AWS_CHALICE_CLI_MODE); never
    in Lambda, the test client, or `chalice package`."""
    if os.environ.get("AWS_CHALICE_CLI_MODE") != "true" or "local" not in sys.argv[1:2] \
            or _started:
        return None
    config = settings()
    if config.stage != "local" or config.storage != "sqlite" or not config.subscription_dispatcher:
        return None
    from ..storage import get_storage
    dispatcher = Dispatcher(get_storage(), config=config)
    dispatcher.start()
    _started.append(dispatcher)
    return dispatcher
