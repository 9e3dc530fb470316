"""Each request logs one JSON line with its request id and caller, and never a token."""
import json
import logging

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
