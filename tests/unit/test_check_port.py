"""`make run` on a busy port: one line naming the port and PORT=, not chalice's traceback."""
from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

import pytest

from chalicelib.cli.__main__ import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def busy_port():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def test_a_free_port_passes(capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main(["check-port", "--host", "127.0.0.1", "--port", str(port)]) == 0
    assert capsys.readouterr().err == ""


def test_a_busy_port_is_one_line_naming_it_and_port(busy_port, capsys):
    assert main(["check-port", "--host", "127.0.0.1", "--port", str(busy_port)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert f"port {busy_port} on 127.0.0.1 is already in use" in line and "PORT=" in line


def test_make_run_on_a_busy_port_stops_before_anything_else(busy_port):
    # -o install: the virtualenv running this test is the one make would check.
    result = subprocess.run(["make", "-s", "-o", "install", "run", f"PORT={busy_port}"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and result.stdout == ""
    ours, *rest = result.stderr.splitlines()
    assert f"port {busy_port}" in ours and "PORT=" in ours
    # Only make's own lines follow ("make[1]: ..." when `make test` runs this).
    assert "Traceback" not in result.stderr
    assert all(re.match(r"make(\[\d+\])?: ", line) for line in rest), result.stderr
