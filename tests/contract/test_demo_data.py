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
def _totals(store):
    from chalicelib.query.ast import EVERYTHING
    return (store.list_jobs(EVERYTHING, "name", "asc", 1000, 0).total,
            store.find_events(EVERYTHING, (("report", "asc"), ("seq", "asc")), 0, None).total,
            store.list_commits(None, EVERYTHING, "desc", 1000, 0).total)


def test_running_demo_twice_adds_nothing_the_second_time(store, capsys):
    assert demo.run(store, "here") == 0
    loaded = _totals(store)
    assert loaded[0] == 3 and all(loaded)
    assert demo.run(store, "here") == 0
    assert demo.run(store, "here", if_empty=True) == 0
    assert _totals(store) == loaded
    assert "already loaded in here; nothing added" in capsys.readouterr().out


def test_a_store_with_other_data_is_told_what_the_demo_would_add(store, capsys):
    from tests.factories import new_job
    store.create_job(new_job())
    before = _totals(store)
    assert demo.run(store, "here") == 0
    out = capsys.readouterr().out
    assert _totals(store) == before
    assert "holds other data" in out and "3 orchestrator jobs" in out and "--add" in out
    assert "activity commits" in out and "8 puppetdb events" in out
    assert demo.run(store, "here", add=True) == 0
    assert _totals(store)[0] == before[0] + 3


def test_the_demo_answers_document_002s_third_example(store):
    """'failed' events of foo.* on Services: the demo has one (as Puppet writes it)."""
    from chalicelib.query.ast import And, Compare, Match
    demo.load(store)
    where = And((Compare("status", "=", "failure"), Match("certname", "^foo\\."),
                 Compare("resource_type", "=", "Service")))
    page = store.find_events(where, (("report", "asc"), ("seq", "asc")), 0, None)
    assert [e["resource_title"] for e in page.items] == ["apache2"]
