"""Which files of a reportdir are reports, and why the others are skipped
(chalicelib/puppetdb/ingest/reportdir.py)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chalicelib.puppetdb.ingest import reportdir

REPORTDIR = Path(__file__).parent.parent / "fixtures" / "puppet" / "reportdir"


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_yaml_files_are_found_in_every_subdirectory_in_a_stable_order(tmp_path):
    shutil.copytree(REPORTDIR, tmp_path / "reports")
    _file(tmp_path, "reports/b.example/202401010000.yml", "")
    _file(tmp_path, "reports/node-a.anchor.test/notes.txt", "")
    files, others = reportdir.candidate_files(tmp_path / "reports")
    assert [str(f.relative_to(tmp_path / "reports")) for f in files] == [
        "b.example/202401010000.yml", "node-a.anchor.test/202611220506-run1.yaml",
        "node-a.anchor.test/202611220506-run3.yaml"]
    assert others == 1


def test_a_fixture_report_reads_as_a_report():
    report = reportdir.read_report(REPORTDIR / "node-a.anchor.test" / "202611220506-run1.yaml")
    assert report.certname == "node-a.anchor.test"
    assert {e["status"] for e in report.events} == {"success", "failure", "skipped", "noop"}


@pytest.mark.parametrize("text,reason", [
    ("host: [a\n", "unparseable YAML: "),
    ("--- a\n--- b\n", "unparseable YAML: "),
    ("", "not a Puppet report (empty;"),
    ("status: changed\n", "not a Puppet report (untagged;"),
    ("--- !ruby/object:Puppet::Node::Facts\nname: a\n", "not a Puppet report (tagged !ruby/object:Puppet::Node::Facts;"),
    ("--- !ruby/object:Puppet::Transaction::Report\ntime: '2024-01-01T00:00:00Z'\n",
     "invalid report: missing required key 'host'"),
    ("--- !ruby/object:Puppet::Transaction::Report\nhost: a\ntime: soon\nenvironment: p\n"
     "resource_statuses: {}\n", "invalid report: invalid time: 'soon'"),
])
def test_a_file_that_is_not_a_report_is_skipped_with_its_reason(tmp_path, text, reason):
    with pytest.raises(reportdir.NotAReport) as skipped:
        reportdir.read_report(_file(tmp_path, "x.yaml", text))
    assert str(skipped.value).startswith(reason)


def test_a_file_that_cannot_be_read_is_skipped(tmp_path):
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(reportdir.NotAReport, match="^unreadable: "):
        reportdir.read_report(tmp_path / "dir.yaml")
