"""The console's demo loader fills an empty store once, on both adapters."""
from chalicelib.cli import demo


def test_demo_loads_into_an_empty_store_and_reports_it(store):
    assert demo.is_empty(store)
    counts = demo.load(store)
    assert counts["orchestrator events"] > 0
    assert not demo.is_empty(store)
    assert store.get_job(1).state == "finished"


def test_numbers_read_back_as_int_not_decimal(store):
    demo.load(store)
    job = store.get_job(1)
    event = store.job_events(1, 0, 1)[0]
    assert type(job.number) is int and type(job.last_event_id) is int and type(event.id) is int
    assert all(type(count) is int for count in job.node_states.values())


def test_demo_jobs_record_their_runs_in_the_activity_service(store):
    """Three jobs of three nodes: nine pe-console commits, current with the jobs' events
    (job 1 finished everywhere; job 3 still running on two nodes)."""
    from chalicelib.activity.demo import COMMITS
    from chalicelib.query.ast import EVERYTHING
    counts = demo.load(store)
    page = store.list_commits("pe-console", EVERYTHING, "asc", 100, 0)
    assert page.total == 9 and counts["activity commits"] == 9 + len(COMMITS)
    assert [c.events[0]["state"] for c in page.items] == \
        ["finished"] * 3 + ["finished", "failed", "stopped"] + ["finished", "running", "running"]
    assert page.items[0].events[0]["duration"] == 22.0
    # README's example (offset 7): job 3 on web01, running
    readme = page.items[7]
    assert readme.objects[0].id == "web01.example.com" and readme.events[0]["message"].endswith('job "3"')
