"""README's examples run (issue 18): every shell and Python example in README.md, taken
from the file itself so a new section's examples are covered too, run in README's order
against a real `chalice local` holding `make run`'s demo data:
- over SQLite, set up by `make run`'s own steps (read from the Makefile's `run` recipe);
- over DynamoDB on moto's ThreadedMotoServer (127.0.0.1), set up by the commands of
  README's "Running on DynamoDB" section.
Each example must succeed (exit 0, every HTTP answer 2xx), and an answer that lists
rows must list some: a reader cannot tell a wrong example from an empty store.
The few that cannot run here are in NOT_RUN, each with its reason."""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from .conftest import ROOT, start_chalice

README = ROOT / "README.md"
DYNAMODB_SECTION = "Running on DynamoDB"
README_URL = "http://127.0.0.1:8000"      # where README's examples send requests
README_MOTO_URL = "http://127.0.0.1:5000"  # where README's moto server listens

# Examples that do not run here, by how the command starts, each with the reason.
NOT_RUN = {
    "make ": "make targets act on the checkout's own .venv and ./data (run serves, test is "
             "this suite, clean deletes); this test does `make run`'s steps itself",
    ".venv/bin/python -m chalicelib.cli import-reports /opt/": "a Puppet Server's reportdir; "
             "tests/contract/test_reportdir_import.py imports one",
    'curl -H "X-Authentication: $(cat data/admin-token)" "http://127.0.0.1:8000/subscriptions/$ID/dead-letters"':
        "$ID is the reader's shell variable from the example before, and a new subscription "
        "has no dead letters (one needs 24 h of failures); tests/http/test_subscription_delivery.py "
        "lists and replays them",
    'curl -X POST -H "X-Authentication: $(cat data/admin-token)" "http://127.0.0.1:8000/subscriptions/$ID/dead-letters/replay"':
        "as the dead-letter list above",
    "python3.13 -m venv /opt/puppetboard": "installs puppetboard outside the checkout; "
             "tests/e2e/test_puppetboard_e2e.py builds the same venv from the same pins",
    "PUPPETBOARD_SETTINGS=": "serves puppetboard until stopped, with certificates under /etc; "
             "tests/e2e/test_puppetboard_e2e.py runs it through a TLS front",
}
# Examples skipped on the DynamoDB pass, which serves the cloud (`prod`) stage: it
# refuses plain-http and loopback receivers by design (README "Subscriptions").
LOCAL_STAGE_ONLY = ("/subscriptions",)
# Commands that need DynamoDB, skipped on the SQLite pass (they would call AWS).
DYNAMODB_ONLY = ("create-tables",)
# README placeholders, replaced by the value a reader would paste.
REVOKE_EXAMPLE_ID = "3f9c2a71d04b8e65"   # "token revoke <id>": the id the example before created
REPORT_PLACEHOLDER = "<hash>"           # v4 "reports/<hash>/events": a report of the demo

CURL_STATUS = 'curl() { command curl -w "%{stderr}HTTP-STATUS %{http_code}\\n" "$@"; }\n'


@dataclass
class Example:
    section: str
    language: str      # "sh" or "python"
    text: str


def examples(markdown: str) -> list[Example]:
    """Every command of every ```sh block (continuation lines and multi-line quoted
    arguments joined; comment lines dropped) and every ```python block, in order."""
    found, section = [], ""
    blocks = re.finditer(r"^(#{2,3}) ([^\n]+)$|^```(sh|python)\n(.*?)^```", markdown, re.M | re.S)
    for match in blocks:
        if match.group(2):
            section = match.group(2).strip() if match.group(1) == "##" else section
        elif match.group(3) == "python":
            found.append(Example(section, "python", match.group(4)))
        else:
            found += [Example(section, "sh", c) for c in shell_commands(match.group(4))]
    return found


def shell_commands(block: str) -> list[str]:
    """Split a shell block into commands: a newline ends one unless it is inside quotes
    or follows a backslash; `#` outside quotes starts a comment to the end of the line."""
    commands, current, quote, i = [], "", None, 0
    while i < len(block):
        char = block[i]
        if quote:
            current += char
            if char == quote:
                quote = None
            elif char == "\\" and quote == '"':
                current += block[i + 1]
                i += 1
        elif char in "'\"":
            quote, current = char, current + char
        elif char == "#" and (not current or current[-1] in " \t\n"):
            while i < len(block) and block[i] != "\n":
                i += 1
            continue
        elif char == "\\" and block[i + 1:i + 2] == "\n":
            current += " "
            i += 1
        elif char == "\n":
            if current.strip():
                commands.append(current.strip())
            current = ""
        else:
            current += char
        i += 1
    if current.strip():
        commands.append(current.strip())
    return commands


def not_run(command: str) -> bool:
    return any(command.startswith(prefix) for prefix in NOT_RUN)


def listed_rows(body: str) -> list | None:
    """The rows an answer lists (a JSON array, or its `items`/`commits`), a CSV's data
    rows, or None when the answer is not a listing."""
    text = body.strip()
    if text.startswith("HTTP/"):                     # curl -i: headers, blank line, body
        text = re.split(r"\r?\n\r?\n", text, maxsplit=1)[-1].strip()
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, dict):
        value = next((value[k] for k in ("items", "commits") if isinstance(value.get(k), list)),
                     None)
    return value if isinstance(value, list) else None


class Reader:
    """Runs examples as a reader would: bash in a working directory holding `.venv`,
    the code and data/, with the environment the earlier examples set up."""

    def __init__(self, work: Path, env: dict):
        self.work, self.env = work, env
        self.base = README_URL
        self.failures: list[str] = []
        self.last_created_token: str | None = None
        for name, target in ((".venv", Path(sys.prefix)), ("chalicelib", ROOT / "chalicelib"),
                             ("tests", ROOT / "tests")):
            (work / name).symlink_to(target)

    def substitute(self, text: str) -> str:
        port = self.base.rsplit(":", 1)[1]
        text = text.replace(README_URL, self.base).replace("port=8000", f"port={port}")
        if self.last_created_token:
            text = text.replace(REVOKE_EXAMPLE_ID, self.last_created_token)
        return text.replace(REPORT_PLACEHOLDER, demo_report_hash())

    def run(self, example: Example) -> subprocess.CompletedProcess:
        text = self.substitute(example.text)
        argv = ([str(self.work / ".venv/bin/python"), "-c", text] if example.language == "python"
                else ["bash", "-c", "set -o pipefail\n" + CURL_STATUS + text])
        before = set(os.listdir(self.work))
        result = subprocess.run(argv, cwd=self.work, env=self.env, capture_output=True,
                                text=True, timeout=120)
        self.check(example, text, result, set(os.listdir(self.work)) - before)
        if " token create " in f" {text} " and result.returncode == 0:
            self.last_created_token = result.stdout.strip().split(".")[0]
        return result

    def check(self, example: Example, text: str, result, new_files: set[str]) -> None:
        where = f"[{example.section}] {text[:160]}"
        statuses = [int(s) for s in re.findall(r"^HTTP-STATUS (\d+)$", result.stderr, re.M)]
        if result.returncode != 0 or any(not 200 <= s < 300 for s in statuses):
            self.failures.append(f"{where}\n  exit {result.returncode}, HTTP {statuses}: "
                                 f"{(result.stdout + result.stderr).strip()[:400]}")
            return
        answers = [(result.stdout, listed_rows(result.stdout))]
        for name in sorted(f for f in new_files if (self.work / f).is_file()):
            content = (self.work / name).read_text()   # a download (curl -O): JSON, or CSV rows
            rows = listed_rows(content)
            if rows is None and _is_json(content):      # one JSON object, e.g. a created record
                continue
            answers.append((content, rows if rows is not None else content.splitlines()[1:]))
        for answer, rows in answers:
            if rows is not None and not rows:
                self.failures.append(f"{where}\n  answered no rows: {answer.strip()[:200]}")


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def demo_report_hash() -> str:
    from chalicelib.puppetdb.demo import demo_reports
    return demo_reports()[0].hash


def make_run_steps() -> list[str]:
    """`make run`'s recipe, as README's Quick start runs it, without the final
    `chalice local` (this test starts the server) and the port check (ports are free)."""
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    steps = [line.strip().lstrip("@").replace("$(BIN)", ".venv/bin") for line in recipe.splitlines()]
    return [s for s in steps if "chalice local" not in s and "check-port" not in s]


def run_the_other_sections(reader: Reader, skip_section: str, dynamodb: bool) -> None:
    for example in examples(README.read_text()):
        if example.section == skip_section or (example.language == "sh" and not_run(example.text)):
            continue
        if not dynamodb and any(word in example.text for word in DYNAMODB_ONLY):
            continue
        if dynamodb and any(word in example.text for word in LOCAL_STAGE_ONLY):
            continue
        reader.run(example)


def test_not_run_names_only_examples_that_exist():
    """The exclusions stay honest: each still matches an example in README."""
    commands = [e.text for e in examples(README.read_text()) if e.language == "sh"]
    for prefix in NOT_RUN:
        assert any(c.startswith(prefix) for c in commands), prefix
    assert any(REVOKE_EXAMPLE_ID in c for c in commands)


def test_every_curl_example_sends_the_token():
    """Except to the status service, which is public (docs/security.md "Status")."""
    for example in examples(README.read_text()):
        if example.language == "sh" and re.search(r"\bcurl\b", example.text) \
                and "/status/v1/" not in example.text:
            assert "X-Authentication" in example.text, f"[{example.section}] {example.text}"


def test_readme_examples_run_on_make_runs_sqlite_demo(tmp_path):
    work = tmp_path / "clone"
    work.mkdir()
    database = work / "data" / "events.db"
    env = {**os.environ, "EVENTS_SQLITE_PATH": str(database), "TOKEN": ""}
    env.pop("EVENTS_STORAGE", None)
    env.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    reader = Reader(work, env)
    for step in make_run_steps():
        result = subprocess.run(["bash", "-c", step], cwd=work, env=env, capture_output=True,
                                text=True, timeout=120)
        assert result.returncode == 0, step + result.stdout + result.stderr
    # The API description's example reads the token from $TOKEN.
    env["TOKEN"] = (work / "data" / "admin-token").read_text().strip()
    process, reader.base = start_chalice("local", {"EVENTS_SQLITE_PATH": str(database)}, tmp_path)
    try:
        run_the_other_sections(reader, DYNAMODB_SECTION, dynamodb=False)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert not reader.failures, "\n".join(reader.failures)


def test_readme_examples_run_on_dynamodb_after_its_section(tmp_path, moto_server):
    requests.post(moto_server + "/moto-api/reset", timeout=5)
    work = tmp_path / "clone"
    work.mkdir()
    env = {**os.environ, "TOKEN": ""}
    env.pop("EVENTS_STORAGE", None)
    reader = Reader(work, env)
    section = [e for e in examples(README.read_text()) if e.section == DYNAMODB_SECTION]
    assert any("chalice local --stage prod" in e.text for e in section)
    process = None
    try:
        for example in section:
            text = example.text.replace(README_MOTO_URL, moto_server)
            if text.startswith(".venv/bin/moto_server"):
                continue                   # the moto_server fixture, at its own port
            if text.startswith("export "):
                env.update(word.split("=", 1) for word in shlex.split(text)[1:])
            elif ".venv/bin/chalice local" in text:
                server_env = {k: env[k] for k in env if k.startswith(("AWS_", "EVENTS_"))}
                process, reader.base = start_chalice("prod", server_env, tmp_path)
            else:
                example.text = text
                result = reader.run(example)
                assert result.returncode == 0, text + result.stdout + result.stderr
        assert process is not None and env.get("EVENTS_STORAGE") == "dynamodb"
        assert not reader.failures, "\n".join(reader.failures)
        env["TOKEN"] = (work / "data" / "admin-token").read_text().strip()
        run_the_other_sections(reader, DYNAMODB_SECTION, dynamodb=True)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
    assert not reader.failures, "\n".join(reader.failures)


@pytest.mark.parametrize("block, expected", [
    ("a \\\n  b\n# c\nd 'e\nf' # g's\n", ["a    b", "d 'e\nf'"]),
    ('x "y \\" z" # q\n', ['x "y \\" z"']),
])
def test_shell_blocks_split_into_commands(block, expected):
    assert shell_commands(block) == expected
