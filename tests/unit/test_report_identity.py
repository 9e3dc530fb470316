"""A v8 report's hash is PuppetDB 7's report-identity-hash (issue 20, item 6), checked
against the values PuppetDB 7.12's own tests expect."""
from __future__ import annotations

import hashlib

from chalicelib.puppetdb.ingest import identity, reports
from tests.payloads import PDB_BASIC, report


def test_puppetdbs_hash_test_sample_gives_its_expected_hash():
    # PDB 7.12 test/puppetlabs/puppetdb/scf/hash_test.clj, "report-identity-hash":
    # the values go in as they are; resource_events are not covered.
    sample = {"certname": "foobar.baz", "puppet_version": "3.2.1", "report_format": 1,
              "configuration_version": "asdffdsa", "start_time": "2012-03-01-12:31:11.123",
              "end_time": "2012-03-01-12:31:31.123",
              "producer_timestamp": "2012-03-01-1:31:51.123",
              "resource_events": [{"type": "Type", "title": "title"}]}
    assert identity.identity_hash(sample) == "f0dc33b54c9eea0a83444fa1fecfe6a2b2b6db39"


def test_puppetdbs_example_reports_get_the_hashes_its_http_tests_expect():
    # PDB 7.12 test/puppetlabs/puppetdb/http/reports_test.clj stores :basic as foo.local
    # and bar.local and expects these two hashes: times normalised to UTC milliseconds.
    assert reports.from_v8(PDB_BASIC).hash == "5bc5d561c7912570a7c7f525b815477cdaed70a2"
    assert reports.from_v8({**PDB_BASIC, "certname": "bar.local"}).hash == \
        "5067c5ac56f39501e504c0b76186d31ec1b5ca94"


def test_the_hash_is_sha1_of_the_sorted_identity_map_with_utc_millisecond_times():
    body = {**report("a.example.com", 1), "start_time": "2026-11-22T12:00:00.123456+02:00",
            "certname": "a\x1fb"}
    text = ('{"certname":"a\\u001Fb","configuration_version":"run-1",'
            '"end_time":"2026-11-22T00:00:01.000Z","producer_timestamp":"2026-11-22T00:00:01.000Z",'
            '"puppet_version":"7.23.0","report_format":12,"start_time":"2026-11-22T10:00:00.123Z",'
            '"transaction_uuid":"00000000-0000-0000-0000-000000000001"}')
    assert reports.from_v8(body).hash == hashlib.sha1(text.encode()).hexdigest()


def test_reports_differing_only_in_their_events_have_one_hash_as_in_puppetdb():
    # PDB 7.12 hash_test.clj report-dupe-only-events-differ
    first, second = report("a.example.com", 1, events=3), report("a.example.com", 1, events=1)
    assert reports.from_v8(first).hash == reports.from_v8(second).hash
    for key, value in (("certname", "b.example.com"), ("puppet_version", "7.0.0"),
                       ("report_format", 11), ("configuration_version", "x"),
                       ("start_time", "2026-11-22T00:00:02Z"), ("transaction_uuid", None)):
        assert reports.from_v8({**first, key: value}).hash != reports.from_v8(first).hash


def test_the_id_older_versions_gave_a_report_is_kept_as_its_alias():
    # The value main (8c2d28b) stored for this report: such a report stays a duplicate.
    assert reports.from_v8(report("a.example.com", 1)).aliases == (
        "b7dc122a6b8250223f8d414153565c81d4f84327",)
