"""A report's identity: the hash PuppetDB 7 gives the same report, and the hash this
service gave v8 reports before (kept so a report stored then is still a duplicate).

PuppetDB 7.12 (`scf/hash.clj` report-identity-hash, `scf/storage.clj` add-report!*
and normalize-report): SHA-1 of the UTF-8 JSON text of the map
{certname, puppet_version, report_format, configuration_version, start_time,
end_time, producer_timestamp, transaction_uuid}, keys sorted, no spaces (cheshire
through Jackson), the three times as UTC `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` (a
java.sql.Timestamp in PuppetDB's date format). Resources and events are NOT covered:
PDB's own hash_test.clj `report-dupe-only-events-differ` asserts that reports
differing only in their events have the same hash, and the second is a duplicate.
"""
from __future__ import annotations

import hashlib
import json

from ..model import canonical_json

IDENTITY_FIELDS = ("certname", "puppet_version", "report_format", "configuration_version",
                   "start_time", "end_time", "producer_timestamp", "transaction_uuid")
TIMES = frozenset({"start_time", "end_time", "producer_timestamp"})

# Jackson's string escapes: `"`, `\` and the C0 controls, short forms where JSON has
# them, else \u00XX in upper-case hex (Python's json writes lower case); the rest raw.
_SHORT = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
          "\t": "\\t"}
_JACKSON_ESCAPES = {code: _SHORT.get(chr(code), f"\\u{code:04X}")
                    for code in [*range(0x20), ord('"'), ord("\\")]}


def _jackson(value: object) -> str:
    """One JSON value as cheshire writes it (strings, integers, null, booleans)."""
    if isinstance(value, str):
        return '"' + value.translate(_JACKSON_ESCAPES) + '"'
    return json.dumps(value)


def pdb_time(stored: str) -> str:
    """A stored-form time (YYYY-MM-DDTHH:MM:SS.ffffffZ) as PuppetDB hashes it:
    milliseconds, truncated (a Timestamp parsed by Joda keeps milliseconds)."""
    return stored[:23] + "Z"


def report_hash(fields: dict) -> str:
    """PuppetDB's report-identity-hash of a v8 report; `fields` holds IDENTITY_FIELDS
    with the times in stored form. 40 lower-case hex digits."""
    return identity_hash({name: pdb_time(fields[name])
                          if name in TIMES and fields.get(name) is not None
                          else fields.get(name) for name in IDENTITY_FIELDS})


def identity_hash(values: dict) -> str:
    """report-identity-hash of values already in PuppetDB's normalised form (its
    hash_test.clj feeds it such a map directly)."""
    values = {name: values.get(name) for name in IDENTITY_FIELDS}
    text = "{" + ",".join(f"{_jackson(name)}:{_jackson(values[name])}"
                          for name in sorted(values)) + "}"
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def legacy_hash(fields: dict) -> str:
    """The id this service gave a v8 report until PuppetDB's hash was adopted: SHA-1
    of the canonical JSON list of the same fields in IDENTITY_FIELDS order, the times
    in stored form. Reports stored then keep this id."""
    parts = [fields.get(name) for name in IDENTITY_FIELDS]
    return hashlib.sha1(canonical_json(parts).encode("utf-8", "surrogatepass")).hexdigest()
