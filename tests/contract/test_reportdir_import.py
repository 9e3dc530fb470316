"""`import-reports`: a Puppet reportdir into the store, idempotently (both adapters)."""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from chalicelib.cli import import_reports
from chalicelib.cli.__main__ import main
from chalicelib.puppetdb.dialects import v1_4
from chalicelib.puppetdb.ingest import reports
from chalicelib.puppetdb.catalogue import full_order

FIXTURES = Path(__file__).parent.parent / "fixtures"
REPORTDIR = FIXTURES / "puppet" / "reportdir"
EVENTS_IN_FIXTURES = 12 + 10        # run1 and run3 (tests/fixtures/puppetdb/store_report_v8_{1,3})


@pytest.fixture
def reports_dir(tmp_path) -> Path:
    """The fixture reports, plus files an import must skip (and one it ignores)."""
    directory = tmp_path / "reports"
    shutil.copytree(REPORTDIR, directory)
    (directory / "broken").mkdir()
    (directory / "broken" / "truncated.yaml").write_text("--- !ruby/object:Puppet::Transaction::Report\nhost: [\n")
    (directory / "broken" / "last_run_summary.yaml").write_text("version:\n  config: 1\n")
    (directory / "broken" / "README").write_text("not yaml")
    return directory


def _import(store, directory: Path) -> str:
    out = io.StringIO()
    assert import_reports.run(store, directory, "the store", out=out, progress=io.StringIO()) == 0
    return out.getvalue()


def _all_events(store) -> list[dict]:
    where = v1_4.parse(["~", "certname", "."])
    return store.find_events(where, full_order([("report", "asc")]), 0, None).items


def test_an_import_stores_every_report_and_says_what_it_skipped(store, reports_dir):
    summary = _import(store, reports_dir)
    assert summary.splitlines() == [
        f"2 report(s) imported ({EVENTS_IN_FIXTURES} events) into the store",
        "0 report(s) already present",
        "2 file(s) skipped, 1 other file(s) ignored (not .yaml/.yml)",
        "  skipped broken/last_run_summary.yaml: not a Puppet report (untagged; "
        "a report is tagged !ruby/object:Puppet::Transaction::Report)",
        "  skipped broken/truncated.yaml: unparseable YAML: did not find expected node content "
        "(line 3, column 1)"]
    assert len(_all_events(store)) == EVENTS_IN_FIXTURES


def test_importing_again_stores_nothing_twice(store, reports_dir):
    _import(store, reports_dir)
    before = _all_events(store)
    summary = _import(store, reports_dir)
    assert summary.splitlines()[:2] == ["0 report(s) imported (0 events) into the store",
                                        "2 report(s) already present"]
    assert _all_events(store) == before


def test_imported_events_are_the_ones_the_report_processor_would_have_stored(store, reports_dir):
    _import(store, reports_dir)
    submitted = [reports.from_v8(json.loads((FIXTURES / "puppetdb" / f"store_report_v8_{n}.json")
                                            .read_text())["body"]) for n in (1, 3)]
    strip = lambda e: {k: v for k, v in e.items() if k not in ("report", "seq", "report_receive_time")}  # noqa: E731
    key = lambda e: (e["timestamp"], e["resource_title"], e["property"] or "")  # noqa: E731
    expected = sorted((strip(e) for r in submitted for e in r.events), key=key)
    assert sorted((strip(e) for e in _all_events(store)), key=key) == expected


def test_the_console_command_imports_into_the_configured_sqlite_store(tmp_path, reports_dir,
                                                                       monkeypatch, capsys):
    monkeypatch.setenv("EVENTS_STORAGE", "sqlite")
    monkeypatch.setenv("EVENTS_SQLITE_PATH", str(tmp_path / "events.db"))
    assert main(["import-reports", str(reports_dir)]) == 0
    assert main(["import-reports", str(reports_dir)]) == 0
    printed = capsys.readouterr().out
    assert "2 report(s) imported" in printed and "2 report(s) already present" in printed


def test_the_console_command_refuses_a_missing_directory(tmp_path, capsys):
    assert import_reports.run(None, tmp_path / "missing", "the store") == 2
    assert "is not a directory" in capsys.readouterr().err
