"""400 answers of the activity read endpoints, each naming the parameter (RBAC-style
`{kind, msg, details}`). Validation happens before the store is touched, so these
run on SQLite only (the write-side rejections run on both adapters)."""
from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.conftest import make_store


@pytest.fixture
def store(tmp_path):
    sqlite_store = make_store("sqlite", tmp_path)
    yield sqlite_store
    sqlite_store.close()


@pytest.mark.parametrize("path, parameter", [
    ("/activity-api/v1/events", "service_id"),
    ("/activity-api/v1/events?service_id=rbac&subject_type=robots", "subject_type"),
    ("/activity-api/v1/events?service_id=rbac&object_type=planets", "object_type"),
    ("/activity-api/v1/events?service_id=rbac&subject_id=x", "subject_type"),
    ("/activity-api/v1/events?service_id=rbac&object_id=x", "object_type"),
    ("/activity-api/v1/events?service_id=rbac&order=sideways", "order"),
    ("/activity-api/v1/events?service_id=rbac&after_service_commit_time=yesterday",
     "after_service_commit_time"),
    ("/activity-api/v1/events?service_id=rbac&after_service_commit_time=9999-12-31T23:59:59-12:00",
     "after_service_commit_time"),     # year 10000 in UTC
    ("/activity-api/v1/events.csv?service_id=rbac&offset=-1", "offset"),
    ("/activity-api/v2/events?limit=0", "limit"),
    ("/activity-api/v2/events?limit=ten", "limit"),
    ("/activity-api/v2/events?offset=-3", "offset"),
    ("/activity-api/v2/events?limit=99999999999999999999999", "limit"),
    ("/activity-api/v2/events?query=" + quote('{"subject_id": "x"}'), "query"),
    ("/activity-api/v2/events?query=" + quote("[1, 2]"), "query"),
    ("/activity-api/v2/events?query=not-json", "query"),
    ("/activity-api/v2/events?query=" + quote('[{"colour": "red"}]'), "query"),
    ("/activity-api/v2/events?query=" + quote('[{"start": "2019-01-01T00:00:00Z"}]'), "end"),
    ("/activity-api/v2/events?query=" + quote('[{"start": "soon", "end": "later"}]'), "start"),
    ("/activity-api/v2/events?query=" + quote('[{"object_id": "x"}]'), "object_type"),
    ("/activity-api/v2/events?query=" + quote('[{"object_type": "planets"}]'), "object_type"),
    ("/activity-api/v2/events?query=" + quote('[{"subject_id": "x", "subject_type": "nodes"}]'),
     "subject_type"),
])
def test_bad_parameters_are_400_naming_the_parameter(client, path, parameter):
    response = client.http.get(path)
    body = json.loads(response.body)
    assert response.status_code == 400
    assert body["kind"].startswith("puppetlabs.activity/")
    assert body["details"]["parameter"] == parameter and body["msg"]
