"""Against a real `chalice local` on both backends: closed without a token, open
with the session's admin token, in each API's format."""
from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_without_a_token_every_api_answers_401(served):
    with requests.Session() as anonymous:      # deliberately not `http`: no credentials
        jobs = anonymous.get(served + "/orchestrator/v1/jobs", timeout=10)
        events = anonymous.get(served + "/experimental/events",
                               params={"query": '["=", "certname", "a"]'}, timeout=10)
    assert jobs.status_code == 401
    assert jobs.json()["kind"] == "puppetlabs.rbac/user-unauthenticated"
    assert (events.status_code, events.text) == (401, "Route requires authentication")


def test_the_session_token_opens_every_api(served, http):
    assert http.get(served + "/orchestrator/v1/jobs", timeout=10).status_code == 200
    assert http.get(served + "/activity-api/v2/events", timeout=10).status_code == 200
    assert http.get(served + "/experimental/events", params={"query": '["=", "certname", "a"]'},
                    timeout=10).status_code == 200
