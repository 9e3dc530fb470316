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


def test_list_columns_line_up_whatever_the_scopes_and_labels(cli):
    cli("create", "--scope", "admin", "--label", "a")
    cli("create", "--scope", "puppetdb:read", "--scope", "activity:read", "--label", "dashboards",
        "--expires-in", "30d")
    cli("create", "--scope", "orchestrator:write", "--label", "ci")
    _, listing, _ = cli("list")
    header, *rows = listing.splitlines()
    assert len(rows) == 3
    for column in ("STATE", "CREATED", "EXPIRES", "SCOPES", "LABEL"):
        start = header.index(column)
        for row in rows:       # every value of the column starts where its heading does
            assert row[start - 2:start] == "  " and row[start] != " ", (column, row)
    assert not any(line.endswith(" ") for line in listing.splitlines())


def test_make_runs_first_steps_create_a_private_data_directory(tmp_path, monkeypatch, capsys):
    """`make run` before serving: `demo --if-empty`, then `token ensure-admin`, in a clone
    without data/: data/ is 0700, the database files and the token 0600 (issue 20)."""
    monkeypatch.delenv("EVENTS_SQLITE_PATH", raising=False)
    monkeypatch.setenv("EVENTS_STORAGE", "sqlite")
    monkeypatch.chdir(tmp_path)
    previous = os.umask(0o022)            # the usual umask, which gave 0755 and 0644
    try:
        assert main(["demo", "--if-empty"]) == 0
        assert main(["token", "ensure-admin"]) == 0
    finally:
        os.umask(previous)
    store = SqliteStorage("data/events.db")      # as `chalice local` holds it open
    store.get_token("0123456789abcdef")
    files = sorted(p.name for p in (tmp_path / "data").iterdir())
    assert {"events.db", "events.db-wal", "events.db-shm", "admin-token"} <= set(files)
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    for name in files:
        assert stat.S_IMODE((tmp_path / "data" / name).stat().st_mode) == 0o600, name
    store.close()
