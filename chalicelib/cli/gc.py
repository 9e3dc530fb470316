"""`python -m chalicelib.cli gc`: one retention pass over the configured store
(chalicelib/retention.py), or with `--every MINUTES` one pass per interval (what
`make run` starts beside `chalice local`: PuppetDB's gc-interval, 60 by default).

The periodic form stops by itself when the process that started it ends (its
parent changes), so `make run`'s collector never outlives the server."""
from __future__ import annotations

import json
import logging
import os
import sys
import time

from .. import retention

LOG = logging.getLogger("puppet_events.gc")
# Seconds the SQLite collector sleeps between batches in the periodic form, so
# writers waiting on the lock get it between two batches.
PAUSE = 0.01


def run(store, config, where: str, every: float | None = None, out=None) -> int:
    out = out or sys.stdout
    if every is None:
        counts = retention.collect(store, config)
        print(f"gc: {where}: " + ", ".join(f"{n} {k.replace('_', ' ')}"
                                           for k, n in counts.items()), file=out)
        return 0
    if every <= 0:
        print("gc: EVENTS_GC_INTERVAL is 0: no periodic collection", file=out)
        return 0
    parent = os.getppid()
    options = {"pause": PAUSE} if config.storage == "sqlite" else {}
    # The first pass one interval after start, as a scheduled job: what was just
    # loaded (make run's demo) is there to look at first.
    next_pass = time.monotonic() + every * 60
    try:
        while os.getppid() == parent:
            if time.monotonic() >= next_pass:
                try:
                    counts = retention.collect(store, config, **options)
                    print(json.dumps({"gc": where, **counts}), file=out, flush=True)
                except Exception:       # a failed pass is logged; the next runs on time
                    LOG.exception("gc pass failed")
                next_pass = time.monotonic() + every * 60
            time.sleep(1)
    except KeyboardInterrupt:           # Ctrl-C on `make run` reaches it too
        pass
    return 0
