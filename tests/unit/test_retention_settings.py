"""Retention settings (issue 16): PuppetDB's names, syntax and defaults, PE's job
threshold, and the cut-offs they give (chalicelib/retention.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import retention
from chalicelib.config import Settings

ENV = ("EVENTS_REPORT_TTL", "EVENTS_RESOURCE_EVENTS_TTL", "EVENTS_NODE_TTL",
       "EVENTS_NODE_PURGE_TTL", "EVENTS_JOB_PRUNE_DAYS_THRESHOLD", "EVENTS_ACTIVITY_TTL")


@pytest.fixture
def env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_are_puppetdbs_and_pes(env):
    config = Settings.from_environment()
    assert (config.report_ttl, config.resource_events_ttl, config.node_ttl,
            config.node_purge_ttl) == (timedelta(days=14), timedelta(days=14),
                                       timedelta(days=7), timedelta(days=14))
    assert config.job_prune_days_threshold == 30
    assert config.activity_ttl == retention.FOREVER
    assert config.gc_interval_minutes == 60


def test_resource_events_ttl_defaults_to_report_ttl(env):
    env.setenv("EVENTS_REPORT_TTL", "30d")
    assert Settings.from_environment().resource_events_ttl == timedelta(days=30)


@pytest.mark.parametrize("text, value", [
    ("14d", timedelta(days=14)), ("12h", timedelta(hours=12)), ("30m", timedelta(minutes=30)),
    ("45s", timedelta(seconds=45)), ("500ms", timedelta(milliseconds=500)),
    ("0", retention.FOREVER), ("0s", retention.FOREVER), (" 2d ", timedelta(days=2))])
def test_durations_take_puppetdbs_suffixes(text, value):
    assert retention.parse_duration(text, "X") == value


@pytest.mark.parametrize("text", ["14", "2w", "1.5d", "-1d", "d", "1d2h", ""])
def test_other_durations_are_refused_naming_the_setting(text):
    with pytest.raises(ValueError, match="EVENTS_NODE_TTL"):
        retention.parse_duration(text, "EVENTS_NODE_TTL")


@pytest.mark.parametrize("text", ["9999999999d", "36501d", "876001h", "9" * 5000 + "ms"])
def test_a_duration_past_a_hundred_years_is_refused_naming_the_setting(text):
    with pytest.raises(ValueError, match="EVENTS_REPORT_TTL: .* is longer than 36500 days"):
        retention.parse_duration(text, "EVENTS_REPORT_TTL")


def test_a_hundred_years_is_accepted_and_its_cut_offs_are_times():
    ttl = retention.parse_duration("36500d", "EVENTS_REPORT_TTL")
    policy = retention.Policy(report_ttl=ttl, resource_events_ttl=ttl)
    assert policy.report_cutoff(datetime(2026, 12, 1, tzinfo=timezone.utc)) < "2026"
    assert policy.report_expiry("2026-12-01T00:00:00.000Z") > 0


def test_resource_events_ttl_longer_than_report_ttl_is_refused_as_puppetdb_does(env):
    env.setenv("EVENTS_REPORT_TTL", "7d")
    env.setenv("EVENTS_RESOURCE_EVENTS_TTL", "8d")
    with pytest.raises(ValueError, match="must not be longer"):
        Settings.from_environment()


def test_events_may_be_kept_longer_when_reports_are_kept_forever(env):
    env.setenv("EVENTS_REPORT_TTL", "0")
    env.setenv("EVENTS_RESOURCE_EVENTS_TTL", "90d")
    assert Settings.from_environment().resource_events_ttl == timedelta(days=90)


def test_a_job_threshold_under_pes_two_days_is_refused(env):
    env.setenv("EVENTS_JOB_PRUNE_DAYS_THRESHOLD", "1")
    with pytest.raises(ValueError, match="at least 2"):
        Settings.from_environment()


def test_report_cutoff_is_the_utc_day_of_now_minus_the_ttl():
    policy = retention.Policy()
    now = datetime(2026, 12, 1, 5, 30, tzinfo=timezone.utc)
    assert policy.report_cutoff(now) == "2026-11-17T00:00:00.000000Z"
    assert policy.ingest_cutoff(now) == "2026-11-17T05:30:00.000000Z"


def test_expiry_attributes_agree_with_the_day_rule():
    policy = retention.Policy()
    expires = policy.report_expiry("2026-11-01T18:00:00.000000Z")
    gone_at = datetime(2026, 11, 16, tzinfo=timezone.utc)
    assert expires == int(gone_at.timestamp())
    assert policy.report_cutoff(gone_at) == "2026-11-02T00:00:00.000000Z"
    assert policy.report_cutoff(gone_at - timedelta(seconds=1)) == "2026-11-01T00:00:00.000000Z"


def test_nothing_expires_when_kept_forever():
    policy = retention.Policy(report_ttl=retention.FOREVER, resource_events_ttl=retention.FOREVER,
                              node_ttl=retention.FOREVER, node_purge_ttl=retention.FOREVER,
                              job_ttl=retention.FOREVER)
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert {policy.report_cutoff(now), policy.event_cutoff(now), policy.expire_before(now),
            policy.purge_before(now), policy.job_cutoff(now), policy.commit_cutoff(now),
            policy.report_expiry("2026-01-01T00:00:00.000000Z")} == {None}
