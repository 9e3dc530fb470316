"""8 threads creating jobs and appending events at once, on both adapters:
no lost event, no duplicate id, job numbers 1..N without a hole."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.factories import new_job, node_event

THREADS = 8
JOBS_PER_THREAD = 4
BATCHES_PER_JOB = 3


def _work(store, worker: int) -> list[int]:
    event_ids = []
    for _ in range(JOBS_PER_THREAD):
        job = store.create_job(new_job(("a", "b"), login=f"worker-{worker}"))
        for _ in range(BATCHES_PER_JOB):
            stored = store.append_job_events(job.number, [node_event("node_running", "a"),
                                                          node_event("node_running", "b")])
            event_ids += [e.id for e in stored]
        # A shared job that every worker appends to at the same time.
        event_ids += [e.id for e in store.append_job_events(1, [node_event("node_running", "a")])]
    return event_ids


def test_concurrent_creates_and_appends_lose_and_duplicate_nothing(store):
    shared = store.create_job(new_job(("a",)))
    assert shared.number == 1
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(lambda w: _work(store, w), range(THREADS)))
    returned = [i for ids in results for i in ids]
    jobs = THREADS * JOBS_PER_THREAD + 1

    assert len(returned) == len(set(returned))                       # no duplicate id
    numbers = [store.get_job(n) is not None for n in range(1, jobs + 2)]
    assert numbers == [True] * jobs + [False]                        # 1..N, no hole

    stored = [e.id for n in range(1, jobs + 1) for e in store.job_events(n, 0, 10_000)]
    assert sorted(stored) == sorted(returned)                        # nothing lost
    assert len(store.job_events(1, 0, 10_000)) == THREADS * JOBS_PER_THREAD


def test_ids_within_a_job_increase_in_the_order_they_were_committed(store):
    shared = store.create_job(new_job(("a",)))
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(lambda _: store.append_job_events(shared.number, [node_event("node_running", "a")]),
                      range(THREADS * 3)))
    events = store.job_events(shared.number, 0, 1000)
    assert len(events) == THREADS * 3
    # The job records the last event applied; it must be the highest id stored.
    assert store.get_job(shared.number).last_event_id == max(e.id for e in events)
