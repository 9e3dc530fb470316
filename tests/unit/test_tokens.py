"""Token values: random, hashed, scoped, expiring (auth/tokens.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import timestamps
from chalicelib.auth import tokens

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_two_tokens_never_share_an_id_or_secret():
    first, second = tokens.issue(["admin"]), tokens.issue(["admin"])
    assert first.token.id != second.token.id and first.secret != second.secret


def test_the_stored_record_holds_the_sha256_of_the_token_not_the_token():
    issued = tokens.issue(["puppetdb:read"])
    assert issued.secret not in repr(issued.token) and issued.secret not in repr(issued)
    assert len(issued.token.secret_hash) == 64
    assert tokens.token_id(issued.secret) == issued.token.id
    assert tokens.matches(issued.token, issued.secret)


@pytest.mark.parametrize("presented", ["", "nodot", "ZZZZ.secret", "0123456789abcdef" + "." + "x" * 200])
def test_strings_that_cannot_be_our_tokens_have_no_id(presented):
    assert tokens.token_id(presented) is None


def test_admin_implies_every_scope_and_others_grant_only_themselves():
    admin = tokens.issue(["admin"]).token
    reader = tokens.issue(["puppetdb:read"]).token
    assert all(admin.grants(s) for s in tokens.SCOPES)
    assert reader.grants("puppetdb:read") and not reader.grants("puppetdb:write")
    assert reader.grants(None)          # routes any valid token may use


def test_unknown_or_no_scopes_are_refused():
    with pytest.raises(tokens.InvalidScope):
        tokens.issue(["root"])
    with pytest.raises(tokens.InvalidScope):
        tokens.issue([])


def test_expiry_and_revocation_decide_the_state():
    issued = tokens.issue(["admin"], expires_in=timedelta(days=30), now=NOW).token
    assert issued.state(timestamps.stored(NOW + timedelta(days=29))) == "valid"
    assert issued.state(timestamps.stored(NOW + timedelta(days=30))) == "expired"
    revoked = tokens.Token(**{**issued.__dict__, "revoked": timestamps.stored(NOW)})
    assert revoked.state(timestamps.stored(NOW)) == "revoked"


@pytest.mark.parametrize("text, expected", [("30d", timedelta(days=30)), ("12h", timedelta(hours=12)),
                                            ("2w", timedelta(weeks=2)), ("90m", timedelta(minutes=90))])
def test_durations(text, expected):
    assert tokens.duration(text) == expected


@pytest.mark.parametrize("text", ["", "0d", "30", "d", "1y", "-1d"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        tokens.duration(text)
