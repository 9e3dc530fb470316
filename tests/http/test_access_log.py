"""Each request logs one JSON line with its request id and caller, and never a token."""
import json
import logging
from urllib.parse import quote

import pytest

from chalicelib.logs import JsonFormatter, logger


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines = []

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def log_lines():
    capture = Lines()
    logger.addHandler(capture)
    try:
        yield capture.lines
    finally:
        logger.removeHandler(capture)


def test_a_request_logs_one_json_line_naming_the_caller_by_token_id(client, log_lines):
    secret = client.issue("orchestrator:read")
    client.http_as(None).get(f"/orchestrator/v1/jobs/7?token={secret}")
    (line,) = log_lines
    assert line["method"] == "GET" and line["path"] == "/orchestrator/v1/jobs/{job_id}"
    assert line["status"] == 404 and line["params"] == ["token"]
    assert line["request_id"]
    assert line["principal"] == "token:" + secret.split(".")[0]
    assert secret.split(".")[1] not in json.dumps(line)


@pytest.mark.parametrize("where", ["header", "parameter"])
def test_a_refused_token_is_not_logged(client, log_lines, where):
    bad = "0123456789abcdef.s3cr3t-value"
    anonymous = client.http_as(None)
    if where == "header":
        anonymous.get("/orchestrator/v1/jobs", headers={"X-Authentication": bad})
    else:
        anonymous.get(f"/orchestrator/v1/jobs?token={bad}")
    (line,) = log_lines
    assert line["status"] == 401 and line["principal"] is None
    assert "s3cr3t" not in json.dumps(line) and "0123456789abcdef" not in json.dumps(line)


QUERY = '["and", ["=", "certname", "node-a.anchor.test"], ["=", "status", "failure"]]'


def test_parameter_values_are_left_out_by_default(client, log_lines):
    client.http.get("/pdb/query/v4/events?limit=5&query=" + quote(QUERY))
    (line,) = log_lines
    assert line["params"] == ["limit", "query"] and "query" not in line
    assert "node-a.anchor.test" not in json.dumps(line)


def test_log_queries_shows_values_and_query_text_but_never_a_token(client, log_lines, monkeypatch):
    monkeypatch.setenv("EVENTS_LOG_QUERIES", "1")
    secret = client.issue("puppetdb:read")
    token_id, token_secret = secret.split(".")
    # The token as `token`, as a misspelt parameter, and inside a query value.
    client.http_as(None).get(
        "/pdb/query/v4/events?limit=5&order_by=a&order_by=b&query=" + quote(QUERY)
        + f"&token={secret}&tokn={secret}&api_key=k3y-value"
        + "&certname=" + quote(f'["=", "certname", "{secret}"]'))
    (line,) = log_lines
    assert line["status"] in (200, 400)
    assert line["query"]["query"] == QUERY and line["query"]["limit"] == "5"
    assert line["query"]["order_by"] == ["a", "b"]
    assert line["query"]["token"] == "[redacted]" and line["query"]["api_key"] == "[redacted]"
    assert line["query"]["tokn"] == f"{token_id}.[redacted]"
    assert token_secret not in json.dumps(line) and "k3y-value" not in json.dumps(line)


def test_log_queries_shows_a_v4_post_bodys_query(client, log_lines, monkeypatch):
    monkeypatch.setenv("EVENTS_LOG_QUERIES", "true")
    client.http.post("/pdb/query/v4/events", headers={"Content-Type": "application/json"},
                     body=json.dumps({"query": json.loads(QUERY), "limit": 10}))
    (line,) = log_lines
    assert line["status"] == 200
    assert json.loads(line["body"]["query"]) == json.loads(QUERY) and line["body"]["limit"] == "10"


def test_log_queries_survives_a_v4_post_body_nested_past_the_limit(client, log_lines, monkeypatch):
    """The route answers the body's 400; the log, reading the same body, must not
    recurse out of json.loads on it (a 500 before)."""
    monkeypatch.setenv("EVENTS_LOG_QUERIES", "1")
    body = '{"query": ' + "[" * 20000 + "]" * 20000 + "}"
    response = client.http.post("/pdb/query/v4/events",
                                headers={"Content-Type": "application/json"}, body=body)
    assert response.status_code == 400
    (line,) = log_lines
    assert line["status"] == 400 and "body" not in line


def test_a_long_value_is_cut(client, log_lines, monkeypatch):
    monkeypatch.setenv("EVENTS_LOG_QUERIES", "1")
    client.http.get("/orchestrator/v1/jobs?description=" + "x" * 10000)
    (line,) = log_lines
    assert line["query"]["description"].endswith("...[10000 chars]")
    assert len(line["query"]["description"]) < 4200
