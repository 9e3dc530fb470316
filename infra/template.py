"""The merge template: tables, IAM, the custom domain at the root path, logs.

`python -m infra.template > build/merge.json`, then
`chalice package --stage prod --merge-template build/merge.json build/` gives one
template that deploys everything (`make package`). Tables come from the same
TableSpecs the adapter and the tests use.
"""
from __future__ import annotations

import json
import sys

from chalicelib.storage.dynamodb.tables import TABLES, TableSpec

from .policy import template_policy

STAGE = "api"        # .chalice/config.json prod.api_gateway_stage


def _logical_id(spec: TableSpec) -> str:
    return "Table" + "".join(part.capitalize() for part in spec.name.replace("_", "-").split("-"))


def table_resource(spec: TableSpec) -> dict:
    properties = spec.create_arguments("")
    properties.pop("TableName")
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "TableName": {"Fn::Sub": "${TablePrefix}" + spec.name},
            **properties,
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
            "DeletionProtectionEnabled": True,
        },
    }


def template() -> dict:
    resources = {_logical_id(spec): table_resource(spec) for spec in TABLES}
    resources.update({
        "APIHandler": {"Properties": {"Environment": {"Variables": {
            "EVENTS_TABLE_PREFIX": {"Ref": "TablePrefix"},
            "EVENTS_PUBLIC_URL": {"Fn::If": ["HasDomain", {"Fn::Sub": "https://${DomainName}"},
                                             {"Ref": "AWS::NoValue"}]},
        }}}},
        "ApiHandlerRole": {"Properties": {"Policies": [
            {"PolicyName": "ApiHandlerRolePolicy", "PolicyDocument": template_policy()}]}},
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
            "LogRetentionDays": {"Type": "Number", "Default": 30,
                                 "AllowedValues": [1, 3, 5, 7, 14, 30, 60, 90, 180, 365]},
        },
        "Conditions": {
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
