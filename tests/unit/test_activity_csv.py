"""CSV rendering (document 003): header, Submit Time form, RFC 4180 quoting."""
from __future__ import annotations

from chalicelib.activity import csv
from chalicelib.activity.model import Commit, Entity


def make(message, objects=(Entity("g", "web", "node_groups"),), events=None):
    return Commit(service_id="classifier", subject=Entity("k", "kai", None), objects=objects,
                  timestamp="2019-03-05T18:52:27.760000Z", ip_address="10.0.0.1",
                  events=events if events is not None else ({"type": "edit", "message": message},),
                  sequence=1)


def test_quotes_commas_quotes_and_newlines():
    text = csv.render([make('a, "b"\nc')], 1)
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
