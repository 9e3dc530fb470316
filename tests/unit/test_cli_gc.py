"""`python -m chalicelib.cli gc` (README "Retention"): one pass over the configured
store under the environment's lifetimes, printing what it deleted."""
from __future__ import annotations

from chalicelib.cli.__main__ import main
from chalicelib.storage.sqlite import SqliteStorage
from tests.retention_factories import DAY, T0, Clock, lifetimes, report, report_hashes


def test_gc_collects_the_configured_store_once_and_says_what_went(tmp_path, monkeypatch, capsys):
    path = tmp_path / "events.db"
    monkeypatch.setenv("EVENTS_STORAGE", "sqlite")
    monkeypatch.setenv("EVENTS_SQLITE_PATH", str(path))
    lifetimes(monkeypatch)
    clock = Clock(monkeypatch)
    store = SqliteStorage(str(path))
    store.store_report(report("retention-cli.example", T0))
    clock.now = T0 + 20 * DAY
    assert main(["gc"]) == 0
    assert "2 events, 1 reports" in capsys.readouterr().out
    assert report_hashes(store) == set()


def test_gc_every_zero_minutes_does_not_loop(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EVENTS_SQLITE_PATH", str(tmp_path / "events.db"))
    monkeypatch.setenv("EVENTS_GC_INTERVAL", "0")
    assert main(["gc", "--every"]) == 0
    assert "no periodic collection" in capsys.readouterr().out
