"""Retention in the packaged stack (issue 16): TTL on the tables whose items expire,
and the scheduled function for what TTL cannot do. The merge template is checked
here; cfn-lint and checkov check the packaged one (test_package, test_checkov)."""
from __future__ import annotations

import boto3
from moto import mock_aws

import app
from chalicelib import retention
from chalicelib.storage.dynamodb.tables import PDB_EVENTS, PDB_LATEST, PDB_REPORTS, TABLES, create_tables
from infra import template


def test_the_template_enables_ttl_exactly_on_the_tables_whose_items_expire():
    resources = template.template()["Resources"]
    enabled = {spec.name for spec in TABLES
               if resources[template._logical_id(spec)]["Properties"].get(
                   "TimeToLiveSpecification") == {"AttributeName": "expires_at", "Enabled": True}}
    assert enabled == {PDB_EVENTS.name, PDB_REPORTS.name, PDB_LATEST.name}


def test_the_scheduled_function_gets_the_table_policy_and_runs_alone():
    resources = template.template()["Resources"]
    function = resources["CollectGarbage"]["Properties"]
    assert function["ReservedConcurrentExecutions"] == 1
    policy = resources["CollectGarbageRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert "dynamodb:DeleteItem" in policy["Statement"][0]["Action"]


def test_the_app_schedules_the_collection_at_puppetdbs_gc_interval():
    handler = app.app.event_sources[0]
    assert handler.name == "collect_garbage"
    assert handler.schedule_expression.to_string() == f"rate({retention.GC_RATE_MINUTES} minutes)"
    assert callable(app.collect_garbage)      # the packaged handler, `app.collect_garbage`


def test_create_tables_turns_ttl_on_also_for_tables_made_before():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**PDB_EVENTS.create_arguments("old-"))   # made without TTL
        create_tables(client, "old-")
        for spec in (PDB_EVENTS, PDB_REPORTS):
            status = client.describe_time_to_live(TableName="old-" + spec.name)
            assert status["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED",
                                                       "AttributeName": "expires_at"}
        jobs = client.describe_time_to_live(TableName="old-jobs")["TimeToLiveDescription"]
        assert jobs["TimeToLiveStatus"] == "DISABLED"
