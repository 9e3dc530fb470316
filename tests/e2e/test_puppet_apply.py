"""A real `puppet apply` sends its report to the service, as a Puppet Server would.

Puppet's PuppetDB report processor (Debian's puppet-terminus-puppetdb) accepts only
`https://host:port` with no path, so the run goes through nginx on 127.0.0.1, which
terminates TLS with a throw-away CA, verifies the node's client certificate and passes
its subject DN on in `X-Client-DN` (shared contract 3), in front of a `chalice local`.
The manifest (tests/fixtures/puppet/site.pp) changes files, fails an exec, skips the
resource that requires it and has a `noop => true` resource.

Needs `puppet`, the puppetdb terminus and `nginx` (.ci/run installs them): skipped
without them, except under CI (`CI` set), where their absence fails the test.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, NamedTuple

import boto3
import pytest
import requests

from tests.e2e import conftest as e2e

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "puppet"
CERTNAME = "node-a.puppetrun.test"
RUN_SECONDS = 300                 # `puppet apply` and nginx stop by themselves after this
TERMINUS = Path("/usr/lib/ruby/vendor_ruby/puppet/reports/puppetdb.rb")


def _tools() -> dict[str, str]:
    """puppet, nginx and openssl, or a skip (a failure under CI) naming what is missing."""
    found = {"puppet": shutil.which("puppet"), "openssl": shutil.which("openssl"),
             "nginx": shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")}
    missing = [f"`{name}`" for name, path in found.items() if not path]
    if not TERMINUS.exists():
        missing.append(f"the PuppetDB report processor ({TERMINUS})")
    if missing:
        reason = (f"real Puppet run needs {', '.join(missing)}: apt-get install puppet-agent "
                  "puppet-terminus-puppetdb nginx-light (.ci/run does)")
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the real Puppet test, but {reason}", pytrace=False)
        pytest.skip(reason)
    return found


def session_for(base_url: str, store_kind: str, env: dict) -> requests.Session:
    """The one session every read of the service goes through (shared contract 1)."""
    authorised = getattr(e2e, "authorised_session", None)
    return authorised(base_url, store_kind, env) if authorised else requests.Session()


# --- a throw-away CA, a server certificate for 127.0.0.1 and a client certificate ----

def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_pki(directory: Path, clients: tuple[tuple[str, str], ...] = (("client", CERTNAME),)) -> Path:
    """A CA, `server` for 127.0.0.1, and one client certificate `<name>` per (name, CN)."""
    directory.mkdir()
    # The extensions Python 3.13's default context (VERIFY_X509_STRICT) requires of a CA
    # and of the certificates it issues: key usage on the CA, key identifiers on both.
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=Throw-away test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    for name, subject, extensions in (
            ("server", "/CN=localhost",
             "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"),
            *((client, f"/CN={cn}", "extendedKeyUsage=clientAuth\n") for client, cn in clients)):
        (directory / f"{name}.ext").write_text(
            extensions + "keyUsage=critical,digitalSignature,keyEncipherment\n"
            "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n")
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
                 "-out", f"{name}.csr", "-subj", subject, cwd=directory)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext",
                 "-out", f"{name}.pem", cwd=directory)
    return directory


# --- nginx: TLS in front of chalice local, everything under tmp, no daemon ---------------

NGINX_CONF = """\
daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log info;
events {{ worker_connections 64; }}
http {{
  log_format front '$request_method $uri $status verify=$ssl_client_verify dn=$ssl_client_s_dn';
  access_log {tmp}/nginx-access.log front;
  client_body_temp_path {tmp}/client_body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  client_max_body_size 20m;
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {pki}/server.pem;
    ssl_certificate_key {pki}/server.key;
    ssl_client_certificate {pki}/ca.pem;
    ssl_verify_client optional;
    location / {{
      proxy_pass {upstream};
      proxy_set_header Host $host;
      # the verified client certificate's subject; overwrites any copy a client sends
      proxy_set_header X-Client-DN $ssl_client_s_dn;
    }}
  }}
}}
"""


def _wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    for _ in range(100):
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {log.read_text() if log.exists() else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nginx did not listen on {port}: {log.read_text()}")


def start_nginx(nginx: str, tmp: Path, pki: Path, upstream: str, lifetime: int = RUN_SECONDS):
    port = e2e.free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, pki=pki, upstream=upstream))
    log = tmp / "nginx-error.log"
    process = subprocess.Popen(
        ["timeout", str(lifetime), nginx, "-p", str(tmp), "-c", str(conf), "-e", str(log)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    _wait_for_port(port, process, log)
    return process, port


# --- puppet apply with its own confdir, vardir and ssldir in tmp ---------------------------

def puppet_apply(puppet: str, tmp: Path, pki: Path, port: int, target: Path):
    confdir = tmp / "puppet"
    confdir.mkdir()
    (confdir / "puppet.conf").write_text(f"""\
[main]
certname = {CERTNAME}
vardir = {tmp / 'puppet-var'}
publicdir = {tmp / 'puppet-public'}
logdir = {tmp / 'puppet-log'}
rundir = {tmp / 'puppet-run'}
ssldir = {tmp / 'puppet-ssl'}
codedir = {tmp / 'puppet-code'}
localcacert = {pki / 'ca.pem'}
hostcert = {pki / 'client.pem'}
hostprivkey = {pki / 'client.key'}
certificate_revocation = false
reports = puppetdb
""")
    (confdir / "puppetdb.conf").write_text(f"[main]\nserver_urls = https://127.0.0.1:{port}\n")
    env = {**os.environ, "FACTER_anchor_target": str(target), "FACTER_anchor_run": "1"}
    return subprocess.run(
        ["timeout", str(RUN_SECONDS), puppet, "apply", "--confdir", str(confdir),
         "--detailed-exitcodes", str(FIXTURES / "site.pp")],
        env=env, capture_output=True, text=True)


class PuppetRun(NamedTuple):
    base: str                      # the chalice local behind the front
    http: requests.Session         # the one session reads go through
    run: subprocess.CompletedProcess
    target: Path                   # where the manifest's files go (FACTER_anchor_target)
    access_log: str                # the front's log: method, uri, status, verify, DN


@pytest.fixture(scope="module")
def tools() -> dict[str, str]:
    return _tools()


@pytest.fixture(scope="module")
def pki(tools, tmp_path_factory) -> Path:
    return make_pki(tmp_path_factory.mktemp("pki") / "ca")


def service_env(kind: str, tmp: Path, request) -> tuple[str, dict]:
    """The stage and environment of a chalice local over `kind` (as conftest's `served`),
    with the client-certificate settings of shared contract 3."""
    certificates = {"EVENTS_CLIENT_CERT_HEADER": "X-Client-DN", "EVENTS_CERT_ALLOWLIST": CERTNAME}
    if kind == "sqlite":
        return "local", {"EVENTS_SQLITE_PATH": str(tmp / "events.db"), **certificates}
    moto = request.getfixturevalue("moto_server")
    requests.post(moto + "/moto-api/reset", timeout=5)
    from chalicelib.storage.dynamodb import DynamoStorage
    client = boto3.client("dynamodb", endpoint_url=moto, region_name="us-east-1")
    DynamoStorage("puppet-events-", client=client).create_tables()   # the prod stage's prefix
    return "prod", {"AWS_ENDPOINT_URL_DYNAMODB": moto, **certificates}


@pytest.fixture(scope="module", params=["sqlite", "dynamodb"])
def puppet_run(request, tools, pki, tmp_path_factory) -> Iterator[PuppetRun]:
    """Puppet runs once through the TLS front into a chalice local over each backend."""
    tmp = tmp_path_factory.mktemp(f"puppetrun-{request.param}")
    stage, env = service_env(request.param, tmp, request)
    chalice, base = e2e.start_chalice(stage, env, tmp)
    try:
        nginx, port = start_nginx(tools["nginx"], tmp, pki, base)
        try:
            run = puppet_apply(tools["puppet"], tmp, pki, port, tmp / "target")
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)
        with session_for(base, request.param, env) as http:
            yield PuppetRun(base, http, run, tmp / "target", (tmp / "nginx-access.log").read_text())
    finally:
        chalice.terminate()
        chalice.wait(timeout=10)


# --- the front itself: only a verified certificate's DN reaches the app ------------------

class EchoClientDN(BaseHTTPRequestHandler):
    """An upstream that answers with the X-Client-DN header it received."""

    def do_GET(self):
        body = self.headers.get("X-Client-DN", "(none)").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def front_to_echo(tools, pki, tmp_path_factory) -> Iterator[str]:
    """The same nginx front in front of EchoClientDN; yields its https URL."""
    tmp = tmp_path_factory.mktemp("front")
    echo = ThreadingHTTPServer(("127.0.0.1", 0), EchoClientDN)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    try:
        nginx, port = start_nginx(tools["nginx"], tmp, pki, f"http://127.0.0.1:{echo.server_port}")
        try:
            yield f"https://127.0.0.1:{port}/"
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)
    finally:
        echo.shutdown()
        echo.server_close()


def _through_front(url: str, pki: Path, cert=None, headers=None) -> requests.Response:
    # Not a read of the service (the upstream is EchoClientDN), so not the module's session.
    with requests.Session() as session:
        return session.get(url, verify=str(pki / "ca.pem"), cert=cert, headers=headers, timeout=10)


def test_the_front_passes_the_verified_client_certificates_dn(front_to_echo, pki):
    answer = _through_front(front_to_echo, pki, cert=(str(pki / "client.pem"), str(pki / "client.key")),
                            headers={"X-Client-DN": "CN=someone-else.example"})
    assert answer.text == f"CN={CERTNAME}"


def test_the_front_drops_a_dn_sent_by_a_client_without_a_certificate(front_to_echo, pki):
    answer = _through_front(front_to_echo, pki, headers={"X-Client-DN": f"CN={CERTNAME}"})
    assert answer.status_code == 200 and answer.text == "(none)"


def test_the_front_refuses_a_certificate_from_another_ca(front_to_echo, pki, tmp_path):
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", "other.key",
             "-out", "other.pem", "-subj", f"/CN={CERTNAME}", cwd=tmp_path)
    answer = _through_front(front_to_echo, pki, cert=(str(tmp_path / "other.pem"), str(tmp_path / "other.key")))
    assert answer.status_code == 400 and "(none)" not in answer.text


# --- the run's events, read back from the service ---------------------------------------

def _events(http: requests.Session, url: str, query: str) -> list[dict]:
    response = http.get(url, params={"query": query}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_run_fails_on_its_failing_exec_and_submits_its_report(puppet_run):
    run = puppet_run.run
    # --detailed-exitcodes: 4 = failures, 6 = changes and failures
    assert run.returncode in (4, 6), run.stdout + run.stderr
    assert "Could not send report" not in run.stderr, run.stderr
    assert "Exec[always-fails]" in run.stdout + run.stderr


def test_the_report_came_through_the_front_with_a_verified_client_certificate(puppet_run):
    assert f"POST /pdb/cmd/v1 200 verify=SUCCESS dn=CN={CERTNAME}" in puppet_run.access_log.splitlines()


def test_the_runs_events_are_queryable_on_experimental_events(puppet_run):
    base, http, run = puppet_run.base, puppet_run.http, puppet_run.run
    events = _events(http, f"{base}/experimental/events", f'["=", "certname", "{CERTNAME}"]')
    by_status = {}
    for event in events:
        by_status.setdefault(event["status"], []).append(event)
    assert set(by_status) == {"success", "failure", "skipped", "noop"}, run.stdout + run.stderr
    assert [(e["resource-type"], e["resource-title"]) for e in by_status["failure"]] == [
        ("Exec", "always-fails")]
    # the file that requires the failing exec, and the one with `noop => true`
    assert [e["resource-title"] for e in by_status["skipped"]] == [f"{puppet_run.target}/after-failure.txt"]
    assert [(e["resource-title"], e["property"]) for e in by_status["noop"]] == [
        (f"{puppet_run.target}/noop-metaparam.txt", "ensure")]
    assert {("Notify", "unicode ✓"), ("Notify", "hello")} <= {
        (e["resource-type"], e["resource-title"]) for e in by_status["success"]}
    assert {e["report"] for e in events} and len({e["report"] for e in events}) == 1


def test_failures_skips_and_noops_can_be_asked_for_by_status(puppet_run):
    base, http = puppet_run.base, puppet_run.http
    for status in ("failure", "skipped", "noop"):
        found = _events(http, f"{base}/experimental/events",
                        f'["and", ["=", "certname", "{CERTNAME}"], ["=", "status", "{status}"]]')
        assert len(found) == 1 and found[0]["status"] == status


def test_the_runs_events_are_queryable_on_v4_events(puppet_run):
    base, http = puppet_run.base, puppet_run.http
    url = f"{base}/pdb/query/v4/events"
    events = _events(http, url, f'["=", "certname", "{CERTNAME}"]')
    assert {e["status"] for e in events} == {"success", "failure", "skipped", "noop"}
    failures = _events(http, url, f'["and", ["=", "certname", "{CERTNAME}"], ["=", "status", "failure"]]')
    assert [(e["resource_type"], e["resource_title"]) for e in failures] == [("Exec", "always-fails")]
