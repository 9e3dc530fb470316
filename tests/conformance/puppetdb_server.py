"""A real PuppetDB 7 on a private PostgreSQL cluster, in a temporary directory, on
127.0.0.1 only, without systemd (the recipe of ../shared/notes/puppetdb.md section 6).

`PuppetDB.start(directory)` -> a running server (`.url`); `.stop()` ends the JVM
(SIGTERM) and the cluster (`pg_ctl stop`). Needs root (the JVM runs as the
`puppetdb` user, PostgreSQL as `postgres`) and Debian's `puppetdb` and `postgresql`
packages; `missing()` says what is absent.
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

INSTALL = ('echo "puppetdb puppetdb/dbconfig-install boolean false" | debconf-set-selections'
           ' && DEBIAN_FRONTEND=noninteractive apt-get install -y puppetdb postgresql')
JAR = "/usr/share/puppetdb/puppetdb.jar"
START_TIMEOUT = 150     # seconds; ~35 s measured on an idle 2-core machine


def _pg_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


def missing() -> str | None:
    """Why a PuppetDB cannot be started here, or None."""
    if not os.path.exists(JAR) or _pg_bin() is None or shutil.which("java") is None:
        return "Debian's puppetdb and postgresql packages are not installed"
    if os.geteuid() != 0:
        return "starting PuppetDB as its own user needs root"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(*command: str, user: str | None = None, **kwargs) -> None:
    if user:
        command = ("runuser", "-u", user, "--") + command
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   **kwargs)


class PuppetDB:
    def __init__(self, directory: str):
        self.directory = directory
        self.pg_data = os.path.join(directory, "pg")
        self.pg_port = free_port()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.pg_started = False

    @classmethod
    def start(cls, directory: str) -> "PuppetDB":
        server = cls(directory)
        try:
            server._start_postgres()
            server._start_puppetdb()
        except BaseException:
            server.stop()
            raise
        return server

    def _start_postgres(self) -> None:
        pg = _pg_bin()
        os.makedirs(self.pg_data)
        sockets = os.path.join(self.directory, "sock")
        os.makedirs(sockets)
        shutil.chown(self.directory, "postgres")
        for path in (self.pg_data, sockets):
            shutil.chown(path, "postgres", "postgres")
        
        _run(f"{pg}/initdb", "-D", self.pg_data, "-U", "postgres", "-E", "UTF8",
             "--locale=C.UTF-8", "--auth-local=peer", "--auth-host=scram-sha-256",
             user="postgres")
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.pg_port} "
                   f"-c unix_socket_directories={sockets} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        _run(f"{pg}/pg_ctl", "-D", self.pg_data, "-w", "-l",
             os.path.join(self.directory, "pg.log"), "-o", options, "start", user="postgres")
        self.pg_started = True
        psql = (f"{pg}/psql", "-h", sockets, "-p", str(self.pg_port), "-v", "ON_ERROR_STOP=1")
        _run(*psql, "-c", "CREATE ROLE puppetdb LOGIN PASSWORD 'puppetdb'", user="postgres")
        _run(*psql, "-c", "CREATE DATABASE puppetdb OWNER puppetdb ENCODING 'UTF8' "
             "TEMPLATE template0", user="postgres")
        # PuppetDB 7 refuses to start without pg_trgm; only a superuser creates it.
        _run(*psql, "-d", "puppetdb", "-c", "CREATE EXTENSION IF NOT EXISTS pg_trgm",
             user="postgres")

    def _start_puppetdb(self) -> None:
        conf = os.path.join(self.directory, "conf.d")
        var = os.path.join(self.directory, "var")
        os.makedirs(conf)
        os.makedirs(var)
        shutil.copy("/etc/puppetdb/conf.d/auth.conf", conf)
        bootstrap = os.path.join(self.directory, "bootstrap.cfg")
        shutil.copy("/etc/puppetdb/bootstrap.cfg", bootstrap)
        logback = os.path.join(self.directory, "logback.xml")
        with open(logback, "w") as out:
            out.write('<configuration><appender name="F" class="ch.qos.logback.core.FileAppender">'
                      f'<file>{var}/puppetdb.log</file><encoder><pattern>%d %-5p '
                      '[%c{2}] %m%n</pattern></encoder></appender><root level="info">'
                      '<appender-ref ref="F"/></root></configuration>')
        files = {
            "config.ini": f"[global]\nvardir = {var}\nlogging-config = {logback}\n"
                          "[puppetdb]\ndisable-update-checking = true\n"
                          "[command-processing]\nthreads = 1\n",
            # Fixture times are fixed dates: no TTL may drop them (notes 6.8).
            "database.ini": f"[database]\nsubname = //127.0.0.1:{self.pg_port}/puppetdb\n"
                            "username = puppetdb\npassword = puppetdb\n"
                            "report-ttl = 3650d\nresource-events-ttl = 3650d\n"
                            "node-ttl = 0s\nnode-purge-ttl = 0s\n",
            "jetty.ini": f"[jetty]\nhost = 127.0.0.1\nport = {self.port}\n",
        }
        for name, text in files.items():
            with open(os.path.join(conf, name), "w") as out:
                out.write(text)
        # PuppetDB runs as its own user: it must read its configuration, write its vardir.
        for path in (conf, var, bootstrap, logback,
                     *(os.path.join(conf, name) for name in os.listdir(conf))):
            shutil.chown(path, "puppetdb", "puppetdb")
        # setpriv execs, so the process is the JVM itself.
        self.process = subprocess.Popen(
            ["setpriv", "--reuid=puppetdb", "--regid=puppetdb", "--init-groups",
             "/usr/bin/java", "-Xmx192m", "-Djava.security.egd=/dev/urandom", "-cp", JAR,
             "clojure.main", "-m", "puppetlabs.puppetdb.core", "services",
             "--config", conf, "--bootstrap-config", bootstrap],
            stdout=open(os.path.join(self.directory, "stdout.log"), "wb"),
            stderr=subprocess.STDOUT, cwd=self.directory)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"PuppetDB exited ({self.process.returncode}); "
                                   f"see {self.directory}/var/puppetdb.log and stdout.log")
            try:
                with urllib.request.urlopen(
                        self.url + "/status/v1/services/puppetdb-status", timeout=2) as answer:
                    if json.load(answer).get("state") == "running":
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"PuppetDB did not start within {START_TIMEOUT} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.pg_started:
            _run(f"{_pg_bin()}/pg_ctl", "-D", self.pg_data, "-m", "fast", "stop",
                 user="postgres")
            self.pg_started = False


if __name__ == "__main__":      # by hand: python -m tests.conformance.puppetdb_server DIR
    import sys
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))     # stop() on kill, too
    server = PuppetDB.start(sys.argv[1])
    print(server.url, server.process.pid, flush=True)
    try:
        signal.pause()
    finally:
        server.stop()
