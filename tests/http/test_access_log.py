"""Each request logs one JSON line with its request id, and never a secret."""
import json
import logging

from chalicelib.logs import JsonFormatter, logger


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines = []

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


def test_a_request_logs_one_json_line_without_secret_values(client):
    capture = Lines()
    logger.addHandler(capture)
    try:
        client.http.get("/orchestrator/v1/jobs/7?token=s3cr3t-token",
                        headers={"X-Authentication": "s3cr3t-header"})
    finally:
        logger.removeHandler(capture)
    (line,) = capture.lines
    assert line["method"] == "GET" and line["path"] == "/orchestrator/v1/jobs/{job_id}"
    assert line["status"] == 404 and line["params"] == ["token"]
    assert line["request_id"]
    assert "s3cr3t" not in json.dumps(line)
