"""pypuppetdb 3.2.0 against `chalice local` (SQLite and DynamoDB on moto) where the
service stores nothing (issue 14 item 2) and on the status service (item 5): facts,
catalogs and resources raise requests' HTTPError with the 404 (what puppetboard's
get_or_abort turns into its own 404 page), never a 500; `status()` reads the status."""
from __future__ import annotations

import pytest
import requests

from chalicelib.puppetdb import PUPPETDB_VERSION
from tests.e2e.test_pypuppetdb_e2e import puppetdb_client

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def db(served, http):
    return puppetdb_client(served, http.headers["X-Authentication"])


@pytest.mark.parametrize("call", [
    lambda db: list(db.facts()),
    lambda db: list(db.facts("osfamily")),
    lambda db: list(db.fact_names()),
    lambda db: db.catalog("node-a.anchor.test"),
    lambda db: list(db.resources("File")),
    lambda db: list(db.inventory()),
], ids=["facts", "fact", "fact_names", "catalog", "resources", "inventory"])
def test_unstored_entities_raise_the_404_as_http_error(db, call):
    with pytest.raises(requests.exceptions.HTTPError) as raised:
        call(db)
    assert raised.value.response.status_code == 404
    assert "is not served here" in raised.value.response.json()["error"]


def test_status_reads_puppetdb_status_running(db):
    status = db.status()
    assert status["state"] == "running" and status["service_version"] == PUPPETDB_VERSION
    assert status["service_name"] == "puppetdb-status" and status["status"]["read_db_up?"] is True
