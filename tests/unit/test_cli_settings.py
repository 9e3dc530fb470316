"""A bad setting stops every console command with one line naming it (stderr,
status 2, as argparse's usage errors), not a traceback (chalicelib/cli/__main__.py)."""
from __future__ import annotations

import pytest

from chalicelib.cli.__main__ import main

RETENTION = ("EVENTS_REPORT_TTL", "EVENTS_RESOURCE_EVENTS_TTL", "EVENTS_NODE_TTL",
             "EVENTS_NODE_PURGE_TTL", "EVENTS_JOB_PRUNE_DAYS_THRESHOLD", "EVENTS_ACTIVITY_TTL",
             "EVENTS_GC_INTERVAL")


@pytest.mark.parametrize("name, value, why", [
    ("EVENTS_REPORT_TTL", "14x", "is not a duration"),
    ("EVENTS_REPORT_TTL", "-1d", "is not a duration"),
    ("EVENTS_REPORT_TTL", "1.5d", "is not a duration"),
    ("EVENTS_REPORT_TTL", "9999999999d", "is longer than 36500 days"),
    ("EVENTS_RESOURCE_EVENTS_TTL", "30d", "must not be longer than EVENTS_REPORT_TTL"),
    ("EVENTS_GC_INTERVAL", "abc", "expected a number"),
    ("EVENTS_GC_INTERVAL", "-5", "expected 0 or more minutes"),
    ("EVENTS_GC_INTERVAL", "nan", "expected 0 or more minutes"),
    ("EVENTS_MAX_PAGE_LIMIT", "many", "expected a whole number"),
    ("EVENTS_LOG_QUERIES", "maybe", "expected true or false"),
    ("EVENTS_STORAGE", "postgres", "must be 'sqlite' or 'dynamodb'"),
])
@pytest.mark.parametrize("command", [["gc"], ["demo"], ["import-reports", "."],
                                     ["backfill-latest"], ["create-tables"]])
def test_a_bad_setting_is_one_line_naming_it_and_status_2(tmp_path, monkeypatch, capsys,
                                                          command, name, value, why):
    if command == ["create-tables"] and name == "EVENTS_STORAGE":
        pytest.skip("create-tables works on DynamoDB whatever EVENTS_STORAGE says")
    monkeypatch.setenv("EVENTS_SQLITE_PATH", str(tmp_path / "events.db"))
    for other in RETENTION:             # the tests' environment may set them
        monkeypatch.delenv(other, raising=False)
    monkeypatch.setenv(name, value)
    assert main(command) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and name in err and why in err, err
    assert not (tmp_path / "events.db").exists()
