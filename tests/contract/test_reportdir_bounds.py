"""`import-reports` holds a report to the same event cap as a submitted one (issue 20,
item 5; docs/security.md "Write bounds"), on both adapters."""
from __future__ import annotations

import shutil
from pathlib import Path

from chalicelib.puppetdb.ingest import reportdir

REPORTDIR = Path(__file__).parent.parent / "fixtures" / "puppet" / "reportdir"


def test_a_report_past_the_event_cap_is_skipped_with_the_reason_and_the_rest_imported(
        store, tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTS_MAX_REPORT_EVENTS", "11")    # run1 has 13 events, run3 9
    shutil.copytree(REPORTDIR, tmp_path / "reports")
    files, _ = reportdir.candidate_files(tmp_path / "reports")
    summary = reportdir.import_files(store, files)
    assert (summary.imported, summary.events) == (1, 9)
    assert [(path.name, reason) for path, reason in summary.skipped] == [
        ("202611220506-run1.yaml", "invalid report: the report has more than 11 resource events")]
