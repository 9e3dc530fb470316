"""DynamoDB faults injected under botocore, over moto.

`Faults` hooks a boto3 client's `before-send` event (first in line, ahead of
moto's own hook): a call matching a rule is answered with the HTTP error
DynamoDB would send, and moto never sees it, so nothing of it is applied.
botocore then parses, classifies and retries that answer exactly as it would a
real one: the tests exercise the client configuration the service runs with,
not a shortcut around it.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from io import BytesIO
from typing import Callable

from botocore.awsrequest import AWSResponse

THROTTLING = ("ProvisionedThroughputExceededException", "ThrottlingException",
              "RequestLimitExceeded")
STATUS = {"InternalServerError": 500, "ServiceUnavailable": 503}


class _Body(BytesIO):
    def stream(self, **_):
        contents = self.read()
        while contents:
            yield contents
            contents = self.read()


@dataclass
class Rule:
    operation: str                       # "TransactWriteItems", "GetItem", ...; "*": any
    answer: Callable[[dict], tuple[int, dict]]
    times: int | None                    # None: every matching call
    when: Callable[[dict], bool]
    used: int = 0


@dataclass
class Faults:
    client: object
    rules: list[Rule] = field(default_factory=list)
    sent: Counter = field(default_factory=Counter)        # operation -> attempts (failed too)
    requests: list[tuple[str, dict]] = field(default_factory=list)

    def __post_init__(self):
        self.client.meta.events.register_first("before-send.dynamodb", self._before_send)

    # ------------------------------------------------------------- rules
    def error(self, operation: str, code: str, *, times: int | None = None,
              when: Callable[[dict], bool] = lambda body: True, **extra) -> "Faults":
        """Answer `operation` with the error `code` (`times` times; None: always)."""
        status = STATUS.get(code, 400)
        answer = lambda body: (status, {"__type": f"com.amazonaws.dynamodb.v20120810#{code}",  # noqa: E731
                                        "message": f"injected {code}", **extra})
        self.rules.append(Rule(operation, answer, times, when))
        return self

    def cancel(self, *reasons: str, times: int | None = None,
               when: Callable[[dict], bool] = lambda body: True) -> "Faults":
        """Cancel TransactWriteItems with these reasons (the first items'; the rest "None")."""
        def answer(body):
            codes = list(reasons) + ["None"] * (len(body["TransactItems"]) - len(reasons))
            return 400, {"__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                         "Message": f"Transaction cancelled, please refer cancellation reasons "
                                    f"for specific reasons [{', '.join(codes)}]",
                         "CancellationReasons": [{"Code": c} for c in codes]}
        self.rules.append(Rule("TransactWriteItems", answer, times, when))
        return self

    def unprocessed(self, *, times: int | None = None) -> "Faults":
        """Answer BatchWriteItem with success and every item unprocessed (none written),
        as DynamoDB does when it throttles a batch."""
        answer = lambda body: (200, {"UnprocessedItems": body["RequestItems"]})  # noqa: E731
        self.rules.append(Rule("BatchWriteItem", answer, times, lambda body: True))
        return self

    def clear(self) -> None:
        self.rules.clear()

    def remove(self) -> None:
        self.client.meta.events.unregister("before-send.dynamodb", self._before_send)

    # ------------------------------------------------------------- the hook
    def _before_send(self, request, **_):
        target = request.headers["X-Amz-Target"]          # DynamoDB_20120810.<Operation>
        operation = (target.decode() if isinstance(target, bytes) else target).split(".")[-1]
        body = json.loads(request.body or b"{}")
        self.sent[operation] += 1
        self.requests.append((operation, body))
        for rule in self.rules:
            if rule.operation not in (operation, "*") or not rule.when(body):
                continue
            if rule.times is not None and rule.used >= rule.times:
                continue
            rule.used += 1
            status, payload = rule.answer(body)
            # botocore calls every before-send handler (moto's too) and uses the
            # first answer, ours: moto is handed a harmless call in its place.
            request.headers["X-Amz-Target"] = "DynamoDB_20120810.ListTables"
            request.body = b"{}"
            return AWSResponse(request.url, status,
                               {"Content-Type": "application/x-amz-json-1.0",
                                "x-amzn-RequestId": "injected"},
                               _Body(json.dumps(payload).encode()))
        return None          # not ours: moto answers
