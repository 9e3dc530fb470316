"""The Lambda's IAM permissions, written by hand (Chalice cannot see boto3 calls
inside chalicelib/): only the DynamoDB actions the adapter makes, only on the
project's tables and their indexes. tests/infra checks this list against the
actions the contract suite really performs on moto."""
from __future__ import annotations

from chalicelib.storage.dynamodb.tables import TABLES

# Every DynamoDB action the adapter's request path uses (not the console's create-tables).
# IAM has no TransactWriteItems action: a transaction is authorised item by item
# as PutItem / UpdateItem / DeleteItem / ConditionCheckItem.
ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",           # retention's scheduled pass; finished deliveries, deleted subscriptions
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",                 # PuppetDB queries no key answers (docs/dynamodb.md)
    "dynamodb:UpdateItem",
)


def statement(table_arn) -> dict:
    """`table_arn(logical_name)` -> the ARN expression of that table."""
    resources = []
    for spec in TABLES:
        resources.append(table_arn(spec.name))
        if spec.indexes:
            resources.append(_index_arns(table_arn(spec.name)))
    return {"Sid": "EventTables", "Effect": "Allow", "Action": list(ACTIONS), "Resource": resources}


def _index_arns(table):
    if isinstance(table, str):
        return table + "/index/*"
    return {"Fn::Sub": table["Fn::Sub"] + "/index/*"}


def static_policy(prefix: str = "puppet-events-") -> dict:
    """.chalice/policy-prod.json: Chalice needs it to exist; the merge template
    replaces it with the same actions on the deployed account's exact ARNs."""
    return {"Version": "2012-10-17", "Statement": [
        statement(lambda name: f"arn:aws:dynamodb:*:*:table/{prefix}{name}"),
        _logs(),
    ]}


def _table_arn(name: str) -> dict:
    return {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TablePrefix}" + name}


# The subscription signing key (subscriptions/signing.py): read once per process by
# every function that signs or shows a secret.
SECRET_ACTIONS = ("secretsmanager:GetSecretValue",)
# What Lambda's event source mapping does with the stream function's role: read the
# table streams, and send a failed batch's description to the dead-letter queue.
STREAM_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                  "dynamodb:ListStreams")
DEAD_LETTER_ACTIONS = ("sqs:SendMessage",)


def template_policy(streams=(), dead_letters=None) -> dict:
    """A function role's policy. `streams`: logical names of the tables whose streams
    it reads; `dead_letters`: the queue ARN expression its mapping sends failures to."""
    statements = [statement(_table_arn), _logs(),
                  {"Sid": "SubscriptionKey", "Effect": "Allow", "Action": list(SECRET_ACTIONS),
                   "Resource": {"Ref": "SubscriptionKey"}}]
    if streams:
        statements.append({"Sid": "TableStreams", "Effect": "Allow", "Action": list(STREAM_ACTIONS),
                           "Resource": [{"Fn::Sub": _table_arn(name)["Fn::Sub"] + "/stream/*"}
                                        for name in streams]})
    if dead_letters:
        statements.append({"Sid": "DeadLetters", "Effect": "Allow",
                           "Action": list(DEAD_LETTER_ACTIONS), "Resource": dead_letters})
    return {"Version": "2012-10-17", "Statement": statements}


def _logs() -> dict:
    return {"Sid": "Logs", "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "arn:*:logs:*:*:log-group:/aws/lambda/*"}
