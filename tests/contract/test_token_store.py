"""The token store on both adapters: the hash and metadata go in, the secret never does."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import timestamps
from chalicelib.auth import tokens

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def _issued(*scopes, label="", expires_in=None, now=NOW):
    return tokens.issue(scopes or ("admin",), label=label, expires_in=expires_in, now=now)


def test_a_stored_token_reads_back_whole(store):
    issued = _issued("puppetdb:read", "activity:read", label="dashboards",
                     expires_in=timedelta(days=30))
    store.add_token(issued.token)
    assert store.get_token(issued.token.id) == issued.token
    assert store.get_token(issued.token.id).expires == timestamps.stored(NOW + timedelta(days=30))


def test_the_secret_is_not_stored_only_its_hash(store):
    issued = _issued()
    store.add_token(issued.token)
    stored = store.get_token(issued.token.id)
    assert issued.secret not in repr(stored)
    assert tokens.matches(stored, issued.secret)
    assert not tokens.matches(stored, issued.secret + "x")


def test_an_unknown_id_reads_as_none(store):
    assert store.get_token("0123456789abcdef") is None


def test_adding_a_token_with_a_taken_id_fails_and_keeps_the_first(store):
    first = _issued(label="first")
    store.add_token(first.token)
    with pytest.raises(ValueError):
        store.add_token(replace(_issued().token, id=first.token.id, label="second"))
    assert store.get_token(first.token.id).label == "first"


def test_list_gives_every_token_oldest_first(store):
    later = _issued(label="later", now=NOW + timedelta(hours=1))
    earlier = _issued(label="earlier")
    store.add_token(later.token)
    store.add_token(earlier.token)
    assert [t.label for t in store.list_tokens()] == ["earlier", "later"]


def test_revoking_keeps_the_first_revocation_time(store):
    issued = _issued()
    store.add_token(issued.token)
    first = timestamps.stored(NOW + timedelta(minutes=1))
    assert store.revoke_token(issued.token.id, first).revoked == first
    store.revoke_token(issued.token.id, timestamps.stored(NOW + timedelta(minutes=2)))
    assert store.get_token(issued.token.id).revoked == first
    assert store.get_token(issued.token.id).state(timestamps.stored(NOW)) == "revoked"


def test_revoking_an_unknown_token_changes_nothing(store):
    assert store.revoke_token("0123456789abcdef", timestamps.stored(NOW)) is None
    assert store.list_tokens() == []
