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
