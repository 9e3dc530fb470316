"""A `chalice local` over a given SQLite file, for the HTTP figures. It stops by itself
(`timeout`) even if the bench dies."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).parents[1]
LIFETIME_SECONDS = 1800


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def admin_token(sqlite_path: str) -> str:
    """An admin token stored in the served file (the API needs one since auth)."""
    from chalicelib.auth import tokens
    from chalicelib.storage.sqlite import SqliteStorage
    issued = tokens.issue(("admin",), label="bench")
    store = SqliteStorage(sqlite_path)
    store.add_token(issued.token)
    store.close()
    return issued.secret


def session_for(base: str, secret: str) -> requests.Session:
    """The one place the bench's HTTP session is built: it carries the token."""
    session = requests.Session()
    session.headers["X-Authentication"] = secret
    return session


@contextmanager
def chalice_local(sqlite_path: str, tmp: Path):
    port = _free_port()
    log = tmp / "chalice.log"
    secret = admin_token(sqlite_path)     # stored before the server opens the file
    env = {**os.environ, "EVENTS_SQLITE_PATH": sqlite_path}
    env.pop("EVENTS_STORAGE", None)
    with open(log, "w") as output:
        process = subprocess.Popen(
            ["timeout", str(LIFETIME_SECONDS), str(Path(sys.executable).with_name("chalice")), "local",
             "--stage", "local", "--host", "127.0.0.1", "--port", str(port), "--no-autoreload"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        session = session_for(base, secret)
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"chalice local exited: {log.read_text()}")
            try:
                session.get(base + "/orchestrator/v1/jobs?limit=1", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"chalice local did not start: {log.read_text()}")
        # A new session (connection) per request: on a kept-alive connection `chalice
        # local` (http.server) writes headers and body as two segments, and Nagle's
        # algorithm on its side meets the client's delayed ACK: +40 ms per request
        # that is the dev server's, not the app's (12 ms fresh vs 50 ms reused, measured).
        # (`Connection: close` instead makes it drop a request now and then.)
        yield (lambda: session_for(base, secret)), base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
