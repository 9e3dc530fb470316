"""puppetboard 8.1.0, the standard PuppetDB web UI, as a real process in front of the
service (issue 14), and headless Chromium to render its pages.

puppetboard needs Python >= 3.12 and brings Flask and ~25 other packages that are no
part of the service, so it runs from its own venv, built from the pins in
puppetboard-requirements.txt with a Python >= 3.12 found on the machine, and cached
under .venv-puppetboard/ (gitignored) by puppetboard version, Python version and
the pins' hash. No such Python, or no Debian `chromium`: the tests skip, except under
CI (`CI` set), where they fail.
"""
from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.e2e import conftest as e2e

REQUIREMENTS = Path(__file__).with_name("puppetboard-requirements.txt")
VERSION = re.search(r"^puppetboard==(\S+)$", REQUIREMENTS.read_text(), re.M).group(1)
VENVS = e2e.ROOT / ".venv-puppetboard"
MINIMUM_PYTHON = (3, 12)         # puppetboard 8.1.0: Requires-Python >=3.12,<4.0
LIFETIME_SECONDS = 600           # puppetboard and Chromium stop by themselves after this
INSTALL_SECONDS = 600


def require(what: str, reason: str):
    """Skip, or fail under CI, naming what is missing and how to get it."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the puppetboard test, but {what}: {reason}", pytrace=False)
    pytest.skip(f"{what}: {reason}")


def _version_of(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    if out.returncode != 0:
        return None
    major, minor = out.stdout.split()
    return int(major), int(minor)


def find_python() -> tuple[str, tuple[int, int]]:
    """The newest Python >= 3.12 on the machine: the suite's own, pythonX.Y on PATH,
    or one pyenv installed (as .ci/run looks for its Pythons)."""
    pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates = [sys.executable]
    for minor in range(20, MINIMUM_PYTHON[1] - 1, -1):
        candidates.append(shutil.which(f"python3.{minor}") or "")
        candidates += sorted(glob.glob(f"{pyenv}/versions/3.{minor}.*/bin/python3.{minor}"))
    found = [(version, python) for python in candidates if python
             for version in [_version_of(python)] if version and version >= MINIMUM_PYTHON]
    if not found:
        require("no Python >= 3.12 was found",
                "puppetboard 8.1.0 needs one (pyenv install 3.13, or Debian's python3.13)")
    version, python = max(found)
    return python, version


def venv() -> Path:
    """The venv's python, built on first use: .venv-puppetboard/<version>-py3.X-<pins hash>."""
    python, version = find_python()
    pins = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    home = VENVS / f"{VERSION}-py{version[0]}.{version[1]}-{pins}"
    ready = home / ".installed"        # written last: a half-built venv is built again
    if not ready.exists():
        shutil.rmtree(home, ignore_errors=True)
        subprocess.run([python, "-m", "venv", str(home)], check=True, timeout=120)
        result = subprocess.run(
            [str(home / "bin" / "python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
            capture_output=True, text=True, timeout=INSTALL_SECONDS)
        if result.returncode != 0:
            raise RuntimeError(f"installing puppetboard {VERSION} failed:\n{result.stderr[-3000:]}")
        ready.write_text(REQUIREMENTS.read_text())
    return home / "bin" / "python"


SETTINGS = """\
PUPPETDB_HOST = '127.0.0.1'
PUPPETDB_PORT = {port}
PUPPETDB_PROTO = 'https'
PUPPETDB_SSL_VERIFY = {ca!r}
PUPPETDB_CERT = {cert!r}
PUPPETDB_KEY = {key!r}
SECRET_KEY = {secret!r}
OFFLINE_MODE = True
ENABLE_CATALOG = True
{extra}
"""


def start(python: Path, tmp: Path, front_port: int, pki: Path, client: str, extra: str = ""):
    """puppetboard's Flask server on 127.0.0.1, reading PuppetDB at https://127.0.0.1:
    `front_port` with the client certificate `pki/<client>.pem`; returns (process, URL)."""
    settings = tmp / "puppetboard_settings.py"
    settings.write_text(SETTINGS.format(
        port=front_port, ca=str(pki / "ca.pem"), cert=str(pki / f"{client}.pem"),
        key=str(pki / f"{client}.key"), secret=os.urandom(24).hex(), extra=extra))
    port = e2e.free_port()
    log = tmp / "puppetboard.log"
    env = {**os.environ, "PUPPETBOARD_SETTINGS": str(settings)}
    with open(log, "w") as output:
        process = subprocess.Popen(
            ["timeout", str(LIFETIME_SECONDS), str(python), "-m", "flask", "--app", "puppetboard.app",
             "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload", "--no-debugger"],
            cwd=tmp, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"puppetboard exited ({process.returncode}):\n{log.read_text()}")
        try:
            if requests.get(base + "/status", timeout=5).text == "OK":
                return process, base
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"puppetboard did not start:\n{log.read_text()}")


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium", path="/usr/bin")
    if not found:
        require("Debian's `chromium` is missing", "apt-get install chromium (.ci/run does)")
    return found


def dump_dom(browser: str, url: str, tmp: Path) -> str:
    """The DOM after the page's scripts ran (headless Chromium --dump-dom)."""
    result = subprocess.run(
        ["timeout", "120", browser, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-dev-shm-usage", "--no-first-run", f"--user-data-dir={tmp / 'chromium'}",
         "--virtual-time-budget=15000", "--dump-dom", url],
        capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout
