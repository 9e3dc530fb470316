"""What node and environment reads cost on DynamoDB (issue 15: no Scan; one Query of
the node partition, keyed gets for named nodes), and on SQLite a plan over the
one-row-per-node table. Counted, not timed (moto's ScannedCount)."""
from __future__ import annotations

import pytest
from moto import mock_aws

from chalicelib.query.ast import EVERYTHING, Compare, all_of
from tests.conftest import make_store
from tests.contract.test_activity_dynamodb_reads import ReadLog
from tests.contract.test_puppetdb_nodes import report

NODES = 30


class KeyedLog(ReadLog):
    """ReadLog that also records BatchGetItem (keyed reads)."""

    def __getattr__(self, name):
        if name != "batch_get_item":
            return super().__getattr__(name)
        attribute = getattr(self._client, name)

        def call(**kwargs):
            response = attribute(**kwargs)
            read = sum(len(items) for items in response["Responses"].values())
            self.requests.append((name, kwargs, read))
            return response
        return call


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    with mock_aws():
        store = make_store("dynamodb", tmp_path_factory.mktemp("nodes"))
        for n in range(NODES):
            store.store_report(report(f"n{n:03d}.example", statuses=["success"] * (n % 3),
                                      status="failed" if n % 5 == 0 else "changed",
                                      environment=f"env{n % 4}"))
        yield store


def _logged(store):
    log = KeyedLog(store.client)
    store.client = log
    return log


def test_a_node_listing_is_one_query_of_the_node_partition_reading_one_item_per_node(fleet):
    log = _logged(fleet)
    try:
        page = fleet.find_nodes(EVERYTHING, (("certname", "asc"),), 0, 10)
    finally:
        fleet.client = log._client
    assert len(page.items) == 10 and page.total == NODES
    assert log.operations() == ["query"]
    assert log.partitions() == ["CERTNAMES"]
    assert log.items_read() == NODES


def test_a_status_filter_is_answered_from_the_summaries_without_a_scan(fleet):
    log = _logged(fleet)
    try:
        page = fleet.find_nodes(Compare("latest_report_status", "=", "failed"),
                                (("certname", "asc"),), 0, None)
    finally:
        fleet.client = log._client
    assert page.total == NODES // 5
    assert "scan" not in log.operations()
    assert log.items_read() <= NODES


def test_one_named_node_is_one_keyed_get(fleet):
    log = _logged(fleet)
    try:
        page = fleet.find_nodes(all_of(Compare("certname", "=", "n007.example")),
                                (("certname", "asc"),), 0, None)
    finally:
        fleet.client = log._client
    assert [n["certname"] for n in page.items] == ["n007.example"]
    assert log.operations() == ["batch_get_item"]
    assert sum(n for _, _, n in log.requests) == 1


def test_environments_are_one_query_of_their_partition(fleet):
    log = _logged(fleet)
    try:
        page = fleet.find_environments(EVERYTHING, (("name", "asc"),), 0, None)
    finally:
        fleet.client = log._client
    assert [e["name"] for e in page.items] == ["env0", "env1", "env2", "env3"]
    assert log.operations() == ["query"] and log.partitions() == ["ENVIRONMENTS"]
    assert log.items_read() == 4


def test_sqlite_reads_nodes_from_the_node_table_alone(tmp_path):
    store = make_store("sqlite", tmp_path)
    try:
        store.store_report(report("a.example"))
        conn = store.db().conn
        plan = " ".join(row[-1] for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT certname FROM pdb_certnames AS c "
            "WHERE c.latest_report_status = 'failed'"))
        assert "pdb_certnames_by_status" in plan
        assert "pdb_events" not in plan and "pdb_reports" not in plan
    finally:
        store.close()
