"""CSV downloads (document 003; v2 adds `Ip Address`): one row per event of each
commit (per object too, for v2's several objects), RFC 4180 via the csv module.

Formula cells are neutralised (CSV injection, CWE-1236; OWASP's guidance): a cell
beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a
leading `'`, so a spreadsheet shows it as text. A cell beginning with `'` gets one
too, so the rule reverses without doubt: drop one leading `'` from a cell that has
one. `raw=True` (`?raw=true`, beyond PE's API) writes the exact text.

A download stops before it would pass the answer budget (answer_budget.py) at a whole
commit; `next_offset` says where to continue.
"""
from __future__ import annotations

import csv as _csv
from dataclasses import dataclass
from typing import Iterable, Sequence

from .. import answer_budget, timestamps
from .model import Commit, subject_type

V1_COLUMNS = ("Submit Time", "Subject Type", "Subject Id", "Subject Name", "Object Type",
              "Object Id", "Object Name", "Type", "What", "Description", "Message")
V2_COLUMNS = V1_COLUMNS + ("Ip Address",)
EVENT_COLUMNS = ("type", "what", "description", "message")
CONTENT_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")    # OWASP, "CSV Injection"
NEUTRAL_PREFIX = "'"
_PREFIXED = frozenset(FORMULA_STARTS + (NEUTRAL_PREFIX,))
TRUNCATED = "X-Commit-Truncated"    # header: the first commit's rows were cut at the budget


def neutral(cell: str) -> str:
    """The cell as a spreadsheet shows text, not a formula (module docstring)."""
    return NEUTRAL_PREFIX + cell if cell[:1] in _PREFIXED else cell


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _commit_rows(commit: Commit, version: int) -> Iterable[list[str]]:
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


def rows(commits: Iterable[Commit], version: int, *, raw: bool = False) -> Iterable[list[str]]:
    """Every row of the commits, every cell neutralised unless `raw`."""
    for commit in commits:
        for row in _commit_rows(commit, version):
            yield row if raw else [neutral(cell) for cell in row]


@dataclass(frozen=True)
class Download:
    text: str
    commits: int          # commits written whole
    truncated: bool       # the first commit alone passed the budget: its rows were cut

    def next_offset(self, offset: int, fetched: int) -> int | None:
        """Where the next download starts, or None when every fetched commit was written."""
        if self.truncated:
            return offset + 1
        return offset + self.commits if self.commits < fetched else None


def render(commits: Sequence[Commit], version: int, *, raw: bool = False,
           limit: int | None = None) -> Download:
    """The CSV of the commits, whole commits up to `limit` bytes (answer_budget.limit()).
    When the first commit alone does not fit, its rows up to the budget are written
    (`truncated`): the client still gets something and can move past it."""
    lines = answer_budget.Lines(limit)
    writer = _csv.writer(lines, lineterminator="\r\n")   # RFC 4180 line ends and quoting
    writer.writerow(V2_COLUMNS if version == 2 else V1_COLUMNS)
    written = 0
    for commit in commits:
        start = lines.mark()
        try:
            writer.writerows(rows((commit,), version, raw=raw))
        except answer_budget.Full:
            if written:
                lines.rollback(start)
                break
            return Download(lines.text(), 0, truncated=True)
        written += 1
    return Download(lines.text(), written, truncated=False)


def disposition(version: int) -> str:
    return f'attachment; filename="activity-events-v{version}.csv"'
