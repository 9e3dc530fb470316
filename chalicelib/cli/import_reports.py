"""`python -m chalicelib.cli import-reports DIR`: a Puppet reportdir into the configured store."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..puppetdb.ingest import reportdir


def run(store, directory: Path, where: str, out=None, progress=None) -> int:
    """Import every report under `directory`, print the summary; 0 unless DIR is missing."""
    out = out or sys.stdout
    if not directory.is_dir():
        print(f"import-reports: {directory} is not a directory", file=sys.stderr)
        return 2
    files, others = reportdir.candidate_files(directory)
    summary = reportdir.ImportSummary(ignored=others)
    with click.progressbar(files, label="Importing reports", file=progress or sys.stderr,
                           show_pos=True, width=30) as bar:
        reportdir.import_files(store, bar, summary)
    print(summary_text(summary, directory, where), file=out)
    return 0


def summary_text(summary: reportdir.ImportSummary, directory: Path, where: str) -> str:
    lines = [f"{summary.imported} report(s) imported ({summary.events} events) into {where}",
             f"{summary.present} report(s) already present",
             f"{len(summary.skipped)} file(s) skipped"
             + (f", {summary.ignored} other file(s) ignored (not .yaml/.yml)" if summary.ignored else "")]
    for path, reason in summary.skipped:
        lines.append(f"  skipped {_relative(path, directory)}: {reason}")
    return "\n".join(lines)


def _relative(path: Path, directory: Path) -> str:
    try:
        return str(path.relative_to(directory))
    except ValueError:
        return str(path)
