"""CSV downloads (document 003; v2 adds `Ip Address`): one row per event of each
commit (per object too, for v2's several objects), RFC 4180 via the csv module."""
from __future__ import annotations

import csv as _csv
import io
from typing import Iterable

from .. import timestamps
from .model import Commit, subject_type

V1_COLUMNS = ("Submit Time", "Subject Type", "Subject Id", "Subject Name", "Object Type",
              "Object Id", "Object Name", "Type", "What", "Description", "Message")
V2_COLUMNS = V1_COLUMNS + ("Ip Address",)
EVENT_COLUMNS = ("type", "what", "description", "message")
CONTENT_TYPE = "text/csv; charset=utf-8"


def _text(value: object) -> str:
    return "" if value is None else str(value)


def rows(commits: Iterable[Commit], version: int) -> Iterable[list[str]]:
    for commit in commits:
        objects = commit.objects if version == 2 else commit.objects[:1]
        # A commit without events still shows up, with empty event columns.
        events = commit.events or ({},)
        for obj in objects:
            for event in events:
                row = [timestamps.csv_time(commit.timestamp), subject_type(commit.subject),
                       commit.subject.id, _text(commit.subject.name), _text(obj.type), obj.id,
                       _text(obj.name)] + [_text(event.get(k)) for k in EVENT_COLUMNS]
                if version == 2:
                    row.append(_text(commit.ip_address))
                yield row


def render(commits: Iterable[Commit], version: int) -> str:
    out = io.StringIO()
    writer = _csv.writer(out, lineterminator="\r\n")   # RFC 4180 line ends and quoting
    writer.writerow(V2_COLUMNS if version == 2 else V1_COLUMNS)
    writer.writerows(rows(commits, version))
    return out.getvalue()


def disposition(version: int) -> str:
    return f'attachment; filename="activity-events-v{version}.csv"'
