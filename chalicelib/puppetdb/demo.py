"""PuppetDB 1.4's example reports (R:test/.../examples/report.clj, as described in
../shared/notes/puppetdb.md section 4): the conformance data set and `make run`'s demo."""
from __future__ import annotations

from .ingest import reports


def _event(status, timestamp, resource_type, title, prop, new, old, message, file, line, path):
    return {"status": status, "timestamp": timestamp, "resource-type": resource_type,
            "resource-title": title, "property": prop, "new-value": new, "old-value": old,
            "message": message, "file": file, "line": line, "containment-path": path}


DEFINED = "defined 'message' as 'notify, yo'"

B1 = {
    "certname": "foo.local", "puppet-version": "3.0.1", "report-format": 3,
    "configuration-version": "a81jasj123", "transaction-uuid": None,
    "start-time": "2011-01-01T12:00:00-03:00", "end-time": "2011-01-01T12:10:00-03:00",
    "resource-events": [
        _event("success", "2011-01-01T12:00:01-03:00", "Notify", "notify, yo", "message",
               "notify, yo", ["what", "the", "woah"], DEFINED, "foo.pp", 1, None),
        _event("success", "2011-01-01T12:00:03-03:00", "Notify", "notify, yar", "message",
               {"absent": 5}, {"absent": True}, DEFINED, None, None, []),
        _event("skipped", "2011-01-01T12:00:02-03:00", "Notify", "hi", None, None, None, None,
               "bar", 2, ["Foo", "", "Bar[Baz]"]),
    ],
}

B2 = {
    "certname": "foo.local", "puppet-version": "3.0.1", "report-format": 3,
    "configuration-version": "bja3985a23", "transaction-uuid": None,
    "start-time": "2013-08-28T19:00:00-03:00", "end-time": "2013-08-28T19:10:00-03:00",
    "resource-events": [
        _event("success", "2013-08-28T19:36:34.000Z", "Notify", "notify, yo", "message",
               "notify, yo", "absent", DEFINED, "foo.pp", 8, None),
        _event("success", "2013-08-28T17:55:45.000Z", "File", "puppet-managed-file", "ensure",
               "present", "absent", "created", "foo.pp", 17, []),
        _event("success", "2013-08-28T17:55:45.000Z", "File", "tmp-directory", "ensure",
               "directory", "absent", "created", "foo.pp", 11, ["Foo", "", "Bar[Baz]"]),
    ],
}


# Demo only (not PuppetDB's data set): a later run of foo.local in which a Service
# failed, so document 002's third example ('failed' events of foo.* on Services)
# answers rows on `make run`'s data.
B3 = {
    "certname": "foo.local", "puppet-version": "3.0.1", "report-format": 3,
    "configuration-version": "c3a7f0e912", "transaction-uuid": None,
    "start-time": "2013-08-29T09:00:00-03:00", "end-time": "2013-08-29T09:02:00-03:00",
    "resource-events": [
        _event("failure", "2013-08-29T12:01:05.000Z", "Service", "apache2", "ensure",
               "running", "stopped", "change from stopped to running failed: Could not start "
               "Service[apache2]: Execution of '/usr/sbin/service apache2 start' returned 1",
               "site.pp", 42, ["Stage[main]", "Apache::Service", "Service[apache2]"]),
        _event("skipped", "2013-08-29T12:01:06.000Z", "Exec", "reload-apache2", None, None,
               None, None, "site.pp", 48, ["Stage[main]", "Apache::Service", "Exec[reload-apache2]"]),
    ],
}


def example_reports():
    """(B1, B2) as stored reports."""
    return reports.from_v2(B1), reports.from_v2(B2)


def demo_reports():
    """What `make run` loads: the example reports and B3."""
    return (*example_reports(), reports.from_v2(B3))


def load_puppetdb(store) -> int:
    """The demo reports; returns the events stored."""
    return sum(len(r.events) for r in demo_reports() if store.store_report(r))
