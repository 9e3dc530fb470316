"""HTTP tests for the activity service: the curl examples of documents 003 and 004
(on a local URL), the write side, CSV, and 400 answers naming the parameter."""
from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote

import pytest

GROUP = "b55c209d-e68f-4096-9a2c-5ae52dd2500c"
KAI = "6868e4af-2996-46c6-8e42-1ae873f8a0ba"


def post(client, body, version=2):
    return client.http.post(f"/activity-api/v{version}/events", body=json.dumps(body),
                            headers={"Content-Type": "application/json"})


def group_commit(message, timestamp="2019-03-05T18:52:27.76Z", service="classifier",
                 subject=KAI, ip="10.32.1.7"):
    return {"commit": {"service": {"id": service},
                       "subject": {"id": subject, "name": "kai.evens"},
                       "objects": [{"id": GROUP, "name": "web_servers", "type": "node_groups"}],
                       "timestamp": timestamp, "ip_address": ip,
                       "events": [{"type": "delete", "what": "node_group",
                                   "description": "delete_node_group", "message": message}]}}


def get(client, path):
    response = client.http.get(path)
    return response, (json.loads(response.body) if response.headers.get("Content-Type", "")
                      .startswith("application/json") else response.body.decode())


def test_v2_post_then_document_003_v1_example(client):
    message = f'Deleted the "web_servers" group with id {GROUP}'
    assert post(client, group_commit(message)).status_code == 201
    response, body = get(client, "/activity-api/v1/events?service_id=classifier"
                                 f"&subject_type=users&subject_id={KAI}")
    assert response.status_code == 200
    assert body == {"commits": [{"object": {"id": GROUP, "name": "web_servers"},
                                 "subject": {"id": KAI, "name": "kai.evens"},
                                 "timestamp": "2019-03-05T18:52:27Z",
                                 "events": [{"type": "delete", "what": "node_group",
                                             "description": "delete_node_group",
                                             "message": message}]}],
                    "offset": 0, "limit": 1000, "total-rows": 1}


def test_v1_post_with_single_object_and_object_filter(client):
    body = {"commit": {"service": {"id": "pe-console"}, "subject": {"id": "d1f4", "name": "steve"},
                       "object": {"id": "emerald-1", "name": "emerald-1", "type": "node"},
                       "events": [{"message": "Scheduled job 3"}]}}
    assert post(client, body, version=1).status_code == 201
    _, found = get(client, "/activity-api/v1/events?service_id=pe-console&object_type=node"
                           "&object_id=emerald-1")
    assert found["total-rows"] == 1 and found["commits"][0]["object"]["id"] == "emerald-1"
    assert found["commits"][0]["timestamp"].endswith("Z")      # server-assigned


def test_v1_ids_as_comma_list_and_repeated_keys(client):
    for subject in ("a", "b", "c"):
        post(client, group_commit(subject, subject=subject))
    for query in ("subject_id=a,c", "subject_id=a&subject_id=c"):
        _, body = get(client, f"/activity-api/v1/events?service_id=classifier&subject_type=users&{query}")
        assert [c["events"][0]["message"] for c in body["commits"]] == ["c", "a"]


def test_document_004_v2_query_example_with_time_range(client):
    post(client, group_commit("in range", timestamp="2019-11-15T00:00:00Z", subject="db2caca1"))
    post(client, group_commit("too late", timestamp="2019-12-15T00:00:00Z", subject="db2caca1"))
    post(client, group_commit("other subject", timestamp="2019-11-15T00:00:00Z", subject="zz"))
    query = [{"object_id": "db2caca1", "object_type": "users"}, {"subject_id": "db2caca1"},
             {"start": "2019-11-01T21:32:39Z", "end": "2019-12-01T00:00:00Z"}]
    response, body = get(client, "/activity-api/v2/events?service_id=classifier&limit=10&query="
                                 + quote(json.dumps(query)))
    assert response.status_code == 200
    assert [c["events"][0]["message"] for c in body["commits"]] == ["in range"]
    assert body["pagination"] == {"total": 1, "limit": 10, "offset": 0}
    commit = body["commits"][0]
    assert commit["objects"] == [{"id": GROUP, "name": "web_servers", "type": "node_groups"}]
    assert commit["ip_address"] == "10.32.1.7"


def test_v2_accepts_ip_hyphen_and_partial_match(client):
    body = group_commit("hyphen")
    body["commit"]["ip-address"] = body["commit"].pop("ip_address")
    post(client, body)
    _, found = get(client, "/activity-api/v2/events?query=" + quote('[{"ip_address": "32.1"}]'))
    assert found["pagination"]["total"] == 1 and found["commits"][0]["ip_address"] == "10.32.1.7"


def test_v2_pagination_is_integers_and_cursor_by_total(client):
    post(client, group_commit("one"))
    _, first = get(client, "/activity-api/v2/events?service_id=classifier&order=asc&limit=2&offset=0")
    post(client, group_commit("two"))
    _, later = get(client, "/activity-api/v2/events?service_id=classifier&order=asc&limit=2"
                           f"&offset={first['pagination']['total']}")
    assert isinstance(first["pagination"]["total"], int)
    assert [c["events"][0]["message"] for c in later["commits"]] == ["two"]


def test_v1_csv_has_header_quoting_and_attachment(client):
    post(client, group_commit('Deleted the "web_servers" group, with\nnewline'))
    response = client.http.get("/activity-api/v1/events.csv?service_id=classifier")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    text = response.body.decode()
    assert text.startswith("Submit Time,Subject Type,Subject Id,Subject Name,Object Type,Object Id,"
                           "Object Name,Type,What,Description,Message\r\n")
    assert '"Deleted the ""web_servers"" group, with\nnewline"' in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][:7] == ["2019-03-05 18:52:27.76", "users", KAI, "kai.evens", "node_groups",
                           GROUP, "web_servers"]


def test_v2_csv_adds_ip_address_column(client):
    post(client, group_commit("x"))
    rows = list(csv.reader(io.StringIO(
        client.http.get("/activity-api/v2/events.csv").body.decode())))
    assert rows[0][-1] == "Ip Address" and rows[1][-1] == "10.32.1.7"


def test_any_service_id_is_accepted_by_v1(client):
    response, body = get(client, "/activity-api/v1/events?service_id=puppet-ca")
    assert response.status_code == 200 and body["total-rows"] == 0


@pytest.mark.parametrize("body", [
    {}, {"commit": {}}, {"commit": {"service": {"id": "rbac"}, "subject": {"id": "u"}}},
    {"commit": {"service": {"id": "rbac"}, "subject": {"id": "u"},
                "objects": [{"id": "n"}]}},
    {"commit": {"service": {"id": "rbac"}, "subject": {"id": "u"}, "timestamp": "never",
                "objects": [{"id": "n", "type": "node"}]}},
])
def test_rejected_write_is_400_and_stores_nothing(client, body):
    response = post(client, body)
    assert response.status_code == 400
    assert json.loads(response.body)["kind"] == "puppetlabs.activity/malformed-request"
    _, listing = get(client, "/activity-api/v2/events")
    assert listing["pagination"]["total"] == 0


def test_non_json_write_is_400(client):
    response = client.http.post("/activity-api/v2/events", body="{nope",
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 400


def test_v2_parameters_in_a_json_body(client):
    post(client, group_commit("mine", subject="me"))
    post(client, group_commit("theirs", subject="them"))
    response = client.http.get("/activity-api/v2/events",
                               body=json.dumps({"query": [{"subject_id": "me"}], "limit": 5}),
                               headers={"Content-Type": "application/json"})
    body = json.loads(response.body)
    assert [c["events"][0]["message"] for c in body["commits"]] == ["mine"]
    assert body["pagination"] == {"total": 1, "limit": 5, "offset": 0}
