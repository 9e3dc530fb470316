"""API tokens in DynamoDB (table `tokens`, key `id`): the hash and metadata,
never the secret. Reads are strongly consistent, so a revocation holds from
the next request on."""
from __future__ import annotations

from botocore.exceptions import ClientError

from ...auth.tokens import Token
from .codec import from_item, to_item, to_value

TABLE = "tokens"


def _token(item: dict) -> Token:
    record = from_item(item)
    return Token(id=record["id"], secret_hash=record["secret_hash"],
                 scopes=tuple(record["scopes"]), label=record.get("label", ""),
                 created=record["created"], expires=record.get("expires"),
                 revoked=record.get("revoked"))


def _conditional_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class TokenItems:
    def add_token(self, token: Token) -> None:
        item = to_item({"id": token.id, "secret_hash": token.secret_hash,
                        "scopes": list(token.scopes), "label": token.label,
                        "created": token.created, "expires": token.expires,
                        "revoked": token.revoked})
        try:
            self.client.put_item(TableName=self.table_name(TABLE), Item=item,
                                 ConditionExpression="attribute_not_exists(id)")
        except ClientError as error:
            if _conditional_failure(error):
                raise ValueError(f"a token with id {token.id} exists") from None
            raise

    def get_token(self, token_id: str) -> Token | None:
        answer = self.client.get_item(TableName=self.table_name(TABLE),
                                      Key={"id": to_value(token_id)}, ConsistentRead=True)
        return _token(answer["Item"]) if "Item" in answer else None

    def list_tokens(self) -> list[Token]:
        found, arguments = [], {"TableName": self.table_name(TABLE), "ConsistentRead": True}
        while True:
            page = self.client.scan(**arguments)
            found.extend(_token(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return sorted(found, key=lambda t: (t.created, t.id))

    def revoke_token(self, token_id: str, when: str) -> Token | None:
        try:
            answer = self.client.update_item(
                TableName=self.table_name(TABLE), Key={"id": to_value(token_id)},
                UpdateExpression="SET revoked = if_not_exists(revoked, :when)",
                ConditionExpression="attribute_exists(id)",
                ExpressionAttributeValues={":when": to_value(when)}, ReturnValues="ALL_NEW")
        except ClientError as error:
            if _conditional_failure(error):
                return None
            raise
        return _token(answer["Attributes"])
