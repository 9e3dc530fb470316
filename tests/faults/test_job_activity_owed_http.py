"""Over HTTP on DynamoDB: a job POST whose later activity transaction outlasts every
retry answers 201 (its job exists, and a retry would create a second one), the job
marked as owing the other nodes' commits;
the next read of the job (GET /orchestrator/v1/jobs/{id}) stores them, each once
(docs/dynamodb.md, "Orchestrator jobs in the activity service")."""
from __future__ import annotations

import json

import pytest

from tests.contract.test_job_activity_owed import holds_commit_of
from tests.factories import job_payload
from tests.faults.injection import Faults

pytestmark = pytest.mark.parametrize("store", ["dynamodb"], indirect=True)

NODES = [f"n{i:02d}.example.com" for i in range(60)]


def pe_console(client) -> dict:
    response = client.http.get("/activity-api/v2/events?service_id=pe-console&order=asc&limit=100")
    assert response.status_code == 200, response.body
    return response.json_body


def test_a_job_post_that_fails_mid_way_is_completed_by_the_next_read(client, store):
    faults = Faults(store.client)
    faults.error("TransactWriteItems", "InternalServerError", when=holds_commit_of(NODES[24]))
    response = client.http.post("/orchestrator/v1/jobs", headers={"Content-Type": "application/json"},
                                body=json.dumps(job_payload(nodes=NODES)))
    assert response.status_code == 201, response.body
    faults.remove()
    assert pe_console(client)["pagination"]["total"] == 24

    response = client.http.get("/orchestrator/v1/jobs/1")
    assert response.status_code == 200 and response.json_body["name"] == "1"

    page = pe_console(client)
    assert page["pagination"]["total"] == len(NODES)
    assert [c["objects"][0]["id"] for c in page["commits"]] == NODES
