"""PuppetDB's status service (issue 14 item 5): shapes, parameters and error texts as
PuppetDB 7.12.1 answers them (measured against it; tests/conformance/cases.py), on both
adapters, without credentials."""
from __future__ import annotations

import json

import pytest

from chalicelib.puppetdb import PUPPETDB_VERSION
from tests.contract.test_store_ping import _break

SERVICES = "/status/v1/services"
PUPPETDB = SERVICES + "/puppetdb-status"
UP = {"maintenance_mode?": False, "queue_depth": 0, "read_db_up?": True, "write_db_up?": True,
      "write_dbs_up?": True, "write_db": {"default": {"up?": True}}}


def _get(client, path):
    return client.http_as(None).get(path)          # no token, no certificate


def test_services_lists_puppetdb_status_running_without_credentials(client):
    response = _get(client, SERVICES)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert json.loads(response.body) == {"puppetdb-status": {
        "service_version": PUPPETDB_VERSION, "service_status_version": 1, "detail_level": "info",
        "state": "running", "status": UP, "active_alerts": []}}


def test_one_service_adds_its_name_last(client):
    response = _get(client, PUPPETDB)
    assert response.status_code == 200
    body = json.loads(response.body)
    assert list(body) == ["service_version", "service_status_version", "detail_level", "state",
                          "status", "active_alerts", "service_name"]
    assert body["service_name"] == "puppetdb-status" and body["state"] == "running"
    assert body["service_version"] == PUPPETDB_VERSION


@pytest.mark.parametrize("level", ["critical", "info", "debug"])
def test_each_level_is_named_back_with_the_same_detail(client, level):
    body = json.loads(_get(client, f"{PUPPETDB}?level={level}").body)
    assert body["detail_level"] == level and body["status"] == UP


@pytest.mark.parametrize("query, kind, msg", [
    ("level=bogus", "data-invalid", "Invalid level: :bogus"),
    ("level=INFO", "data-invalid", "Invalid level: :INFO"),
    ("level=", "data-invalid", "Invalid level: :"),
    ("timeout=0", "data-invalid", "Invalid timeout. Timeout must be greater than zero but was 0"),
    ("timeout=x", "data-invalid", "Invalid timeout. Should be an integer but was x"),
    ("service_status_version=x", "data-invalid",
     "Invalid service_status_version. Should be an integer but was x"),
    ("service_status_version=2", "service-status-version-not-found",
     "No status function with version 2 found for service puppetdb-status"),
])
def test_bad_parameters_are_400_with_puppetdbs_kind_and_text(client, query, kind, msg):
    response = _get(client, f"{PUPPETDB}?{query}")
    assert response.status_code == 400
    assert json.loads(response.body) == {"kind": kind, "msg": msg}


def test_unknown_parameters_are_ignored_and_service_status_version_1_is_accepted(client):
    response = _get(client, f"{PUPPETDB}?foo=1&service_status_version=1&timeout=5")
    assert response.status_code == 200


def test_an_unknown_service_is_404_service_not_found(client):
    response = _get(client, SERVICES + "/status-service")
    assert response.status_code == 404
    assert json.loads(response.body) == {
        "kind": "service-not-found",
        "msg": "No status information found for service status-service"}


def test_simple_answers_running_as_text(client):
    for path in ("/status/v1/simple", "/status/v1/simple/puppetdb-status",
                 "/status/v1/simple?level=bogus"):       # /simple ignores level, as PuppetDB
        response = _get(client, path)
        assert (response.status_code, response.body) == (200, b"running"), path
        assert response.headers["Content-Type"].startswith("text/plain")


def test_simple_errors_are_text(client):
    assert (_get(client, "/status/v1/simple/nope").status_code,
            _get(client, "/status/v1/simple/nope").body) == (404, b"not found: nope")
    response = _get(client, "/status/v1/simple?timeout=x")
    assert (response.status_code, response.body) == (
        400, b"Invalid timeout. Should be an integer but was x")


def test_a_store_that_does_not_answer_is_state_error_and_503(client):
    _break(client.store)
    response = _get(client, PUPPETDB)
    assert response.status_code == 503
    body = json.loads(response.body)
    assert body["state"] == "error"
    assert body["status"]["read_db_up?"] is False and body["status"]["write_db_up?"] is False
    assert _get(client, SERVICES).status_code == 503
    simple = _get(client, "/status/v1/simple")
    assert (simple.status_code, simple.body) == (503, b"error")


def test_a_token_is_not_needed_nor_checked_and_other_methods_are_refused(client):
    assert client.http_as("0123456789abcdef.not-a-real-token").get(PUPPETDB).status_code == 200
    # Only GET is public: another method needs a credential, then is 405.
    assert client.http_as(None).post(SERVICES, body=b"{}").status_code == 401
    assert client.http.post(SERVICES, body=b"{}").status_code == 405
