"""The cloud half of webhook subscriptions in the template: a NEW_IMAGE stream on
each streamed table, one event source mapping per stream on the stream function
(batch size, bisect on error, retry limit, on-failure destination), the dead-letter
queue, the retry schedule, the signing key, and roles that allow exactly what each
function needs. The merge template is checked directly (any Python); the packaged
one, where Chalice's own mapping must have been replaced, under the runtime's."""
from __future__ import annotations

import json

from chalicelib.storage.dynamodb.tables import STREAMED, TABLES
from chalicelib.subscriptions import stream
from infra import template as merge
from infra.policy import ACTIONS, DEAD_LETTER_ACTIONS, SECRET_ACTIONS, STREAM_ACTIONS


def _resources() -> dict:
    return merge.template()["Resources"]


def test_exactly_the_streamed_tables_have_a_new_image_stream():
    resources = _resources()
    for spec in TABLES:
        properties = resources[merge._logical_id(spec)]["Properties"]
        expected = {"StreamViewType": "NEW_IMAGE"} if spec.stream else None
        assert properties.get("StreamSpecification") == expected, spec.name
    assert {s.name for s in STREAMED} == {"jobs", "pdb-reports", "activity"}


def test_each_stream_maps_to_the_function_with_bisect_retries_and_a_dead_letter_queue():
    events = _resources()["SubscriptionStream"]["Properties"]["Events"]
    assert sorted(e["Properties"]["Stream"]["Fn::GetAtt"][0] for e in events.values()) == \
        sorted(merge._logical_id(spec) for spec in STREAMED)
    assert "SubscriptionStreamDynamodbEventSource" in events      # Chalice's own, replaced
    for event in events.values():
        properties = event["Properties"]
        assert event["Type"] == "DynamoDB"
        assert properties["BatchSize"] == stream.BATCH_SIZE
        assert properties["BisectBatchOnFunctionError"] is True
        assert properties["MaximumRetryAttempts"] == stream.RETRIES
        assert properties["DestinationConfig"]["OnFailure"]["Destination"] == \
            {"Fn::GetAtt": ["SubscriptionDeadLetters", "Arn"]}


def test_the_dead_letter_queue_and_the_signing_key_exist_and_are_kept():
    resources = _resources()
    assert resources["SubscriptionDeadLetters"]["Type"] == "AWS::SQS::Queue"
    key = resources["SubscriptionKey"]
    assert key["Type"] == "AWS::SecretsManager::Secret" and key["DeletionPolicy"] == "Retain"
    for function in ("APIHandler", "SubscriptionStream", "SubscriptionRetries"):
        variables = resources[function]["Properties"]["Environment"]["Variables"]
        assert variables["EVENTS_SUBSCRIPTION_KEY_SECRET"] == {"Ref": "SubscriptionKey"}


def _statements(role: str) -> dict:
    (policy,) = _resources()[role]["Properties"]["Policies"]
    return {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}


def test_each_role_allows_what_its_function_does_and_no_more():
    for role in ("ApiHandlerRole", "SubscriptionStreamRole", "SubscriptionRetriesRole"):
        statements = _statements(role)
        assert statements["EventTables"]["Action"] == list(ACTIONS)
        assert statements["SubscriptionKey"] == {"Sid": "SubscriptionKey", "Effect": "Allow",
                                                 "Action": list(SECRET_ACTIONS),
                                                 "Resource": {"Ref": "SubscriptionKey"}}
    assert set(_statements("ApiHandlerRole")) == {"EventTables", "Logs", "SubscriptionKey"}
    stream_role = _statements("SubscriptionStreamRole")
    assert stream_role["TableStreams"]["Action"] == list(STREAM_ACTIONS)
    assert [r["Fn::Sub"].rsplit("}", 1)[1] for r in stream_role["TableStreams"]["Resource"]] == \
        [spec.name + "/stream/*" for spec in STREAMED]
    assert stream_role["DeadLetters"]["Action"] == list(DEAD_LETTER_ACTIONS)
    assert set(_statements("SubscriptionRetriesRole")) == {"EventTables", "Logs",
                                                          "SubscriptionKey", "DeadLetters"}


def test_the_packaged_template_has_the_streams_mappings_and_schedule(packaged):
    resources = json.loads((packaged[0] / "sam.json").read_text())["Resources"]
    events = resources["SubscriptionStream"]["Properties"]["Events"]
    assert len(events) == len(STREAMED)
    assert all("Fn::GetAtt" in e["Properties"]["Stream"] for e in events.values())
    assert resources["SubscriptionStream"]["Properties"]["Handler"] == "app.subscription_stream"
    retries = resources["SubscriptionRetries"]["Properties"]
    assert retries["Handler"] == "app.subscription_retries"
    assert [e["Properties"]["Schedule"] for e in retries["Events"].values()] == ["rate(1 minute)"]
