"""`python -m chalicelib.cli token ...` on the SQLite store."""
from __future__ import annotations

import os
import stat

import pytest

from chalicelib.auth import tokens
from chalicelib.cli.__main__ import main
from chalicelib.storage.sqlite import SqliteStorage


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EVENTS_STORAGE", "sqlite")
    monkeypatch.setenv("EVENTS_SQLITE_PATH", str(tmp_path / "events.db"))
    monkeypatch.chdir(tmp_path)

    def run(*argv):
        status = main(["token", *argv])
        out, err = capsys.readouterr()
        return status, out, err
    return run


def _store(tmp_path):
    return SqliteStorage(str(tmp_path / "events.db"))


def test_create_prints_the_token_once_and_stores_only_its_hash(cli, tmp_path):
    status, out, err = cli("create", "--scope", "puppetdb:read", "--scope", "activity:read",
                           "--label", "dashboards", "--expires-in", "30d")
    secret = out.strip()
    stored = _store(tmp_path).get_token(tokens.token_id(secret))
    assert status == 0 and "shown once" in err
    assert stored.scopes == ("puppetdb:read", "activity:read") and stored.label == "dashboards"
    assert stored.expires is not None and tokens.matches(stored, secret)
    _, listing, _ = cli("list")
    assert stored.id in listing and "dashboards" in listing and secret.split(".")[1] not in listing


def test_revoke_marks_the_token_revoked(cli, tmp_path):
    _, out, _ = cli("create", "--scope", "admin")
    token_id = tokens.token_id(out.strip())
    assert cli("revoke", token_id)[0] == 0
    assert _store(tmp_path).get_token(token_id).revoked is not None
    assert cli("revoke", "0123456789abcdef")[0] == 1


def test_ensure_admin_writes_a_private_file_once(cli, tmp_path):
    status, out, _ = cli("ensure-admin")
    path = tmp_path / "data" / "admin-token"
    first = path.read_text().strip()
    assert status == 0 and "data/admin-token" in out
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert _store(tmp_path).get_token(tokens.token_id(first)).scopes == ("admin",)
    cli("ensure-admin")
    assert path.read_text().strip() == first          # still valid: kept


def test_ensure_admin_replaces_a_revoked_token(cli, tmp_path):
    cli("ensure-admin")
    path = tmp_path / "data" / "admin-token"
    first = path.read_text().strip()
    cli("revoke", tokens.token_id(first))
    cli("ensure-admin")
    assert path.read_text().strip() != first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
