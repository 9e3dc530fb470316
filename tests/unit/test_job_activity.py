"""What a job records in the activity service (orchestrator/activity.py): the wording per
job type, and document 004's run keys for every node and job state."""
from __future__ import annotations

import pytest

from chalicelib.orchestrator.activity import SERVICE_ID, job_commits, run_keys, run_state
from chalicelib.orchestrator.model import JobNode
from tests.factories import new_job


def test_a_deploy_job_records_a_puppet_agent_run_per_node():
    commits = job_commits(11, new_job(("a.example", "b.example"), login="admin"))
    assert [c.service_id for c in commits] == [SERVICE_ID] * 2
    assert [c.objects[0].id for c in commits] == ["a.example", "b.example"]
    (event,) = commits[0].events
    assert event == {"type": "puppet_agent", "what": "node", "name": "puppet agent",
                     "description": "request_puppet_agent_on_node",
                     "message": 'Request "puppet agent" run on "a.example" over "pcp" '
                                'via orchestrator job "11"'}
    assert (commits[0].subject.id, commits[0].subject.name) == ("id-admin", "admin")


@pytest.mark.parametrize("job_type", ["task", "plan_task"])
def test_task_and_plan_task_jobs_record_a_task_run(job_type):
    (commit,) = job_commits(12, new_job(("a.example",), job_type=job_type, task="package"))
    assert commit.events[0]["type"] == "run_task"
    assert commit.events[0]["description"] == "request_package_on_node"
    assert commit.events[0]["message"] == \
        'Request "package" task on "a.example" over "pcp" via orchestrator job "12"'


def test_a_task_job_without_a_task_name_is_named_task():
    (commit,) = job_commits(3, new_job(("a.example",), job_type="task"))
    assert commit.events[0]["name"] == "task"


@pytest.mark.parametrize("job_state, node_state, expected", [
    ("new", "new", "new"),
    ("running", "new", "ready"),            # queued behind other nodes
    ("running", "running", "running"),
    ("stopping", "running", "stopping"),
    ("stopped", "running", "stopped"),      # aborted mid-run
    ("running", "finished", "finished"),
    ("running", "failed", "failed"),
    ("running", "errored", "failed"),
    ("failed", "skipped", "stopped"),
    ("finished", "new", "stopped"),
])
def test_run_state_in_document_004s_list(job_state, node_state, expected):
    assert run_state(job_state, node_state) == expected


def test_only_a_finished_run_carries_finish_timestamp_and_duration():
    start, end = "2022-08-08T23:18:47.000000Z", "2022-08-08T23:18:51.898000Z"
    finished = run_keys("finished", JobNode("a", "finished", start_timestamp=start,
                                            finish_timestamp=end))
    assert finished == {"state": "finished", "start_timestamp": "2022-08-08T23:18:47Z",
                        "finish_timestamp": "2022-08-08T23:18:51Z", "duration": 4.898}
    failed = run_keys("failed", JobNode("a", "failed", start_timestamp=start, finish_timestamp=end))
    assert failed == {"state": "failed", "start_timestamp": "2022-08-08T23:18:47Z"}
    assert run_keys("new", None) == {"state": "new"}
