"""Import a Puppet reportdir (`reports = store`: <reportdir>/<certname>/<YYYYMMDDhhmm>.yaml)
into the store, through the same `reports.from_v8` a submitted report takes.

Idempotent: a report's hash comes from its content (yaml_reports: the end time stands in
for the submission time), and the store keeps one report per hash, so a second import of
the same files stores nothing. A file that is not a report is skipped with its reason;
nothing of it is stored.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import yaml

from . import reports, ruby_yaml, yaml_reports

REPORT_SUFFIXES = (".yaml", ".yml")


@dataclass
class ImportSummary:
    imported: int = 0                     # reports stored by this import
    events: int = 0                       # their events
    present: int = 0                      # reports the store already had
    skipped: list[tuple[Path, str]] = field(default_factory=list)   # (file, reason)
    ignored: int = 0                      # files without a .yaml/.yml suffix


class NotAReport(ValueError):
    """A file that cannot be imported; the message is the reason shown to the user."""


def candidate_files(directory: Path) -> tuple[list[Path], int]:
    """The .yaml/.yml files under `directory` (sorted, so imports run in the same order),
    and how many other files were passed over."""
    found, others = [], 0
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            if name.lower().endswith(REPORT_SUFFIXES):
                found.append(Path(root) / name)
            else:
                others += 1
    return found, others


def read_report(path: Path) -> reports.Report:
    """The stored-report model for one YAML file; raises NotAReport with the reason."""
    try:
        text = path.read_bytes()
    except OSError as error:
        raise NotAReport(f"unreadable: {error.strerror or error}") from None
    try:
        tag, document = ruby_yaml.load(text)
    except yaml.YAMLError as error:
        raise NotAReport(f"unparseable YAML: {ruby_yaml.describe(error)}") from None
    if tag != yaml_reports.REPORT_TAG:
        found = "empty" if document is None else f"tagged {tag}" if tag else "untagged"
        raise NotAReport(f"not a Puppet report ({found}; a report is tagged {yaml_reports.REPORT_TAG})")
    try:
        return reports.from_v8(yaml_reports.to_v8(document))
    except reports.InvalidReport as error:
        raise NotAReport(f"invalid report: {error}") from None


def import_files(store, files: Iterable[Path], summary: ImportSummary | None = None) -> ImportSummary:
    """Store each file's report (each report atomically, as a submitted one)."""
    summary = summary or ImportSummary()
    for path in files:
        try:
            report = read_report(path)
        except NotAReport as reason:
            summary.skipped.append((path, str(reason)))
            continue
        if store.store_report(report):
            summary.imported += 1
            summary.events += len(report.events)
        else:
            summary.present += 1
    return summary
