"""The merge template: tables, IAM, the custom domain at the root path, logs.

`python -m infra.template > build/merge.json`, then
`chalice package --stage prod --merge-template build/merge.json build/` gives one
template that deploys everything (`make package`). Tables come from the same
TableSpecs the adapter and the tests use.
"""
from __future__ import annotations

import json
import sys

from chalicelib.storage.dynamodb.tables import STREAMED, TABLES, TableSpec
from chalicelib.subscriptions import stream as subscription_stream

from .policy import template_policy

STAGE = "api"        # .chalice/config.json prod.api_gateway_stage

# Request bodies API Gateway hands to the function byte for byte (docs/deploy.md,
# "Compressed reports"). API Gateway treats a body as UTF-8 text unless its
# Content-Type is a binary media type, and Puppet Server sends reports as
# `Content-Type: application/json` with `Content-Encoding: gzip`: as text, the gzip
# bytes would be mangled. With `*/*` every request body arrives base64-encoded
# (`isBase64Encoded`), which Chalice's `raw_body` decodes. Responses are unaffected:
# Chalice's own `app.api.binary_types` keeps its defaults, so JSON and CSV answers
# leave the function as text (`isBase64Encoded` false) and API Gateway passes them on.
BINARY_MEDIA_TYPES = ["*/*"]

# checkov findings this template accepts, each with the reason (checkov reads them
# from the resource's Metadata; tests/infra/test_checkov.py fails on any other).
_CMK = ("encrypted at rest with the AWS-managed KMS key; a customer-managed key costs "
        "$1/month and a disabled or deleted key makes the data unreadable, for no "
        "access-control gain here (IAM already limits the tables to the function)")
CHECKOV_SKIPS = {
    "RestAPI": [
        ("CKV_AWS_73", "one function behind one API: the function's JSON access log "
                       "already gives each request's id, status and duration; X-Ray would add "
                       "a second trace store at ~$5 per million traces recorded (turn on "
                       "TracingEnabled while investigating latency)"),
        ("CKV_AWS_76", "API Gateway access logs need the account-wide CloudWatch role "
                       "(AWS::ApiGateway::Account, one per region), which one app's stack "
                       "should not own; the function's access log records every request "
                       "that reaches it"),
        ("CKV_AWS_120", "no cache: event pages must be fresh for pollers, and answers "
                        "depend on the caller's credentials"),
    ],
    "APIHandler": [
        ("CKV_AWS_116", "API Gateway invokes the function synchronously; a dead-letter "
                        "queue only receives failed asynchronous invocations"),
        ("CKV_AWS_117", "the function reaches only DynamoDB's public, IAM-authenticated "
                        "TLS endpoint; a VPC would add NAT or endpoint costs and protect "
                        "nothing private"),
        ("CKV_AWS_173", "the environment holds no secrets (storage kind, table prefix, "
                        "public URL); Lambda encrypts it at rest with its AWS-managed key"),
    ],
    "APIHandlerLogGroup": [
        ("CKV_AWS_158", "the logs hold no secrets or bodies (chalicelib/logs.py logs no "
                        "header or parameter values); CloudWatch encrypts them at rest"),
    ],
    "CollectGarbage": [
        ("CKV_AWS_116", "a scheduled pass that fails is simply run again at the next "
                        "interval (each step is idempotent): a dead-letter queue would "
                        "hold nothing to replay"),
        ("CKV_AWS_117", "the function reaches only DynamoDB's public, IAM-authenticated "
                        "TLS endpoint; a VPC would add NAT or endpoint costs and protect "
                        "nothing private"),
        ("CKV_AWS_173", "the environment holds no secrets (storage kind, table prefix, "
                        "lifetimes); Lambda encrypts it at rest with its AWS-managed key"),
    ],
    "CollectGarbageLogGroup": [
        ("CKV_AWS_158", "the logs hold counts of what a pass deleted, nothing else; "
                        "CloudWatch encrypts them at rest"),
    ],
}
TABLE_CHECKOV_SKIPS = [("CKV_AWS_119", _CMK)]
_NO_VPC = ("the function reaches only DynamoDB's public, IAM-authenticated TLS endpoint and "
           "the subscribers' https receivers on the internet; a VPC would add NAT costs and "
           "protect nothing private")
_ENV = ("the environment holds no secrets (storage kind, table prefix, the ARN of the "
        "signing key's secret, not the key); Lambda encrypts it at rest with its AWS-managed key")
_LOGS = ("the logs hold no secrets or bodies (subscription ids, webhook-ids and delivery "
         "errors only); CloudWatch encrypts them at rest")
SUBSCRIPTION_CHECKOV_SKIPS = {
    "SubscriptionStream": [
        ("CKV_AWS_116", "Lambda's event source mapping invokes the function synchronously; "
                        "its failed batches go to the mapping's on-failure destination "
                        "(SubscriptionDeadLetters), which an async dead-letter queue would not see"),
        ("CKV_AWS_117", _NO_VPC), ("CKV_AWS_173", _ENV)],
    "SubscriptionRetries": [("CKV_AWS_117", _NO_VPC), ("CKV_AWS_173", _ENV)],
    "SubscriptionStreamLogGroup": [("CKV_AWS_158", _LOGS)],
    "SubscriptionRetriesLogGroup": [("CKV_AWS_158", _LOGS)],
    "SubscriptionKey": [
        ("CKV_AWS_149", "encrypted with the AWS-managed key: a customer-managed key adds "
                        "cost and a way to lose every subscription's secret, and IAM already "
                        "limits reading it to the three functions; it is not rotated "
                        "automatically: every subscription's secret derives from it "
                        "(subscriptions/signing.py)")],
    "SubscriptionDeadLetters": [
        ("CKV_AWS_27", "encrypted at rest with SQS-managed keys (SqsManagedSseEnabled), which "
                       "this check does not recognise; a KMS key would add key permissions "
                       "for the event source mapping and hold only batch descriptions (no "
                       "event bodies)")],
}
CHECKOV_SKIPS.update(SUBSCRIPTION_CHECKOV_SKIPS)


def _checkov_metadata(skips) -> dict:
    return {"checkov": {"skip": [{"id": check, "comment": reason} for check, reason in skips]}}


def _logical_id(spec: TableSpec) -> str:
    return "Table" + "".join(part.capitalize() for part in spec.name.replace("_", "-").split("-"))


def table_resource(spec: TableSpec) -> dict:
    properties = spec.create_arguments("")
    properties.pop("TableName")
    if spec.ttl_attribute:      # DynamoDB deletes expired items (chalicelib/retention.py)
        properties["TimeToLiveSpecification"] = {"AttributeName": spec.ttl_attribute,
                                                 "Enabled": True}
    if spec.stream:     # CloudFormation names only the view type (no StreamEnabled)
        properties["StreamSpecification"] = {
            "StreamViewType": properties.pop("StreamSpecification")["StreamViewType"]}
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Metadata": _checkov_metadata(TABLE_CHECKOV_SKIPS),
        "Properties": {
            "TableName": {"Fn::Sub": "${TablePrefix}" + spec.name},
            **properties,
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
            "DeletionProtectionEnabled": True,
        },
    }


# A path deeper than the app's generated 404 routes reach (chalicelib/routing.py)
# would get API Gateway's 403 "Missing Authentication Token", which clients show as a
# permission problem: it is a 404. (Wrong methods never get here: every path has
# every method, and the app answers 405.)
GATEWAY_RESPONSES = {
    "MISSING_AUTHENTICATION_TOKEN": {
        "statusCode": 404,
        "responseTemplates": {"application/json": json.dumps(
            {"kind": "not-found", "msg": "No route serves this path", "details": None})},
    },
}


# The environment every function reads its settings from.
def _environment() -> dict:
    return {
        "EVENTS_TABLE_PREFIX": {"Ref": "TablePrefix"},
        "EVENTS_PUBLIC_URL": {"Fn::If": ["HasDomain", {"Fn::Sub": "https://${DomainName}"},
                                         {"Ref": "AWS::NoValue"}]},
        "EVENTS_SUBSCRIPTION_KEY_SECRET": {"Ref": "SubscriptionKey"},
    }


def _stream_event(spec: TableSpec) -> dict:
    """The event source mapping of one table's stream (subscriptions/stream.py)."""
    return {"Type": "DynamoDB", "Properties": {
        "Stream": {"Fn::GetAtt": [_logical_id(spec), "StreamArn"]},
        "BatchSize": subscription_stream.BATCH_SIZE,
        "StartingPosition": "TRIM_HORIZON",
        "MaximumBatchingWindowInSeconds": 0,
        "BisectBatchOnFunctionError": True,
        "MaximumRetryAttempts": subscription_stream.RETRIES,
        "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": {
            "Fn::GetAtt": ["SubscriptionDeadLetters", "Arn"]}}},
    }}


def _log_group(function: str) -> dict:
    return {"Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": {"Fn::Sub": "/aws/lambda/${" + function + "}"},
                           "RetentionInDays": {"Ref": "LogRetentionDays"}}}


def subscription_resources() -> dict:
    """Webhook subscriptions in the cloud (docs/subscriptions.md): the stream function
    with one mapping per streamed table (the first replaces Chalice's placeholder ARN),
    the retry schedule's function, the mappings' dead-letter queue, the signing key."""
    events = {"SubscriptionStreamDynamodbEventSource": _stream_event(STREAMED[0])}
    events.update({f"SubscriptionStream{_logical_id(spec)}": _stream_event(spec)
                   for spec in STREAMED[1:]})
    concurrency = {"Fn::If": ["HasConcurrencyLimit", 1, {"Ref": "AWS::NoValue"}]}
    return {
        "SubscriptionStream": {"Properties": {
            "Environment": {"Variables": _environment()},
            "Timeout": subscription_stream.TIMEOUT_SECONDS,
            "ReservedConcurrentExecutions": {"Fn::If": [
                "HasConcurrencyLimit", len(STREAMED) * 2, {"Ref": "AWS::NoValue"}]},
            "Events": events}},
        "SubscriptionStreamRole": {"Properties": {"Policies": [
            {"PolicyName": "SubscriptionStreamRolePolicy", "PolicyDocument": template_policy(
                streams=[spec.name for spec in STREAMED],
                dead_letters={"Fn::GetAtt": ["SubscriptionDeadLetters", "Arn"]})}]}},
        # One at a time: two drainers would race for the same groups' order.
        "SubscriptionRetries": {"Properties": {
            "Environment": {"Variables": _environment()},
            "Timeout": subscription_stream.TIMEOUT_SECONDS,
            "ReservedConcurrentExecutions": concurrency,
            "DeadLetterQueue": {"Type": "SQS", "TargetArn": {
                "Fn::GetAtt": ["SubscriptionDeadLetters", "Arn"]}}}},
        "SubscriptionRetriesRole": {"Properties": {"Policies": [
            {"PolicyName": "SubscriptionRetriesRolePolicy", "PolicyDocument": template_policy(
                dead_letters={"Fn::GetAtt": ["SubscriptionDeadLetters", "Arn"]})}]}},
        "SubscriptionStreamLogGroup": _log_group("SubscriptionStream"),
        "SubscriptionRetriesLogGroup": _log_group("SubscriptionRetries"),
        "SubscriptionDeadLetters": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"MessageRetentionPeriod": 14 * 24 * 3600,
                           "SqsManagedSseEnabled": True},
        },
        # Generated by CloudFormation, never shown: subscriptions' secrets derive from it.
        "SubscriptionKey": {
            "Type": "AWS::SecretsManager::Secret",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "Description": "Derives webhook subscriptions' signing secrets (puppet-events)",
                "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True}},
        },
    }


def template() -> dict:
    resources = {_logical_id(spec): table_resource(spec) for spec in TABLES}
    resources.update({
        "APIHandler": {"Properties": {
            "Environment": {"Variables": _environment()},
            # A cap on concurrent executions caps the DynamoDB on-demand bill a flood of
            # requests can run up (API Gateway answers 429 beyond it).
            "ReservedConcurrentExecutions": {"Fn::If": [
                "HasConcurrencyLimit", {"Ref": "ReservedConcurrency"}, {"Ref": "AWS::NoValue"}]},
        }},
        "RestAPI": {"Properties": {"DefinitionBody": {
            "x-amazon-apigateway-binary-media-types": BINARY_MEDIA_TYPES,
            "x-amazon-apigateway-gateway-responses": GATEWAY_RESPONSES}}},
        "ApiHandlerRole": {"Properties": {"Policies": [
            {"PolicyName": "ApiHandlerRolePolicy", "PolicyDocument": template_policy()}]}},
        # The retention pass (app.py collect_garbage): one at a time, up to Lambda's
        # 15 minutes (a pass that stops short is resumed by the next), same tables.
        "CollectGarbage": {"Properties": {
            "Environment": {"Variables": {"EVENTS_TABLE_PREFIX": {"Ref": "TablePrefix"}}},
            "ReservedConcurrentExecutions": 1,
            "Timeout": 900,
        }},
        "CollectGarbageRole": {"Properties": {"Policies": [
            {"PolicyName": "CollectGarbageRolePolicy", "PolicyDocument": template_policy()}]}},
        "CollectGarbageLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": {"Fn::Sub": "/aws/lambda/${CollectGarbage}"},
                           "RetentionInDays": {"Ref": "LogRetentionDays"}},
        },
        "APIHandlerLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": {"Fn::Sub": "/aws/lambda/${APIHandler}"},
                           "RetentionInDays": {"Ref": "LogRetentionDays"}},
        },
        # Puppet's report processor accepts only https://host[:port] with no path, so
        # the API is mapped at the root of a custom domain, never under /api.
        "ApiDomain": {
            "Type": "AWS::ApiGateway::DomainName",
            "Condition": "HasDomain",
            "Properties": {
                "DomainName": {"Ref": "DomainName"},
                "RegionalCertificateArn": {"Ref": "CertificateArn"},
                "EndpointConfiguration": {"Types": ["REGIONAL"]},
                "SecurityPolicy": "TLS_1_2",
                "MutualTlsAuthentication": {"Fn::If": [
                    "HasTruststore", {"TruststoreUri": {"Ref": "TruststoreUri"}},
                    {"Ref": "AWS::NoValue"}]},
            },
        },
        "ApiRootMapping": {
            "Type": "AWS::ApiGateway::BasePathMapping",
            "Condition": "HasDomain",
            "DependsOn": [f"RestAPI{STAGE}Stage"],
            "Properties": {"DomainName": {"Ref": "ApiDomain"}, "RestApiId": {"Ref": "RestAPI"},
                           "Stage": STAGE},
        },
    })
    resources.update(subscription_resources())
    for logical_id, skips in CHECKOV_SKIPS.items():
        resources.setdefault(logical_id, {})["Metadata"] = _checkov_metadata(skips)
    return {
        "Parameters": {
            "TablePrefix": {"Type": "String", "Default": "puppet-events-",
                            "AllowedPattern": "[a-zA-Z0-9_.-]*"},
            "DomainName": {"Type": "String", "Default": "",
                           "Description": "Custom domain for the API (e.g. events.example.com); empty: none"},
            "CertificateArn": {"Type": "String", "Default": "",
                               "Description": "ACM certificate for DomainName, in the stack's region"},
            "TruststoreUri": {"Type": "String", "Default": "",
                              "Description": "s3://bucket/key of the Puppet CA bundle for mutual TLS; empty: off"},
            "ReservedConcurrency": {
                "Type": "Number", "Default": 25, "MinValue": 0,
                "Description": "Concurrent executions reserved for (and limiting) the function; "
                               "0: no reservation (accounts whose concurrency quota is under 125)"},
            "LogRetentionDays": {"Type": "Number", "Default": 30,
                                 "AllowedValues": [1, 3, 5, 7, 14, 30, 60, 90, 180, 365]},
        },
        "Conditions": {
            "HasConcurrencyLimit": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ReservedConcurrency"}, 0]}]},
            "HasDomain": {"Fn::Not": [{"Fn::Equals": [{"Ref": "DomainName"}, ""]}]},
            "HasTruststore": {"Fn::And": [{"Condition": "HasDomain"},
                                          {"Fn::Not": [{"Fn::Equals": [{"Ref": "TruststoreUri"}, ""]}]}]},
        },
        "Resources": resources,
        "Outputs": {
            "DomainTarget": {"Condition": "HasDomain",
                             "Description": "Point DomainName's DNS (CNAME/alias) here",
                             "Value": {"Fn::GetAtt": ["ApiDomain", "RegionalDomainName"]}},
        },
    }


if __name__ == "__main__":
    json.dump(template(), sys.stdout, indent=2)
    sys.stdout.write("\n")
