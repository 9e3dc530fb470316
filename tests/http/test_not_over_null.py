"""`not` over a field that may be NULL, generated over every such field, in both
dialects (issue 13 item 1):
- v4 (PuppetDB 7, SQL's three-valued logic): `["not", ["=", f, v]]` leaves out rows
  whose f is NULL, as `["=", f, v]` does; so do `<`.. and `in`; `~` on NULL is false,
  so its negation keeps them (measured against PuppetDB 7.12.1, tests/conformance);
- 1.4 (document 002): an inequality is true on NULL, so `not` keeps them.
"""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest

from chalicelib.puppetdb.catalogue import EVENTS, V1_4_QUERY_FIELDS

FIXTURE = Path(__file__).parent.parent / "fixtures" / "puppetdb" / "store_report_v8_1.json"
NULLABLE_V4 = sorted(name for name, field in EVENTS.fields.items()
                     if field.nullable and field.type != "latest")
# 1.4's fields that can be NULL (its dashed names).
NULLABLE_V14 = sorted(name for name, (stored, _) in V1_4_QUERY_FIELDS.items()
                      if stored in {EVENTS.fields[n].stored for n in NULLABLE_V4})


def _body() -> dict:
    """Fixture report 1 with one resource stripped of every optional key, so each
    nullable field is NULL on some events and set on others."""
    body = json.loads(FIXTURE.read_text())["body"]
    bare = body["resources"][0]
    for key in ("file", "line", "containment_path", "corrective_change"):
        bare.pop(key, None)
    for event in bare["events"]:
        event.pop("corrective_change", None)
        event.pop("name", None)
    return body


@pytest.fixture
def stored(client):
    body = _body()
    response = client.http.post("/pdb/cmd/v1?command=store_report&version=8&certname="
                                + body["certname"], body=json.dumps(body),
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    return client


def _v4(client, query) -> list[dict]:
    response = client.http.get("/pdb/query/v4/events?" + urlencode({"query": json.dumps(query)}))
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def _a_value(events: list[dict], field: str):
    value = next(e[field] for e in events if e[field] is not None)
    return value[-1] if isinstance(value, list) else value


def test_every_nullable_field_has_null_and_set_rows(stored):
    events = _v4(stored, ["~", "certname", "."])
    for field in NULLABLE_V4:
        values = [e[field] for e in events]
        assert None in values and any(v is not None for v in values), field


@pytest.mark.parametrize("field", NULLABLE_V4)
def test_v4_not_equal_leaves_out_null_rows(stored, field):
    events = _v4(stored, ["~", "certname", "."])
    value = _a_value(events, field)
    found = _v4(stored, ["not", ["=", field, value]])
    assert all(e[field] is not None for e in found), field
    assert len(found) == len(events) - len(_v4(stored, ["=", field, value])) \
        - sum(1 for e in events if e[field] is None)


@pytest.mark.parametrize("field", [f for f in NULLABLE_V4 if EVENTS.fields[f].type == "string"])
def test_v4_not_regex_keeps_null_rows(stored, field):
    events = _v4(stored, ["~", "certname", "."])
    found = _v4(stored, ["not", ["~", field, "^$never"]])
    assert len(found) == len(events), field


def test_v4_not_of_an_or_is_definitely_false_on_both_sides(stored):
    """SQL: NOT (a OR b) holds only where both are definitely false."""
    events = _v4(stored, ["~", "certname", "."])
    found = _v4(stored, ["not", ["or", ["=", "property", "ensure"], ["=", "line", 15]]])
    assert len(found) == sum(1 for e in events if e["property"] not in (None, "ensure")
                             and e["line"] is not None and e["line"] != 15)


@pytest.mark.parametrize("field", NULLABLE_V14)
def test_1_4_not_equal_keeps_null_rows(stored, field):
    v4_name = V1_4_QUERY_FIELDS[field][0]
    events = _v4(stored, ["~", "certname", "."])
    value = _a_value(events, v4_name)
    response = stored.http.get("/experimental/events?" + urlencode(
        {"query": json.dumps(["not", ["=", field, value]])}))
    found = json.loads(response.body)
    assert response.status_code == 200
    assert len(found) == sum(1 for e in events if e[v4_name] != value), field
    assert any(e[field] is None for e in found), field
