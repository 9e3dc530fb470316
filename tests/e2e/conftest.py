"""A real `chalice local` server on 127.0.0.1, once over SQLite and once over
DynamoDB served by moto's ThreadedMotoServer (the code path the cloud uses)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
CHALICE = Path(sys.executable).with_name("chalice")
SERVER_LIFETIME_SECONDS = 900     # the server stops by itself even if pytest dies
DYNAMODB_PREFIX = "puppet-events-"  # the prod stage's table prefix (.chalice/config.json)
_SERVERS: dict[str, tuple[str, dict]] = {}   # base URL -> (store kind, server env)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError(f"chalice local exited: {log.read_text()}")
        try:
            requests.get(url, timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):    # a loaded machine's cold start
            time.sleep(0.1)
    raise RuntimeError(f"chalice local did not start: {log.read_text()}")


def atomic_moto_server():
    """moto's ThreadedMotoServer with one request applied at a time, as DynamoDB
    applies each request atomically. moto's backend takes no lock: concurrent
    transactions fail inside it ("dictionary changed size during iteration")
    and conditional writes could both pass their check."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import (DomainDispatcherApplication, MotoRequestHandler,
                                               create_backend_app)
    from werkzeug.serving import make_server

    class AtomicMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:     # as moto's, with the app behind a lock
            app, lock = DomainDispatcherApplication(create_backend_app), threading.Lock()

            def atomic(environ, start_response):
                with lock:
                    return list(app(environ, start_response))
            self._server = make_server(self._ip_address, self._port, atomic, True,
                                       request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever()

    return AtomicMotoServer(ip_address="127.0.0.1", port=0, verbose=False)


@pytest.fixture(scope="module")
def moto_server():
    server = atomic_moto_server()
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def start_chalice(stage: str, env: dict, tmp: Path):
    port = free_port()
    log = tmp / f"chalice-{stage}.log"
    base = f"http://127.0.0.1:{port}"
    environment = {**os.environ, **env}
    environment.pop("EVENTS_STORAGE", None)
    if stage != "local":    # a deployment names its URL (infra/template.py); links use it
        environment.setdefault("EVENTS_PUBLIC_URL", base)
    with open(log, "w") as output:
        process = subprocess.Popen(
            ["timeout", str(SERVER_LIFETIME_SECONDS), str(CHALICE), "local", "--stage", stage,
             "--host", "127.0.0.1", "--port", str(port), "--no-autoreload"],
            cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)
    wait_until_serving(base + "/orchestrator/v1/jobs", process, log)
    return process, base


def create_tables_with_the_console_command(endpoint: str, prefix: str) -> None:
    """`python -m chalicelib.cli create-tables`, as docs/deploy.md tells an operator."""
    result = subprocess.run(
        [sys.executable, "-m", "chalicelib.cli", "create-tables", "--prefix", prefix],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "AWS_ENDPOINT_URL_DYNAMODB": endpoint, "EVENTS_STORAGE": "dynamodb"})
    assert result.returncode == 0, result.stdout + result.stderr
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    from chalicelib.storage.dynamodb.tables import TABLES
    assert set(client.list_tables()["TableNames"]) == {prefix + spec.name for spec in TABLES}


@pytest.fixture(scope="module", params=["sqlite", "dynamodb"])
def served(request, tmp_path_factory, moto_server):
    """Base URL of a running server, over each backend."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        env = {"EVENTS_SQLITE_PATH": str(tmp / "events.db")}
        stage = "local"
    else:
        prefix = DYNAMODB_PREFIX
        requests.post(moto_server + "/moto-api/reset", timeout=5)
        env = {"AWS_ENDPOINT_URL_DYNAMODB": moto_server}
        create_tables_with_the_console_command(moto_server, prefix)
        stage = "prod"
    process, base = start_chalice(stage, env, tmp)
    _SERVERS[base] = (request.param, env)
    yield base
    _SERVERS.pop(base, None)
    process.terminate()
    process.wait(timeout=10)


def _token_store(store_kind: str, env: dict):
    if store_kind == "sqlite":
        from chalicelib.storage.sqlite import SqliteStorage
        return SqliteStorage(env["EVENTS_SQLITE_PATH"])
    from chalicelib.storage.dynamodb import DynamoStorage
    client = boto3.client("dynamodb", endpoint_url=env["AWS_ENDPOINT_URL_DYNAMODB"],
                          region_name="us-east-1")
    return DynamoStorage(env.get("EVENTS_TABLE_PREFIX", DYNAMODB_PREFIX), client=client)


def authorised_session(base_url: str, store_kind: str, env: dict,
                       scopes=("admin",)) -> requests.Session:
    """A session carrying a new token (admin unless `scopes` says otherwise) stored
    in the store a server started with `env` uses ("sqlite": EVENTS_SQLITE_PATH;
    "dynamodb": AWS_ENDPOINT_URL_DYNAMODB, EVENTS_TABLE_PREFIX, tables created).
    Works before or after the server starts; `base_url` names it in the label."""
    from chalicelib.auth import tokens
    issued = tokens.issue(scopes, label=f"e2e {base_url}")
    store = _token_store(store_kind, env)
    store.add_token(issued.token)
    if store_kind == "sqlite":
        store.close()
    session = requests.Session()
    session.headers["X-Authentication"] = issued.secret
    return session


@pytest.fixture(scope="module")
def http(served):
    """The session every e2e test talks through: it carries an admin token of the
    server's own store (one place to set credentials for every test)."""
    store_kind, env = _SERVERS[served]
    with authorised_session(served, store_kind, env) as session:
        yield session
